"""The consolidated quote: the best bid and the best ask across venues, from current prices.

Pure: times are passed in. A price is judged by the exchange's own timestamp (``ts``), put on
this machine's clock by `VenueClock`, not by when it arrived: a ticker replayed after a
reconnect arrives now but is as old as its stamp says. Only prices delivered live on a venue's
current connection count, so a venue is held out from a reconnect until its resume has caught
up. What is left can still be crossed or locked when one venue has moved and another has not
yet: of the two venues that cross, the one whose price is older is the one the market has left
behind, and it is left out until its prices catch up. From venues whose prices of one moment
never cross, the consolidated quote is therefore never crossed or locked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VenuePrice:
    """One venue's latest price of a symbol, as the consolidated quote weighs it."""

    bid: float
    ask: float
    at: float  # when the exchange stamped it, on this machine's clock (`VenueClock.place`)
    replayed: bool = False  # resent from the exchange's buffer after a resume: catching up
    before_reconnect: bool = False  # delivered on an earlier connection than the current one

    @property
    def current(self) -> bool:
        """Delivered live on the venue's current connection: its resume has caught up."""
        return not self.replayed and not self.before_reconnect


@dataclass(frozen=True, slots=True)
class ConsolidatedQuote:
    """The best bid and the best ask for a symbol, where each comes from, and the venues left
    out because their price was behind another venue's that it crossed or locked."""

    symbol: str
    bid: float
    bid_exchange: str
    ask: float
    ask_exchange: str
    left_out: tuple[str, ...] = ()

    @property
    def spread(self) -> float:
        return self.ask - self.bid


class VenueClock:
    """Puts one venue's timestamps on this machine's clock.

    The smallest ``arrival - ts`` seen from the venue is its clock's offset from ours plus its
    fastest delivery; adding it to a ``ts`` gives the moment the price was made, never later
    than it arrived. A price delayed in delivery or replayed from a buffer comes out older.
    A venue that restarts may come back with another clock: `reset` measures it afresh.
    """

    def __init__(self) -> None:
        self.offset: float | None = None

    def place(self, ts: float, arrival: float) -> float:
        """The moment a price stamped ``ts`` by the venue was made, on our clock."""
        lag = arrival - ts
        if self.offset is None or lag < self.offset:
            self.offset = lag
        return ts + self.offset

    def reset(self) -> None:
        self.offset = None


@dataclass(frozen=True, slots=True)
class _Seen:
    bid: float
    ask: float
    at: float
    connection: int
    replayed: bool


class VenueQuotes:
    """What one venue has quoted: its newest price of each symbol, placed on our clock by the
    exchange's timestamp, and whether it came live on the current connection."""

    def __init__(self) -> None:
        self.clock = VenueClock()
        self.connection = 0  # connections made so far; the current one's number
        self._seen: dict[str, _Seen] = {}
        self._newest: _Seen | None = None

    def connected(self) -> None:
        """A new connection: prices from earlier ones no longer count as current."""
        self.connection += 1

    def restarted(self) -> None:
        """The venue came back as a new run (a new stream): measure its clock afresh."""
        self.clock.reset()

    def record(
        self, symbol: str, bid: float, ask: float, *, ts: float, arrival: float, replayed: bool
    ) -> VenuePrice:
        """A price delivered at ``arrival`` (our clock), stamped ``ts`` by the venue."""
        at = self.clock.place(ts, arrival)
        self._newest = self._seen[symbol] = _Seen(bid, ask, at, self.connection, replayed)
        return self._price(self._newest)

    def price(self, symbol: str) -> VenuePrice | None:
        """The newest price of ``symbol``, None before the first."""
        seen = self._seen.get(symbol)
        return None if seen is None else self._price(seen)

    def newest(self) -> VenuePrice | None:
        """The newest price of any symbol, None before the first."""
        return None if self._newest is None else self._price(self._newest)

    def _price(self, seen: _Seen) -> VenuePrice:
        earlier = seen.connection != self.connection
        return VenuePrice(seen.bid, seen.ask, seen.at, seen.replayed, earlier)


def consolidate(
    symbol: str, prices: Mapping[str, VenuePrice], *, now: float, stale_after: float
) -> ConsolidatedQuote | None:
    """The best bid and ask among the venues' current prices at most ``stale_after`` seconds
    old at ``now``; of two venues that cross or lock, the one with the older price is left out.
    None when no venue is left."""
    usable = {
        name: price
        for name, price in prices.items()
        if price.current and now - price.at <= stale_after
    }
    left_out: list[str] = []
    while usable:
        bid_name = max(usable, key=lambda name: usable[name].bid)
        ask_name = min(usable, key=lambda name: usable[name].ask)
        bid, ask = usable[bid_name], usable[ask_name]
        if bid.bid < ask.ask:
            return ConsolidatedQuote(
                symbol, bid.bid, bid_name, ask.ask, ask_name, left_out=tuple(left_out)
            )
        behind = bid_name if bid.at <= ask.at else ask_name
        left_out.append(behind)
        del usable[behind]
    return None
