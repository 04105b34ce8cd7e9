"""The book checksum of PROTOCOL.md: CRC-32 of the best 10 asks then the best 10 bids."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

CHECKSUM_LEVELS = 10
Level = tuple[str, str]  # [price, quantity] exactly as the strings were sent


def book_checksum(asks: Iterable[Level], bids: Iterable[Level]) -> int:
    """CRC-32 of ``price:quantity`` joined by ``|``: asks from the lowest price up, then
    bids from the highest price down, ten of each (fewer when the book is thinner)."""
    asks, bids = list(asks)[:CHECKSUM_LEVELS], list(bids)[:CHECKSUM_LEVELS]
    text = "|".join(f"{price}:{quantity}" for price, quantity in [*asks, *bids])
    return zlib.crc32(text.encode())
