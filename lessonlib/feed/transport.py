"""How the feed client reaches an exchange: the small connection interface both exchanges
offer, the WebSocket connector for a URL, and a close that cannot hang."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from websockets.asyncio.client import connect as websocket_connect

MAX_FRAME = 2**20


class Connection(Protocol):
    """The small interface both exchanges offer: a websockets connection or an in-memory one."""

    async def send(self, message: str) -> None: ...
    async def recv(self) -> str | bytes: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


Connector = Callable[[], Awaitable[Connection]]


def websocket_connector(url: str, open_timeout: float | None = None) -> Connector:
    """A connect function for ``url``: ``await connect()`` opens a connection, and so does
    ``async with connect() as ws`` (websockets' own connect object, returned as it is)."""

    def connect() -> Any:
        return websocket_connect(url, max_size=MAX_FRAME, open_timeout=open_timeout)

    return connect


async def shut(connection: Connection) -> None:
    """Close with 1000 within a second, reading off what is still queued meanwhile: a
    consumer that fell behind leaves frames unread, and the exchange's close frame is behind
    them. A connection that does not close in time is cut."""

    async def drain() -> None:
        with contextlib.suppress(Exception):
            while True:
                await connection.recv()

    drainer = asyncio.ensure_future(drain())
    try:
        async with asyncio.timeout(1.0):
            await connection.close(1000)
    except Exception:
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
    finally:
        drainer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drainer
