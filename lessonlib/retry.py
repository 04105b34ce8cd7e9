"""The retry driver: carries out a `Backoff` schedule with real (or virtual) sleeps.

`connect_with_retry` calls ``connect`` until it returns, sleeping between attempts as the
policy says. Transient failures (network errors, timeouts, a server that is overloaded) are
retried; programming errors and a host name that does not exist are raised at once, since
trying again cannot fix them.
`keep_connected` goes on from there: it runs a session on each connection and reconnects when
it ends, resetting the backoff only after a healthy spell.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from . import validate
from .backoff import Backoff, BackoffPolicy
from .events import Emitter, EventSink, Kind

T = TypeVar("T")

RETRYABLE_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})

Classifier = Callable[[BaseException], bool]


def _eai_codes(*names: str) -> frozenset[int]:
    """The values of those ``socket.EAI_*`` constants this platform defines."""
    return frozenset(getattr(socket, name) for name in names if hasattr(socket, name))


# getaddrinfo's answers that asking again cannot change: the name (or service) does not exist
# or has no address of the kind asked for, or the question itself is malformed. A typo in a
# URL ends here. (The EAI_* values differ between platforms, and not all exist everywhere.)
FATAL_RESOLVER_ERRORS = _eai_codes(
    "EAI_NONAME",  # no such host: NXDOMAIN, "Name or service not known"
    "EAI_NODATA",  # the name exists but has no address
    "EAI_ADDRFAMILY",  # the name has no address in the requested family
    "EAI_SERVICE",  # no such service (port name) for this socket type
    "EAI_FAMILY",  # address family not supported
    "EAI_SOCKTYPE",  # socket type not supported
    "EAI_BADFLAGS",  # invalid flags: a programming error
)


def is_fatal_resolver_error(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from (``__cause__``), is a name lookup
    that failed for good: a `socket.gaierror` with a code in `FATAL_RESOLVER_ERRORS`.

    Only an answer about the name is final: "no such host" stays so however often it is
    asked. ``EAI_AGAIN`` ("Temporary failure in name resolution": no resolver reachable, a DNS
    timeout or SERVFAIL, what a machine off the network sees) and ``EAI_FAIL`` (the resolver
    itself failed; "non-recoverable" for this lookup, not for the name) report a broken
    resolver, not a wrong name, and a repaired one may well find the host: they stay
    transient, so an unattended client backs off and outlasts the outage.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror) and current.errno in FATAL_RESOLVER_ERRORS:
            return True
        current = current.__cause__
    return False


def is_transient(error: BaseException) -> bool:
    """Whether trying again with the same arguments could succeed.

    Network errors, timeouts, a connection closed under us, a resolver that cannot answer
    right now (``EAI_AGAIN``), and the HTTP answers of an overloaded server (429, 500, 502,
    503, 504) are transient. Everything else is fatal: a TypeError, a 404, a bad URL, and a
    host name that does not exist (a `socket.gaierror` with ``EAI_NONAME``, also when
    wrapped in another error raised from it): the same call would fail the same way.
    """
    if is_fatal_resolver_error(error):
        return False
    if isinstance(error, OSError | TimeoutError | EOFError | ConnectionClosed):
        return True
    if isinstance(error, InvalidStatus):
        return error.response.status_code in RETRYABLE_HTTP_STATUSES
    if isinstance(error, InvalidMessage):
        return isinstance(error.__cause__, EOFError | OSError)
    return False


def retry_on(*types: type[BaseException]) -> Classifier:
    """A classifier that retries exactly the given exception types."""
    return lambda error: isinstance(error, types)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt: when it ran, how it failed (``None`` if it succeeded), the wait after it."""

    number: int
    started: float
    ended: float
    error: BaseException | None
    delay: float | None


