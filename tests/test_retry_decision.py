"""The one retry decision (`decide`) and the drivers that carry it out: a breaker's gate makes
no attempt while it refuses, and giving up says what was tried."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib import vtime
from lessonlib.backoff import Backoff, BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.retry import GiveUp, Retry, RetryError, connect_with_retry, decide, keep_connected


@given(
    max_retries=st.integers(0, 8),
    floor=st.floats(0, 100),
    seed=st.integers(0, 2**32),
)
def test_a_transient_error_is_retried_until_the_policy_is_spent(
    max_retries: int, floor: float, seed: int
) -> None:
    backoff = Backoff(BackoffPolicy(max_retries=max_retries), random.Random(seed))
    decisions = [
        decide(backoff, ConnectionError(), lambda e: True, floor) for _ in range(max_retries + 1)
    ]
    *retries, last = decisions
    assert all(isinstance(d, Retry) and d.delay >= floor for d in retries)
    assert last == GiveUp(fatal=False) and last.reason == "retries exhausted"
    assert backoff.failures == max_retries + 1


@given(failures_before=st.integers(0, 5))
def test_a_fatal_error_gives_up_at_once_and_costs_the_schedule_nothing(
    failures_before: int,
) -> None:
    backoff = Backoff(BackoffPolicy(max_retries=None))
    for _ in range(failures_before):
        backoff.next_delay()
    decision = decide(backoff, ValueError("bad url"), lambda e: False, floor=5.0)
    assert decision == GiveUp(fatal=True) and decision.reason == "fatal error"
    assert backoff.failures == failures_before


def test_a_clean_end_counts_as_a_failure_to_retry_after() -> None:
    backoff = Backoff(BackoffPolicy(initial_delay=0.5))
    assert decide(backoff, None, lambda e: False) == Retry(0.5)


def test_no_attempt_is_made_or_reported_while_the_gate_refuses() -> None:
    """A gate that refuses three times (0.4 s each): three REFUSED events, then one attempt."""

    async def main() -> tuple[EventLog, int]:
        log, made = EventLog(), 0
        refusals = iter([0.4, 0.4, 0.4])

        async def connect() -> str:
            nonlocal made
            made += 1
            return "connection"

        await connect_with_retry(connect, gate=lambda: next(refusals, 0.0), events=log)
        return log, made

    log, made = vtime.run(main())
    assert made == 1
    assert [e.kind for e in log] == [Kind.REFUSED] * 3 + [Kind.ATTEMPT, Kind.SUCCESS]
    assert log.times(Kind.ATTEMPT) == pytest.approx([1.2])


def test_giving_up_on_short_lived_connections_lists_them() -> None:
    async def main() -> RetryError:
        async def connect() -> str:
            return "connection"

        async def drops_at_once(connection: str) -> None:
            raise ConnectionResetError("reset by peer")

        with pytest.raises(RetryError) as raised:
            await keep_connected(connect, drops_at_once, BackoffPolicy(max_retries=3))
        return raised.value

    error = vtime.run(main())
    assert error.attempts == 4
    assert [type(r.error) for r in error.history] == [ConnectionResetError] * 4
    assert [r.delay for r in error.history] == pytest.approx([0.1, 0.2, 0.4, None])
    assert "gave up after 4 short-lived connections" in str(error)
    assert "ConnectionResetError: reset by peer" in str(error)
    assert isinstance(error.__cause__, ConnectionResetError)
