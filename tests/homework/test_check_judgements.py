"""The pure judgements behind the checks, on schedules made up by hypothesis: any backoff the
task allows passes the backoff judgements, and the mistakes they name fail them."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lessonlib.homework import task1, task4
from lessonlib.homework.network import Attempt, Wire
from lessonlib.homework.timeline import collapse, compare_states, expected_states, waits

OUTAGE = (20.0, 620.0)


def outage_seen(delays: list[float]) -> task1.Observed:
    """A client that was connected, lost it at the outage's start and then waited ``delays``."""
    start, end = OUTAGE
    first = Wire(1, 0.0, ended_at=start, ended_by="exchange")
    attempts = [Attempt(0.0, "opened", first)]
    now = start
    for delay in delays:
        now += delay
        if now >= end:
            attempts.append(Attempt(now, "opened", Wire(2, now)))
            break
        attempts.append(Attempt(now, "refused"))
    seen = task1.Observed(attempts=attempts, marks={"outage": start, "outage_end": end})
    seen.end = now + 100
    return seen


def schedule(initial: float, factor: float, cap: float, jitter: str, seed: int) -> list[float]:
    rng = random.Random(seed)
    delays, previous = [], initial
    for failures in range(1, 500):
        ceiling = min(cap, initial * factor ** (failures - 1))
        if jitter == "full":
            delay = rng.uniform(0, ceiling)
        elif jitter == "equal":
            delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
        elif jitter == "decorrelated":  # the first wait is the initial delay, as the task says
            delay = previous = (
                min(cap, rng.uniform(initial, previous * 3)) if failures > 1 else initial
            )
        else:
            delay = ceiling
        delays.append(delay)
    return delays


policies = st.tuples(
    st.floats(0.1, 2.0),  # initial delay
    st.floats(1.5, 3.0),  # multiplier
    st.floats(0.0, 1.0),  # where the cap lies between 5 × initial and 30 s
    st.sampled_from(["none", "full", "equal", "decorrelated"]),
    st.integers(0, 2**32),
)


@given(policies)
@example((0.25, 2.0, 0.5, "decorrelated", 8246))  # three steps of about 1 s in a row, by chance
def test_any_backoff_the_task_allows_passes_the_backoff_judgements(policy: tuple) -> None:
    initial, factor, where, jitter, seed = policy
    cap = 5 * initial + where * (30.0 - 5 * initial)
    seen = outage_seen(schedule(initial, factor, cap, jitter, seed))
    assert task1._grows(seen) is None
    assert task1._capped(seen) is None
    assert task1._no_busy_loop(seen) is None


@given(st.floats(0.5, 30.0))
def test_a_fixed_delay_is_named(delay: float) -> None:
    assert "fixed delay" in task1._grows(outage_seen([delay] * 1000))


@given(st.floats(30.2, 120.0), st.floats(1.5, 3.0))
def test_a_cap_above_thirty_seconds_is_named(cap: float, factor: float) -> None:
    problem = task1._capped(outage_seen(schedule(0.5, factor, cap, "none", 0)))
    assert problem is not None and ("cap above 30 s" in problem or "no cap" in problem)


@given(st.lists(st.sampled_from(["refused", "opened"]), min_size=1, max_size=30))
def test_a_log_of_exactly_the_expected_states_passes_and_a_missing_one_fails(
    outcomes: list[str],
) -> None:
    attempts, now = [], 0.0
    for number, outcome in enumerate(outcomes, 1):
        now += 1.0
        wire = Wire(number, now, ended_at=now + 0.5, ended_by="exchange")
        attempts.append(Attempt(now, outcome, wire if outcome == "opened" else None))
    expected = expected_states(attempts, now + 10)
    assert compare_states(expected, collapse(expected)) is None
    if len(expected) >= 3:
        assert compare_states(expected, expected[:1] + expected[2:]) is not None


@given(st.lists(st.floats(0.01, 40.0), min_size=1, max_size=50))
def test_waits_are_the_gaps_after_each_failure(delays: list[float]) -> None:
    seen = outage_seen(delays)
    measured = waits(seen.attempts, OUTAGE[0], seen.end)
    assert (
        measured
        == [
            b.at - (a.at if a.wire is None else OUTAGE[0])
            for a, b in zip(seen.attempts[:-1], seen.attempts[1:], strict=True)
        ][: len(measured)]
    )


@settings(deadline=None, max_examples=25)  # each example scores two hours, second by second
@given(st.integers(0, 10**6))
def test_every_allowed_recovery_level_expects_the_same_alerts(seed: int) -> None:
    seen = task4._script(seed)
    low, high = task4.RECOVERY_LEVELS
    assert task4.expected_alerts(seen, low) == task4.expected_alerts(seen, high)
    flapping = task4.expected_alerts(seen, task4.THRESHOLD)
    assert len([n for _, n in flapping if n == "flappy"]) >= 4  # the scenario can catch flaps
