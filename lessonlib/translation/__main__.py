"""``python -m lessonlib.translation [update|generate|status] [--start NOTEBOOK]``: keep the
catalogs in step with the English (update), write the Russian notebooks (generate), and list
what still needs a translator (status). With no command: all three, as ``make translations``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import catalogs, edition


def update(start: list[Path]) -> None:
    """Update the library's catalog and every notebook catalog; begin one for ``start``."""
    targets = [(edition.library_catalog(), edition.library_messages())]
    notebooks = set(edition.translated_notebooks()) | {p.resolve() for p in start}
    for english in sorted(notebooks):
        targets.append((edition.catalog_for(english), edition.notebook_messages(english)))
    for path, wanted in targets:
        changes = catalogs.update(path, wanted)
        print(
            f"{path.relative_to(edition.ROOT)}: {len(wanted)} messages, {changes.added} new, "
            f"{changes.fuzzy} fuzzy (English changed), {changes.obsolete} no longer used"
        )


def generate() -> None:
    for path in edition.write_editions():
        print(f"wrote {path.relative_to(edition.ROOT)}")


def status() -> int:
    """Print every message without a current translation; how many there are."""
    pending = catalogs.problems(
        edition.library_catalog(), [w.msgid for w in edition.library_messages()]
    )
    report = [(edition.library_catalog(), pending)]
    for english in edition.translated_notebooks():
        wanted = [w.msgid for w in edition.notebook_messages(english)]
        report.append(
            (edition.catalog_for(english), catalogs.problems(edition.catalog_for(english), wanted))
        )
    total = 0
    for path, found in report:
        total += len(found)
        for problem in found:
            print(f"{path.relative_to(edition.ROOT)}: {problem}")
    untranslated = [
        p.relative_to(edition.ROOT).as_posix()
        for p in edition.english_notebooks()
        if p not in edition.translated_notebooks()
    ]
    if untranslated:
        print(f"no catalog yet (begin one with --start): {', '.join(untranslated)}")
    print(f"{total} message(s) need a translator" if total else "every catalog is up to date")
    return total


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessonlib.translation", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("update", "generate", "status", "all"))
    parser.add_argument(
        "--start", type=Path, action="append", default=[], help="an English notebook to begin"
    )
    options = parser.parse_args(arguments)
    command = options.command or "all"
    if command in ("update", "all"):
        update(options.start)
    if command in ("generate", "all"):
        generate()
    if command == "status":
        return 1 if status() else 0
    if command == "all":
        status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
