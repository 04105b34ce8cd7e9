"""What a check found: each sub-check with its points, and for a failure what was expected
against what the code did. Shows as a table in a notebook and as plain text in a terminal or
a feedback file; `to_dict` is what the grader reads."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import i18n
from ..i18n import Text, tr


@dataclass(frozen=True, slots=True)
class SubCheck:
    """One behaviour checked: passed or not, and why."""

    name: str
    points: float
    max_points: float
    expected: str = ""
    actual: str = ""
    key: str = ""  # the name in English, whatever the report's language: the CSV's column

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


@dataclass(frozen=True, slots=True)
class Check:
    """A sub-check to make: ``judgement`` reads what a scenario observed and returns None
    when the behaviour was right, else what the code did instead."""

    name: str | Text
    max_points: float
    judgement: Callable[[Any], str | None]
    expected: str | Text

    def passed(self) -> SubCheck:
        """Full points, in the language in force (`lessonlib.i18n`)."""
        return SubCheck(
            str(self.name), self.max_points, self.max_points, str(self.expected), "", self.key
        )

    def failed(self, problem: str) -> SubCheck:
        return SubCheck(str(self.name), 0.0, self.max_points, str(self.expected), problem, self.key)

    @property
    def key(self) -> str:
        return i18n.english(self.name)

    def judge(self, observed: Any) -> SubCheck:
        problem = self.judgement(observed)
        return self.passed() if problem is None else self.failed(problem)


@dataclass(slots=True)
class Report:
    """Every sub-check of one task, plus notes about the run (output printed, time taken),
    in the language that was in force when it was made."""

    task: str
    title: str | Text
    checks: list[SubCheck]
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    real_seconds: float = 0.0
    simulated_seconds: float = 0.0
    language: str = field(default_factory=i18n.current)
    lead: str = ""  # the root cause when one mistake fails several sub-checks: said first

    def __post_init__(self) -> None:
        with i18n.speaking(self.language):
            self.title = str(self.title)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.checks)

    def failed(self) -> list[SubCheck]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "title": self.title,
            "points": self.points,
            "max_points": self.max_points,
            "checks": [asdict(c) | {"passed": c.passed} for c in self.checks],
            "notes": list(self.notes),
            "seed": self.seed,
            "real_seconds": round(self.real_seconds, 3),
            "simulated_seconds": round(self.simulated_seconds, 3),
            "language": self.language,
            "lead": self.lead,
        }

    def __str__(self) -> str:
        with i18n.speaking(self.language):
            return self._text()

    def _text(self) -> str:
        lines = [self._headline()]
        if self.lead:
            lines.append("  " + tr("start here: {text}", text=self.lead))
        for check in self.checks:
            mark = tr("PASS") if check.passed else tr("FAIL")
            score = f"{_points(check.points)}/{_points(check.max_points)}"
            lines.append(f"  [{mark}] {score:>7}  {check.name}")
            if not check.passed:
                lines.append("                " + tr("expected: {text}", text=check.expected))
                lines.append("                " + tr("your code: {text}", text=check.actual))
        lines.extend("  " + tr("note: {text}", text=note) for note in self.notes)
        lines.append(f"  ({self._footer()})")
        return "\n".join(lines)

    def _headline(self) -> str:
        return tr(
            "{title}: {points} / {max_points} points",
            title=self.title,
            points=_points(self.points),
            max_points=_points(self.max_points),
        )

    def _footer(self) -> str:
        return tr(
            "{simulated:,.0f} simulated seconds in {real:.2f} s, scenario seed {seed}",
            simulated=self.simulated_seconds,
            real=self.real_seconds,
            seed=self.seed,
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        with i18n.speaking(self.language):
            return self._html()

    def _html(self) -> str:
        rows = []
        for check in self.checks:
            color = "#1a7f37" if check.passed else "#cf222e"
            mark = "✔" if check.passed else "✘"
            detail = ""
            if not check.passed:
                detail = (
                    f'<div style="margin-top:2px"><b>{html.escape(tr("expected:"))}</b> '
                    f"{html.escape(check.expected)}</div>"
                    f"<div><b>{html.escape(tr('your code:'))}</b> {html.escape(check.actual)}</div>"
                )
            background = "" if check.passed else "background:#fff5f5;"
            cell = f"padding:3px 8px;vertical-align:top;{background}"
            rows.append(
                f'<tr><td style="{cell}color:{color};font-weight:bold">{mark}</td>'
                f'<td style="{cell}text-align:right;white-space:nowrap">'
                f"{_points(check.points)} / {_points(check.max_points)}</td>"
                f'<td style="{cell}text-align:left">{html.escape(check.name)}{detail}</td></tr>'
            )
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        total = self.points == self.max_points
        return (
            f'<div class="reconnect-lab-report" lang="{self.language}" '
            f'data-points="{_points(self.points)}" data-max-points="{_points(self.max_points)}">'
            f'<h4 style="color:{"#1a7f37" if total else "#9a6700"}">'
            f"{html.escape(self._headline())}</h4>"
            + (
                f"<p><b>{html.escape(tr('start here:'))}</b> {html.escape(self.lead)}</p>"
                if self.lead
                else ""
            )
            + f'<table style="border-collapse:collapse">{"".join(rows)}</table>'
            + (f"<ul>{notes}</ul>" if notes else "")
            + f'<div style="color:#57606a;font-size:smaller">{html.escape(self._footer())}</div>'
            "</div>"
        )


def _points(value: float) -> str:
    return f"{value:g}"
