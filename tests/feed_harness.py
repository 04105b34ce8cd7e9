"""A practice exchange on a free loopback port, a feed client on it, and a consumer recording
every update, for the feed client's tests over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventBus, EventLog
from lessonlib.exchange import PracticeExchange
from lessonlib.feed import PriceFeedClient, PriceUpdate

GUARD = 30.0  # seconds: a guard against hangs (generous for a loaded machine), never a wait
FAST = BackoffPolicy(initial_delay=0.02, max_delay=0.5, max_retries=None, healthy_after=0.2)


@dataclass
class Rig:
    exchange: PracticeExchange
    client: PriceFeedClient
    events: EventLog
    bus: EventBus
    received: list[PriceUpdate] = field(default_factory=list)

    def seqs(self, symbol: str) -> list[int]:
        return [u.seq for u in self.received if u.symbol == symbol]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (within the guard) until ``condition()`` holds, re-checking as updates come."""
        async with asyncio.timeout(GUARD):
            while not condition():
                await asyncio.sleep(0.002)

    async def more_updates(self, count: int, symbol: str | None = None) -> None:
        """Wait until ``count`` more updates (of ``symbol``, if given) have arrived."""

        def matching() -> int:
            return sum(1 for u in self.received if symbol is None or u.symbol == symbol)

        target = matching() + count
        await self.until(lambda: matching() >= target)


@contextlib.asynccontextmanager
async def rig(
    *symbols: str,
    exchange_settings: dict[str, Any] | None = None,
    **client_settings: Any,
) -> AsyncIterator[Rig]:
    """Exchange started, client subscribed and running, consumer recording; all stopped after."""
    # Heartbeats each second, so the client judges a connection dead after 3 s of silence: a
    # loaded machine's scheduling hiccup (tenths of a second) does not look like an outage.
    settings = {"tick_rate": 100, "heartbeat_interval": 1.0, **(exchange_settings or {})}
    client_settings.setdefault("policy", FAST)
    async with PracticeExchange(port=0, **settings) as exchange:
        events, bus = EventLog(), EventBus()
        bus.subscribe(events)
        client = PriceFeedClient(exchange.url, events=bus, name="feed", **client_settings)
        await client.subscribe(*(symbols or ("BTC/USDT",)))
        state = Rig(exchange, client, events, bus)

        async def consume() -> None:
            async for update in client.updates():
                state.received.append(update)

        async with client:
            consumer = asyncio.create_task(consume())
            try:
                await state.until(lambda: len(state.received) > 0)
                yield state
            finally:
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer


def consecutive(seqs: list[int]) -> bool:
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))
