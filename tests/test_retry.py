"""The retry driver and the reconnect loop, in virtual time: exact attempt times, events, errors."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.http11 import Response

from lessonlib import vtime
from lessonlib.backoff import Backoff, BackoffPolicy, Jitter
from lessonlib.events import EventLog, Kind
from lessonlib.retry import (
    AttemptRecord,
    RetryError,
    connect_with_retry,
    is_transient,
    keep_connected,
    retry_on,
)

DEFAULT_ATTEMPT_TIMES = [0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5, 51.1, 81.1]


def http_error(status: int) -> InvalidStatus:
    """What websockets raises when the handshake gets an HTTP answer other than 101."""
    return InvalidStatus(Response(status, "", Headers()))


def now() -> float:
    return asyncio.get_running_loop().time()


class Script:
    """A connect function that raises the given errors in turn, then returns ``"up"``.

    ``None`` in the script is an attempt that succeeds; it records when each call was made.
    """

    def __init__(self, *errors: BaseException | None) -> None:
        self.errors = list(errors)
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(now())
        if self.errors:
            error = self.errors.pop(0)
            if error is not None:
                raise error
        return "up"


def kinds(log: EventLog) -> list[Kind]:
    return [e.kind for e in log]


# --- connect_with_retry: the schedule -------------------------------------------------------


def test_an_exchange_that_never_answers_is_tried_on_the_exact_schedule() -> None:
    errors = [ConnectionRefusedError(f"refused #{n}") for n in range(1, 12)]

    async def main() -> tuple[RetryError, Script, EventLog, float]:
        log = EventLog()
        connect = Script(*errors)
        with pytest.raises(RetryError) as raised:
            await connect_with_retry(connect, BackoffPolicy(), events=log, source="x")
        return raised.value, connect, log, now()

    error, connect, log, ended = vtime.run(main())
    assert connect.calls == pytest.approx(DEFAULT_ATTEMPT_TIMES)
    assert log.times(Kind.ATTEMPT) == pytest.approx(DEFAULT_ATTEMPT_TIMES)
    assert ended == pytest.approx(81.1)
    assert connect.errors == []  # all 11 attempts were made, no more

    assert error.attempts == 11 and len(error.history) == 11
    assert all(isinstance(record, AttemptRecord) for record in error.history)
    assert [r.number for r in error.history] == list(range(1, 12))
    assert [r.error for r in error.history] == errors  # each attempt's own error, in order
    assert all(r.error is e for r, e in zip(error.history, errors, strict=True))
    assert [r.started for r in error.history] == pytest.approx(DEFAULT_ATTEMPT_TIMES)
    assert [r.ended for r in error.history] == pytest.approx(DEFAULT_ATTEMPT_TIMES)
    assert [r.delay for r in error.history] == [*BackoffPolicy().delays(), None]
    assert error.__cause__ is errors[-1]
    assert (
        str(error) == "gave up after 11 attempts; last error: ConnectionRefusedError: refused #11"
    )


def test_an_exchange_that_never_answers_reports_each_step() -> None:
    async def main() -> EventLog:
        log = EventLog()
        with pytest.raises(RetryError):
            await connect_with_retry(
                Script(*[OSError("down")] * 3), BackoffPolicy(max_retries=2), events=log
            )
        return log

    log = vtime.run(main())
    assert kinds(log) == [
        Kind.ATTEMPT,
        Kind.FAILURE,
        Kind.SLEEP,
        Kind.ATTEMPT,
        Kind.FAILURE,
        Kind.SLEEP,
        Kind.ATTEMPT,
        Kind.FAILURE,
        Kind.GAVE_UP,
    ]
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1, 0.2]
    assert [e["attempt"] for e in log.where(Kind.FAILURE)] == [1, 2, 3]
    gave_up = log.where(Kind.GAVE_UP)[0]
    assert dict(gave_up.details) == {"attempts": 3, "reason": "retries exhausted"}
    assert gave_up.time == pytest.approx(0.3)
    assert {e.source for e in log} == {"retry"}


def test_no_retries_means_a_single_attempt() -> None:
    connect = Script(OSError("down"), None)
    with pytest.raises(RetryError) as raised:
        vtime.run(connect_with_retry(connect, BackoffPolicy(max_retries=0)))
    assert connect.calls == [0.0]
    assert raised.value.attempts == 1
    assert raised.value.history[0].delay is None


@pytest.mark.parametrize("succeeds_on", [1, 2, 3, 5])
def test_success_on_attempt_k_returns_the_connection_and_reports_every_step(
    succeeds_on: int,
) -> None:
    errors = [TimeoutError(), OSError("reset"), ConnectionRefusedError(), EOFError()]
    script = errors[: succeeds_on - 1]

    async def main() -> tuple[str, EventLog, float]:
        log = EventLog()
        result = await connect_with_retry(Script(*script), BackoffPolicy(), events=log, source="s")
        return result, log, now()

    result, log, ended = vtime.run(main())
    assert result == "up"
    expected_times = DEFAULT_ATTEMPT_TIMES[:succeeds_on]
    assert ended == pytest.approx(expected_times[-1])
    assert kinds(log) == [Kind.ATTEMPT, Kind.FAILURE, Kind.SLEEP] * (succeeds_on - 1) + [
        Kind.ATTEMPT,
        Kind.SUCCESS,
    ]
    assert log.times(Kind.ATTEMPT) == pytest.approx(expected_times)
    assert log.times(Kind.FAILURE) == pytest.approx(expected_times[:-1])
    assert log.times(Kind.SLEEP) == pytest.approx(expected_times[:-1])
    assert log.times(Kind.SUCCESS) == pytest.approx([expected_times[-1]])
    assert [e["attempt"] for e in log.where(Kind.ATTEMPT)] == list(range(1, succeeds_on + 1))
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1, 0.2, 0.4, 0.8][: succeeds_on - 1]
    assert all(e["retryable"] is True for e in log.where(Kind.FAILURE))
    success = log.where(Kind.SUCCESS)[0]
    assert dict(success.details) == {"attempt": succeeds_on, "elapsed": 0.0}
    assert not log.where(Kind.GAVE_UP)
    assert {e.source for e in log} == {"s"}


def test_failure_events_describe_the_error() -> None:
    async def main() -> EventLog:
        log = EventLog()
        await connect_with_retry(Script(OSError("reset by peer"), EOFError()), events=log)
        return log

    failures = vtime.run(main()).where(Kind.FAILURE)
    assert [f["error"] for f in failures] == ["OSError: reset by peer", "EOFError"]
    assert [f["retryable"] for f in failures] == [True, True]


def test_a_slow_successful_attempt_reports_how_long_it_took() -> None:
    async def slow() -> str:
        await asyncio.sleep(1.25)
        return "up"

    async def main() -> EventLog:
        log = EventLog()
        await connect_with_retry(slow, events=log)
        return log

    success = vtime.run(main()).where(Kind.SUCCESS)[0]
    assert success.time == 1.25
    assert success["elapsed"] == 1.25


# --- connect_with_retry: which errors are retried -------------------------------------------

FATAL = [TypeError("bug"), ValueError("bad url"), http_error(404), http_error(401)]
TRANSIENT = [
    ConnectionRefusedError(),
    ConnectionResetError(),
    TimeoutError(),
    OSError("unreachable"),
    EOFError(),
    http_error(503),
    http_error(429),
    http_error(500),
    ConnectionClosedError(None, None),
]


@pytest.mark.parametrize("error", FATAL, ids=["TypeError", "ValueError", "HTTP 404", "HTTP 401"])
def test_errors_that_another_try_cannot_fix_are_raised_at_once(error: Exception) -> None:
    async def main() -> tuple[Script, EventLog, float]:
        log = EventLog()
        connect = Script(error)
        with pytest.raises(type(error)) as raised:
            await connect_with_retry(connect, BackoffPolicy(), events=log)
        assert raised.value is error
        return connect, log, now()

    connect, log, ended = vtime.run(main())
    assert connect.calls == [0.0]
    assert ended == 0.0  # no sleep at all
    assert kinds(log) == [Kind.ATTEMPT, Kind.FAILURE, Kind.GAVE_UP]
    assert log.where(Kind.FAILURE)[0]["retryable"] is False
    assert dict(log.where(Kind.GAVE_UP)[0].details) == {"attempts": 1, "reason": "fatal error"}


@pytest.mark.parametrize(
    "error",
    TRANSIENT,
    ids=["refused", "reset", "timeout", "OSError", "EOF", "503", "429", "500", "closed"],
)
def test_transient_errors_are_retried(error: Exception) -> None:
    connect = Script(error)
    assert vtime.run(connect_with_retry(connect, BackoffPolicy())) == "up"
    assert connect.calls == [0.0, 0.1]


@pytest.mark.parametrize(
    ("error", "transient"),
    [(e, True) for e in TRANSIENT]
    + [(e, False) for e in FATAL]
    + [(KeyError("k"), False), (RuntimeError("x"), False), (http_error(403), False)],
)
def test_the_default_classifier(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_a_custom_classifier_changes_what_is_retried() -> None:
    flaky_cache = Script(KeyError("flaky cache"))
    assert vtime.run(connect_with_retry(flaky_cache, retryable=retry_on(KeyError))) == "up"
    assert flaky_cache.calls == [0.0, 0.1]

    refused = Script(ConnectionRefusedError())
    with pytest.raises(ConnectionRefusedError):
        vtime.run(connect_with_retry(refused, retryable=retry_on(KeyError)))
    assert refused.calls == [0.0]


def test_retry_on_matches_subclasses_and_several_types() -> None:
    classify = retry_on(KeyError, ConnectionError)
    assert classify(KeyError()) and classify(ConnectionResetError())
    assert not classify(TimeoutError()) and not classify(ValueError())


def test_a_delay_floor_lengthens_the_wait_after_a_particular_error() -> None:
    connect = Script(http_error(429), ConnectionRefusedError())

    def floor(error: BaseException) -> float:
        return 7.0 if isinstance(error, InvalidStatus) else 0.0

    vtime.run(connect_with_retry(connect, BackoffPolicy(), delay_floor=floor))
    assert connect.calls == pytest.approx([0.0, 7.0, 7.2])


# --- connect_with_retry: timeouts, cancellation, arguments ----------------------------------


def test_an_attempt_that_hangs_is_cut_off_and_retried_as_a_timeout() -> None:
    calls: list[float] = []

    async def hangs_once() -> str:
        calls.append(now())
        if len(calls) == 1:
            await asyncio.Event().wait()  # nobody will ever set it
        return "up"

    async def main() -> tuple[str, EventLog]:
        log = EventLog()
        result = await connect_with_retry(
            hangs_once, BackoffPolicy(), attempt_timeout=2.0, events=log
        )
        return result, log

    result, log = vtime.run(main())
    assert result == "up"
    assert calls == pytest.approx([0.0, 2.1])
    failure = log.where(Kind.FAILURE)[0]
    assert failure.time == 2.0
    assert failure["error"] == "TimeoutError" and failure["retryable"] is True


def test_an_attempt_that_always_hangs_gives_up_with_timeouts_in_the_history() -> None:
    async def hangs() -> str:
        await asyncio.Event().wait()
        return "never"

    async def main() -> tuple[RetryError, float]:
        with pytest.raises(RetryError) as raised:
            await connect_with_retry(hangs, BackoffPolicy(max_retries=2), attempt_timeout=2.0)
        return raised.value, now()

    error, ended = vtime.run(main())
    assert [r.started for r in error.history] == pytest.approx([0.0, 2.1, 4.3])
    assert [r.ended for r in error.history] == pytest.approx([2.0, 4.1, 6.3])
    assert all(isinstance(r.error, TimeoutError) for r in error.history)
    assert isinstance(error.__cause__, TimeoutError)
    assert ended == pytest.approx(6.3)


def test_an_attempt_that_finishes_within_its_timeout_is_not_cut_off() -> None:
    async def slowish() -> str:
        await asyncio.sleep(1.9)
        return "up"

    assert vtime.run(connect_with_retry(slowish, attempt_timeout=2.0)) == "up"


def test_cancelling_during_a_sleep_stops_at_once() -> None:
    async def main() -> tuple[EventLog, float, float]:
        log = EventLog()
        task = asyncio.create_task(
            connect_with_retry(Script(*[OSError()] * 99), BackoffPolicy(), events=log)
        )
        await asyncio.sleep(1.0)  # the driver is in its 0.8 s wait after the 4th attempt (0.7)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cancelled_at = now()
        await asyncio.sleep(100.0)  # nothing more happens afterwards
        return log, cancelled_at, now()

    log, cancelled_at, later = vtime.run(main())
    assert cancelled_at == 1.0  # not 1.5, when the sleep would have ended
    assert log.times(Kind.ATTEMPT) == pytest.approx([0.0, 0.1, 0.3, 0.7])
    assert log[-1].kind is Kind.SLEEP
    assert not log.where(Kind.GAVE_UP)
    assert later == 101.0


def test_cancelling_during_an_attempt_propagates_and_is_not_retried() -> None:
    calls: list[float] = []

    async def hangs() -> str:
        calls.append(now())
        await asyncio.Event().wait()
        return "never"

    async def main() -> tuple[EventLog, float]:
        log = EventLog()
        task = asyncio.create_task(connect_with_retry(hangs, attempt_timeout=10.0, events=log))
        await asyncio.sleep(3.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(100.0)
        return log, now()

    log, ended = vtime.run(main())
    assert calls == [0.0]
    assert kinds(log) == [Kind.ATTEMPT]
    assert ended == 103.0


@pytest.mark.parametrize("timeout", [0, 0.0, -1.0, float("nan")])
def test_a_bad_attempt_timeout_is_refused_before_any_attempt(timeout: float) -> None:
    connect = Script()
    with pytest.raises(ValueError, match=rf"attempt_timeout.*got {timeout!r}"):
        vtime.run(connect_with_retry(connect, attempt_timeout=timeout))
    assert connect.calls == []


def test_a_policy_that_contradicts_the_given_backoff_is_refused() -> None:
    backoff = Backoff(BackoffPolicy())
    with pytest.raises(ValueError, match="differs from the given backoff's policy"):
        vtime.run(connect_with_retry(Script(), BackoffPolicy(max_retries=1), backoff=backoff))


def test_a_shared_backoff_carries_its_failures_across_calls() -> None:
    backoff = Backoff(BackoffPolicy())
    first = Script(OSError(), OSError())
    second = Script(OSError())

    async def main() -> None:
        await connect_with_retry(first, backoff=backoff)
        await connect_with_retry(second, backoff=backoff)

    vtime.run(main())
    assert first.calls == pytest.approx([0.0, 0.1, 0.3])
    assert second.calls == pytest.approx([0.3, 0.3 + 0.4])  # the third failure waits 0.4
    assert backoff.failures == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    jitter=st.sampled_from(list(Jitter)),
    multiplier=st.floats(1.0, 4.0),
    max_retries=st.integers(0, 8),
    seed=st.integers(0, 2**32),
)
def test_attempts_happen_exactly_after_the_policys_delays(
    jitter: Jitter, multiplier: float, max_retries: int, seed: int
) -> None:
    policy = BackoffPolicy(
        initial_delay=0.5,
        max_delay=20.0,
        multiplier=multiplier,
        max_retries=max_retries,
        jitter=jitter,
    )
    connect = Script(*[OSError()] * (max_retries + 1))
    with pytest.raises(RetryError) as raised:
        vtime.run(connect_with_retry(connect, policy, rng=random.Random(seed)), noop_cycles=1)
    delays = list(policy.delays(random.Random(seed)))
    assert len(connect.calls) == max_retries + 1
    # looptime keeps its clock to the microsecond, so jittered times agree to that resolution.
    assert connect.calls == pytest.approx([0.0, *itertools.accumulate(delays)], abs=1e-5)
    assert [r.delay for r in raised.value.history] == [*delays, None]


# --- keep_connected -------------------------------------------------------------------------


def always_up() -> Script:
    return Script()


async def sessions_of(lengths: Sequence[float], log: EventLog, policy: BackoffPolicy) -> None:
    """Run keep_connected with sessions lasting ``lengths`` in turn; then a fatal error."""
    remaining = list(lengths)

    async def session(connection: str) -> None:
        if not remaining:
            raise LookupError("end of the scenario")
        await asyncio.sleep(remaining.pop(0))

    with pytest.raises(LookupError, match="end of the scenario"):
        await keep_connected(always_up(), session, policy, events=log, source="feed")


def test_a_server_that_accepts_and_drops_at_once_meets_growing_delays() -> None:
    async def main() -> tuple[RetryError, EventLog]:
        log = EventLog()

        async def drops_at_once(connection: str) -> None:
            return None

        with pytest.raises(RetryError) as raised:
            await keep_connected(
                always_up(), drops_at_once, BackoffPolicy(max_retries=6), events=log
            )
        return raised.value, log

    error, log = vtime.run(main())
    connected = log.times(Kind.CONNECTED)
    assert connected == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3])
    gaps = [b - a for a, b in itertools.pairwise(connected)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps))
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2]
    assert [e["backoff_reset"] for e in log.where(Kind.LOST)] == [False] * 7
    assert [e["uptime"] for e in log.where(Kind.LOST)] == [0.0] * 7
    assert [e["reason"] for e in log.where(Kind.LOST)] == ["session ended"] * 7
    assert log[-1].kind is Kind.GAVE_UP
    assert log[-1]["reason"] == "retries exhausted"
    assert "7 short-lived connections" in str(error)


def test_connections_that_stay_up_past_healthy_after_reset_the_backoff_every_time() -> None:
    async def main() -> EventLog:
        log = EventLog()
        await sessions_of([10.0] * 5, log, BackoffPolicy(max_retries=3, healthy_after=5.0))
        return log

    log = vtime.run(main())
    assert log.times(Kind.CONNECTED) == pytest.approx([0.0, 10.1, 20.2, 30.3, 40.4, 50.5])
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1] * 5
    lost = log.where(Kind.LOST)[:5]  # the sixth is the fatal end of the scenario
    assert [e["backoff_reset"] for e in lost] == [True] * 5
    assert [e["uptime"] for e in lost] == pytest.approx([10.0] * 5)
    [gave_up] = log.where(Kind.GAVE_UP)  # five reconnects, though max_retries is 3
    assert gave_up["reason"] == "fatal error"


def test_the_lost_event_says_whether_the_backoff_was_reset() -> None:
    async def main() -> EventLog:
        log = EventLog()
        await sessions_of([10.0, 1.0, 1.0, 6.0, 0.0], log, BackoffPolicy(healthy_after=5.0))
        return log

    log = vtime.run(main())
    lost = log.where(Kind.LOST)[:5]
    assert [e["backoff_reset"] for e in lost] == [True, False, False, True, False]
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1, 0.2, 0.4, 0.1, 0.2]
    assert log.times(Kind.CONNECTED) == pytest.approx([0.0, 10.1, 11.3, 12.7, 18.8, 19.0])
    assert {e.source for e in log} == {"feed"}


def test_each_connection_is_announced_before_it_is_lost() -> None:
    async def main() -> EventLog:
        log = EventLog()
        await sessions_of([2.0], log, BackoffPolicy())
        return log

    log = vtime.run(main())
    assert kinds(log) == [
        Kind.ATTEMPT,
        Kind.SUCCESS,
        Kind.CONNECTED,
        Kind.LOST,
        Kind.SLEEP,
        Kind.ATTEMPT,
        Kind.SUCCESS,
        Kind.CONNECTED,
        Kind.LOST,  # the session's fatal error ends the connection, and the driver
        Kind.GAVE_UP,
    ]
    assert log[-2]["reason"] == "LookupError: end of the scenario"


def test_failed_reconnects_continue_the_same_schedule() -> None:
    """Drop at once, then two refusals: the waits go on growing 0.1, 0.2, 0.4 and 0.8."""
    connect = Script(None, ConnectionRefusedError(), ConnectionRefusedError(), None)
    sessions = 0

    async def session(connection: str) -> None:
        nonlocal sessions
        sessions += 1
        if sessions == 2:
            raise LookupError("stop")

    async def main() -> EventLog:
        log = EventLog()
        with pytest.raises(LookupError):
            await keep_connected(connect, session, BackoffPolicy(), events=log)
        return log

    log = vtime.run(main())
    assert connect.calls == pytest.approx([0.0, 0.1, 0.3, 0.7])
    assert [e["delay"] for e in log.where(Kind.SLEEP)] == [0.1, 0.2, 0.4]


def test_a_retryable_error_ending_a_session_is_the_loss_reason_and_can_set_a_floor() -> None:
    ended = 0

    async def session(connection: str) -> None:
        nonlocal ended
        ended += 1
        if ended == 1:
            raise ConnectionClosedError(None, None)
        raise LookupError("stop")

    def floor(error: BaseException) -> float:
        return 4.0 if isinstance(error, ConnectionClosedError) else 0.0

    async def main() -> EventLog:
        log = EventLog()
        with pytest.raises(LookupError):
            await keep_connected(Script(), session, BackoffPolicy(), delay_floor=floor, events=log)
        return log

    log = vtime.run(main())
    lost = log.where(Kind.LOST)[0]
    assert lost["reason"].startswith("ConnectionClosedError")
    assert log.where(Kind.SLEEP)[0]["delay"] == 4.0
    assert log.times(Kind.CONNECTED) == [0.0, 4.0]


def test_a_fatal_error_in_a_session_ends_keep_connected() -> None:
    async def session(connection: str) -> None:
        raise TypeError("a bug in the session")

    with pytest.raises(TypeError, match="a bug"):
        vtime.run(keep_connected(Script(), session, BackoffPolicy()))


def test_keep_connected_gives_up_when_reconnecting_runs_out_of_retries() -> None:
    connect = Script(None, *[ConnectionRefusedError()] * 5)

    async def session(connection: str) -> None:
        await asyncio.sleep(60.0)

    with pytest.raises(RetryError) as raised:
        vtime.run(keep_connected(connect, session, BackoffPolicy(max_retries=3)))
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)
    assert connect.calls == pytest.approx([0.0, 60.1, 60.3, 60.7])


def test_cancelling_keep_connected_stops_it() -> None:
    async def main() -> tuple[EventLog, float]:
        log = EventLog()

        async def session(connection: str) -> None:
            await asyncio.sleep(100.0)

        task = asyncio.create_task(keep_connected(Script(), session, events=log))
        await asyncio.sleep(50.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log, now()

    log, cancelled_at = vtime.run(main())
    assert cancelled_at == 50.0
    assert kinds(log) == [Kind.ATTEMPT, Kind.SUCCESS, Kind.CONNECTED]
