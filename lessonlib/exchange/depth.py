"""The practice exchange's order books: levels around the mid price that the tickers follow.

Pure: each `move` shifts one symbol's book towards a new mid price and returns the changes,
numbered per symbol (``first``..``last``, one id per level changed) as PROTOCOL.md's book
channel sends them. The best bid always stays below the best ask; prices sit on a grid of
the symbol's tick; quantities are decimal strings; ``"0"`` removes a level.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..orderbook.checksum import CHECKSUM_LEVELS, Level, book_checksum

LEVELS_A_SIDE = 25  # how deep the exchange keeps each side, in grid steps from the best price
GRID = Decimal("0.0002")  # the distance between levels, as a fraction of the price
REFILL = 0.5  # the chance that an empty level inside the book's range fills on a step
MAX_SNAPSHOT_DEPTH = 1000
FIRST_UPDATE_ID = 1


@dataclass(frozen=True, slots=True)
class BookChanges:
    """One step's changes of one symbol's book (empty lists: nothing changed)."""

    first: int
    last: int
    bids: list[Level]
    asks: list[Level]


class SymbolBook:
    """One symbol's book: a bid side and an ask side of ``price -> quantity`` strings."""

    def __init__(self, mid: float, rng: random.Random) -> None:
        self.rng = rng
        self.tick = Decimal("0.01") if mid >= 10 else Decimal("0.000001")
        self.step = max(self.tick, (Decimal(mid) * GRID).quantize(self.tick, ROUND_FLOOR))
        self.update_id = FIRST_UPDATE_ID - 1  # the id of the latest change
        self.bids: dict[Decimal, str] = {}
        self.asks: dict[Decimal, str] = {}
        self.move(mid)

    def new_stream(self) -> None:
        """Count the change ids again from the start (the levels carry on)."""
        self.update_id = FIRST_UPDATE_ID - 1

    def move(self, mid: float, spread: float = 0.0002) -> BookChanges:
        """Follow ``mid``: clear what the new best prices cross, fill the best levels, and
        change a few levels at random, as orders arriving and leaving would."""
        changes_bids: dict[Decimal, str] = {}
        changes_asks: dict[Decimal, str] = {}
        mid_d = Decimal(repr(mid))
        half = mid_d * Decimal(repr(spread)) / 2
        best_bid = ((mid_d - half) / self.step).to_integral_value(ROUND_FLOOR) * self.step
        best_ask = ((mid_d + half) / self.step).to_integral_value(ROUND_CEILING) * self.step
        if best_ask <= best_bid:
            best_ask = best_bid + self.step
        for side, changes, keep in (
            (
                self.bids,
                changes_bids,
                lambda p: best_bid - LEVELS_A_SIDE * self.step < p <= best_bid,
            ),
            (
                self.asks,
                changes_asks,
                lambda p: best_ask <= p < best_ask + LEVELS_A_SIDE * self.step,
            ),
        ):
            for price in [p for p in side if not keep(p)]:
                changes[price] = "0"
        for side, changes, best, sign in (
            (self.bids, changes_bids, best_bid, -1),
            (self.asks, changes_asks, best_ask, 1),
        ):
            if best not in side or changes.get(best) == "0":
                changes[best] = self._quantity()
            new = not side
            for k in range(1, LEVELS_A_SIDE):
                price = best + sign * k * self.step
                if price not in side and (new or self.rng.random() < REFILL):
                    changes[price] = self._quantity()
            for _ in range(self.rng.randint(0, 3)):
                price = best + sign * self.rng.randrange(LEVELS_A_SIDE) * self.step
                removes = price != best and self.rng.random() < 0.3
                changes[price] = "0" if removes else self._quantity()
        bids = self._commit(self.bids, changes_bids)
        asks = self._commit(self.asks, changes_asks)
        first = self.update_id + 1
        self.update_id += len(bids) + len(asks)
        return BookChanges(first, self.update_id, bids, asks)

    def _quantity(self) -> str:
        return f"{Decimal(self.rng.randint(1, 500_000)) / 1000:f}"

    def _commit(self, side: dict[Decimal, str], changes: dict[Decimal, str]) -> list[Level]:
        sent: list[Level] = []
        for price, quantity in sorted(changes.items()):
            if quantity == "0":
                if side.pop(price, None) is None:
                    continue  # removing a level that is not there changes nothing
            elif side.get(price) == quantity:
                continue
            else:
                side[price] = quantity
            sent.append((self.price_text(price), quantity))
        return sent

    def price_text(self, price: Decimal) -> str:
        return f"{price.quantize(self.tick):f}"

    # -- reading ---------------------------------------------------------------------------
    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        """The best ``depth`` bids (highest first) and asks (lowest first)."""
        bids = [(self.price_text(p), self.bids[p]) for p in heapq.nlargest(depth, self.bids)]
        asks = [(self.price_text(p), self.asks[p]) for p in heapq.nsmallest(depth, self.asks)]
        return bids, asks

    def checksum(self) -> int:
        bids, asks = self.top(CHECKSUM_LEVELS)
        return book_checksum(asks, bids)
