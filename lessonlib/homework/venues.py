"""What the homework's trading system talks to: a venue (an exchange's prices and its order
gateway), and ready-made price streams so that task 3 is about the breaker, not the feed.

In a check the venues are scripted in virtual time; live, `practice_venue` reaches a practice
exchange: prices over its WebSocket, and each order a ``ping`` that must be answered by
``pong`` within a quarter of a second on an order connection of its own, so that an
instructor's faults (a stall, a latency, a drop) make orders fail for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..backoff import BackoffPolicy
from ..feed.client import PriceFeedClient
from ..feed.state import PriceUpdate
from ..feed.transport import Connection, shut, websocket_connector

ORDER_TIMEOUT = 0.25


class OrderFailed(Exception):
    """An order did not go through: the exchange refused it, or did not answer in time."""


@dataclass(frozen=True, slots=True)
class Venue:
    """One exchange as the trading system sees it.

    ``connect()`` opens a market-data connection (as for tasks 1 and 2);
    ``await send_order(symbol, side, price)`` places an order or raises `OrderFailed`.
    """

    name: str
    connect: Callable[[], Any]
    send_order: Callable[[str, str, float], Awaitable[None]]


async def prices(connect: Callable[[], Any], symbols: list[str]) -> AsyncIterator[PriceUpdate]:
    """Every price of ``symbols`` from one exchange, reconnecting by itself, until cancelled."""
    client = PriceFeedClient(connect, policy=BackoffPolicy(initial_delay=0.5, max_retries=None))
    await client.subscribe(*symbols)
    async with client:
        async for update in client.updates():
            yield update


def connect_to(url: str) -> Callable[[], Any]:
    """A ``connect`` for a practice exchange at ``url``: ``await connect()`` or
    ``async with connect() as ws`` gives a websockets connection."""
    if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
        raise ValueError(f"url must be a ws:// or wss:// URL, got {url!r}")
    return websocket_connector(url, open_timeout=5.0)


class PaperOrders:
    """An order gateway for a live practice exchange: an order is a ping that must be
    answered within `ORDER_TIMEOUT` seconds. Nothing is bought; what fails is real."""

    def __init__(self, url: str) -> None:
        self._connect = connect_to(url)
        self._connection: Connection | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def send_order(self, symbol: str, side: str, price: float) -> None:
        async with self._lock:
            try:
                async with asyncio.timeout(ORDER_TIMEOUT):
                    if self._connection is None:
                        self._connection = await self._connect()
                    number = next(self._ids)
                    await self._connection.send(json.dumps({"op": "ping", "id": number}))
                    while True:
                        reply = json.loads(await self._connection.recv())
                        if reply.get("type") == "pong" and reply.get("id") == number:
                            return
            except Exception as error:
                await self.close()
                raise OrderFailed(f"{side} {symbol} at {price}: {error or 'no answer'}") from error

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await shut(connection)


def practice_venue(name: str, url: str) -> Venue:
    """A `Venue` for the practice exchange at ``url`` (``python -m lessonlib.exchange``)."""
    return Venue(name, connect_to(url), PaperOrders(url).send_order)
