"""The course's languages: ``tr("...")`` gives a message in the chosen language.

English is the source: every message is written in English in the code, and its Russian is an
entry of a gettext catalog under ``locale/ru/LC_MESSAGES`` (see ``locale/README.md``). A Russian
notebook says ``i18n.use("ru")`` in its first code cell; everything the library shows in that
kernel (check reports, plots, widgets) is then Russian. A message without a current
translation shows in English, as gettext does.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polib

LANGUAGES = ("en", "ru")
SOURCE = "en"
LOCALE = Path(__file__).resolve().parents[1] / "locale"

_chosen = SOURCE  # the kernel's or process's language, set by `use`
_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)


def language_of(value: str | None) -> str:
    """The course language for ``value``: "ru", "en", or a locale name such as
    "ru_RU.UTF-8" or "en_US.UTF-8" (its language part); "C", "POSIX" and "" mean English.

    Raises ValueError naming the value for a language the course does not have."""
    text = (value or "").strip()
    if text in ("", "C", "POSIX") or text.startswith("C."):
        return SOURCE
    code = re.split(r"[_.@-]", text, maxsplit=1)[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return code


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language a terminal program speaks: the first set of LANGUAGE (a list such as
    "ru:en"), LC_ALL, LC_MESSAGES and LANG, as gettext reads them; English for any other."""
    environ = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if not value:
            continue
        for part in value.split(":"):
            with contextlib.suppress(ValueError):
                return language_of(part)
        return SOURCE
    return SOURCE


def use(language: str) -> None:
    """Choose the language of everything shown from now on (a notebook's first code cell)."""
    global _chosen
    _chosen = language_of(language)


def current() -> str:
    """The language in force: a `speaking` block's, else the one chosen with `use`."""
    return _override.get() or _chosen


@contextlib.contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Within the block, messages are in ``language`` (None: leave it as it is)."""
    if language is None:
        yield current()
        return
    token = _override.set(language_of(language))
    try:
        yield current()
    finally:
        _override.reset(token)


def tr(message: str, /, **fields: Any) -> str:
    """``message`` (an English `str.format` template) in the current language, filled in."""
    template = translations(current()).get(message, message)
    return template.format(**fields) if fields else template


class Text:
    """A message translated when it is shown, not when it is made: for texts fixed at import
    time (a check's name) that are shown in whichever language a report is written in."""

    __slots__ = ("fields", "message")

    def __init__(self, message: str, /, **fields: Any) -> None:
        self.message = message
        self.fields = fields

    @property
    def english(self) -> str:
        """The text in the source language, whatever the current one: a stable key."""
        return self.message.format(**self.fields) if self.fields else self.message

    def __str__(self) -> str:
        return tr(self.message, **self.fields)

    def __repr__(self) -> str:
        return f"Text({self.english!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.message, self.fields) == (
            other.message,
            other.fields,
        )

    def __hash__(self) -> int:
        return hash(self.message)


def english(text: str | Text) -> str:
    """The English of a message made with `Text`, or a plain string as it is."""
    return text.english if isinstance(text, Text) else str(text)


@functools.cache
def translations(language: str) -> dict[str, str]:
    """Every current translation into ``language``, from all its catalogs (English: none).

    Fuzzy entries (the English changed since they were written) are left out, as gettext
    leaves them out: the English shows until the translation is brought up to date."""
    if language == SOURCE:
        return {}
    found: dict[str, str] = {}
    for path in sorted((LOCALE / language / "LC_MESSAGES").rglob("*.po")):
        for entry in polib.pofile(str(path)):
            if entry.translated() and not entry.obsolete:
                found.setdefault(entry.msgid, entry.msgstr)
    return found
