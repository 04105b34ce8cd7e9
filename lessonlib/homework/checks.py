"""``check("task1")``: run a task's scenario against the notebook's code and report.

A check runs the student's code in virtual time in a sandbox (see `sandbox`), then judges
what the scenario recorded. Scenario times come from a seed: students see the public one;
the grader sets ``RECONNECT_LAB_GRADING_SEED`` so that hard-coding to a scenario does not pay.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Mapping, MutableMapping
from types import ModuleType
from typing import Any

from .. import i18n
from ..i18n import tr
from . import plain, sandbox, task1, task2, task3, task4
from .borrowed import library_names_used
from .harness import NotReady, explain
from .report import Report, SubCheck

TASKS: dict[str, ModuleType] = {"task1": task1, "task2": task2, "task3": task3, "task4": task4}
PUBLIC_SEED = 2026
SEED_VARIABLE = "RECONNECT_LAB_GRADING_SEED"
PRINT_NOTE = 10_000  # printed characters worth a note in the report


def check(
    task: str, namespace: Mapping[str, Any] | None = None, *, lang: str | None = None
) -> Report:
    """Check the notebook's code for ``task`` ("task1" … "task4") and return the report.

    ``namespace`` defaults to the caller's globals (the notebook's). The report is in the
    notebook's language (a Russian notebook's is Russian); ``lang="en"`` or ``"ru"`` picks one."""
    if namespace is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        namespace = caller.f_globals if caller is not None else {}
    with i18n.speaking(lang):
        return grade(task, namespace)


def seed_for(task: str) -> int:
    """The public seed, or the grading seed when the grader set one."""
    value = os.environ.get(SEED_VARIABLE, "")
    base = int(value) if value.strip() else PUBLIC_SEED
    return base + 1000 * list(TASKS).index(task)


def grade(task: str, namespace: Mapping[str, Any], *, seed: int | None = None) -> Report:
    """The report for ``task`` with the code in ``namespace``; never raises for bad code.

    The record crosses as plain data (`plain`) even here, so that a notebook's own check
    judges exactly what the grader judges from a kernel's record."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    seed = seed_for(task) if seed is None else seed
    return conclude(task, seed, observe(task, namespace, seed))


def observe(task: str, namespace: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Run ``task``'s scenario against the code in ``namespace``: what happened, as plain data
    (JSON-able), with nothing judged yet. This is the part that runs in a student's kernel."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    module = TASKS[task]
    started = time.perf_counter()
    try:
        main, seen = module.scenario(namespace, seed)
    except NotReady as error:
        return {"task": task, "not_ready": str(error), "real_seconds": _since(started)}
    student_globals = [namespace] if isinstance(namespace, MutableMapping) else []
    result = sandbox.run(
        main, namespaces=student_globals, random_seed=sandbox.random_seed_for(task, seed)
    )
    if isinstance(result.error, NotReady):
        return {"task": task, "not_ready": str(result.error), "real_seconds": _since(started)}
    return {
        "task": task,
        "result": plain.to_plain(result, explain),
        "seen": plain.to_plain(seen, explain),
        "borrowed": _borrowed(module, namespace),
        "real_seconds": _since(started),
    }


def conclude(task: str, seed: int, observation: Mapping[str, Any]) -> Report:
    """The report on a plain record from `observe`, judged by this process's own code;
    raises `plain.BadRecord` for a record that the check's code does not write."""
    if task not in TASKS or observation.get("task") != task:
        raise plain.BadRecord(f"a record for {observation.get('task')!r}, not {task!r}")
    module = TASKS[task]
    real_seconds = float(observation.get("real_seconds", 0.0))
    if "not_ready" in observation:
        return _not_ready(module, task, seed, str(observation["not_ready"]), real_seconds)
    result = plain.from_plain(observation["result"])
    seen = plain.from_plain(observation["seen"])
    if not isinstance(result, sandbox.RunResult) or type(seen).__module__ != module.__name__:
        raise plain.BadRecord("the record does not hold this task's observations")
    borrowed = [str(note) for note in plain.from_plain(observation.get("borrowed", []))]
    notes = _notes(result, seen) + borrowed
    if result.error is not None and not _cut_short(result):
        notes.append(tr("the check's scenario stopped early: {why}", why=explain(result.error)))
    checks = judge(module, seen)
    report = Report(task, module.TITLE, checks, notes, seed, lead=lead(module, seen, checks))
    report.real_seconds = real_seconds
    report.simulated_seconds = max(result.simulated, getattr(seen, "end", 0.0))
    return report


def _since(started: float) -> float:
    return time.perf_counter() - started


def lead(module: ModuleType, seen: Any, checks: list[SubCheck]) -> str:
    """When several sub-checks fail, the one mistake behind them (the task's `root_cause`:
    run() ended, a busy loop, never reconnected...), said before its consequences."""
    failed = [c for c in checks if not c.passed]
    if len(failed) < 2 or len({c.actual for c in failed}) < 2:
        return ""  # one failure, or one reason given for all: nothing to untangle
    return module.root_cause(seen) or ""


def judge(module: ModuleType, seen: Any) -> list[SubCheck]:
    """Every sub-check of the task; all fail with one reason when the code never got going,
    so that no point is ever earned by doing nothing."""
    blocked = module.blocker(seen)
    if blocked is not None:
        return [check.failed(blocked) for check in module.CHECKS]
    return [check.judge(seen) for check in module.CHECKS]


def _borrowed(module: ModuleType, namespace: Mapping[str, Any]) -> list[str]:
    """A note when the student's classes call into what lessonlib already solves the task with."""
    classes = [namespace.get(name) for name in module.STUDENT_CLASSES]
    found = library_names_used(classes, namespace, module.LIBRARY_SOLUTIONS)
    if not found:
        return []
    return [
        tr(
            "your code uses {names} from lessonlib, which already solves this task: the checks "
            "grade what it does, but the homework asks for code of your own",
            names=", ".join(sorted(found)),
        )
    ]


def _cut_short(result: sandbox.RunResult) -> bool:
    return result.overtime or result.stuck or isinstance(result.error, sandbox.Stuck)


def _notes(result: sandbox.RunResult, seen: Any) -> list[str]:
    notes = []
    if result.blocking_sleeps:
        notes.append(
            tr(
                "your code called time.sleep {count} time(s): it blocks the event loop, so "
                "nothing else runs meanwhile; use `await asyncio.sleep(...)`",
                count=result.blocking_sleeps,
            )
        )
    if result.overtime or isinstance(result.error, sandbox.Stuck):
        at = result.stopped_at or result.simulated
        notes.append(
            tr(
                "the check stopped your code at {at:.1f} simulated seconds: it kept the event "
                "loop busy without letting time pass (a loop that never waits?)",
                at=at,
            )
        )
    if result.stuck:
        notes.append(
            tr(
                "your code could not be stopped and is still running in the background: restart "
                "the kernel (Kernel → Restart) after fixing it"
            )
        )
    if getattr(seen, "ignored_cancel", False):
        notes.append(tr("run() did not stop when cancelled: let asyncio.CancelledError through"))
    if result.printed >= PRINT_NOTE:
        notes.append(
            tr("your code printed {count:,} characters during the check", count=result.printed)
        )
    return notes


def _not_ready(module: ModuleType, task: str, seed: int, why: str, seconds: float) -> Report:
    checks = [check.failed(why) for check in module.CHECKS]
    report = Report(task, module.TITLE, checks, [tr("not checked: {why}", why=why)], seed)
    report.real_seconds = seconds
    return report
