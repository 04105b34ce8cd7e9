"""Whatever the student's code does, a check answers within seconds with a clear message,
and leaves the kernel as it found it."""

from __future__ import annotations

import sys
import time

import pytest
from homework_solutions import namespace, source
from task1_mistakes import JITTER_FROM_RANDOM

from lessonlib.homework.checks import grade

CLIENT = """
import asyncio

class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        self.connect, self.log_state = connect, log_state

    async def run(self):
{body}
"""


def client(body: str) -> dict:
    indented = "\n".join("        " + line for line in body.strip().splitlines())
    return namespace(CLIENT.format(body=indented))


def failures(report) -> str:
    return " | ".join(c.actual for c in report.failed()) + " | " + " | ".join(report.notes)


def test_an_empty_notebook_is_told_what_is_missing() -> None:
    report = grade("task1", {})
    assert report.points == 0
    assert all("there is no `FeedClient` yet" in c.actual for c in report.checks)


def test_the_starter_code_is_reported_as_not_done_yet() -> None:
    report = grade("task1", client("raise NotImplementedError"))
    assert report.points == 0
    assert "not done yet" in failures(report)


def test_a_run_that_is_not_async_is_named() -> None:
    code = CLIENT.format(body="        pass").replace("async def run", "def run")
    report = grade("task1", namespace(code))
    assert "`FeedClient.run` must be `async def`" in failures(report)


def test_a_constructor_that_raises_is_reported_with_its_line() -> None:
    code = CLIENT.format(body="        pass").replace(
        "self.connect, self.log_state = connect, log_state", "raise ValueError('bad symbol')"
    )
    report = grade("task1", namespace(code))
    assert "raised ValueError: bad symbol" in failures(report)
    assert "raise ValueError('bad symbol')" in failures(report)


def test_code_that_never_awaits_is_stopped_and_named() -> None:
    report = grade("task1", client("while True:\n    pass"))  # a hang is pytest-timeout's
    assert report.points == 0
    assert "never awaiting" in failures(report) or "busy" in failures(report)
    assert time.sleep.__module__ == "time"  # the real time.sleep is back


def test_code_that_spins_through_await_is_stopped_and_named() -> None:
    report = grade("task1", client("while True:\n    await asyncio.sleep(0)"))
    assert "kept the event loop busy" in failures(report)


def test_time_sleep_is_caught_without_blocking() -> None:
    report = grade("task1", client("import time\nwhile True:\n    time.sleep(30)"))
    assert "time.sleep(30) blocks the event loop" in failures(report)
    assert report.simulated_seconds > 30.0  # the sleeps passed in virtual time, not real


def test_megabytes_of_printing_cost_nothing_and_are_noted() -> None:
    report = grade(
        "task1", client("while True:\n    print('x' * 1_000_000)\n    await asyncio.sleep(1)")
    )
    assert "characters during the check" in failures(report)
    assert "stopped your code" not in failures(report)  # printing did not eat its budget
    assert sys.stdout.write.__self__ is not None  # stdout is the test's own again


def test_code_that_refuses_to_be_cancelled_is_noted() -> None:
    body = """
while True:
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        pass
"""
    report = grade("task1", client(body))
    assert "stopped your code" not in failures(report)  # waited for in virtual time, then left
    assert "did not stop when cancelled" in failures(report)


def test_a_log_state_of_the_wrong_type_is_named() -> None:
    report = grade(
        "task1", client("self.log_state(5)\nawait self.connect()\nawait asyncio.sleep(9999)")
    )
    assert "log_state(5): the states are" in failures(report)


def test_a_wrong_return_type_is_named() -> None:
    code = source("task4_reference").replace(
        "        watched = at - self.start\n", "        return '99 %'\n        watched = 0\n"
    )
    report = grade("task4", namespace(code))
    assert "returned '99 %', not a percentage" in failures(report)


