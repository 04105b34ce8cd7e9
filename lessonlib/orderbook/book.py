"""One symbol's local order book: prices and quantities exactly as sent, never floats.

Pure and synchronous. `load` replaces the book with a snapshot; `apply` applies one
``book_update`` after checking that it continues the book (``first`` is the previous
``last + 1``, or for the first update after a snapshot, that it straddles it), raising
`BookGap` otherwise, and leaves the book untouched when it raises.
Levels keep the strings as they were sent, so the checksum is computed from exactly them.

Each side is a `SortedDict` by a key parsed from the price string, so the best levels (and
the checksum of every update) cost the same in a book of 1,000 levels as in one of ten. The
key is a float while every price has at most 15 characters (so at most 15 significant
digits, which floats tell apart and order exactly), else a `Decimal` for the whole book.
Nothing is computed with a key: prices and quantities the book gives out are `Decimal`s
parsed from the strings. The float key is what makes a 1,000-level rebuild cheap: hashing a
`Decimal` is its dearest part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from operator import itemgetter

from sortedcontainers import SortedDict

from .checksum import CHECKSUM_LEVELS, Level, book_checksum

EXACT_AS_FLOAT = 15  # characters: a decimal string this short has at most 15 digits
Key = Callable[[str], float | Decimal]
Side = SortedDict  # key -> (price, quantity) as sent, in price order
_price_of = itemgetter(0)


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
        self._key: Key = float
        self._bids: Side = SortedDict()
        self._asks: Side = SortedDict()

    # -- changing it -----------------------------------------------------------------------
    def load(self, last: int, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]) -> None:
        """Replace the whole book with a snapshot taken as of change ``last``."""
        bids, asks = _levels(bids), _levels(asks)
        longest = max(map(len, map(_price_of, [*bids, *asks])), default=0)
        self._key = float if longest <= EXACT_AS_FLOAT else _decimal_key
        self._bids, self._asks = _side(bids, self._key), _side(asks, self._key)
        self.last = last

    def apply(
        self,
        first: int,
        last: int,
        bids: Iterable[Sequence[str]],
        asks: Iterable[Sequence[str]],
        *,
        straddling: bool = False,
    ) -> None:
        """Apply changes ``first``..``last``, which must continue the book (``first`` is
        ``self.last + 1``) or, ``straddling`` (the first update after a snapshot), cover
        ``self.last + 1``; else `BookGap`, with the book left as it was."""
        if self.last is None:
            fits = False
        elif straddling:
            fits = first <= self.last + 1 <= last
        else:
            fits = first == self.last + 1
        if not fits:
            raise BookGap(-1 if self.last is None else self.last + 1, first, last)
        self._change(last, bids, asks)

    def _change(
        self, last: int, bids: Iterable[Sequence[str]], asks: Iterable[Sequence[str]]
    ) -> None:
        bids, asks = _levels(bids), _levels(asks)
        if self._key is float and any(len(price) > EXACT_AS_FLOAT for price, _ in [*bids, *asks]):
            self._key = _decimal_key  # a long price: every key exact as a Decimal from now on
            self._bids, self._asks = (
                _side(self._bids.values(), self._key),
                _side(self._asks.values(), self._key),
            )
        _set_levels(self._bids, bids, self._key)
        _set_levels(self._asks, asks, self._key)
        self.last = last

    def clear(self) -> None:
        """Throw the book away (it is unusable until the next `load`)."""
        self._bids, self._asks, self.last = SortedDict(), SortedDict(), None

    # -- reading it ------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.last is not None

    def checksum(self) -> int:
        """The protocol's checksum of this book, to compare with the exchange's."""
        return book_checksum(self.top_asks(CHECKSUM_LEVELS), self.top_bids(CHECKSUM_LEVELS))

    def top_bids(self, count: int) -> list[Level]:
        """The best ``count`` bids, highest price first, as the strings were sent."""
        return self._bids.values()[: -count - 1 : -1] if count > 0 else []

    def top_asks(self, count: int) -> list[Level]:
        """The best ``count`` asks, lowest price first, as the strings were sent."""
        return self._asks.values()[:count] if count > 0 else []

    def depth(
        self, count: int
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The best ``count`` levels a side as exact (price, quantity) pairs: bids, asks."""
        return _exact(self.top_bids(count)), _exact(self.top_asks(count))

    @property
    def best_bid(self) -> Decimal | None:
        return Decimal(self._bids.peekitem(-1)[1][0]) if self._bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return Decimal(self._asks.peekitem(0)[1][0]) if self._asks else None

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


def _levels(levels: Iterable[Sequence[str]]) -> list[Level]:
    """Levels as (price, quantity) tuples (the protocol's parser already gives tuples)."""
    return [level if type(level) is tuple else tuple(level) for level in levels]  # type: ignore[misc]


def _is_zero(quantity: str) -> bool:
    """Whether a plain decimal string is zero ("0", "0.000"): it has no other digit."""
    return not quantity.strip("0.")


def _decimal_key(price: str) -> Decimal:
    return Decimal(price)


def _side(levels: Iterable[Level], key: Key) -> Side:
    """A side of a snapshot by key, levels set in order; a quantity of zero removes one."""
    levels = list(levels)
    side = SortedDict(zip(map(key, map(_price_of, levels)), levels, strict=True))
    for removed in [k for k, level in dict.items(side) if _is_zero(level[1])]:
        del side[removed]
    return side


def _set_levels(side: Side, levels: list[Level], key: Key) -> None:
    for level in levels:
        price = key(level[0])
        if not level[1].strip("0."):  # a quantity of zero (`_is_zero`, inlined: the hot path)
            if price in side:
                del side[price]
        elif price in side:
            _replace(side, price, level)  # the price is in the sorted keys already
        else:
            side[price] = level


_replace = dict.__setitem__


def _exact(levels: list[Level]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(price), Decimal(quantity)) for price, quantity in levels]
