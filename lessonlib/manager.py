"""Several exchanges at once: one feed client each, a trading gate each, one consolidated quote.

Every client runs on its own (its own backoff, its own circuit breaker), so an exchange that
refuses every connection costs the others nothing. The manager reads what happens only from
the event stream its clients and breakers report to, like every other observer: connection
states, breaker transitions, updates. From that it keeps, per exchange, a trading gate (open
only while the breaker is closed, the connection is up and prices are fresh) and offers the
best bid and ask across the exchanges that can be trusted right now.

Fresh is judged by the exchange's own timestamp of each price (`consolidation.VenueClock`),
not by its arrival, and only prices delivered live on the current connection count: after a
reconnect a venue's gate stays closed until its resume has caught up (the replayed prices are
old, and the last price from before the drop is older still).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import validate
from .backoff import BackoffPolicy
from .breaker import BreakerState, CircuitBreaker
from .consolidation import ConsolidatedQuote, VenueQuotes, consolidate
from .events import Event, EventBus, EventSink, Kind
from .feed import Connector, PriceFeedClient
from .i18n import Text, tr
from .tables import Table


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    """One exchange at a glance."""

    name: str
    state: str
    attempts: int
    connections: int
    breaker: str
    since_update: float | None  # age of the newest price by its exchange timestamp, s
    gaps: int
    trading: bool
    reason: str


@dataclass(slots=True)
class _Watch:
    """What the event stream has said about one exchange."""

    state: str = "disconnected"
    attempt: int | None = None  # of the reconnection under way, when there is one
    breaker: str = BreakerState.CLOSED.value
    attempts: int = 0
    connections: int = 0
    gaps: int = 0  # updates missed for good
    quotes: VenueQuotes = field(default_factory=VenueQuotes)
    trading: bool = False
    reason: Text | str = "not connected yet"


class MultiExchangeManager:
    """Runs one `PriceFeedClient` per exchange; see the module's description.

    ``stale_after`` is how old an exchange's newest price may be, by the exchange's own
    timestamp, before trading there stops.
    ``events`` receives everything: the clients', the breakers' and the gates' events.
    """

    def __init__(
        self,
        *,
        stale_after: float = 3.0,
        check_every: float | None = None,
        events: EventSink | None = None,
    ) -> None:
        validate.positive("stale_after", stale_after)
        check_every = stale_after / 4 if check_every is None else check_every
        validate.positive("check_every", check_every)
        self.stale_after = stale_after
        self.check_every = check_every
        self.events = EventBus()
        if events is not None:
            self.events.subscribe(events)
        self.events.subscribe(self._observe)
        self.clients: dict[str, PriceFeedClient] = {}
        self.breakers: dict[str, CircuitBreaker] = {}
        self._symbols: dict[str, Sequence[str]] = {}
        self._watch: dict[str, _Watch] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._clock: Any = None

    def add(
        self,
        name: str,
        exchange: str | Connector,
        *,
        symbols: Sequence[str],
        policy: BackoffPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        **client_settings: Any,
    ) -> PriceFeedClient:
        """Add an exchange (before `start`): its URL or connector, what to subscribe to, and
        its own backoff policy and breaker (a default breaker when none is given)."""
        if self._tasks:
            raise RuntimeError("add exchanges before starting the manager")
        if not isinstance(name, str) or not name or name in self.clients:
            raise ValueError(f"name must be a new, non-empty string, got {name!r}")
        if not symbols:
            raise ValueError(f"symbols must name at least one symbol, got {symbols!r}")
        breaker = breaker if breaker is not None else CircuitBreaker()
        breaker.report_to(self.events, name)
        client = PriceFeedClient(
            exchange,
            policy=policy,
            breaker=breaker,
            events=self.events,
            name=name,
            **client_settings,
        )
        self.clients[name] = client
        self.breakers[name] = breaker
        self._symbols[name] = list(symbols)
        self._watch[name] = _Watch()
        return client

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect to every exchange at once, each in the background."""
        if self._tasks:
            raise RuntimeError("the manager is already running")
        if not self.clients:
            raise ValueError("add at least one exchange before starting")
        loop = asyncio.get_running_loop()
        self._clock = loop.time
        for name, client in self.clients.items():
            await client.subscribe(*self._symbols[name])
            await client.start()
            self._tasks.append(asyncio.create_task(self._drain(client), name=f"manager {name}"))
        self._tasks.append(asyncio.create_task(self._check_freshness(), name="manager gates"))

    async def stop(self) -> None:
        """Stop every client and every task the manager started."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(client.close() for client in self.clients.values()))
        for name in self.clients:
            self._gate(name, False, tr("manager stopped"))

    async def __aenter__(self) -> MultiExchangeManager:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _drain(self, client: PriceFeedClient) -> None:
        """Consume a client's updates (its latest prices stay readable on the client)."""
        async for _ in client.updates():
            pass

    async def _check_freshness(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            for name in self.clients:
                self._evaluate(name)

    # -- what the stream says --------------------------------------------------------------
    def _observe(self, event: Event) -> None:
        watch = self._watch.get(event.source)
        if watch is None:
            return
        match event.kind:
            case Kind.UPDATE:
                price = watch.quotes.record(
                    event["symbol"],
                    event["bid"],
                    event["ask"],
                    ts=event.details.get("ts", event.time),  # no ts: judged by its arrival
                    arrival=event.time,
                    replayed=bool(event.details.get("replayed", False)),
                )
                if watch.trading and price.current:
                    return  # fresh prices on an open gate change nothing
            case Kind.STATE:
                watch.state = event["state"]
                watch.attempt = event.details.get("attempt")
            case Kind.CONNECTED:
                watch.connections += 1
                watch.quotes.connected()
            case Kind.STREAM:
                watch.quotes.restarted()  # a restarted exchange: its clock is measured again
                return
            case Kind.GAP:
                watch.gaps += event["missed"]
                return
            case Kind.BREAKER:
                watch.breaker = event["new"]
            case Kind.ATTEMPT:
                watch.attempts += 1
            case _:
                return
        self._evaluate(event.source)

    def _evaluate(self, name: str) -> None:
        watch = self._watch[name]
        last = watch.quotes.newest()
        age = None if last is None else self._age(last.at)
        if watch.breaker != BreakerState.CLOSED.value:
            self._gate(name, False, Text("breaker {state}", state=watch.breaker))
        elif watch.state != "connected":
            self._gate(name, False, Text("connection {state}", state=watch.state))
        elif last is None or age is None:
            self._gate(name, False, Text("no prices yet"))
        elif last.before_reconnect:
            self._gate(name, False, Text("reconnected, no price on this connection yet"))
        elif last.replayed:
            self._gate(name, False, Text("catching up: replayed prices {age:.1f} s old", age=age))
        elif age > self.stale_after:
            self._gate(name, False, Text("prices {age:.1f} s old", age=age))
        else:
            self._gate(name, True, Text("connected, breaker closed, prices fresh"))

    def _gate(self, name: str, allowed: bool, reason: Text) -> None:
        """Judged on every update: the reason is put into words only when it is shown."""
        watch = self._watch[name]
        changed = allowed != watch.trading
        watch.trading, watch.reason = allowed, reason
        if changed and self._clock is not None:
            said = str(reason)
            self.events.emit(
                Event(self._clock(), name, Kind.TRADING, {"allowed": allowed, "reason": said})
            )

    def _age(self, when: float | None) -> float | None:
        return None if when is None or self._clock is None else self._clock() - when

    # -- reading ---------------------------------------------------------------------------
    def can_trade(self, name: str) -> bool:
        """Whether trading on ``name`` is allowed right now."""
        self._evaluate(name)
        return self._watch[name].trading

    def status(self) -> list[ExchangeStatus]:
        """Every exchange's connection, breaker, freshness and gate, as data."""
        rows = []
        for name in self.clients:
            self._evaluate(name)
            watch = self._watch[name]
            newest = watch.quotes.newest()
            state = watch.state if watch.attempt is None else f"{watch.state} ({watch.attempt})"
            rows.append(
                ExchangeStatus(
                    name=name,
                    state=state,
                    attempts=watch.attempts,
                    connections=watch.connections,
                    breaker=watch.breaker,
                    since_update=None if newest is None else self._age(newest.at),
                    gaps=watch.gaps,
                    trading=watch.trading,
                    reason=str(watch.reason),
                )
            )
        return rows

    def status_table(self) -> Table:
        """`status` as a table; exchanges that cannot trade are highlighted."""
        rows = self.status()
        return Table(
            [
                {
                    tr("exchange"): s.name,
                    tr("state"): s.state,
                    tr("attempts"): s.attempts,
                    tr("connections"): s.connections,
                    tr("breaker"): s.breaker,
                    tr("last price (s ago)"): "-"
                    if s.since_update is None
                    else round(s.since_update, 1),
                    tr("gaps"): s.gaps,
                    tr("trading"): tr("yes") if s.trading else tr("STOPPED"),
                    tr("why"): s.reason,
                }
                for s in rows
            ],
            highlight=[i for i, s in enumerate(rows) if not s.trading],
        )

    def quote(
        self, symbol: str, exchanges: Iterable[str] | None = None
    ) -> ConsolidatedQuote | None:
        """The best bid and ask for ``symbol`` across the exchanges that can trade now and
        whose price of it is fresh and live (`consolidation.consolidate`): never crossed or
        locked, a venue left behind by another is left out. None when no exchange is left."""
        if self._clock is None:
            return None
        prices = {
            name: price
            for name in (exchanges if exchanges is not None else self.clients)
            if self.can_trade(name) and (price := self._watch[name].quotes.price(symbol))
        }
        return consolidate(symbol, prices, now=self._clock(), stale_after=self.stale_after)

    def __repr__(self) -> str:
        gates = ", ".join(
            f"{n}: {'open' if w.trading else 'closed'}" for n, w in self._watch.items()
        )
        return f"MultiExchangeManager({gates})"
