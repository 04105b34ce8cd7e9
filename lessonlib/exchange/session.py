"""One client's connection to the practice exchange, whatever carries its frames.

A `Session` answers requests (PROTOCOL.md's subscribe, unsubscribe, ping), holds the
client's subscriptions, and writes outgoing frames through a bounded outbox: one writer task
per connection sends them in order, delayed by a latency fault, held back by a stall, and
replaced by a heartbeat when nothing else went out for a heartbeat interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from ..protocol.messages import (
    BookSubscribed,
    BookUnsubscribed,
    Error,
    Heartbeat,
    Pong,
    Subscribed,
    Unsubscribed,
    encode,
)
from ..protocol.requests import (
    BOOK,
    CHANNELS,
    BadRequest,
    BookSnapshotRequest,
    Ping,
    Subscribe,
    Unsubscribe,
    parse_request,
)
from .depth import SymbolBook
from .faults import FaultState
from .market import Market

OUTBOX_LIMIT = 20_000  # frames; a client this far behind is dropped as a slow consumer
RATE_LIMITED_AFTER = 20  # requests within one second beyond this get `rate_limited`
CLOSE_AFTER = 50  # requests within one second beyond this close the connection with 1008


class Transport(Protocol):
    """How a session's frames reach its client: a WebSocket, or an in-memory pipe."""

    async def send(self, text: str) -> None: ...
    async def close(self, code: int, reason: str) -> None: ...
    def abort(self) -> None: ...


class Host(Protocol):
    """What a session needs of the exchange it belongs to (an `ExchangeCore`)."""

    heartbeat_interval: float
    max_subscriptions: int
    faults: FaultState
    market: Market
    books: dict[str, SymbolBook]
    stream: str | None
    stats_frames_sent: int
    stats_bad_requests: int

    def now(self) -> float: ...
    def epoch(self, loop_time: float) -> float: ...
    def listen(self, session: Session, symbol: str, channel: str = ...) -> None: ...
    def unlisten(self, session: Session, symbol: str, channel: str = ...) -> None: ...
    def request_book_snapshot(
        self, session: Session, request_id: int, symbol: str, depth: int
    ) -> None: ...
    def forget(self, session: Session) -> None: ...


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


