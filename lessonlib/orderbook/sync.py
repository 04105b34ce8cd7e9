"""The documented way to build a local book from a stream of changes, for one symbol.

Pure: the driver feeds it frames and asks it what to send. Real venues document the same
steps: subscribe and buffer the updates; request a snapshot; drop buffered updates with
``last <= snapshot.last``; the first one applied must straddle ``snapshot.last + 1``; from
then on every update must continue the previous one, and its checksum must match. Anything
else throws the book away and starts again (`resync`), with the reason on the event stream.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from ..events import Kind
from ..protocol.messages import BookSnapshot, BookUpdate
from .book import BookGap, LocalBook

BUFFER_LIMIT = 10_000  # updates held while a snapshot is awaited; beyond that, start again


class Reason(StrEnum):
    """Why a book is (re)built: each rebuild has one."""

    SUBSCRIBED = "subscribed"  # the first build after subscribing
    GAP = "gap"  # an update did not continue the book
    CHECKSUM = "checksum"  # the book's checksum differed from the exchange's
    RECONNECT = "reconnect"  # the connection was lost: updates may have been missed
    STREAM = "stream"  # the exchange restarted: update ids count again
    OVERFLOW = "overflow"  # too many updates buffered waiting for a snapshot


EventCallback = Callable[[Kind, dict[str, Any]], None]


class BookSync:
    """One symbol's book and where its rebuild stands; ``emit(kind, details)`` reports."""

    def __init__(self, symbol: str, emit: EventCallback | None = None) -> None:
        self.symbol = symbol
        self.book = LocalBook(symbol)
        self.buffer: list[BookUpdate] = []
        self.reason: Reason | None = Reason.SUBSCRIBED  # why the book is being (re)built
        self.snapshot_wanted = True  # the driver should request a snapshot
        self.pending: int | None = None  # the id of the snapshot request awaited
        self.rebuilds = 0
        self._emit = emit or (lambda kind, details: None)

    @property
    def live(self) -> bool:
        """Whether the book is built and following the updates."""
        return self.reason is None

    # -- driver calls ----------------------------------------------------------------------
    def requested(self, request_id: int) -> None:
        """The driver sent snapshot request ``request_id``."""
        self.snapshot_wanted, self.pending = False, request_id

    def resync(self, reason: Reason, **details: Any) -> None:
        """Throw the book and the buffer away and build it again from a new snapshot."""
        self.book.clear()
        self.buffer.clear()
        self.reason, self.snapshot_wanted, self.pending = reason, True, None
        self._emit(Kind.BOOK_RESYNC, {"symbol": self.symbol, "reason": reason.value, **details})

    def on_update(self, update: BookUpdate) -> None:
        """One ``book_update``: buffered while the snapshot is awaited, applied once live."""
        if not self.live:
            if len(self.buffer) >= BUFFER_LIMIT:
                self.resync(Reason.OVERFLOW, buffered=len(self.buffer))
            self.buffer.append(update)
            self._emit(
                Kind.BOOK_BUFFERED,
                {
                    "symbol": self.symbol,
                    "first": update.first,
                    "last": update.last,
                    "buffered": len(self.buffer),
                },
            )
            return
        try:
            self.book.apply(update.first, update.last, update.bids, update.asks)
        except BookGap as gap:
            self._gap(gap)
            self.buffer.append(update)  # it may straddle the next snapshot
            return
        self._verify(update)

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        """The answer to a snapshot request: load it, drop and apply the buffered updates."""
        if snapshot.id != self.pending or self.live:
            return  # the answer to a request made before the last resync: too old to use
        self.pending = None
        self.book.load(snapshot.last, snapshot.bids, snapshot.asks)
        buffered, self.buffer = self.buffer, []
        fresh = [u for u in buffered if u.last > snapshot.last]
        details = {
            "symbol": self.symbol,
            "last": snapshot.last,
            "dropped": len(buffered) - len(fresh),
            "applied": len(fresh),
        }
        self._emit(Kind.BOOK_SNAPSHOT, details)
        for index, update in enumerate(fresh):
            try:
                self.book.apply(
                    update.first, update.last, update.bids, update.asks, straddling=index == 0
                )
            except BookGap as gap:
                self._gap(gap)
                return
            if not self._matches(update):
                return
        reason, self.reason = self.reason, None
        self.rebuilds += 1
        details = {
            "symbol": self.symbol,
            "last": self.book.last,
            "reason": reason.value if reason else None,
        }
        self._emit(Kind.BOOK_REBUILT, details)

    # -- checks ----------------------------------------------------------------------------
    def _gap(self, gap: BookGap) -> None:
        details = {
            "symbol": self.symbol,
            "expected": gap.expected,
            "first": gap.first,
            "last": gap.last,
        }
        self._emit(Kind.BOOK_GAP, details)
        self.resync(Reason.GAP, expected=gap.expected, first=gap.first)

    def _verify(self, update: BookUpdate) -> None:
        self._matches(update)

    def _matches(self, update: BookUpdate) -> bool:
        mine = self.book.checksum()
        if mine == update.checksum:
            return True
        details = {
            "symbol": self.symbol,
            "last": update.last,
            "expected": update.checksum,
            "got": mine,
        }
        self._emit(Kind.BOOK_CHECKSUM, details)
        self.resync(Reason.CHECKSUM, last=update.last)
        return False
