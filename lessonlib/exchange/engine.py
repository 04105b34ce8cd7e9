"""The practice exchange's behaviour, shared by the real server and the in-memory twin.

`ExchangeCore` owns the market, the open sessions and the faults: it ticks prices at the
configured rate on the event loop's clock, sends each ticker to the sessions subscribed to
its symbol, and injects faults on command or on a schedule. Subclasses only carry frames.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from .. import validate
from ..events import Emitter, EventSink, Kind
from ..protocol.messages import BookSnapshot, BookUpdate, Shutdown, Welcome, encode
from . import faults as checks
from .depth import SymbolBook
from .faults import Fault, FaultState, command_words
from .market import MIN_BUFFER, Market
from .session import Session

BOOK_RATE = 20.0  # book updates a second per symbol, at most


@dataclass(frozen=True)
class Schedule:
    """A fault set to run later: once (``every`` None) or repeatedly; ``due`` is loop time."""

    every: float | None
    due: float
    command: str


@dataclass(frozen=True, slots=True)
class ExchangeStats:
    """Counters an instructor's `status` command or a test can read."""

    connections_open: int
    handshakes_accepted: int
    handshakes_refused: int
    frames_sent: int
    bad_requests: int
    faults_injected: dict[str, int]
    seq: dict[str, int]
    stream: str | None


