"""A scenario held outside the kernel (`far_scenario`, `far_client`, `lockstep`): the student's
code, run here against the scenario played in another process over a loopback socket, gets
the verdict it gets when it plays the scenario in its own process, sub-check by sub-check; and
a record forged in the student's process is worth nothing there."""

from __future__ import annotations

import atexit
import functools
import json
import socket
import subprocess
import sys

import pytest
import task1_mistakes
import task4_mistakes
from dishonest import FORGER4, TRICKS
from homework_solutions import namespace, source
from test_grade import ROOT

from lessonlib.homework import checks, far_client
from lessonlib.homework.lockstep import Link
from lessonlib.homework.report import Report

SEED = 4242


def held_report(task: str, code: str, seed: int = SEED) -> Report:
    """The report on ``code`` run here, with ``task``'s scenario held by another process (as
    the grader's worker holds it) and reached over a loopback socket."""
    grader = _grader_side()
    assert grader.stdin is not None and grader.stdout is not None
    grader.stdin.write(f"{task} {seed}\n")
    grader.stdin.flush()
    port = int(grader.stdout.readline())
    link = Link(socket.create_connection(("127.0.0.1", port), timeout=30))
    far_client.play(link, "token", namespace(code))
    link.close()
    observed = json.loads(grader.stdout.readline())
    return checks.conclude(task, seed, observed)


@functools.cache
def _grader_side() -> subprocess.Popen[str]:
    """The grader's side, in a process of its own that holds one scenario after another (one
    per line of "task seed" it reads), so that each case does not pay for a new interpreter."""
    grader = subprocess.Popen(
        [sys.executable, "-c", GRADER_SIDE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    atexit.register(grader.kill)
    return grader


GRADER_SIDE = """
import json, sys
from lessonlib.grade.held import Held
for line in sys.stdin:
    task, seed = line.split()
    held = Held.start(task, int(seed), "token")
    print(held.port, flush=True)
    held.wait()
    print(json.dumps(held.stop()), flush=True)
"""


def verdicts(report: Report) -> list[tuple[str, int]]:
    return [(c.name, c.points) for c in report.checks]


CASES = {("task1", "reference"): source("task1_reference")}
CASES[("task1", "alternative")] = source("task1_alternative")
CASES |= {("task1", m.name): m.code(task1_mistakes.REFERENCE) for m in task1_mistakes.MISTAKES}
CASES[("task1", "never awaits")] = """
class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        self.connect = connect

    async def run(self):
        await self.connect()
        while True:
            pass
"""
# the same draws from `random`, held or not
CASES[("task1", "jitter from random, capped at 60 s")] = task1_mistakes.JITTER_FROM_RANDOM
CASES[("task4", "reference")] = source("task4_reference")
CASES[("task4", "alternative")] = source("task4_alternative")
CASES |= {("task4", m.name): m.code(task4_mistakes.REFERENCE) for m in task4_mistakes.MISTAKES}
CASES[("task4", "answers nothing")] = """
class HealthMonitor:
    def __init__(self, exchanges, on_alert, start):
        pass

    def record(self, exchange, connected, at):
        pass

    def check(self, at):
        pass

    def uptime(self, exchange, at):
        return 0.0

    def reliability(self, exchange, at):
        raise ValueError(f"no data for {exchange}")

    def summary(self, at):
        return None
"""
CASES[("task4", "no such class")] = "class HealthMonitr:\n    pass\n"


@pytest.mark.parametrize(("task", "name"), sorted(CASES))
def test_held_scenario_judges_as_the_kernel_would(task: str, name: str) -> None:
    code = CASES[task, name]
    held = held_report(task, code)
    here = checks.grade(task, namespace(code), seed=SEED)
    assert verdicts(held) == verdicts(here), f"{name}\nheld:\n{held}\nin the kernel:\n{here}"
    assert held.points == here.points
    if task != "task1":  # task 1's held feedback words a client that never awaits otherwise
        assert [c.actual for c in held.checks] == [c.actual for c in here.checks]


def test_a_consistent_forged_record_is_worth_nothing_when_the_grader_holds_the_scenario() -> None:
    # In the student's own process the forger fills the check's record with a correct client's
    # (11 of 12 points); held, there is no record in its reach, and invented prices and states
    # against a client that never connected earn nothing.
    forger = TRICKS["forges_a_consistent_record"]
    assert checks.grade("task1", namespace(forger), seed=SEED).points >= 10
    held = held_report("task1", forger)
    assert held.points == 0, held
    assert any("never sent by the exchange" in note for note in held.notes), held


def test_a_monitor_that_reads_the_answers_off_the_record_gets_nothing_when_held() -> None:
    # In the student's own process the forger finds the check's record (the whole script of
    # outages) with gc and answers from it: full marks. Held, the script is not in its reach.
    assert checks.grade("task4", namespace(FORGER4), seed=SEED).points == 10
    held = held_report("task4", FORGER4)
    assert held.points == 0, held
