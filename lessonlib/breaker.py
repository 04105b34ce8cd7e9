"""A circuit breaker: stop calling what is down, and try again carefully after a while.

As in resilience4j, asking is separate from doing: `allow()` says whether a call may go
ahead; `record_success()` and `record_failure()` report how it went. The breaker trips on
consecutive failures, or on a failure rate over the last ``window_size`` calls. Once open it
rejects calls for ``reset_timeout`` seconds, then half-opens: a limited number of trial calls
go through; enough successes close it, one failure opens it again (for longer, if
``timeout_multiplier`` > 1). Time comes from the event loop's clock or an injected one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from . import validate
from .events import Emitter, EventSink, Kind

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    def __repr__(self) -> str:
        return repr(self.value)


class CircuitOpenError(Exception):
    """A call was refused because the breaker is open (or its trial calls are all taken)."""

    def __init__(self, remaining: float) -> None:
        super().__init__(f"circuit open; next trial in {remaining:.2f} s")
        self.remaining = remaining


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """A validated, immutable breaker configuration (see `CircuitBreaker`)."""

    failure_threshold: int = 3
    reset_timeout: float = 10.0
    failure_rate_threshold: float | None = None
    window_size: int = 20
    minimum_calls: int = 10
    half_open_max_calls: int = 1
    success_threshold: int = 1
    timeout_multiplier: float = 1.0
    max_reset_timeout: float = 300.0

    def __post_init__(self) -> None:
        counts = ("failure_threshold", "window_size", "minimum_calls", "half_open_max_calls")
        for name in (*counts, "success_threshold"):
            validate.integer(name, getattr(self, name), minimum=1)
        validate.seconds("reset_timeout", self.reset_timeout)
        rate = self.failure_rate_threshold
        if rate is not None:
            validate.number("failure_rate_threshold", rate, above=0, maximum=1)
        if self.minimum_calls > self.window_size:
            raise ValueError(
                f"minimum_calls must not exceed window_size ({self.window_size!r}), "
                f"got {self.minimum_calls!r}"
            )
        validate.number("timeout_multiplier", self.timeout_multiplier, minimum=1)
        validate.number("max_reset_timeout", self.max_reset_timeout)
        if self.max_reset_timeout < self.reset_timeout:
            raise ValueError(
                f"max_reset_timeout must be at least reset_timeout ({self.reset_timeout!r}), "
                f"got {self.max_reset_timeout!r}"
            )


class CircuitBreaker:
    """Guards calls to one dependency; see the module's description for the rules.

    Configure it with a ``config``, or with `BreakerConfig`'s fields given directly
    (``CircuitBreaker(3, 10.0)``, ``CircuitBreaker(failure_threshold=5)``), not both.
    ``clock`` returns the current time in seconds; by default the running event loop's
    clock, so the breaker runs in virtual time when the loop does.
    """

    def __init__(
        self,
        *fields: Any,
        config: BreakerConfig | None = None,
        clock: Callable[[], float] | None = None,
        events: EventSink | None = None,
        source: str = "breaker",
        **named_fields: Any,
    ) -> None:
        if config is not None and (fields or named_fields):
            given = [*map(repr, fields), *named_fields]
            raise ValueError(f"config and its fields given both: {', '.join(given)}")
        self.config = config if config is not None else BreakerConfig(*fields, **named_fields)
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._emit = Emitter(source, events, self._clock)
        self.state = BreakerState.CLOSED
        self.successes = 0
        self.failures = 0
        self.rejected = 0
        self._consecutive_failures = 0
        self._window: deque[bool] = deque(maxlen=self.config.window_size)  # True = failed
        self._opened_at = 0.0
        self._open_for = self.config.reset_timeout
        self._trials_in_flight = 0
        self._trial_successes = 0

    def report_to(self, events: EventSink | None, source: str | None = None) -> None:
        """Send this breaker's transitions to ``events`` from now on (a manager's stream)."""
        self._emit = Emitter(source or self._emit.source, events, self._clock)

    @property
    def source(self) -> str:
        return self._emit.source

    # -- asking ---------------------------------------------------------------------------
    def allow(self) -> bool:
        """Whether a call may go ahead now; a True in half-open takes one trial slot."""
        if self.state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self._open_for:
                self.rejected += 1
                return False
            self._transition(BreakerState.HALF_OPEN, "reset timeout elapsed")
        if self.state is BreakerState.HALF_OPEN:
            if self._trials_in_flight >= self.config.half_open_max_calls:
                self.rejected += 1
                return False
            self._trials_in_flight += 1
        return True

    def remaining(self) -> float:
        """Seconds until the breaker lets a trial call through (0 unless it is open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._open_for - self._clock())

    @property
    def failure_rate(self) -> float | None:
        """The failure rate over the window, once it holds ``minimum_calls`` calls."""
        if len(self._window) < self.config.minimum_calls:
            return None
        return sum(self._window) / len(self._window)

    # -- reporting ------------------------------------------------------------------------
    def record_success(self) -> None:
        """The call that was allowed succeeded."""
        self.successes += 1
        if self.state is BreakerState.HALF_OPEN:
            self._trials_in_flight = max(0, self._trials_in_flight - 1)
            self._trial_successes += 1
            if self._trial_successes >= self.config.success_threshold:
                self._open_for = self.config.reset_timeout
                self._transition(BreakerState.CLOSED, f"{self._trial_successes} trial(s) succeeded")
        elif self.state is BreakerState.CLOSED:
            self._consecutive_failures = 0
            self._window.append(False)

    def record_failure(self) -> None:
        """The call that was allowed failed."""
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN:
            self._trials_in_flight = max(0, self._trials_in_flight - 1)
            self._open_for = min(
                self.config.max_reset_timeout, self._open_for * self.config.timeout_multiplier
            )
            self._open("a trial call failed")
        elif self.state is BreakerState.CLOSED:
            self._consecutive_failures += 1
            self._window.append(True)
            rate = self.failure_rate
            threshold = self.config.failure_rate_threshold
            if self._consecutive_failures >= self.config.failure_threshold:
                self._open(f"{self._consecutive_failures} consecutive failures")
            elif threshold is not None and rate is not None and rate >= threshold:
                self._open(f"failure rate {rate:.0%} over the last {len(self._window)} calls")

    # -- convenience ----------------------------------------------------------------------
    async def call(self, function: Callable[[], Awaitable[T]]) -> T:
        """Run ``function()`` if allowed, recording how it went; else raise CircuitOpenError.

        Cancellation is recorded as neither success nor failure: it says nothing about the
        dependency.
        """
        if not self.allow():
            raise CircuitOpenError(self.remaining())
        try:
            result = await function()
        except asyncio.CancelledError:
            if self.state is BreakerState.HALF_OPEN:
                self._trials_in_flight = max(0, self._trials_in_flight - 1)
            raise
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result

    # -- internals ------------------------------------------------------------------------
    def _open(self, reason: str) -> None:
        self._opened_at = self._clock()
        self._transition(BreakerState.OPEN, reason)

    def _transition(self, new: BreakerState, reason: str) -> None:
        old, self.state = self.state, new
        self._consecutive_failures = 0
        self._trials_in_flight = 0
        self._trial_successes = 0
        if new is BreakerState.CLOSED:
            self._window.clear()
        details = {"old": old.value, "new": new.value, "reason": reason}
        if new is BreakerState.OPEN:
            details["open_for"] = self._open_for
        self._emit(Kind.BREAKER, **details)

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker({self.state.value}, successes={self.successes}, "
            f"failures={self.failures}, rejected={self.rejected})"
        )
