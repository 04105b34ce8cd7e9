"""Which errors are worth another try: name-resolution failures, plain and wrapped, and a real
lookup of a mistyped host (``.invalid`` never resolves, so no network is needed)."""

from __future__ import annotations

import asyncio
import socket

import pytest
import websockets
from websockets.exceptions import InvalidMessage

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.feed import errors as feed_errors
from lessonlib.feed.transport import Connector, websocket_connector
from lessonlib.retry import (
    FATAL_RESOLVER_ERRORS,
    RetryError,
    connect_with_retry,
    is_fatal_resolver_error,
    is_transient,
)

TYPO_URL = "ws://exchnage.invalid"

FATAL_NAMES = [
    "EAI_NONAME",
    "EAI_NODATA",
    "EAI_ADDRFAMILY",
    "EAI_SERVICE",
    "EAI_FAMILY",
    "EAI_SOCKTYPE",
    "EAI_BADFLAGS",
]
TRANSIENT_NAMES = ["EAI_AGAIN", "EAI_FAIL"]


def gaierror(name: str) -> socket.gaierror:
    """The error getaddrinfo raises with that code; skips where the platform lacks it."""
    if not hasattr(socket, name):
        pytest.skip(f"socket.{name} is not defined on this platform")
    return socket.gaierror(getattr(socket, name), f"{name} from the resolver")


def wrapped(cause: BaseException, outer: type[Exception] = ConnectionError) -> Exception:
    """``outer`` raised ``from cause``, as a library wrapping a lookup failure does."""
    try:
        raise outer("could not connect") from cause
    except outer as error:
        return error


class Script:
    """A connect function raising the given errors in turn, then returning ``"up"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "up"


# --- the classification ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FATAL_NAMES)
def test_a_name_that_does_not_resolve_is_fatal(name: str) -> None:
    error = gaierror(name)
    assert error.errno in FATAL_RESOLVER_ERRORS
    assert is_fatal_resolver_error(error)
    assert is_transient(error) is False


@pytest.mark.parametrize("name", TRANSIENT_NAMES)
def test_a_resolver_that_cannot_answer_now_is_transient(name: str) -> None:
    error = gaierror(name)
    assert not is_fatal_resolver_error(error)
    assert is_transient(error) is True


def test_the_fatal_codes_are_exactly_those_this_platform_defines() -> None:
    defined = {getattr(socket, n) for n in FATAL_NAMES if hasattr(socket, n)}
    assert defined == FATAL_RESOLVER_ERRORS
    assert socket.EAI_NONAME in FATAL_RESOLVER_ERRORS
    assert socket.EAI_AGAIN not in FATAL_RESOLVER_ERRORS


def test_a_gaierror_without_a_code_stays_a_transient_network_error() -> None:
    assert is_transient(socket.gaierror("resolver trouble")) is True


@pytest.mark.parametrize("outer", [ConnectionError, OSError, RuntimeError, InvalidMessage])
def test_a_wrapped_unknown_name_is_still_fatal(outer: type[Exception]) -> None:
    error = wrapped(gaierror("EAI_NONAME"), outer)
    assert is_transient(error) is False
    # Two levels deep as well.
    assert is_transient(wrapped(error, ConnectionError)) is False


def test_a_wrapped_temporary_failure_is_still_transient() -> None:
    assert is_transient(wrapped(gaierror("EAI_AGAIN"), ConnectionError)) is True
    assert is_transient(wrapped(gaierror("EAI_AGAIN"), InvalidMessage)) is True


def test_only_an_explicit_cause_counts_not_an_error_raised_while_handling_one() -> None:
    try:
        try:
            raise gaierror("EAI_NONAME")
        except socket.gaierror:
            raise ConnectionResetError("a later, unrelated failure")  # noqa: B904
    except ConnectionResetError as error:
        assert isinstance(error.__context__, socket.gaierror)
        assert is_transient(error) is True


def test_a_cycle_of_causes_ends() -> None:
    first, second = ConnectionError("a"), ConnectionError("b")
    first.__cause__, second.__cause__ = second, first
    assert is_transient(first) is True


def test_the_feed_clients_own_errors_are_transient() -> None:
    assert is_transient(feed_errors.ProtocolViolation("bad frame")) is True
    assert is_transient(feed_errors.ServerShutdown("maintenance", 2.0)) is True
    assert is_transient(feed_errors.ConnectionSilent("no frame for 3 s")) is True


# --- the driver -----------------------------------------------------------------------------


def test_an_unknown_name_is_raised_at_once() -> None:
    async def main() -> tuple[Script, EventLog]:
        log = EventLog()
        connect = Script(gaierror("EAI_NONAME"))
        with pytest.raises(socket.gaierror):
            await connect_with_retry(connect, BackoffPolicy(), events=log)
        return connect, log

    connect, log = vtime.run(main())
    assert connect.calls == 1
    assert log.where(Kind.FAILURE)[0]["retryable"] is False
    assert log.where(Kind.GAVE_UP)[0]["reason"] == "fatal error"


def test_a_temporary_resolver_failure_is_retried() -> None:
    connect = Script(gaierror("EAI_AGAIN"), gaierror("EAI_AGAIN"))
    assert vtime.run(connect_with_retry(connect, BackoffPolicy())) == "up"
    assert connect.calls == 3


def test_temporary_resolver_failures_run_out_like_any_other() -> None:
    connect = Script(*[gaierror("EAI_AGAIN")] * 4)
    with pytest.raises(RetryError) as raised:
        vtime.run(connect_with_retry(connect, BackoffPolicy(max_retries=2)))
    assert raised.value.attempts == 3
    assert isinstance(raised.value.__cause__, socket.gaierror)


# --- a real lookup of a mistyped host -------------------------------------------------------


@pytest.fixture
def resolver_answers_no_such_host() -> None:
    """``.invalid`` never resolves (RFC 6761); a resolver that cannot answer at all (EAI_AGAIN
    on a machine with no DNS) is rightly retried, so the typo cannot be told from an outage."""
    try:
        socket.getaddrinfo("exchnage.invalid", 80)
    except socket.gaierror as error:
        if error.errno not in FATAL_RESOLVER_ERRORS:
            pytest.skip(f"this machine's resolver cannot answer: {error}")
    else:  # pragma: no cover - a resolver that makes up answers
        pytest.skip("this machine's resolver answers for .invalid")


@pytest.mark.parametrize(
    "connect",
    [websocket_connector(TYPO_URL), lambda: websockets.connect(TYPO_URL)],
    ids=["feed connector", "websockets.connect"],
)
@pytest.mark.usefixtures("resolver_answers_no_such_host")
def test_a_typo_in_the_url_fails_on_the_first_attempt(connect: Connector) -> None:
    async def main() -> tuple[BaseException, EventLog]:
        log = EventLog()
        async with asyncio.timeout(30):  # a retried typo would run into this, not hang
            with pytest.raises(OSError) as raised:
                await connect_with_retry(connect, BackoffPolicy(max_retries=3), events=log)
        return raised.value, log

    error, log = asyncio.run(main())
    assert not isinstance(error, RetryError)
    assert is_fatal_resolver_error(error), repr(error)
    assert len(log.where(Kind.ATTEMPT)) == 1
    assert [f["retryable"] for f in log.where(Kind.FAILURE)] == [False]
    assert log.where(Kind.GAVE_UP)[0]["reason"] == "fatal error"
    assert not log.where(Kind.SLEEP)
