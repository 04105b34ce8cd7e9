"""What grading writes: the CSV (a row per student and task), a feedback file per student,
and Gradescope's ``results.json``."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..homework.checks import TASKS
from ..i18n import tr
from .submissions import Submission


@dataclass(slots=True)
class Outcome:
    """How grading one submission went."""

    submission: Submission
    status: str
    report: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    scenario_seed: int | None = None

    @property
    def points(self) -> float:
        return float(self.report["points"]) if self.report else 0.0

    @property
    def max_points(self) -> float | None:
        if self.report:
            return float(self.report["max_points"])
        task = TASKS.get(self.submission.task or "")
        return sum(c.max_points for c in task.CHECKS) if task else None


def write_csv(outcomes: list[Outcome], path: Path, seed: int) -> None:
    """One row per student and task: points, maximum, status, and each sub-check's points."""
    checks: dict[str, None] = {}
    for outcome in outcomes:
        for check in (outcome.report or {}).get("checks", []):
            checks[_column(outcome.report["task"], check)] = None
    columns = ["student", "task", "points", "max_points", "status", "errors", "notebook"]
    columns += ["seconds", "seed", "scenario_seed"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, [*columns, *checks])
        writer.writeheader()
        for outcome in sorted(outcomes, key=_order):
            row: dict[str, Any] = {
                "student": outcome.submission.student,
                "task": outcome.submission.task or "",
                "points": f"{outcome.points:g}",
                "max_points": "" if outcome.max_points is None else f"{outcome.max_points:g}",
                "status": outcome.status,
                "errors": "; ".join(outcome.errors)[:500],
                "notebook": str(outcome.submission.path),
                "seconds": f"{outcome.seconds:.1f}",
                "seed": seed,
                "scenario_seed": "" if outcome.scenario_seed is None else outcome.scenario_seed,
            }
            for check in (outcome.report or {}).get("checks", []):
                row[_column(outcome.report["task"], check)] = f"{check['points']:g}"
            writer.writerow(row)


def write_feedback(outcomes: list[Outcome], folder: Path, seed: int) -> list[Path]:
    """A Markdown file per student: for each task first what went wrong in their cells (the
    real error, before what it caused), then the report; and the seed that repeats it."""
    by_student: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_student[outcome.submission.student].append(outcome)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for student, mine in sorted(by_student.items()):
        mine.sort(key=_order)
        with i18n.speaking(mine[0].submission.language):
            lines = [tr("# Feedback for {student}", student=student), ""]
        for outcome in mine:
            with i18n.speaking(outcome.submission.language):
                lines += _feedback(outcome, seed)
        path = folder / f"{_safe(student)}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        written.append(path)
    return written


def _feedback(outcome: Outcome, seed: int) -> list[str]:
    """One task's part of a feedback file, in the language in force."""
    task = outcome.submission.task or tr("unknown task")
    lines = [f"## {task}: {outcome.submission.path.name}", ""]
    if outcome.errors:
        lines += [tr("Your notebook raised an error: {error}", error=outcome.errors[0]), ""]
    lines += [tr("Status: {status}", status=outcome.status)]
    if len(outcome.errors) > 1:
        lines += ["", tr("Every error raised by cells of the notebook:"), ""]
        lines += [f"- {error}" for error in outcome.errors]
    if outcome.report:
        lines += ["", "```", outcome.report["text"], "```"]
    if outcome.scenario_seed is not None:
        lines += [
            "",
            tr(
                "Graded with seed {seed} (`--seed {seed}`), which gave this task scenario seed "
                "{scenario}.",
                seed=seed,
                scenario=outcome.scenario_seed,
            ),
        ]
    lines.append("")
    return lines


def _column(task: str, check: dict[str, Any]) -> str:
    """A sub-check's CSV column: its English name, whatever language its feedback is in."""
    return f"{task}: {check.get('key') or check['name']}"


def write_gradescope(outcomes: list[Outcome], path: Path) -> None:
    """Gradescope's results.json: everything graded counts as one student's submission, as
    Gradescope's autograder hands over one submission at a time."""
    tests = []
    for outcome in sorted(outcomes, key=_order):
        task = outcome.submission.task or outcome.submission.path.name
        if not outcome.report:
            tests.append({"name": task, "score": 0, "max_score": 0, "output": outcome.status})
            continue
        for check in outcome.report["checks"]:
            output = (
                ""
                if check["passed"]
                else (f"expected: {check['expected']}\nyour code: {check['actual']}")
            )
            tests.append(
                {
                    "name": f"{outcome.report['title']}: {check['name']}",
                    "score": check["points"],
                    "max_score": check["max_points"],
                    "status": "passed" if check["passed"] else "failed",
                    "output": output,
                }
            )
    results = {
        "score": sum(o.points for o in outcomes),
        "output": "\n\n".join(o.report["text"] if o.report else o.status for o in outcomes),
        "tests": tests,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _order(outcome: Outcome) -> tuple[str, str]:
    return (outcome.submission.student, outcome.submission.task or "")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "student"
