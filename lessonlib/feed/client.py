"""The price-feed client: a view of prices that stays whole through every break.

    client = PriceFeedClient("ws://127.0.0.1:8765", policy=BackoffPolicy(max_retries=None))
    await client.subscribe("BTC/USDT")
    async with client:                          # connects, and reconnects in the background
        async for update in client.updates():   # PriceUpdate(symbol, bid, ask, seq, ts)
            ...

Reconnection is `keep_connected` (backoff that resets only after a healthy spell); each new
connection restores every subscription, resuming from the last ``seq`` delivered, so nothing
the exchange still remembers is lost and nothing is delivered twice. The bookkeeping is the
pure `SubscriptionBook`; this module only moves frames.

Between the socket and the consumer sits a bounded channel (``buffer_size`` updates). When it
is full the client stops reading the socket until the consumer catches up: backpressure,
not loss. A consumer so slow that the exchange gives up on it costs a reconnect, and the
resume then replays what was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed

from .. import validate
from ..backoff import Backoff, BackoffPolicy
from ..breaker import CircuitBreaker
from ..events import Emitter, EventSink, Kind
from ..protocol import messages as protocol
from ..protocol.requests import Subscribe, Unsubscribe, encode_request
from ..retry import is_transient, keep_connected
from .book import SubscriptionBook, Verdict
from .channel import Channel
from .errors import (
    ConnectionSilent,
    FeedStopped,
    ProtocolViolation,
    ServerShutdown,
    SubscriptionRejected,
    rate_limited,
    retry_after,
)
from .state import (
    Closed,
    Connected,
    Connecting,
    ConnectionState,
    Disconnected,
    PriceUpdate,
    Reconnecting,
)
from .transport import Connection, Connector, shut, websocket_connector


@dataclass(frozen=True, slots=True)
class FeedStats:
    """Counters a lesson or a test can read (the event stream has the details)."""

    updates: int
    gaps: int
    duplicates: int
    malformed: int
    resyncs: int
    connections: int
    rejected: int
    new_streams: int  # reconnects that found a restarted exchange (seqs counted anew)


class PriceFeedClient:
    """Subscribes to prices on one exchange and keeps them flowing across reconnects.

    ``exchange`` is a ``ws://`` URL or a connector: an async function returning a
    `Connection` (such as `InMemoryExchange.connect`). ``silence_intervals`` heartbeat
    intervals without any frame mark the connection dead. A ``breaker`` is asked before every
    connection attempt: while it is open, no attempt is made.
    """

    def __init__(
        self,
        exchange: str | Connector,
        *,
        policy: BackoffPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        rng: random.Random | None = None,
        events: EventSink | None = None,
        name: str | None = None,
        buffer_size: int = 1000,
        silence_intervals: float = 3.0,
        open_timeout: float = 5.0,
        rate_limit_penalty: int = 3,
    ) -> None:
        validate.integer("buffer_size", buffer_size, minimum=1)
        validate.number("silence_intervals", silence_intervals, minimum=1)
        validate.positive("open_timeout", open_timeout)
        if isinstance(exchange, str):
            if not exchange.startswith(("ws://", "wss://")):
                raise ValueError(f"exchange must be a ws:// or wss:// URL, got {exchange!r}")
            self._connector: Connector = websocket_connector(exchange)
            self.name = name or exchange
        elif callable(exchange):
            self._connector = exchange
            self.name = name or getattr(exchange, "__qualname__", "exchange")
        else:
            raise ValueError(f"exchange must be a URL or a connect function, got {exchange!r}")
        self.policy = policy or BackoffPolicy(max_retries=None)
        self.breaker = breaker
        self._rng = rng
        self._events = events
        self._silence_intervals = silence_intervals
        self._open_timeout = open_timeout
        self._rate_limit_penalty = rate_limit_penalty
        self._queue: Channel[PriceUpdate] = Channel(buffer_size)
        self.book = SubscriptionBook()
        self.state: ConnectionState = Disconnected()
        self.latest: dict[str, PriceUpdate] = {}
        self.rejected: dict[str, SubscriptionRejected] = {}
        self.error: BaseException | None = None
        self._answers: dict[str, asyncio.Future[None]] = {}
        self._ids = itertools.count(1)
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._emit: Emitter | None = None
        self._attempts = 0
        self._connections = 0
        self._updates = 0
        self._malformed = 0
        self._resyncs = 0
        self._heartbeat_interval = 1.0
        self._stream = ""  # the stream named by the latest welcome
        # what the latest attempt asked for with its handshake: (symbols, resume points)
        self._restoring: tuple[list[str], dict[str, int]] | None = None
        self._listening_since: float | None = None
        self._silent = False
        self._state_changed = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect in the background (and keep reconnecting) until `close`."""
        if self._task is not None:
            raise RuntimeError("the client is already started")
        self.error = None
        self._queue.reopen()
        loop = asyncio.get_running_loop()
        self._emit = Emitter(self.name, self._events, loop.time)
        self._task = asyncio.create_task(self._run(), name=f"feed {self.name}")

    async def close(self) -> None:
        """Stop every task the client started and close the socket with 1000."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_connection()
        self._stop()

    def _stop(self) -> None:
        """Closed for good: wake whoever waits (updates, connected, subscribe) with the reason."""
        self._task = None
        if not isinstance(self.state, Closed):
            self._set_state(Closed())
        self._queue.close()  # a consumer waiting in updates() gets what is left, then ends
        for future in self._answers.values():
            if not future.done():
                future.set_exception(FeedStopped(self.name, self.error))
        self._answers.clear()

    async def __aenter__(self) -> PriceFeedClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- subscriptions --------------------------------------------------------------------
    async def subscribe(self, *symbols: str) -> None:
        """Want these symbols, from now on and after every reconnect.

        Before `start` this only records them. While running it waits for the exchange's
        answer (across reconnects if need be) and raises `SubscriptionRejected` for a symbol
        the exchange refused; that symbol is dropped, the others are unharmed.
        """
        for symbol in symbols:
            if not isinstance(symbol, str) or not symbol:
                raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
        fresh = [s for s in symbols if self.book.want(s)]
        self.rejected = {s: r for s, r in self.rejected.items() if s not in fresh}
        loop = asyncio.get_running_loop()
        for symbol in fresh:
            future = self._answers[symbol] = loop.create_future()
            future.add_done_callback(_consume_exception)
        if self._task is None:
            return
        await self._send_pending()
        waiting = [self._answers[s] for s in symbols if s in self._answers]
        if waiting:
            await asyncio.gather(*waiting)

    async def unsubscribe(self, *symbols: str) -> None:
        """Stop wanting these symbols; their prices stop at once, also after reconnects."""
        dropped = [s for s in symbols if self.book.drop(s)]
        for symbol in dropped:
            if (future := self._answers.pop(symbol, None)) is not None:
                future.cancel()
            self.latest.pop(symbol, None)
        if dropped and self._connection is not None and isinstance(self.state, Connected):
            frame = encode_request(Unsubscribe(next(self._ids), tuple(dropped)))
            with contextlib.suppress(ConnectionClosed):
                await self._connection.send(frame)

    @property
    def subscriptions(self) -> list[str]:
        return self.book.symbols

    # -- consuming ------------------------------------------------------------------------
    async def updates(self) -> AsyncIterator[PriceUpdate]:
        """Every price as it arrives, in ``seq`` order per symbol; ends when the client is
        closed or gives up (then ``error`` says why), once every queued price is handed out."""
        queue = self._queue
        while True:
            if not queue.empty():
                update = queue.get_nowait()
            elif (waited := await queue.get()) is not None:
                update = waited
            else:
                return
            yield update

    @property
    def stats(self) -> FeedStats:
        return FeedStats(
            updates=self._updates,
            gaps=self.book.gaps,
            duplicates=self.book.duplicates,
            malformed=self._malformed,
            resyncs=self._resyncs,
            connections=self._connections,
            rejected=len(self.rejected),
            new_streams=self.book.new_streams,
        )

    async def wait_for(self, predicate: Callable[[ConnectionState], bool]) -> ConnectionState:
        """Wait until the connection state satisfies ``predicate`` (e.g. is Connected).

        Raises `FeedStopped` (with the last error, if it gave up) once the client is closed
        and the state can no longer change, instead of waiting forever."""
        while not predicate(self.state):
            if isinstance(self.state, Closed):
                raise FeedStopped(self.name, self.error) from self.error
            self._state_changed.clear()
            await self._state_changed.wait()
        return self.state

    async def connected(self, number: int | None = None) -> None:
        """Wait until a connection is up; with ``number``, until the ``number``-th one is
        (``await client.connected(client.stats.connections + 1)`` waits for a reconnect)."""
        await self.wait_for(
            lambda state: (
                isinstance(state, Connected) and (number is None or self._connections >= number)
            )
        )

    # -- the driver -----------------------------------------------------------------------
    async def _run(self) -> None:
        backoff = Backoff(self.policy, self._rng)

        def delay_floor(error: BaseException) -> float:
            if self.breaker is not None and self.breaker.remaining() > 0:
                return self.breaker.remaining()  # the next attempt waits for the half-open
            if isinstance(error, ServerShutdown):
                return error.reconnect_after
            if rate_limited(error):  # back off harder: as if several more attempts failed
                harder = backoff.policy.ceiling(backoff.failures + 1 + self._rate_limit_penalty)
                return max(harder, retry_after(error))
            return 0.0

        try:
            await keep_connected(
                self._attempt,
                self._session,
                backoff=backoff,
                retryable=is_transient,
                delay_floor=delay_floor,
                gate=self._breaker_gate if self.breaker is not None else None,
                events=self._events,
                source=self.name,
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # gave up (RetryError), or a fatal error
            self.error = error
            self._stop()

    def _breaker_gate(self) -> float:
        """No attempt at all while the breaker is open: how long to wait before asking again."""
        assert self.breaker is not None
        if self.breaker.allow():
            return 0.0
        return max(self.breaker.remaining(), self.policy.initial_delay)

    async def _attempt(self) -> Connection:
        """One connection attempt (the breaker has let it through): connect, read the welcome."""
        self._attempts += 1
        first = self._connections == 0 and self._attempts == 1
        self._set_state(Connecting() if first else Reconnecting(self._attempts))
        try:
            async with asyncio.timeout(self._open_timeout):
                connection = await self._connector()
            try:
                self._restoring = await self._request_with_handshake(connection)
                async with asyncio.timeout(self._open_timeout):
                    welcome = await connection.recv()
                message = protocol.parse_server_frame(welcome)
                if not isinstance(message, protocol.Welcome):
                    raise ProtocolViolation(f"expected welcome first, got {welcome!r:.80}")
            except BaseException:
                with contextlib.suppress(Exception):
                    await connection.close()
                raise
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as error:
            if self.breaker is not None and is_transient(error):
                self.breaker.record_failure()
            if isinstance(error, protocol.MalformedFrame):
                raise ProtocolViolation(str(error)) from error
            raise
        if self.breaker is not None:
            self.breaker.record_success()
        self._heartbeat_interval = message.heartbeat_interval
        self._stream = message.stream
        return connection

    async def _session(self, connection: Connection) -> None:
        """Restore subscriptions and pump frames until the connection ends."""
        self._connection = connection
        self._connections += 1
        self._attempts = 0
        self._silent = False
        previous = self.book.stream
        if self.book.connection_opened(self._stream):
            self._emit_event(
                Kind.STREAM,
                stream=self._stream,
                previous=previous,
                symbols=self.book.symbols,
                missed="unknown",  # whatever the old server sent while it was away is lost
            )
        self._set_state(Connected())
        silence = self._heartbeat_interval * self._silence_intervals
        loop = asyncio.get_running_loop()
        watchdog = asyncio.create_task(self._watch(connection, silence), name="feed watchdog")
        try:
            restored, self._restoring = self._restoring, None
            if self._connections > 1 and restored:
                symbols, resume = restored
                # resume points name their stream: after a restart the exchange ignores them
                self._emit_event(Kind.RESUBSCRIBED, symbols=symbols, resume=resume, stream=previous)
            await self._send_pending()  # symbols subscribed while the welcome was on its way
            while True:
                self._listening_since = loop.time()
                try:
                    frame = await connection.recv()
                except ConnectionClosed:
                    if self._silent:
                        raise ConnectionSilent(f"no frame for {silence:g} s") from None
                    raise
                self._listening_since = None
                if (rest := self._handle(frame)) is not None:
                    await rest
        finally:
            watchdog.cancel()
            self._listening_since = None
            self._connection = None
            self.book.connection_lost()
            if self._task is not None:  # lost, not closed: say so now, not at the next try
                self._set_state(Reconnecting(1))
            await shut(connection)

    async def _watch(self, connection: Connection, silence: float) -> None:
        """Cut the connection once it has been silent for ``silence`` seconds while the client
        was waiting for a frame. Time spent waiting for the consumer does not count: that is
        backpressure, not silence. One timer per silence period, not one per frame."""
        loop = asyncio.get_running_loop()
        while True:
            since = self._listening_since
            idle = 0.0 if since is None else loop.time() - since
            if idle >= silence - 1e-6:  # a float hair's breadth short is silent enough
                self._silent = True
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
                else:
                    await connection.close(1000)
                return
            await asyncio.sleep(max(silence - idle, 1e-3))

    async def _request_with_handshake(
        self, connection: Connection
    ) -> tuple[list[str], dict[str, int]] | None:
        """Ask for every wanted symbol as soon as the socket is open, without waiting for the
        welcome: it saves a round trip on every reconnect. A resume names its stream, and the
        exchange answers one from another stream with a snapshot, so this is safe even when
        the welcome then says the exchange has restarted."""
        self.book.connection_lost()  # every symbol is requested afresh on a new connection
        symbols, resume = self.book.to_request()
        if not symbols:
            return None
        await connection.send(self._subscribe_frame(symbols, resume))
        return symbols, resume

    async def _send_pending(self) -> tuple[list[str], dict[str, int]] | None:
        """Request every wanted symbol not yet requested on this connection."""
        if self._connection is None or not isinstance(self.state, Connected):
            return None
        symbols, resume = self.book.to_request()
        if not symbols:
            return None
        await self._connection.send(self._subscribe_frame(symbols, resume))
        return symbols, resume

    def _subscribe_frame(self, symbols: list[str], resume: dict[str, int]) -> str:
        """A subscribe request; resume points travel with the stream they belong to."""
        stream = self.book.stream if resume else None
        return encode_request(Subscribe(next(self._ids), tuple(symbols), resume, stream))

    def _handle(self, frame: str | bytes) -> Awaitable[None] | None:
        """Act on one frame. What cannot be done at once (a send, a wait for the consumer)
        is returned to be awaited: most frames need no coroutine at all."""
        try:
            message = protocol.parse_server_frame(frame)
        except protocol.MalformedFrame as error:
            self._malformed += 1
            self._emit_event(Kind.MALFORMED, error=str(error), frame=repr(frame)[:120])
            return None
        match message:
            case protocol.Ticker():
                verdict = self.book.ticker(message.symbol, message.seq)
                if verdict is Verdict.DELIVER:
                    return self._deliver(message, snapshot=False)
                if verdict is Verdict.RESYNC:
                    return self._resync(message.symbol, message.seq)
            case protocol.Snapshot():
                verdict, missed = self.book.snapshot(message.symbol, message.seq)
                if missed:
                    self._emit_event(
                        Kind.GAP, symbol=message.symbol, missed=missed, until=message.seq
                    )
                if verdict is Verdict.DELIVER:
                    return self._deliver(message, snapshot=True)
            case protocol.Subscribed():
                if self.book.subscribed(message.symbol, message.seq):
                    self._answer(message.symbol, None)
            case protocol.Error(symbol=str() as symbol) if message.code in _REJECTIONS:
                rejection = SubscriptionRejected(symbol, message.code, message.message)
                if self.book.drop(symbol):
                    self.rejected[symbol] = rejection
                    self._emit_event(
                        Kind.REJECTED, symbol=symbol, code=message.code, message=message.message
                    )
                self._answer(symbol, rejection)
            case protocol.Error():  # a request refused as a whole (bad_request, rate_limited)
                self._emit_event(
                    Kind.REJECTED, symbol=message.symbol, code=message.code, message=message.message
                )
            case protocol.Shutdown():
                raise ServerShutdown(message.reason, message.reconnect_after)
            case _:
                pass  # heartbeat, pong, unsubscribed: their arrival alone keeps us alive
        return None

    def _deliver(
        self, message: protocol.Ticker | protocol.Snapshot, *, snapshot: bool
    ) -> Awaitable[None] | None:
        """Hand an update to the consumer; a full queue is returned to wait on."""
        replayed = not snapshot and self.book.is_replay(message.symbol, message.seq)
        update = PriceUpdate(
            message.symbol, message.bid, message.ask, message.seq, message.ts, snapshot, replayed
        )
        self.latest[update.symbol] = update
        self._updates += 1
        if self._events is not None:
            self._emit_event(
                Kind.UPDATE,
                symbol=update.symbol,
                seq=update.seq,
                bid=update.bid,
                ask=update.ask,
                ts=update.ts,
                snapshot=snapshot,
                replayed=replayed,
            )
        if self._queue.full():
            return self._queue.put(update)  # backpressure: waits while the consumer is behind
        self._queue.put_nowait(update)
        return None

    async def _resync(self, symbol: str, seen: int) -> None:
        """A live seq jumped: ask for a replay from the last seq delivered."""
        resume = self.book.resync_request(symbol)
        self._resyncs += 1
        self._emit_event(
            Kind.RESUBSCRIBED,
            symbols=[symbol],
            resume=resume,
            stream=self.book.stream,
            reason=f"seq jumped to {seen}",
        )
        assert self._connection is not None
        await self._connection.send(self._subscribe_frame([symbol], resume))

    def _answer(self, symbol: str, rejection: SubscriptionRejected | None) -> None:
        future = self._answers.pop(symbol, None)
        if future is None or future.done():
            return
        if rejection is None:
            future.set_result(None)
        else:
            future.set_exception(rejection)

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await shut(connection)

    def _set_state(self, new: ConnectionState) -> None:
        old, self.state = self.state, new
        if old != new:
            self._emit_event(Kind.STATE, **new.details(), previous=old.key)
            self._state_changed.set()

    def _emit_event(self, kind: Kind, **details: Any) -> None:
        if self._emit is not None:
            self._emit(kind, **details)

    def __repr__(self) -> str:
        return f"PriceFeedClient({self.name!r}, {self.state}, {self.book.symbols})"


_REJECTIONS = frozenset({"unknown_symbol", "too_many_subscriptions"})


def _consume_exception(future: asyncio.Future[None]) -> None:
    """A rejection nobody awaited is reported by event; keep asyncio from warning about it."""
    if not future.cancelled():
        future.exception()
