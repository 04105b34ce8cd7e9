"""The faults the practice exchange can inject (PROTOCOL.md's table), as plain state.

The exchange consults this state at the points where each fault bites: a handshake (refuse,
rate-limit, flaky), a ticker about to go out (skip), a frame about to be written (latency,
stall). One-shot faults that act on open connections (drop, close, garbage, shutdown) are
carried out by the exchange directly. Bad arguments raise ValueError naming field and value.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from enum import StrEnum

from ..i18n import tr

CLOSE_CODES = (1001, 1011, 1012, 1013)


class Fault(StrEnum):
    DROP = "drop"
    CLOSE = "close"
    REFUSE = "refuse"
    RATE_LIMIT = "ratelimit"
    STALL = "stall"
    SKIP = "skip"
    GARBAGE = "garbage"
    LATENCY = "latency"
    SHUTDOWN = "shutdown"
    FLAKY = "flaky"


class Garbage(StrEnum):
    """Kinds of malformed frame: broken JSON, or JSON of the wrong shape."""

    NOT_JSON = "not_json"
    TRUNCATED = "truncated"
    ARRAY = "array"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    NEGATIVE_PRICE = "negative_price"


GARBAGE_FRAMES = {
    Garbage.NOT_JSON: "this is not json",
    Garbage.TRUNCATED: '{"type": "ticker", "symbol": "BTC/USDT", "seq": 1',
    Garbage.ARRAY: '["ticker", "BTC/USDT", 1]',
    Garbage.UNKNOWN_TYPE: '{"type": "tickr", "symbol": "BTC/USDT"}',
    Garbage.MISSING_FIELD: '{"type": "ticker", "symbol": "BTC/USDT", "bid": 1.0, "ask": 2.0}',
    Garbage.WRONG_TYPE: (
        '{"type": "ticker", "symbol": "BTC/USDT", "seq": "many", "bid": 1.0, "ask": 2.0, "ts": 0.0}'
    ),
    Garbage.NEGATIVE_PRICE: (
        '{"type": "ticker", "symbol": "BTC/USDT", "seq": 1, "bid": -5.0, "ask": 2.0, "ts": 0.0}'
    ),
}


def close_code(value: object) -> int:
    if value not in CLOSE_CODES or isinstance(value, bool):
        codes = ", ".join(map(str, CLOSE_CODES))
        raise ValueError(f"code must be one of {codes}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def garbage_kind(value: object) -> Garbage | None:
    if value is None:
        return None
    try:
        return Garbage(value)
    except ValueError:
        kinds = ", ".join(g.value for g in Garbage)
        raise ValueError(f"kind must be one of {kinds}, got {value!r}") from None


@dataclass
class FaultState:
    """What is currently broken. ``rng`` makes flaky handshakes and garbage repeatable."""

    rng: random.Random = field(default_factory=random.Random)
    refuse_next: int = 0
    rate_limit_next: int = 0
    retry_after: float = 1.0
    flaky: float = 0.0
    latency: float = 0.0
    stalled_until: float = -math.inf
    skip_next: dict[str, int] = field(default_factory=dict)
    skip_book_next: dict[str, int] = field(default_factory=dict)
    corrupt_book_next: bool = False  # the next book update sent goes out cut short

    def handshake(self) -> int | None:
        """The HTTP status to refuse the next handshake with, or None to accept it."""
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return 503
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return 429
        if self.flaky > 0 and self.rng.random() < self.flaky:
            return 503
        return None

    def skips(self, symbol: str) -> bool:
        """Whether the ticker of ``symbol`` about to go out is to be dropped from live streams."""
        left = self.skip_next.get(symbol, 0)
        if left <= 0:
            return False
        self.skip_next[symbol] = left - 1
        return True

    def skips_book(self, symbol: str) -> bool:
        """Whether the book update of ``symbol`` about to go out is to be dropped."""
        left = self.skip_book_next.get(symbol, 0)
        if left <= 0:
            return False
        self.skip_book_next[symbol] = left - 1
        return True

    def stalled(self, now: float) -> float:
        """Seconds the connections must stay silent from ``now`` (0 when not stalled)."""
        remaining = self.stalled_until - now
        return remaining if remaining > 1e-6 else 0.0  # a float's rounding is not a stall

    def garbage_frame(self, kind: Garbage | None) -> str:
        return GARBAGE_FRAMES[kind if kind is not None else self.rng.choice(list(Garbage))]

    def active(self, now: float) -> list[str]:
        """The lasting faults in force at ``now``, in the console's words (for ``status``)."""
        found = []
        if self.refuse_next > 0:
            found.append(
                tr(
                    "refuse: the next {attempts} refused (HTTP 503)",
                    attempts=attempts(self.refuse_next),
                )
            )
        if self.rate_limit_next > 0:
            found.append(
                tr(
                    "ratelimit: the next {attempts} answered HTTP 429 (Retry-After {after:g} s)",
                    attempts=attempts(self.rate_limit_next),
                    after=self.retry_after,
                )
            )
        if self.flaky > 0:
            found.append(
                tr("flaky: each connection attempt fails with probability {p:g}", p=self.flaky)
            )
        if self.latency > 0:
            found.append(tr("latency: every frame delayed {delay:g} s", delay=self.latency))
        if stalled := self.stalled(now):
            found.append(tr("stall: silent for {left:.1f} s more", left=stalled))
        skips = {symbol: left for symbol, left in self.skip_next.items() if left > 0}
        if len(set(skips.values())) == 1 and len(skips) == len(self.skip_next):
            found.append(
                tr(
                    "skip: the next {count} tickers of each symbol",
                    count=next(iter(skips.values())),
                )
            )
        elif skips:
            each = ", ".join(f"{symbol} {left}" for symbol, left in skips.items())
            found.append(tr("skip: the next tickers left out: {each}", each=each))
        return found

    def heal(self) -> None:
        """Clear every lasting fault."""
        self.refuse_next = self.rate_limit_next = 0
        self.flaky = self.latency = 0.0
        self.stalled_until = -math.inf
        self.skip_next.clear()
        self.skip_book_next.clear()
        self.corrupt_book_next = False


def attempts(count: int) -> str:
    """``count`` connection attempts, in words: "connection attempt", "3 connection attempts"."""
    if count == 1:
        return tr("connection attempt")
    return tr("{count} connection attempts", count=count)


def command_words(fault: str, args: tuple[object, ...]) -> str:
    """A fault as it is typed in the exchange's console: ``ratelimit 2 1.5``."""
    return " ".join([fault, *(f"{a:g}" if isinstance(a, float) else str(a) for a in args)])