class RetryError(Exception):
    """Every retry failed. ``history`` holds each attempt; ``__cause__`` is the last error."""

    def __init__(self, message: str, history: list[AttemptRecord]) -> None:
        super().__init__(message)
        self.history = history

    @property
    def attempts(self) -> int:
        return len(self.history)


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop: the error cannot be fixed by another try (``fatal``), or the retries ran out."""

    fatal: bool

    @property
    def reason(self) -> str:
        return "fatal error" if self.fatal else "retries exhausted"


Decision = Retry | GiveUp


def decide(
    backoff: Backoff, error: BaseException | None, retryable: Classifier, floor: float = 0.0
) -> Decision:
    """What to do after a failure (an attempt that failed, or a connection that was lost:
    ``error`` None when it ended cleanly): wait and try again, or give up. Records the
    failure in ``backoff``; the wait is at least ``floor``. The one decision every driver
    here carries out."""
    if error is not None and not retryable(error):
        return GiveUp(fatal=True)
    delay = backoff.next_delay(at_least=floor)
    return GiveUp(fatal=False) if delay is None else Retry(delay)


Gate = Callable[[], float]  # seconds until an attempt may be made; 0 (or less): now


async def connect_with_retry(
    connect: Callable[[], Awaitable[T]],
    policy: BackoffPolicy | None = None,
    *,
    retryable: Classifier = is_transient,
    rng: random.Random | None = None,
    backoff: Backoff | None = None,
    attempt_timeout: float | None = None,
    delay_floor: Callable[[BaseException], float] | None = None,
    gate: Gate | None = None,
    events: EventSink | None = None,
    source: str = "retry",
) -> T:
    """Call ``connect`` until it succeeds; return what it returned.

    Raises `RetryError` (with the history of attempts) when the policy's retries run out, and
    re-raises a fatal error at once. ``retryable`` decides which errors are worth another
    try. Pass a ``backoff`` to carry one schedule across several calls (see `keep_connected`);
    otherwise each call starts a fresh one. ``delay_floor(error)`` can lengthen the wait after
    a particular error: a server's Retry-After, or a harder backoff for a rate limit.
    ``gate()`` is asked before each attempt (a circuit breaker's): while it answers a wait,
    no attempt is made (a REFUSED event says so) and it is asked again after that wait.
    Cancelling it, also during a sleep, stops it at once and propagates the cancellation.
    """
    if backoff is None:
        backoff = Backoff(policy or BackoffPolicy(), rng)
    elif policy is not None and policy is not backoff.policy:
        raise ValueError(f"policy {policy!r} differs from the given backoff's policy")
    if attempt_timeout is not None:
        validate.positive("attempt_timeout", attempt_timeout)

    loop = asyncio.get_running_loop()
    emit = Emitter(source, events, loop.time)
    history: list[AttemptRecord] = []
    while True:
        if gate is not None:
            while (wait := gate()) > 0:
                emit(Kind.REFUSED, remaining=wait)
                await asyncio.sleep(wait)
        number = len(history) + 1
        started = loop.time()
        emit(Kind.ATTEMPT, attempt=number)
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that arrives as the attempt completes.
            async with asyncio.timeout(attempt_timeout):
                connection = await connect()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            decision = decide(backoff, error, retryable, _floor(delay_floor, error))
            emit(
                Kind.FAILURE,
                attempt=number,
                error=_describe(error),
                retryable=not (isinstance(decision, GiveUp) and decision.fatal),
            )
            delay = decision.delay if isinstance(decision, Retry) else None
            history.append(AttemptRecord(number, started, loop.time(), error, delay))
            if isinstance(decision, GiveUp):
                emit(Kind.GAVE_UP, attempts=number, reason=decision.reason)
                if decision.fatal:
                    raise
                raise _exhausted(history, error, "attempts") from error
            emit(Kind.SLEEP, attempt=number, delay=decision.delay)
            await asyncio.sleep(decision.delay)
        else:
            history.append(AttemptRecord(number, started, loop.time(), None, None))
            emit(Kind.SUCCESS, attempt=number, elapsed=loop.time() - started)
            return connection


async def keep_connected(
    connect: Callable[[], Awaitable[T]],
    session: Callable[[T], Awaitable[object]],
    policy: BackoffPolicy | None = None,
    *,
    retryable: Classifier = is_transient,
    rng: random.Random | None = None,
    backoff: Backoff | None = None,
    delay_floor: Callable[[BaseException], float] | None = None,
    gate: Gate | None = None,
    events: EventSink | None = None,
    source: str = "connection",
) -> None:
    """Connect, run ``session(connection)`` until it ends, and reconnect; forever.

    The backoff carries over from one connection to the next and resets only when the lost
    connection had stayed up for ``policy.healthy_after`` seconds, so a server that accepts
    and drops at once is met with growing delays, not a tight reconnect loop. Ends by raising
    `RetryError` when the retries run out (its history: the short-lived connections since the
    last reset), the fatal error that ended a session, or by cancellation. ``backoff``,
    ``delay_floor`` and ``gate`` are as for `connect_with_retry`; the floor applies to the
    error that ended a session as well (a shutdown notice's wait, a rate-limit close).
    """
    if backoff is None:
        backoff = Backoff(policy or BackoffPolicy(), rng)
    loop = asyncio.get_running_loop()
    emit = Emitter(source, events, loop.time)
    lost: list[AttemptRecord] = []  # the connections lost since the schedule last reset
    while True:
        connection = await connect_with_retry(
            connect,
            backoff=backoff,
            retryable=retryable,
            delay_floor=delay_floor,
            gate=gate,
            events=events,
            source=source,
        )
        backoff.connected(loop.time())
        up_since = loop.time()
        emit(Kind.CONNECTED)
        ended: Exception | None = None
        try:
            await session(connection)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            ended = error
        reason = "session ended" if ended is None else _describe(ended)
        uptime = loop.time() - up_since
        if reset := backoff.lost(loop.time()):
            lost.clear()
        emit(Kind.LOST, uptime=uptime, reason=reason, backoff_reset=reset)
        decision = decide(backoff, ended, retryable, _floor(delay_floor, ended))
        delay = decision.delay if isinstance(decision, Retry) else None
        lost.append(AttemptRecord(len(lost) + 1, up_since, loop.time(), ended, delay))
        if isinstance(decision, GiveUp):
            emit(Kind.GAVE_UP, attempts=len(lost), reason=decision.reason)
            if decision.fatal:
                assert ended is not None
                raise ended
            raise _exhausted(lost, ended, "short-lived connections") from ended
        emit(Kind.SLEEP, attempt=backoff.failures, delay=decision.delay)
        await asyncio.sleep(decision.delay)


def _floor(
    delay_floor: Callable[[BaseException], float] | None, error: BaseException | None
) -> float:
    return delay_floor(error) if delay_floor is not None and error is not None else 0.0


def _exhausted(history: list[AttemptRecord], error: BaseException | None, what: str) -> RetryError:
    last = "none (it ended cleanly)" if error is None else _describe(error)
    return RetryError(f"gave up after {len(history)} {what}; last error: {last}", history)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
