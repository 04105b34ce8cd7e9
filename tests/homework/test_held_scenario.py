"""A scenario held outside the kernel (`far_scenario`, `far_client`, `lockstep`): the student's
code, run in one thread against the scenario played in another over a real socket pair, gets
the verdict it gets when it plays the scenario in its own process, sub-check by sub-check."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
import task1_mistakes
from homework_solutions import namespace, source

from lessonlib.homework import checks, far_client, far_scenario
from lessonlib.homework.lockstep import Link
from lessonlib.homework.report import Report

SEED = 4242


def held_report(task: str, code: str, seed: int = SEED) -> Report:
    """The report on ``code`` with ``task``'s scenario held by another thread."""
    kernel_end, grader_end = socket.socketpair()
    observed: list[dict[str, Any]] = []

    def grader() -> None:
        link = Link(grader_end)
        assert link.receive(10) == {"hello": "token"}
        observed.append(far_scenario.observe(task, seed, link))
        link.close()

    thread = threading.Thread(target=grader)
    thread.start()
    link = Link(kernel_end)
    far_client.play(link, "token", namespace(code))
    link.close()
    thread.join(60)
    return checks.conclude(task, seed, observed[0])


def verdicts(report: Report) -> list[tuple[str, int]]:
    return [(c.name, c.points) for c in report.checks]


CASES = {"reference": source("task1_reference"), "alternative": source("task1_alternative")}
CASES |= {m.name: m.code(task1_mistakes.REFERENCE) for m in task1_mistakes.MISTAKES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_held_scenario_judges_as_the_kernel_would(name: str) -> None:
    code = CASES[name]
    held = held_report("task1", code)
    here = checks.grade("task1", namespace(code), seed=SEED)
    assert verdicts(held) == verdicts(here), f"{name}\nheld:\n{held}\nin the kernel:\n{here}"
    assert held.points == here.points
