"""What a price-feed client hands its consumer, and the states its connection goes through."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec


class PriceUpdate(msgspec.Struct, frozen=True):
    """One price of one symbol: best bid and ask, the exchange's ``seq`` and timestamp.

    ``snapshot`` is true for the exchange's picture of the current price (sent on a fresh
    subscription, or when a resume reaches further back than the exchange remembers);
    ``replayed`` for a ticker the exchange resent from its buffer after a resume: an old price
    arriving late, whose ``ts`` says how old. An immutable record like a frozen dataclass;
    a msgspec struct because one is made per update, and a struct is made ten times faster.
    """

    symbol: str
    bid: float
    ask: float
    seq: int
    ts: float
    snapshot: bool = False
    replayed: bool = False

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Base of the five connection states; ``key`` is what the event stream records."""

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def key(self) -> str:
        """The state as the event stream names it: "connected", "reconnecting", ..."""
        return self.name.lower()

    def details(self) -> dict[str, object]:
        """The fields a STATE event carries for this state: ``state`` and its own."""
        return {"state": self.key}

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Disconnected(ConnectionState):
    """Not started yet."""


@dataclass(frozen=True, slots=True)
class Connecting(ConnectionState):
    """The first connection attempt is under way."""


@dataclass(frozen=True, slots=True)
class Connected(ConnectionState):
    """A connection is up; subscriptions are (being) restored."""


@dataclass(frozen=True, slots=True)
class Reconnecting(ConnectionState):
    """A connection was lost (or never made); ``attempt`` counts tries since then."""

    attempt: int

    def details(self) -> dict[str, object]:
        return {"state": self.key, "attempt": self.attempt}

    def __str__(self) -> str:
        return f"Reconnecting({self.attempt})"


@dataclass(frozen=True, slots=True)
class Closed(ConnectionState):
    """Closed by its owner, or given up; nothing runs any more."""
