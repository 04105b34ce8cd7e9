"""The retry driver and the reconnect loop, in virtual time: exact attempt times, events, errors."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.http11 import Response

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.retry import RetryError, connect_with_retry, is_transient, keep_connected, retry_on


def http_error(status: int) -> InvalidStatus:
    return InvalidStatus(Response(status, "", Headers()))


class Script:
    """A connect function that raises the given errors in turn, then returns ``"up"``."""

    def __init__(self, *errors: BaseException | None) -> None:
        self.errors = list(errors)
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(asyncio.get_running_loop().time())
        if self.errors:
            error = self.errors.pop(0)
            if error is not None:
                raise error
        return "up"


def test_an_exchange_that_never_answers_is_tried_on_the_exact_schedule() -> None:
    async def main() -> tuple[RetryError, EventLog, float]:
        log = EventLog()
        refused = ConnectionRefusedError("refused")
        connect = Script(*[refused] * 50)
        with pytest.raises(RetryError) as raised:
            await connect_with_retry(connect, BackoffPolicy(), events=log, source="x")
        return raised.value, log, asyncio.get_running_loop().time()

    error, log, ended = vtime.run(main())
    assert log.times(Kind.ATTEMPT) == pytest.approx(
        [0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7, 25.5, 51.1, 81.1]
    )
    assert ended == pytest.approx(81.1)
    assert error.attempts == 11
    assert [record.delay for record in error.history] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, None]
    )
    assert all(isinstance(r.error, ConnectionRefusedError) for r in error.history)
    assert isinstance(error.__cause__, ConnectionRefusedError)
    assert "gave up after 11 attempts" in str(error)
    assert log.where(Kind.GAVE_UP)[0]["reason"] == "retries exhausted"
    assert {e.source for e in log} == {"x"}


def test_success_on_the_third_attempt_returns_and_reports_every_step_in_order() -> None:
    async def main() -> tuple[str, EventLog]:
        log = EventLog()
        connect = Script(TimeoutError(), OSError("reset"))
        return await connect_with_retry(connect, BackoffPolicy(), events=log), log

    result, log = vtime.run(main())
    assert result == "up"
    assert [(e.kind, e.time) for e in log] == [
        (Kind.ATTEMPT, 0.0),
        (Kind.FAILURE, 0.0),
        (Kind.SLEEP, 0.0),
        (Kind.ATTEMPT, 0.1),
        (Kind.FAILURE, 0.1),
        (Kind.SLEEP, 0.1),
        (Kind.ATTEMPT, pytest.approx(0.3)),
        (Kind.SUCCESS, pytest.approx(0.3)),
    ]
    failure = log.where(Kind.FAILURE)[1]
    assert failure["error"] == "OSError: reset" and failure["retryable"] is True
    assert log.where(Kind.SLEEP)[1]["delay"] == 0.2


@pytest.mark.parametrize(
    "error",
    [TypeError("bug"), ValueError("bug"), KeyError("bug"), http_error(404), http_error(401)],
    ids=["TypeError", "ValueError", "KeyError", "HTTP 404", "HTTP 401"],
)
def test_errors_that_another_try_cannot_fix_are_raised_at_once(error: Exception) -> None:
    async def main() -> tuple[Script, EventLog]:
        log = EventLog()
        connect = Script(error)
        with pytest.raises(type(error)):
            await connect_with_retry(connect, BackoffPolicy(), events=log)
        return connect, log

    connect, log = vtime.run(main())
    assert len(connect.calls) == 1
    assert log.where(Kind.FAILURE)[0]["retryable"] is False
    assert log.where(Kind.GAVE_UP)[0]["reason"] == "fatal error"


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(),
        ConnectionResetError(),
        TimeoutError(),
        OSError("unreachable"),
        EOFError(),
        http_error(503),
        http_error(429),
        http_error(500),
        ConnectionClosedError(None, None),
    ],
    ids=["refused", "reset", "timeout", "OSError", "EOF", "503", "429", "500", "closed"],
)
def test_transient_errors_are_retried(error: Exception) -> None:
    assert is_transient(error)
    connect = Script(error)
    assert vtime.run(connect_with_retry(connect, BackoffPolicy())) == "up"
    assert len(connect.calls) == 2


def test_the_caller_can_change_what_is_retried() -> None:
    connect = Script(KeyError("flaky cache"))
    assert vtime.run(connect_with_retry(connect, retryable=retry_on(KeyError))) == "up"
    refused = Script(ConnectionRefusedError())
    with pytest.raises(ConnectionRefusedError):
        vtime.run(connect_with_retry(refused, retryable=retry_on(KeyError)))


def test_an_attempt_that_hangs_is_cut_off_and_retried() -> None:
    calls: list[float] = []

    async def hangs_once() -> str:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            await asyncio.Event().wait()
        return "up"

    result = vtime.run(connect_with_retry(hangs_once, BackoffPolicy(), attempt_timeout=2.0))
    assert result == "up"
    assert calls == pytest.approx([0.0, 2.1])


def test_a_delay_floor_lengthens_the_wait_after_a_particular_error() -> None:
    connect = Script(http_error(429), ConnectionRefusedError())

    def floor(error: BaseException) -> float:
        return 7.0 if isinstance(error, InvalidStatus) else 0.0

    vtime.run(connect_with_retry(connect, BackoffPolicy(), delay_floor=floor))
    assert connect.calls == pytest.approx([0.0, 7.0, 7.2])


def test_cancelling_during_a_sleep_stops_at_once() -> None:
    async def main() -> tuple[EventLog, float]:
        log = EventLog()
        task = asyncio.create_task(
            connect_with_retry(Script(*[OSError()] * 99), BackoffPolicy(), events=log)
        )
        await asyncio.sleep(1.0)  # the driver is in its 0.8 s wait after the 4th attempt
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(100.0)  # nothing more happens afterwards
        return log, asyncio.get_running_loop().time()

    log, now = vtime.run(main())
    assert log.times(Kind.ATTEMPT) == pytest.approx([0.0, 0.1, 0.3, 0.7])
    assert log[-1].kind is Kind.SLEEP
    assert now == pytest.approx(101.0)


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_a_bad_attempt_timeout_is_refused(timeout: float) -> None:
    with pytest.raises(ValueError, match=f"attempt_timeout.*{timeout}"):
        vtime.run(connect_with_retry(Script(), attempt_timeout=timeout))


async def run_keep_connected(
    policy: BackoffPolicy, session_length: float, seconds: float
) -> EventLog:
    log = EventLog()

    async def connect() -> str:
        return "ws"

    async def session(ws: str) -> None:
        await asyncio.sleep(session_length)

    with contextlib.suppress(TimeoutError, RetryError):
        async with asyncio.timeout(seconds):
            await keep_connected(connect, session, policy, events=log)
    return log


def test_a_server_that_accepts_and_drops_at_once_meets_growing_delays() -> None:
    policy = BackoffPolicy(max_retries=6, healthy_after=5.0)
    log = vtime.run(run_keep_connected(policy, session_length=0.0, seconds=1000.0))
    assert log.times(Kind.CONNECTED) == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3])
    assert [e["backoff_reset"] for e in log.where(Kind.LOST)] == [False] * 7
    assert log.where(Kind.GAVE_UP)  # the retries ran out


def test_connections_that_stay_up_reset_the_backoff_every_time() -> None:
    policy = BackoffPolicy(max_retries=3, healthy_after=5.0)
    log = vtime.run(run_keep_connected(policy, session_length=10.0, seconds=45.0))
    assert log.times(Kind.CONNECTED) == pytest.approx([0.0, 10.1, 20.2, 30.3, 40.4])
    assert all(e["backoff_reset"] for e in log.where(Kind.LOST))
    assert not log.where(Kind.GAVE_UP)


def test_a_fatal_error_in_a_session_ends_keep_connected() -> None:
    async def connect() -> str:
        return "ws"

    async def session(ws: str) -> None:
        raise TypeError("a bug in the session")

    with pytest.raises(TypeError, match="a bug"):
        vtime.run(keep_connected(connect, session, BackoffPolicy()))
