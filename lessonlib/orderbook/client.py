"""Keeping local order books over a real connection: the driver of `BookSync`.

`BookClient` connects, subscribes to the book channel, requests a snapshot per symbol once
the subscription is confirmed, and feeds every frame to the symbol's `BookSync`. Each
(re)connection throws the books away and rebuilds them: a lost connection may have lost
updates (``reconnect``), and a new `stream` numbers its updates afresh (``stream``). Every step
is an event on the stream; malformed frames are counted and reported, never raised.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from ..backoff import Backoff, BackoffPolicy
from ..events import Emitter, EventSink, Kind
from ..feed.transport import Connection, Connector, shut
from ..protocol.messages import (
    BookSnapshot,
    BookSubscribed,
    BookUpdate,
    Error,
    MalformedFrame,
    Shutdown,
    Welcome,
    parse_server_frame,
)
from ..protocol.requests import BOOK, BookSnapshotRequest, Subscribe, encode_request
from ..tasks import cancelled
from .sync import BookSync, Reason

SILENT_INTERVALS = 3  # heartbeat intervals without a frame before a connection counts as dead
RECONNECT = BackoffPolicy(initial_delay=0.05, max_delay=2.0, max_retries=None, jitter="full")


class BookClient:
    """Local books of ``symbols``, kept equal to the exchange's through every fault."""

    def __init__(
        self,
        connect: Connector,
        symbols: Sequence[str],
        *,
        name: str = "book",
        events: EventSink | None = None,
        depth: int = 1000,
        backoff: BackoffPolicy = RECONNECT,
    ) -> None:
        if not symbols or not all(isinstance(s, str) and s for s in symbols):
            raise ValueError(f"symbols must be a non-empty list of names, got {symbols!r}")
        self.connect = connect
        self.name = name
        self.depth = depth
        self._events = events
        self._emit = Emitter(name, events, lambda: 0.0)
        self._backoff = Backoff(backoff)
        self.books = {symbol: BookSync(symbol, self._sync_event) for symbol in symbols}
        self.malformed = 0
        self.connections = 0
        self.stream: str | None = None
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _sync_event(self, kind: Kind, details: dict) -> None:
        self._emit(kind, **details)
        self._changed.set()

    # -- reading ---------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Whether every book is built and following the exchange."""
        return all(sync.live for sync in self.books.values())

    async def wait_live(self) -> None:
        """Wait until every book is live (a lesson's or a test's cue; never a sleep)."""
        while not self.live:
            self._changed.clear()
            await self._changed.wait()

    # -- running ---------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """`run` in the background; the task is kept here (and returned) until `close`."""
        if self._task is not None and not self._task.done():
            raise RuntimeError(f"the book client {self.name!r} is already running")
        self._task = asyncio.create_task(self.run(), name=f"books {self.name}")
        return self._task

    async def close(self) -> None:
        """Stop the background run and wait until its connection is shut."""
        task, self._task = self._task, None
        await cancelled(task)

    async def run(self) -> None:
        """Connect, build the books and keep them, reconnecting, until cancelled."""
        loop = asyncio.get_running_loop()
        self._emit = Emitter(self.name, self._events, loop.time)
        while True:
            self._emit(Kind.ATTEMPT)
            try:
                connection = await self.connect()
            except Exception as error:
                self._emit(Kind.FAILURE, error=type(error).__name__)
                await asyncio.sleep(self._backoff.next_delay() or 0.0)
                continue
            self.connections += 1
            self._backoff.connected(loop.time())
            wait = 0.0
            try:
                wait = await self._serve(connection)
            except Exception as error:  # the connection broke: rebuild on the next one
                self._emit(Kind.LOST, reason=type(error).__name__)
            finally:
                await shut(connection)
            self._backoff.lost(loop.time())
            await asyncio.sleep(self._backoff.next_delay(at_least=wait) or wait)

    async def _serve(self, connection: Connection) -> float:
        """One connection's life; returns how long the exchange asked to wait, if it did."""
        welcome = parse_server_frame(await connection.recv())
        if not isinstance(welcome, Welcome):
            raise MalformedFrame(f"the first frame is not a welcome but {welcome!r:.60}")
        self._emit(Kind.CONNECTED, stream=welcome.stream)
        if self.connections > 1:
            reason = Reason.RECONNECT if welcome.stream == self.stream else Reason.STREAM
            if reason is Reason.STREAM:
                self._emit(Kind.STREAM, stream=welcome.stream, previous=self.stream)
        else:
            reason = Reason.SUBSCRIBED
        self.stream = welcome.stream
        for sync in self.books.values():
            sync.resync(reason)
        request = Subscribe(next(self._ids), tuple(self.books), channel=BOOK)
        await connection.send(encode_request(request))
        silence = welcome.heartbeat_interval * SILENT_INTERVALS
        while True:
            async with asyncio.timeout(silence):
                frame = await connection.recv()
            try:
                message = parse_server_frame(frame)
            except MalformedFrame as error:
                self.malformed += 1
                self._emit(Kind.MALFORMED, error=str(error)[:120])
                continue
            symbol = getattr(message, "symbol", None)
            sync = self.books.get(symbol) if isinstance(symbol, str) else None
            match message:
                case BookUpdate() if sync is not None:
                    sync.on_update(message)
                case BookSnapshot() if sync is not None:
                    sync.on_snapshot(message)
                case BookSubscribed() if sync is not None:
                    pass  # buffering has begun: the snapshot may be requested now
                case Error() if sync is not None and message.id == sync.pending:
                    sync.pending, sync.snapshot_wanted = None, True  # asked again next frame
                case Shutdown():
                    return message.reconnect_after
                case _:
                    continue
            if sync is not None and sync.snapshot_wanted:
                request_id = next(self._ids)
                snapshot = BookSnapshotRequest(request_id, sync.symbol, self.depth)
                await connection.send(encode_request(snapshot))
                sync.requested(request_id)