class ExchangeCore:
    """Ticks, sessions and faults; see the module's description.

    ``tick_rate`` is tickers per second per symbol; exchanges with the same ``seed`` share a
    price path, and ``venue_seed`` lets each quote it a little differently. Every start opens
    a new stream: a fresh ``stream`` name and sequence numbers counted again from the start,
    as a restarted server's are (prices carry on where they were). ``wall_clock``
    is read once, at start, to stamp frames with seconds since the epoch; after that every
    time comes from the loop's clock, so that in virtual time the exchange is deterministic.
    """

    def __init__(
        self,
        *,
        name: str = "practice",
        symbols: Sequence[str] | None = None,
        tick_rate: float = 10.0,
        seed: int = 0,
        venue_seed: int | None = None,
        heartbeat_interval: float = 1.0,
        buffer_size: int = MIN_BUFFER,
        max_subscriptions: int = 10,
        wall_clock: Callable[[], float] = time.time,
        events: EventSink | None = None,
    ) -> None:
        validate.positive("tick_rate", tick_rate)
        validate.positive("heartbeat_interval", heartbeat_interval)
        validate.integer("max_subscriptions", max_subscriptions, minimum=1)
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name
        self.market = Market(symbols, seed=seed, buffer_size=buffer_size, venue_seed=venue_seed)
        self.tick_rate = float(tick_rate)
        self.heartbeat_interval = float(heartbeat_interval)
        self.max_subscriptions = max_subscriptions
        self.faults = FaultState(rng=random.Random(seed + 1))
        self._wall_clock = wall_clock
        self._events = events
        self._emit: Emitter | None = None
        self.stream: str | None = None
        self._epoch_offset = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sessions: set[Session] = set()
        self._sessions_changed = asyncio.Event()
        self._listeners: dict[str, set[Session]] = {s: set() for s in self.market.symbols}
        self._book_listeners: dict[str, set[Session]] = {s: set() for s in self.market.symbols}
        self.books = {
            symbol: SymbolBook(self.market.mid(symbol), random.Random(f"{seed} book {symbol}"))
            for symbol in self.market.symbols
        }
        # Books change in batches, at most BOOK_RATE a second, as venues send depth updates
        # every 100 ms or so: the book moves on every ``_book_every``-th tick. A book no one
        # listens to stands still and catches up with the mid when someone subscribes, so
        # that ticker-only runs (most lessons, every homework check) pay nothing for books.
        self._book_every = max(1, round(self.tick_rate / BOOK_RATE))
        self._ticks = 0
        # A snapshot request is answered this long after it arrives, as a venue's REST
        # snapshot comes back after the stream's updates around it.
        self.snapshot_delay = 2.5 * self._book_every / self.tick_rate
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._schedules: dict[asyncio.Task[None], Schedule] = {}
        self._refuse_until = float("-inf")
        self.stats_accepted = 0
        self.stats_refused = 0
        self.stats_frames_sent = 0
        self.stats_bad_requests = 0
        self._fault_counts: dict[str, int] = {}

    # -- clocks ----------------------------------------------------------------------------
    def now(self) -> float:
        assert self._loop is not None, "the exchange is not running"
        return self._loop.time()

    def epoch(self, loop_time: float) -> float:
        """Seconds since the epoch for a loop time, for the protocol's ``ts``."""
        return round(self._epoch_offset + loop_time, 6)

    # -- life ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._loop is not None

    async def start(self) -> None:
        """Start serving (each transport knows how)."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Close every connection with 1001 and stop every task."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _start_core(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._epoch_offset = self._wall_clock() - self._loop.time()
        self._emit = Emitter(self.name, self._events, self._loop.time)
        self.stream = secrets.token_hex(4)
        self.market.new_stream()
        for book in self.books.values():
            book.new_stream()
        self._spawn(self._tick_forever(), "ticker")

    async def _stop_core(self) -> None:
        """Cancel every task and close every session with 1001 (going away)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(
            *(s.close_now(1001, "exchange stopping") for s in list(self._sessions)),
            return_exceptions=True,
        )
        self._loop = None

    def _spawn(self, coroutine: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine, name=f"{self.name} {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- sessions --------------------------------------------------------------------------
    def handshake(self) -> int | None:
        """The HTTP status to refuse a new connection with, or None to accept it."""
        status = 503 if self.now() < self._refuse_until else self.faults.handshake()
        if status is None:
            self.stats_accepted += 1
        else:
            self.stats_refused += 1
        return status

    def open_session(self, transport: Any) -> Session:
        session = Session(self, transport, next(self._numbers))
        self._sessions.add(session)
        self._sessions_changed.set()
        assert self.stream is not None, "the exchange is not running"
        welcome = Welcome(self.name, self.stream, self.market.symbols, self.heartbeat_interval)
        session.start(encode(welcome))
        return session

    def forget(self, session: Session) -> None:
        self._sessions.discard(session)
        self._sessions_changed.set()
        for listeners in (*self._listeners.values(), *self._book_listeners.values()):
            listeners.discard(session)

    def listen(self, session: Session, symbol: str, channel: str = "ticker") -> None:
        if channel == "book":
            self._catch_up_book(symbol)
            self._book_listeners[symbol].add(session)
        else:
            self._listeners[symbol].add(session)

    def _catch_up_book(self, symbol: str) -> None:
        """Bring a book that stood still (no listener) to the current mid; its changes go to
        no one, and the next id carries on from them."""
        if not self._book_listeners[symbol]:
            self.books[symbol].move(self.market.mid(symbol))

    def unlisten(self, session: Session, symbol: str, channel: str = "ticker") -> None:
        listeners = self._book_listeners if channel == "book" else self._listeners
        listeners[symbol].discard(session)

    def request_book_snapshot(
        self, session: Session, request_id: int, symbol: str, depth: int
    ) -> None:
        """Take the snapshot now and send it ``snapshot_delay`` later, after the updates
        that follow it: the client must buffer them and drop those the snapshot covers."""
        self._catch_up_book(symbol)
        book = self.books[symbol]
        bids, asks = book.top(depth)
        frame = encode(BookSnapshot(request_id, symbol, book.update_id, tuple(bids), tuple(asks)))

        async def answer_late() -> None:
            await asyncio.sleep(self.snapshot_delay)
            if session in self._sessions:
                session.push(frame)

        self._spawn(answer_late(), "book snapshot")

    def book_checksum(self, symbol: str) -> int:
        """The checksum of ``symbol``'s book as it stands (what a synced client's equals)."""
        return self.books[symbol].checksum()

    @property
    def sessions(self) -> list[Session]:
        return sorted(self._sessions, key=lambda s: s.number)

    # -- the market ------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        """Tick every symbol ``tick_rate`` times a second, catching up after a slow turn."""
        started, done = self.now(), 0
        period = 1.0 / self.tick_rate
        while True:
            # The epsilon keeps a clock a float's rounding short of a tick from missing it.
            due = int((self.now() - started) * self.tick_rate + 1e-6) + 1
            for _ in range(done, due):
                self._tick_all()
            done = due
            await asyncio.sleep(max(0.0, started + done * period - self.now()))

    def _tick_all(self) -> None:
        ts = self.epoch(self.now())
        self._ticks += 1
        books_move = self._ticks % self._book_every == 0
        for symbol in self.market.symbols:
            ticker = self.market.tick(symbol, ts)
            if not self.faults.skips(symbol):
                listeners = self._listeners[symbol]
                if listeners:
                    frame = encode(ticker)
                    for session in tuple(listeners):
                        session.push(frame)
            if books_move:
                book_listeners = self._book_listeners[symbol]
                if not book_listeners:
                    self.faults.skips_book(symbol)  # a skip counts book updates all the same
                    continue
                changes = self.books[symbol].move(self.market.mid(symbol))
                if self.faults.skips_book(symbol):
                    continue  # a skip loses book updates too: the ids jump
                if changes.first <= changes.last:
                    self._send_book_update(symbol, changes, ts, book_listeners)

    def _send_book_update(self, symbol: str, changes: Any, ts: float, to: set[Session]) -> None:
        checksum = self.books[symbol].checksum()
        update = BookUpdate(
            symbol,
            changes.first,
            changes.last,
            tuple(changes.bids),
            tuple(changes.asks),
            checksum,
            ts,
        )
        frame = encode(update)
        if self.faults.corrupt_book_next:  # garbage's share of the book: one update cut short
            self.faults.corrupt_book_next = False
            frame = frame[: len(frame) // 2]
        for session in tuple(to):
            session.push(frame)

    # -- faults ----------------------------------------------------------------------------
    def _record(self, fault: Fault, **details: Any) -> None:
        self._fault_counts[fault.value] = self._fault_counts.get(fault.value, 0) + 1
        if self._emit is not None:
            self._emit(Kind.FAULT, fault=fault.value, **details)

    def drop(self) -> int:
        """End every connection with no close frame (1006); returns how many."""
        sessions = list(self._sessions)
        for session in sessions:
            session.abort()
        self._record(Fault.DROP, connections=len(sessions))
        return len(sessions)

    def close(self, code: int = 1011, reason: str = "") -> int:
        """Close every connection cleanly with ``code`` (1001, 1011, 1012 or 1013)."""
        code = checks.close_code(code)
        sessions = list(self._sessions)
        for session in sessions:
            self._spawn(session.close_now(code, reason or f"fault {code}"), "close")
        self._record(Fault.CLOSE, code=code, connections=len(sessions))
        return len(sessions)

    def refuse(self, count: int = 1) -> None:
        """Answer the next ``count`` handshakes with HTTP 503."""
        self.faults.refuse_next += validate.integer("count", count)
        self._record(Fault.REFUSE, count=count)

    def rate_limit(self, count: int = 1, retry_after: float = 1.0) -> None:
        """Answer the next ``count`` handshakes with HTTP 429 and a Retry-After header."""
        self.faults.rate_limit_next += validate.integer("count", count)
        self.faults.retry_after = validate.seconds("retry_after", retry_after)
        self._record(Fault.RATE_LIMIT, count=count, retry_after=retry_after)

    def stall(self, seconds: float) -> None:
        """Send nothing at all on any connection for ``seconds``; connections stay open."""
        seconds = validate.seconds("seconds", seconds)
        self.faults.stalled_until = max(self.faults.stalled_until, self.now() + seconds)
        self._record(Fault.STALL, seconds=seconds)

    def skip(self, count: int = 5) -> None:
        """Leave the next ``count`` tickers (and book updates) of every symbol out of the
        live streams.

        They stay in the market's buffer: a client that notices the gap can resume.
        """
        count = validate.integer("count", count)
        for symbol in self.market.symbols:
            self.faults.skip_next[symbol] = self.faults.skip_next.get(symbol, 0) + count
            self.faults.skip_book_next[symbol] = self.faults.skip_book_next.get(symbol, 0) + count
        self._record(Fault.SKIP, count=count)

    def garbage(self, kind: str | None = None) -> None:
        """Send every connection one malformed frame (a named kind, or one at random), and
        cut short the next book update that goes out."""
        frame = self.faults.garbage_frame(checks.garbage_kind(kind))
        for session in list(self._sessions):
            session.push(frame)
        self.faults.corrupt_book_next = any(self._book_listeners.values())
        self._record(Fault.GARBAGE, frame=frame)

    def latency(self, seconds: float) -> None:
        """Delay every frame by ``seconds`` from now on (0 removes the delay)."""
        self.faults.latency = validate.seconds("seconds", seconds)
        self._record(Fault.LATENCY, seconds=self.faults.latency)

    def shutdown(self, reconnect_after: float = 2.0, reason: str = "maintenance") -> int:
        """Announce a restart, close every connection with 1012, and refuse handshakes
        (HTTP 503) for ``reconnect_after`` seconds, as a restarting server would."""
        reconnect_after = validate.seconds("reconnect_after", reconnect_after)
        notice = encode(Shutdown(reason, reconnect_after))
        sessions = list(self._sessions)
        for session in sessions:
            session.push(notice)
            session.close_after_pending(1012, reason)
        self._refuse_until = self.now() + reconnect_after
        self._record(Fault.SHUTDOWN, reconnect_after=reconnect_after, connections=len(sessions))
        return len(sessions)

    def flaky_handshakes(self, probability: float) -> None:
        """Fail each handshake (HTTP 503) with ``probability``; 0 turns it off."""
        self.faults.flaky = validate.probability("probability", probability)
        self._record(Fault.FLAKY, probability=self.faults.flaky)

    def heal(self) -> None:
        """Clear every lasting fault and cancel every schedule."""
        self.faults.heal()
        self._refuse_until = float("-inf")
        for task in [t for t in self._tasks if t.get_name().endswith(" schedule")]:
            task.cancel()

    # -- schedules -------------------------------------------------------------------------
    def every(self, interval: float, fault: str, *args: Any) -> asyncio.Task[None]:
        """Inject ``fault`` (a method name, e.g. "drop") every ``interval`` seconds."""
        action = self._fault_method(fault, args)
        interval = validate.positive("interval", interval)

        command = command_words(fault, args)

        async def repeat() -> None:
            task = asyncio.current_task()
            assert task is not None
            while True:
                await asyncio.sleep(interval)
                self._schedules[task] = Schedule(interval, self.now() + interval, command)
                action()

        return self._schedule(repeat(), Schedule(interval, self.now() + interval, command))

    def after(self, delay: float, fault: str, *args: Any) -> asyncio.Task[None]:
        """Inject ``fault`` once, ``delay`` seconds from now."""
        action = self._fault_method(fault, args)
        delay = validate.seconds("delay", delay)

        async def once() -> None:
            await asyncio.sleep(delay)
            action()

        schedule = Schedule(None, self.now() + delay, command_words(fault, args))
        return self._schedule(once(), schedule)

    def _schedule(self, coroutine: Any, schedule: Schedule) -> asyncio.Task[None]:
        task = self._spawn(coroutine, "schedule")
        self._schedules[task] = schedule
        task.add_done_callback(lambda done: self._schedules.pop(done, None))
        return task

    def schedules(self) -> list[Schedule]:
        """The fault schedules still to run, soonest first."""
        return sorted(self._schedules.values(), key=lambda schedule: schedule.due)

    def refusing_for(self) -> float:
        """Seconds a shutdown still refuses every handshake for (0 when it does not)."""
        return max(0.0, self._refuse_until - self.now())

    def actions(self) -> dict[str, Callable[..., Any]]:
        """Every fault by its command name (as typed in the exchange's terminal), and heal."""
        return {
            Fault.DROP: self.drop,
            Fault.CLOSE: self.close,
            Fault.REFUSE: self.refuse,
            Fault.RATE_LIMIT: self.rate_limit,
            Fault.STALL: self.stall,
            Fault.SKIP: self.skip,
            Fault.GARBAGE: self.garbage,
            Fault.LATENCY: self.latency,
            Fault.SHUTDOWN: self.shutdown,
            Fault.FLAKY: self.flaky_handshakes,
            "heal": self.heal,
        }

    def _fault_method(self, fault: str, args: tuple[Any, ...]) -> Callable[[], Any]:
        actions = self.actions()
        if fault not in actions:
            raise ValueError(f"fault must be one of {', '.join(actions)}, got {fault!r}")
        method = actions[fault]
        return lambda: method(*args)

    # -- reading ---------------------------------------------------------------------------
    @property
    def stats(self) -> ExchangeStats:
        return ExchangeStats(
            connections_open=len(self._sessions),
            handshakes_accepted=self.stats_accepted,
            handshakes_refused=self.stats_refused,
            frames_sent=self.stats_frames_sent,
            bad_requests=self.stats_bad_requests,
            faults_injected=dict(self._fault_counts),
            seq={s: self.market.seq(s) for s in self.market.symbols},
            stream=self.stream,
        )

    async def wait_for_connections(self, count: int) -> None:
        """Wait until exactly ``count`` connections are open (a test's or a lesson's cue)."""
        while len(self._sessions) != count:
            self._sessions_changed.clear()
            await self._sessions_changed.wait()
