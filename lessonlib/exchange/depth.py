"""The practice exchange's order books: levels around the mid price that the tickers follow.

Pure: each `move` shifts one symbol's book towards a new mid price and returns the changes,
numbered per symbol (``first``..``last``, one id per level changed) as PROTOCOL.md's book
channel sends them. The best bid always stays below the best ask; prices sit on a grid of
the symbol's tick; quantities are decimal strings; ``"0"`` removes a level.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

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
    """One symbol's book: bids and asks as ``grid index -> quantity`` (price = index * step)."""

    def __init__(self, mid: float, rng: random.Random) -> None:
        self.rng = rng
        self.tick = Decimal("0.01") if mid >= 10 else Decimal("0.000001")
        self.step = max(self.tick, (Decimal(repr(mid)) * GRID).quantize(self.tick, ROUND_FLOOR))
        self._step = float(self.step)
        self._texts: dict[int, str] = {}
        self.update_id = FIRST_UPDATE_ID - 1  # the id of the latest change
        self.bids: dict[int, str] = {}
        self.asks: dict[int, str] = {}
        self.move(mid)

    def new_stream(self) -> None:
        """Count the change ids again from the start (the levels carry on)."""
        self.update_id = FIRST_UPDATE_ID - 1

    def move(self, mid: float, spread: float = 0.0002) -> BookChanges:
        """Follow ``mid``: clear what the new best prices cross, fill the best levels, and
        change a few levels at random, as orders arriving and leaving would."""
        half = mid * spread / 2
        best_bid = math.floor((mid - half) / self._step)
        best_ask = max(best_bid + 1, math.ceil((mid + half) / self._step))
        rng = self.rng
        sent_bids = self._follow(self.bids, best_bid, -1, rng)
        sent_asks = self._follow(self.asks, best_ask, 1, rng)
        first = self.update_id + 1
        self.update_id += len(sent_bids) + len(sent_asks)
        return BookChanges(first, self.update_id, sent_bids, sent_asks)

    def _follow(
        self, side: dict[int, str], best: int, sign: int, rng: random.Random
    ) -> list[Level]:
        """Move one side to ``best`` (bids: ``sign`` -1, asks: +1) and return what changed."""
        deepest = best + sign * (LEVELS_A_SIDE - 1)
        low, high = min(best, deepest), max(best, deepest)
        changes: dict[int, str] = {i: "0" for i in side if not low <= i <= high}
        new = not side
        for k in range(LEVELS_A_SIDE):
            index = best + sign * k
            if index not in side and (new or k == 0 or rng.random() < REFILL):
                changes[index] = self._quantity()
        for _ in range(rng.randint(0, 3)):
            k = rng.randrange(LEVELS_A_SIDE)
            changes[best + sign * k] = "0" if k and rng.random() < 0.3 else self._quantity()
        sent: list[Level] = []
        for index in sorted(changes):
            quantity = changes[index]
            if quantity == "0":
                if side.pop(index, None) is None:
                    continue  # removing a level that is not there changes nothing
            elif side.get(index) == quantity:
                continue
            else:
                side[index] = quantity
            sent.append((self.price_text(index), quantity))
        return sent

    def _quantity(self) -> str:
        whole, thousandths = divmod(self.rng.randint(1, 500_000), 1000)
        return f"{whole}.{thousandths:03d}".rstrip("0").rstrip(".")

    def price_text(self, index: int) -> str:
        """The price of grid level ``index`` as the decimal string the protocol sends."""
        text = self._texts.get(index)
        if text is None:
            if len(self._texts) > 100_000:
                self._texts.clear()
            text = self._texts[index] = f"{(self.step * index).quantize(self.tick):f}"
        return text

    # -- reading ---------------------------------------------------------------------------
    def top(self, depth: int) -> tuple[list[Level], list[Level]]:
        """The best ``depth`` bids (highest first) and asks (lowest first)."""
        bids = [(self.price_text(i), self.bids[i]) for i in heapq.nlargest(depth, self.bids)]
        asks = [(self.price_text(i), self.asks[i]) for i in heapq.nsmallest(depth, self.asks)]
        return bids, asks

    def checksum(self) -> int:
        bids, asks = self.top(CHECKSUM_LEVELS)
        return book_checksum(asks, bids)
