"""The practice exchange's market: seeded random-walk prices, sequence numbers, a replay buffer.

Pure: time stamps are passed in. ``seq`` grows by exactly one per ticker of a symbol within a
stream (a server's run: `new_stream` counts again from the start), and the last
``buffer_size`` tickers of each symbol are kept so that a client that lost its connection can
resume without losing anything.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from .. import validate
from ..protocol.messages import Snapshot, Ticker

STARTING_PRICES = {
    "BTC/USDT": 42_000.0,
    "ETH/USDT": 2_250.0,
    "SOL/USDT": 95.0,
    "XRP/USDT": 0.62,
    "ADA/USDT": 0.48,
    "DOGE/USDT": 0.085,
}
MIN_BUFFER = 1000
SPREAD = 0.0002  # the gap between bid and ask, as a fraction of the price
VOLATILITY = 0.0005  # the standard deviation of one tick's relative move
# How far one venue's mid may stray from the common price, relatively: at most 0.4 of a
# half-spread, so two live venues differ by less than a spread and their consolidated quote
# is never crossed (arbitrageurs keep real venues as close). A crossed consolidated quote
# then means what it means on a real market: one venue's price is stale.
VENUE_NOISE = 0.4 * SPREAD / 2


@dataclass(slots=True)
class _Book:
    mid: float
    seq: int
    history: deque[Ticker]


class Market:
    """Prices of ``symbols`` (default: six USDT pairs), moving one ticker at a time.

    Markets with the same ``seed`` (and tick rate) follow the same price path, as the same
    pair does on different exchanges; a ``venue_seed`` makes each one's quotes stray a little
    from it, so that the best bid and the best ask come from different places.
    """

    def __init__(
        self,
        symbols: Sequence[str] | None = None,
        *,
        seed: int = 0,
        buffer_size: int = MIN_BUFFER,
        first_seq: int = 1000,
        venue_seed: int | None = None,
    ) -> None:
        symbols = list(STARTING_PRICES) if symbols is None else list(symbols)
        if not symbols or not all(isinstance(s, str) and s for s in symbols):
            raise ValueError(f"symbols must be a non-empty list of names, got {symbols!r}")
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"symbols must not repeat, got {symbols!r}")
        validate.integer("buffer_size", buffer_size, minimum=MIN_BUFFER)
        self.rng = random.Random(seed)
        self.venue_rng = None if venue_seed is None else random.Random(venue_seed)
        self.symbols = tuple(symbols)
        self.first_seq = first_seq
        self._books = {
            symbol: _Book(STARTING_PRICES.get(symbol, 100.0), first_seq, deque(maxlen=buffer_size))
            for symbol in symbols
        }

    def new_stream(self) -> None:
        """Count every symbol's seq again from the start and forget the replay buffer, as a
        restarted server does; prices carry on where they were."""
        for book in self._books.values():
            book.seq = self.first_seq
            book.history.clear()

    def seq(self, symbol: str) -> int:
        """The seq of ``symbol``'s latest ticker."""
        return self._books[symbol].seq

    def mid(self, symbol: str) -> float:
        """The common price of ``symbol`` that its tickers and its order book follow."""
        return self._books[symbol].mid

    def tick(self, symbol: str, ts: float) -> Ticker:
        """Move ``symbol``'s price one step and record the ticker."""
        book = self._books[symbol]
        book.mid *= 1.0 + self.rng.gauss(0.0, VOLATILITY)
        book.seq += 1
        ticker = Ticker(symbol, book.seq, *self._quote(self._venue(book.mid)), ts)
        book.history.append(ticker)
        return ticker

    def snapshot(self, symbol: str, ts: float) -> Snapshot:
        """The current price of ``symbol`` at its latest seq."""
        book = self._books[symbol]
        return Snapshot(symbol, book.seq, *self._quote(self._venue(book.mid)), ts)

    def replay(self, symbol: str, after: int) -> list[Ticker] | None:
        """Every buffered ticker with a seq above ``after``, or None when the buffer no longer
        reaches back that far (or ``after`` lies in the future): send a snapshot instead.

        ``after`` equal to the latest seq replays nothing: the client is up to date.
        """
        book = self._books[symbol]
        if after > book.seq:
            return None
        if after == book.seq:
            return []
        history = book.history
        if not history or history[0].seq > after + 1:
            return None
        start = after + 1 - history[0].seq
        return [history[i] for i in range(start, len(history))]

    def _venue(self, mid: float) -> float:
        if self.venue_rng is None:
            return mid
        return mid * (1.0 + self.venue_rng.uniform(-VENUE_NOISE, VENUE_NOISE))

    @staticmethod
    def _quote(mid: float) -> tuple[float, float]:
        half = mid * SPREAD / 2
        precision = 2 if mid >= 10 else 6
        bid, ask = round(mid - half, precision), round(mid + half, precision)
        if ask <= bid:
            ask = bid + 10.0**-precision
        return bid, ask