@pytest.mark.parametrize("task", ["task1", "task2", "task3", "task4"])
def test_the_graded_seed_differs_from_the_public_one(
    task: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = grade(task, {}).seed
    monkeypatch.setenv("RECONNECT_LAB_GRADING_SEED", "777")
    assert grade(task, {}).seed != public


def test_an_unknown_task_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="task must be one of task1, task2, task3, task4"):
        grade("task9", {})


def test_a_solution_that_calls_the_library_that_solves_the_task_is_told_so() -> None:
    borrowed = CLIENT.format(
        body="        from lessonlib.feed import PriceFeedClient\n"
        "        client = PriceFeedClient(self.connect)\n"
        "        await asyncio.sleep(3600)"
    )
    report = grade("task1", namespace(borrowed))
    assert any("uses PriceFeedClient from lessonlib" in note for note in report.notes)
    assert not any(
        "from lessonlib" in n for n in grade("task1", namespace(source("task1_reference"))).notes
    )


def test_the_borrowed_code_note_reads_names_used_not_comments_or_own_classes() -> None:
    own = source("task1_reference").replace(
        "class FeedClient:",
        "class Backoff:\n    pass\n\n\nclass FeedClient:",
    )
    own = own.replace(
        "        loop = asyncio.get_running_loop()\n",
        "        loop = asyncio.get_running_loop()\n"
        "        # unlike lessonlib's PriceFeedClient or keep_connected, written by hand\n"
        "        self.backoff = Backoff()\n",
    )
    notes = grade("task1", namespace(own)).notes
    assert not any("from lessonlib" in note for note in notes), notes
    aliased = CLIENT.format(
        body="        import lessonlib.backoff as b\n"
        "        policy = b.BackoffPolicy()\n"
        "        await asyncio.sleep(3600)"
    )
    assert any("uses BackoffPolicy" in n for n in grade("task1", namespace(aliased)).notes)


def test_clocks_imported_by_name_are_virtual_during_the_check_and_real_after() -> None:
    import time as real_time

    code = "from time import monotonic, time\n" + source("task1_reference")
    globals_ = namespace(code)
    assert grade("task1", globals_).points == 12
    assert globals_["monotonic"] is real_time.monotonic and globals_["time"] is real_time.time


RECONNECT = (
    "            await asyncio.sleep(delay)\n"
    "            delay = min(delay * MULTIPLIER, MAX_DELAY)\n"
)


def test_one_root_cause_of_many_failures_is_said_first() -> None:
    """A client that never reconnects fails most sub-checks; the report leads with why."""
    gone = source("task1_reference").replace(RECONNECT, "            await asyncio.sleep(10**9)\n")
    report = grade("task1", namespace(gone))
    assert len(report.failed()) >= 3
    assert report.lead.startswith("your client never reconnected: its connection ended at")
    text = str(report)
    assert text.index("start here:") < text.index("[FAIL]")
    returned = source("task1_reference").replace(RECONNECT, "            return\n")
    assert grade("task1", namespace(returned)).lead.startswith("run() returned at")


def test_a_single_failure_has_no_lead() -> None:
    code = source("task1_reference").replace("SILENCE = 5.0", "SILENCE = 12.0")
    report = grade("task1", namespace(code))
    assert len(report.failed()) == 1
    assert report.lead == ""


def test_code_that_draws_its_jitter_from_random_gets_one_verdict_per_seed() -> None:
    # A cap of 60 s with random jitter: whether the reconnect after the long outage comes
    # late depends on the draws. The check seeds `random` from its own seed, so each run of
    # one seed judges the same draws, and the kernel's `random` is left as it was.
    import random

    random.seed(7)
    before = random.getstate()
    verdicts = {
        seed: {
            tuple(
                (c.name, c.points, c.actual)
                for c in grade("task1", namespace(JITTER_FROM_RANDOM), seed=seed).checks
            )
            for _ in range(3)
        }
        for seed in (None, 3)
    }
    assert all(len(runs) == 1 for runs in verdicts.values()), verdicts
    assert random.getstate() == before
