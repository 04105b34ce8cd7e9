"""Gettext catalogs kept in step with the English: each update adds what is new, keeps what
is translated, and marks fuzzy what changed (its old translation and old English kept for the
translator), so that a changed English text is never shown with a stale translation."""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polib

TEMPLATE = "python-brace-format"  # gettext's flag for a str.format template
SIMILAR = 0.5  # how alike an old English text must be to a new one to offer its translation
WRAP = 100


@dataclass(slots=True)
class Wanted:
    """A message the English sources have, and where."""

    msgid: str
    places: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    template: bool = False  # a `str.format` template (tr's), whose {fields} must be kept


def collect(messages: Iterable[tuple[str, str, str, str, bool]]) -> list[Wanted]:
    """(msgid, file, place, note, template) rows, one `Wanted` per msgid, first-seen order."""
    found: dict[str, Wanted] = {}
    for msgid, file, place, note, template in messages:
        wanted = found.setdefault(msgid, Wanted(msgid, note=note, template=template))
        wanted.template = wanted.template or template
        wanted.places.append((file, place))
    return list(found.values())


@dataclass(slots=True)
class Changes:
    """What one update did to a catalog."""

    added: int = 0
    fuzzy: int = 0
    obsolete: int = 0


def update(path: Path, wanted: list[Wanted], *, language: str = "ru") -> Changes:
    """Bring the catalog at ``path`` (new or not) in step with ``wanted``; what changed."""
    old = polib.pofile(str(path), wrapwidth=WRAP) if path.exists() else None
    catalog = polib.POFile(wrapwidth=WRAP)
    catalog.metadata = (old.metadata if old else {}) or {
        "Project-Id-Version": "Reconnect Lab",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
        "n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    }
    previous = {e.msgid: e for e in old} if old else {}
    ids = {w.msgid for w in wanted}
    retired = [e for e in previous.values() if e.msgid not in ids and e.msgstr]
    changes = Changes()
    reused: set[str] = set()
    for item in wanted:
        entry = polib.POEntry(msgid=item.msgid, msgstr="", occurrences=item.places)
        entry.comment = item.note
        known = previous.get(item.msgid)
        if known is not None and known.msgstr:
            entry.msgstr = known.msgstr
            entry.flags = [f for f in known.flags if f == "fuzzy"]
            entry.previous_msgid = known.previous_msgid if "fuzzy" in known.flags else None
            entry.tcomment = known.tcomment
        else:
            match = _closest(item.msgid, [e for e in retired if e.msgid not in reused])
            if match is not None:
                reused.add(match.msgid)  # its translation lives on in the fuzzy entry
                entry.msgstr = match.msgstr
                entry.flags = ["fuzzy"]
                entry.previous_msgid = match.msgid
                changes.fuzzy += 1
            else:
                changes.added += 1
        if item.template:
            entry.flags.append(TEMPLATE)
        catalog.append(entry)
    for entry in retired:
        if entry.msgid in reused:
            continue
        if not entry.obsolete:
            changes.obsolete += 1
        entry.obsolete = True
        entry.occurrences = []
        catalog.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.save(str(path))
    return changes


def _closest(msgid: str, candidates: list[polib.POEntry]) -> polib.POEntry | None:
    best, score = None, SIMILAR
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, msgid, entry.msgid, autojunk=False).ratio()
        if ratio > score:
            best, score = entry, ratio
    return best


def lookup(path: Path) -> dict[str, str]:
    """The catalog's current translations (not fuzzy, not obsolete) by English text."""
    if not path.exists():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.translated() and not e.obsolete}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an English message has no usable translation in a catalog."""

    msgid: str
    why: str

    def __str__(self) -> str:
        first = self.msgid.splitlines()[0] if self.msgid else ""
        return f"{self.why}: {first[:90]!r}"


def problems(path: Path, msgids: Iterable[str]) -> list[Problem]:
    """Every message of ``msgids`` that the catalog does not translate currently, and every
    translation whose ``{fields}`` are not those of its English."""
    entries = (
        {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete} if path.exists() else {}
    )
    found = []
    for msgid in dict.fromkeys(msgids):
        entry = entries.get(msgid)
        if entry is None:
            found.append(Problem(msgid, "not in the catalog (run make translations)"))
        elif "fuzzy" in entry.flags:
            found.append(Problem(msgid, "fuzzy: the English changed since it was translated"))
        elif not entry.msgstr:
            found.append(Problem(msgid, "not translated"))
        elif TEMPLATE in entry.flags and fields(entry.msgstr) != fields(msgid):
            found.append(
                Problem(msgid, f"fields {sorted(fields(entry.msgstr))} != {sorted(fields(msgid))}")
            )
    return found


def fields(template: str) -> set[str]:
    """The ``{names}`` a `str.format` template fills in."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return {"<not a format template>"}