class Session:
    """The exchange's side of one connection."""

    def __init__(self, core: Host, transport: Transport, number: int) -> None:
        self.core = core
        self.transport = transport
        self.number = number
        self.subscriptions: set[str] = set()
        self.book_subscriptions: set[str] = set()
        self.frames_sent = 0
        self.close_code: int | None = None  # the client's close code, once it closed
        self._outbox: deque[tuple[float, str | _Close]] = deque()
        self._wakeup = asyncio.Event()
        self._requests: deque[float] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    # -- life ------------------------------------------------------------------------------
    def start(self, welcome: str) -> None:
        self.push(welcome)
        self._writer = asyncio.create_task(self._write(), name=f"exchange session {self.number}")

    def ended(self) -> None:
        """The connection is gone: stop its writer, then forget the session. In that order,
        the writer has finished before anyone woken by the forgetting (a wait for no
        connections) looks."""
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()
        self.core.forget(self)
        self.closed.set()

    def abort(self) -> None:
        """Cut the connection with no close frame (the client sees 1006)."""
        self.transport.abort()
        self.ended()

    def close_after_pending(self, code: int, reason: str) -> None:
        """Close cleanly with ``code`` once the frames already queued are out."""
        self._enqueue(_Close(code, reason))

    async def close_now(self, code: int, reason: str) -> None:
        """Close cleanly with ``code`` at once, dropping what is still queued."""
        self._outbox.clear()
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()
        with contextlib.suppress(Exception):
            await self.transport.close(code, reason)
        self.ended()

    # -- outgoing --------------------------------------------------------------------------
    def push(self, frame: str) -> None:
        """Queue one frame for the client; a client too far behind is dropped."""
        if len(self._outbox) >= OUTBOX_LIMIT:
            self._outbox.clear()
            self.close_after_pending(1013, "slow consumer")
            return
        self._enqueue(frame)

    def _enqueue(self, item: str | _Close) -> None:
        self._outbox.append((self.core.now(), item))
        self._wakeup.set()

    async def _write(self) -> None:
        interval = self.core.heartbeat_interval
        faults = self.core.faults
        try:
            while True:
                if not self._outbox:
                    self._wakeup.clear()
                    try:
                        async with asyncio.timeout(interval):
                            await self._wakeup.wait()
                    except TimeoutError:
                        self._enqueue(encode(Heartbeat(self.core.epoch(self.core.now()))))
                queued_at, item = self._outbox[0]
                while (stall := faults.stalled(self.core.now())) > 0:
                    await asyncio.sleep(stall)
                due = queued_at + faults.latency - self.core.now()
                if due > 0:
                    await asyncio.sleep(due)
                self._outbox.popleft()
                if isinstance(item, _Close):
                    await self.transport.close(item.code, item.reason)
                    break
                await self.transport.send(item)
                self.frames_sent += 1
                self.core.stats_frames_sent += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection broke under us: the reader notices and ends it
            pass
        finally:
            self.ended()

    # -- incoming --------------------------------------------------------------------------
    def receive_binary(self) -> None:
        self.close_after_pending(1003, "binary frames are not accepted")

    def receive(self, text: str) -> None:
        """Answer one request frame; never raises, whatever the frame holds."""
        now = self.core.now()
        self._requests.append(now)
        while self._requests and self._requests[0] <= now - 1.0:
            self._requests.popleft()
        if len(self._requests) > CLOSE_AFTER:
            self.core.stats_bad_requests += 1
            self.close_after_pending(1008, "too many requests")
            return
        try:
            request = parse_request(text)
        except BadRequest as error:
            self.core.stats_bad_requests += 1
            self.push(encode(Error(error.request_id, "bad_request", str(error))))
            return
        if len(self._requests) > RATE_LIMITED_AFTER:
            message = f"more than {RATE_LIMITED_AFTER} requests in one second"
            self.push(encode(Error(request.id, "rate_limited", message)))
            return
        match request:
            case Ping():
                self.push(encode(Pong(request.id)))
            case Subscribe():
                self._subscribe(request)
            case Unsubscribe():
                self._unsubscribe(request)
            case BookSnapshotRequest():
                if request.symbol not in self.core.market.symbols:
                    error = Error(request.id, "unknown_symbol", "no such symbol", request.symbol)
                    self.push(encode(error))
                else:
                    self.core.request_book_snapshot(self, request.id, request.symbol, request.depth)

    def _known_channel(self, request: Subscribe | Unsubscribe) -> bool:
        if request.channel in CHANNELS:
            return True
        message = f"channel must be one of {', '.join(CHANNELS)}, got {request.channel!r:.40}"
        self.push(encode(Error(request.id, "unknown_channel", message)))
        return False

    def _subscribe(self, request: Subscribe) -> None:
        if not self._known_channel(request):
            return
        market = self.core.market
        for symbol in request.symbols:
            if symbol not in market.symbols:
                error = Error(request.id, "unknown_symbol", "no such symbol", symbol)
                self.push(encode(error))
                continue
            mine = self.book_subscriptions if request.channel == BOOK else self.subscriptions
            fresh = symbol not in mine
            taken = len(self.subscriptions) + len(self.book_subscriptions)
            if fresh and taken >= self.core.max_subscriptions:
                message = f"at most {self.core.max_subscriptions} subscriptions per connection"
                self.push(encode(Error(request.id, "too_many_subscriptions", message, symbol)))
                continue
            if request.channel == BOOK:
                self.book_subscriptions.add(symbol)
                self.core.listen(self, symbol, BOOK)
                update_id = self.core.books[symbol].update_id
                self.push(encode(BookSubscribed(request.id, BOOK, symbol, update_id)))
                continue  # no snapshot follows: the client asks for one (`book_snapshot`)
            self.subscriptions.add(symbol)
            self.core.listen(self, symbol)
            self.push(encode(Subscribed(request.id, symbol, market.seq(symbol))))
            replay = None
            if symbol in request.resume and request.stream == self.core.stream:
                replay = market.replay(symbol, request.resume[symbol])
            if replay is None:
                self.push(encode(market.snapshot(symbol, self.core.epoch(self.core.now()))))
            else:
                for ticker in replay:
                    self.push(encode(ticker))

    def _unsubscribe(self, request: Unsubscribe) -> None:
        if not self._known_channel(request):
            return
        for symbol in request.symbols:
            if symbol not in self.core.market.symbols:
                error = Error(request.id, "unknown_symbol", "no such symbol", symbol)
                self.push(encode(error))
                continue
            if request.channel == BOOK:
                self.book_subscriptions.discard(symbol)
                self.core.unlisten(self, symbol, BOOK)
                self.push(encode(BookUnsubscribed(request.id, BOOK, symbol)))
                continue
            self.subscriptions.discard(symbol)
            self.core.unlisten(self, symbol)
            self.push(encode(Unsubscribed(request.id, symbol)))
