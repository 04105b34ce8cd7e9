"""Both exchanges behind one small interface, so each scenario runs against each."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import connect as websocket_connect

from lessonlib.exchange import ExchangeCore, InMemoryExchange, PracticeExchange

GUARD = 30.0  # seconds: a guard against hangs (generous for a loaded machine), never a wait


@asynccontextmanager
async def running(kind: str, **settings: Any) -> AsyncIterator[ExchangeCore]:
    """A started exchange of ``kind`` ("websocket" on a free loopback port, or "memory")."""
    exchange: PracticeExchange | InMemoryExchange
    if kind == "websocket":
        exchange = PracticeExchange(port=0, **settings)
    else:
        exchange = InMemoryExchange(**settings)
    async with exchange:
        yield exchange


def connector(exchange: ExchangeCore) -> Callable[[], Any]:
    """How a raw client connects to this exchange."""
    if isinstance(exchange, PracticeExchange):
        return lambda: websocket_connect(exchange.url, max_size=2**20)
    assert isinstance(exchange, InMemoryExchange)
    return exchange.connect


async def recv_json(connection: Any) -> dict[str, Any]:
    async with asyncio.timeout(GUARD):
        return json.loads(await connection.recv())


async def recv_until(connection: Any, kind: str) -> dict[str, Any]:
    """Frames until one of ``type`` kind (heartbeats and tickers in between are skipped)."""
    while True:
        frame = await recv_json(connection)
        if frame["type"] == kind:
            return frame


async def until(condition: Callable[[], bool]) -> None:
    """Wait (a few milliseconds at a time, within the guard) until ``condition()`` holds."""
    async with asyncio.timeout(GUARD):
        while not condition():
            await asyncio.sleep(0.005)
