"""No verdict depends on how busy the machine is: a check whose event loop is slowed (every
turn made to do extra work first) and starved (a thread beside it burning CPU for the same
interpreter lock) gives the same report, word for word, as a check on an idle loop.

Nothing here sleeps or reads a clock: the load is a fixed amount of work per turn."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from homework_solutions import namespace, source

from lessonlib.homework import sandbox
from lessonlib.homework.checks import grade
from lessonlib.homework.report import Report

EXTRA_WORK = 30_000  # additions before every turn: in all, seconds more CPU than the check's own
SWITCH_INTERVAL = 0.001  # how often the burning thread may take the interpreter lock


def _work(additions: int) -> int:
    return sum(range(additions))


@contextlib.contextmanager
def slowed_and_starved(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every check loop made slow, and a CPU-burning thread running, until the block ends."""
    make_loop = sandbox.looptime.new_event_loop

    def slow_loop(**kwargs: Any) -> Any:
        loop = make_loop(**kwargs)
        run_once = loop._run_once

        def slow_turn() -> None:
            _work(EXTRA_WORK)
            run_once()

        loop._run_once = slow_turn
        return loop

    done = threading.Event()

    def burn() -> None:
        while not done.is_set():
            _work(10_000)

    burner = threading.Thread(target=burn, name="cpu burner", daemon=True)
    interval = sys.getswitchinterval()
    with monkeypatch.context() as patch:
        patch.setattr(sandbox.looptime, "new_event_loop", slow_loop)
        sys.setswitchinterval(SWITCH_INTERVAL)
        burner.start()
        try:
            yield
        finally:
            done.set()
            burner.join()
            sys.setswitchinterval(interval)


def verdict(report: Report) -> tuple[Any, ...]:
    """Everything a student or instructor reads, except the real seconds it took."""
    return ([(c.name, c.points, c.max_points, c.actual) for c in report.checks], report.notes)


CASES = {
    "task3 alternative": ("task3", lambda: source("task3_alternative")),
    "task2 reference": ("task2", lambda: source("task2_reference")),
}


@pytest.mark.parametrize("case", CASES)
def test_a_slowed_and_starved_check_gives_the_idle_verdict(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, code = CASES[case]
    idle = grade(task, namespace(code()), seed=4)
    with slowed_and_starved(monkeypatch):
        loaded = grade(task, namespace(code()), seed=4)
    assert verdict(loaded) == verdict(idle), f"idle:\n{idle}\n\nloaded:\n{loaded}"
