"""One symbol's local order book: prices and quantities as exact decimals, never floats.

Pure and synchronous. `load` replaces the book with a snapshot; `apply` applies one
``book_update`` after checking that it continues the book (``first`` is the previous
``last + 1``), raising `BookGap` otherwise, and leaves the book untouched when it raises.
Levels keep the strings as they were sent, so the checksum is computed from exactly them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from .checksum import CHECKSUM_LEVELS, Level, book_checksum

ZERO = Decimal(0)


class BookGap(ValueError):
    """An update that does not continue the book: changes were missed, rebuild it."""

    def __init__(self, expected: int, first: int, last: int) -> None:
        super().__init__(f"expected update {expected}, got {first}..{last}")
        self.expected, self.first, self.last = expected, first, last


class LocalBook:
    """Bids and asks by price, with the id of the last change applied (``last``)."""

    def __init__(self, symbol: str = "") -> None:
        self.symbol = symbol
        self.last: int | None = None  # None: no snapshot loaded, the book is not usable
        self._bids: dict[Decimal, Level] = {}
        self._asks: dict[Decimal, Level] = {}

    # -- changing it -----------------------------------------------------------------------
    def load(self, last: int, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> None:
        """Replace the whole book with a snapshot taken as of change ``last``."""
        self._bids, self._asks = {}, {}
        _set_levels(self._bids, bids)
        _set_levels(self._asks, asks)
        self.last = last

    def apply(
        self,
        first: int,
        last: int,
        bids: Iterable[Sequence[str]],
        asks: Iterable[Sequence[str]],
    ) -> None:
        """Apply changes ``first``..``last``; `BookGap` if ``first`` is not ``self.last + 1``."""
        if self.last is None or first != self.last + 1:
            expected = -1 if self.last is None else self.last + 1
            raise BookGap(expected, first, last)
        _set_levels(self._bids, bids)
        _set_levels(self._asks, asks)
        self.last = last

    def apply_straddling(
        self,
        first: int,
        last: int,
        bids: Iterable[Sequence[str]],
        asks: Iterable[Sequence[str]],
    ) -> None:
        """Apply the first update after a snapshot: it must cover ``self.last + 1``."""
        if self.last is None or not first <= self.last + 1 <= last:
            expected = -1 if self.last is None else self.last + 1
            raise BookGap(expected, first, last)
        _set_levels(self._bids, bids)
        _set_levels(self._asks, asks)
        self.last = last

    def clear(self) -> None:
        """Throw the book away (it is unusable until the next `load`)."""
        self._bids, self._asks, self.last = {}, {}, None

    # -- reading it ------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.last is not None

    def checksum(self) -> int:
        """The protocol's checksum of this book, to compare with the exchange's."""
        return book_checksum(self.top_asks(CHECKSUM_LEVELS), self.top_bids(CHECKSUM_LEVELS))

    def top_bids(self, count: int) -> list[Level]:
        """The best ``count`` bids, highest price first, as the strings were sent."""
        return [self._bids[p] for p in heapq.nlargest(count, self._bids)]

    def top_asks(self, count: int) -> list[Level]:
        """The best ``count`` asks, lowest price first, as the strings were sent."""
        return [self._asks[p] for p in heapq.nsmallest(count, self._asks)]

    def depth(
        self, count: int
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The best ``count`` levels a side as exact (price, quantity) pairs: bids, asks."""
        return _exact(self.top_bids(count)), _exact(self.top_asks(count))

    @property
    def best_bid(self) -> Decimal | None:
        return max(self._bids) if self._bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return min(self._asks) if self._asks else None

    @property
    def levels(self) -> tuple[int, int]:
        """How many bid and ask levels the book holds."""
        return len(self._bids), len(self._asks)

    def crossed(self) -> bool:
        """Whether the best bid reaches the best ask (a corrupt book shows this)."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def __repr__(self) -> str:
        return f"LocalBook({self.symbol!r}, last={self.last}, {self.best_bid} / {self.best_ask})"


def decimal(text: str) -> Decimal:
    """A protocol decimal string as an exact `Decimal`; ValueError if it is not one."""
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not a decimal string: {text!r:.40}") from None
    if not value.is_finite() or value < ZERO:
        raise ValueError(f"not a finite, non-negative decimal: {text!r:.40}")
    return value


def _set_levels(side: dict[Decimal, Level], levels: Iterable[Sequence[str]]) -> None:
    for price, quantity in levels:
        if Decimal(quantity):
            side[Decimal(price)] = (price, quantity)
        else:
            side.pop(Decimal(price), None)


def _exact(levels: list[Level]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(price), Decimal(quantity)) for price, quantity in levels]
