"""A local order book kept from an exchange's changes: the pure book, the checksum, the
documented rebuild procedure (`BookSync`), and its asyncio driver over a real connection."""

from .book import BookGap, LocalBook
from .checksum import book_checksum
from .sync import BookSync

__all__ = ["BookGap", "BookSync", "LocalBook", "book_checksum"]
