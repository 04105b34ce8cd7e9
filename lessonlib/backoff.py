"""Exponential backoff with jitter: the pure decision of how long to wait before the next attempt.

Formulas from the AWS Architecture Blog's "Exponential Backoff And Jitter", with
``base = initial_delay`` and ``cap = max_delay``; ``n`` counts failures since the last reset:

- none:          min(cap, base * multiplier**n)
- full:          uniform(0, min(cap, base * multiplier**n))
- equal:         half of that, plus uniform(0, the other half)
- decorrelated:  min(cap, uniform(base, previous * 3)), starting from previous = base

Nothing here sleeps or reads a clock: time is passed in, so every decision is testable alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from . import validate


class Jitter(StrEnum):
    """How randomness spreads the delays of many clients apart."""

    NONE = "none"
    FULL = "full"
    EQUAL = "equal"
    DECORRELATED = "decorrelated"

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """A validated, immutable description of a retry schedule.

    ``max_retries`` counts the retries after the first attempt (``None`` retries forever).
    ``healthy_after`` is how long a connection must stay up before a loss of it resets the
    schedule to ``initial_delay``; a server that accepts and drops at once is not healthy.
    """

    initial_delay: float = 0.1
    max_delay: float = 30.0
    multiplier: float = 2.0
    max_retries: int | None = 10
    jitter: Jitter | str = Jitter.NONE
    healthy_after: float = 5.0

    def __post_init__(self) -> None:
        validate.positive("initial_delay", self.initial_delay)
        validate.positive("max_delay", self.max_delay)
        if self.max_delay < self.initial_delay:
            raise ValueError(
                f"max_delay must be at least initial_delay ({self.initial_delay!r}), "
                f"got {self.max_delay!r}"
            )
        validate.number("multiplier", self.multiplier, minimum=1)
        if self.max_retries is not None:
            validate.integer("max_retries", self.max_retries)
        try:
            jitter = Jitter(self.jitter)
        except ValueError:
            names = ", ".join(j.value for j in Jitter)
            raise ValueError(f"jitter must be one of {names}; got {self.jitter!r}") from None
        object.__setattr__(self, "jitter", jitter)
        validate.seconds("healthy_after", self.healthy_after)

    def ceiling(self, failures: int) -> float:
        """The un-jittered delay after ``failures`` failures: min(cap, base * multiplier**n).

        Safe for any ``n``: past the point where the cap is reached it returns the cap without
        computing a power that would overflow.
        """
        n = max(failures - 1, 0)
        if self.multiplier == 1:
            return self.initial_delay
        # Smallest exponent at which the cap is reached; beyond it, the answer is the cap.
        cap_exponent = math.log(self.max_delay / self.initial_delay, self.multiplier)
        if n >= cap_exponent:
            return self.max_delay
        return min(self.max_delay, self.initial_delay * self.multiplier**n)

    def delay(self, failures: int, previous: float | None, rng: random.Random) -> float:
        """The delay after the ``failures``-th consecutive failure (1 for the first)."""
        if failures < 1:
            raise ValueError(f"failures must be at least 1, got {failures!r}")
        match self.jitter:
            case Jitter.NONE:
                return self.ceiling(failures)
            case Jitter.FULL:
                return rng.uniform(0.0, self.ceiling(failures))
            case Jitter.EQUAL:
                half = self.ceiling(failures) / 2
                return half + rng.uniform(0.0, half)
            case Jitter.DECORRELATED:
                last = self.initial_delay if previous is None else previous
                return min(self.max_delay, rng.uniform(self.initial_delay, last * 3))
        raise AssertionError(self.jitter)  # pragma: no cover - Jitter is exhaustive

    def gives_up_after(self, failures: int) -> bool:
        """Whether ``failures`` consecutive failures exhaust the retries."""
        return self.max_retries is not None and failures > self.max_retries

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The whole schedule of delays, as a fresh `Backoff` would produce it."""
        backoff = Backoff(self, rng)
        while (delay := backoff.next_delay()) is not None:
            yield delay


class Backoff:
    """The running state of one schedule: how many failures since the last reset.

    ``next_delay()`` records a failure and says how long to wait, or ``None`` to give up.
    ``connected(now)`` and ``lost(now)`` implement the healthy spell: the schedule resets on a
    loss only when the connection had stayed up for ``policy.healthy_after`` seconds.
    """

    def __init__(self, policy: BackoffPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.rng = rng if rng is not None else random.Random()
        self.failures = 0
        self.previous: float | None = None
        self.connected_at: float | None = None

    def next_delay(self, *, at_least: float = 0.0) -> float | None:
        """Record one more failure; the delay before the next attempt, or None to give up.

        ``at_least`` raises the delay to a floor the other side asked for (a ``shutdown``
        notice's ``reconnect_after``, a rate limit), never above what was asked.
        """
        self.failures += 1
        if self.policy.gives_up_after(self.failures):
            return None
        delay = self.policy.delay(self.failures, self.previous, self.rng)
        self.previous = delay
        return max(delay, at_least)

    def reset(self) -> None:
        """Forget past failures: the next delay is the first one again."""
        self.failures = 0
        self.previous = None

    def connected(self, now: float) -> None:
        """A connection came up at loop time ``now``."""
        self.connected_at = now

    def lost(self, now: float) -> bool:
        """The connection went down at ``now``; resets the schedule after a healthy spell.

        Returns whether it reset. A loss without a preceding ``connected`` resets nothing.
        """
        up_since, self.connected_at = self.connected_at, None
        if up_since is not None and now - up_since >= self.policy.healthy_after:
            self.reset()
            return True
        return False
