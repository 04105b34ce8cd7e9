"""Solutions to the homework as a notebook cell would hold them, and wrong ones made from
them by the edits a student really makes."""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOLUTIONS = Path(__file__).parent / "solutions"


def source(name: str) -> str:
    return (SOLUTIONS / f"{name}.py").read_text()


def namespace(code: str) -> dict[str, Any]:
    """The globals a notebook would have after running ``code`` in a cell (whose source,
    as in IPython, linecache knows, so that tracebacks can quote it)."""
    filename = f"<solution cell {hash(code) & 0xFFFFFF:06x}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    globals_: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(code, filename, "exec"), globals_)
    return globals_


def edited(code: str, *edits: tuple[str, str]) -> str:
    """``code`` with each (old, new) edit made once; an edit that no longer applies fails."""
    for old, new in edits:
        assert code.count(old) == 1, f"the edit no longer applies: {old!r}"
        code = code.replace(old, new)
    return code


@dataclass(frozen=True)
class Mistake:
    """A wrong solution: the reference with ``edits``; it must fail the sub-check ``fails``
    with a message holding ``says``."""

    name: str
    fails: str
    says: str
    edits: tuple[tuple[str, str], ...]

    def code(self, reference: str) -> str:
        return edited(reference, *self.edits)

    def __str__(self) -> str:
        return self.name


def assert_named(mistake: Mistake, report: Any) -> None:
    """The report takes points off ``mistake.fails`` and its message names the mistake."""
    failed = {c.name: c for c in report.failed()}
    assert mistake.fails in failed, f"{mistake}: expected {mistake.fails!r} to fail\n{report}"
    text = failed[mistake.fails].actual + " " + " ".join(report.notes)
    assert mistake.says.lower() in text.lower(), f"{mistake}: {mistake.says!r} not in\n{report}"
    assert report.points < report.max_points
