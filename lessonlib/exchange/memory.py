"""The practice exchange without sockets, for virtual time: same behaviour, same faults.

`InMemoryExchange.connect()` returns a connection with the small interface of a websockets
client connection (``send``, ``recv``, ``close``, ``close_code``, ``async for``) and fails
the same ways: `InvalidStatus` for a refused handshake, `ConnectionClosedError` /
`ConnectionClosedOK` with the right close code, ``ConnectionRefusedError`` when stopped.
Code written against one exchange therefore runs against the other.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus
from websockets.frames import Close
from websockets.http11 import Response

from .engine import ExchangeCore
from .server import MAX_CLIENT_FRAME
from .session import Session

INBOX_LIMIT = 1024  # frames in flight to a client before the exchange's writer waits


class MemoryConnection:
    """One client's end of an in-memory connection."""

    def __init__(self) -> None:
        self._inbox: deque[str] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._close: Close | None = None  # the close frame, once there is one
        self._server_closed_first = False
        self._closed = False
        self.session: Session | None = None

    # -- the client's side: the websockets interface ---------------------------------------
    async def send(self, message: str | bytes) -> None:
        if self._closed:
            raise self._closed_error()
        session = self.session
        assert session is not None
        if isinstance(message, bytes):
            session.receive_binary()
        elif len(message.encode()) > MAX_CLIENT_FRAME:
            self._server_closes(1009, "frame too big")
        else:
            session.receive(message)
        await asyncio.sleep(0)  # a send is a suspension point, as on a socket

    async def recv(self) -> str:
        while not self._inbox:
            if self._closed:
                raise self._closed_error()
            self._arrived.clear()
            await self._arrived.wait()
        frame = self._inbox.popleft()
        self._room.set()
        return frame

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if not self._closed:
            self._close = Close(code, reason)
            if self.session is not None:
                self.session.close_code = code
            self._finish()

    async def __aenter__(self) -> MemoryConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def close_code(self) -> int | None:
        if not self._closed:
            return None
        return 1006 if self._close is None else self._close.code

    def __aiter__(self) -> AsyncIterator[str]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.recv()
        except ConnectionClosedOK:
            return

    # -- the exchange's side ---------------------------------------------------------------
    async def deliver(self, text: str) -> None:
        while len(self._inbox) >= INBOX_LIMIT and not self._closed:
            self._room.clear()
            await self._room.wait()
        if self._closed:
            raise ConnectionResetError("the client is gone")
        self._inbox.append(text)
        self._arrived.set()

    def _server_closes(self, code: int, reason: str) -> None:
        if not self._closed:
            self._close = Close(code, reason)
            self._server_closed_first = True
            self._finish()

    def _abort(self) -> None:
        if not self._closed:
            self._finish()

    def _finish(self) -> None:
        self._closed = True
        self._arrived.set()
        self._room.set()
        if self.session is not None:
            self.session.ended()

    def _closed_error(self) -> Exception:
        """What websockets raises here: no close frame at all after a drop (1006)."""
        if self._close is None:
            return ConnectionClosedError(None, None)
        order = self._server_closed_first  # the close frame was received, then echoed
        if self._close.code in (1000, 1001):
            return ConnectionClosedOK(self._close, self._close, order)
        return ConnectionClosedError(self._close, self._close, order)


class _MemoryTransport:
    """A session's frames into one `MemoryConnection`."""

    def __init__(self, connection: MemoryConnection) -> None:
        self.connection = connection

    async def send(self, text: str) -> None:
        await self.connection.deliver(text)

    async def close(self, code: int, reason: str) -> None:
        self.connection._server_closes(code, reason)

    def abort(self) -> None:
        self.connection._abort()


class InMemoryExchange(ExchangeCore):
    """The practice exchange in this process; keyword arguments as for `ExchangeCore`."""

    def __init__(self, name: str = "memory", **settings: Any) -> None:
        super().__init__(name=name, **settings)
        self.url = f"memory://{name}"

    async def start(self) -> None:
        if self.running:
            raise RuntimeError("the exchange is already running")
        await self._start_core()

    async def stop(self) -> None:
        if self.running:
            await self._stop_core()

    async def connect(self) -> MemoryConnection:
        """Open a connection, as a handshake with the real exchange would."""
        await asyncio.sleep(0)
        if not self.running:
            raise ConnectionRefusedError(f"{self.url}: the exchange is not running")
        status = self.handshake()
        if status is not None:
            headers = Headers()
            if status == 429:
                headers["Retry-After"] = f"{self.faults.retry_after:g}"
            reason = "Too Many Requests" if status == 429 else "Service Unavailable"
            raise InvalidStatus(Response(status, reason, headers))
        connection = MemoryConnection()
        connection.session = self.open_session(_MemoryTransport(connection))
        return connection

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"InMemoryExchange({self.url}, {state}, {len(self.sessions)} connections)"
