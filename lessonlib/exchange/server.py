"""The practice exchange as a real WebSocket server on loopback (the `websockets` library).

    async with PracticeExchange(port=0, tick_rate=20) as exchange:   # port 0: any free port
        print(exchange.url)                                          # ws://127.0.0.1:PORT/
        exchange.drop()                                              # inject a fault

Runs on whatever event loop is current, so it starts just as well inside a notebook.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .engine import ExchangeCore

MAX_CLIENT_FRAME = 64 * 1024  # PROTOCOL.md: a larger frame is closed with 1009


class _WebSocketTransport:
    """A session's frames over one websockets server connection."""

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection

    async def send(self, text: str) -> None:
        await self.connection.send(text)

    async def close(self, code: int, reason: str) -> None:
        await self.connection.close(code, reason)

    def abort(self) -> None:
        self.connection.transport.abort()


class PracticeExchange(ExchangeCore):
    """The practice exchange on ``host:port`` (loopback unless told otherwise).

    Keyword arguments are those of `ExchangeCore`: symbols, tick_rate, seed,
    heartbeat_interval, buffer_size, max_subscriptions, wall_clock, events.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, **settings: Any) -> None:
        super().__init__(**settings)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}")
        self.host = host
        self.port = port
        self._server: Server | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/"

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the exchange is already running")
        await self._start_core()
        self._server = await serve(
            self._serve,
            self.host,
            self.port,
            process_request=self._process_request,
            max_size=MAX_CLIENT_FRAME,
            compression=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every connection with 1001, stop listening, and stop every task."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close(close_connections=False)
        await self._stop_core()
        await server.wait_closed()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        status = self.handshake()
        if status is None:
            return None
        if status == 429:
            response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "rate limited\n")
            response.headers["Retry-After"] = f"{self.faults.retry_after:g}"
            return response
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "exchange unavailable\n")

    async def _serve(self, connection: ServerConnection) -> None:
        session = self.open_session(_WebSocketTransport(connection))
        try:
            async for message in connection:
                if isinstance(message, bytes):
                    session.receive_binary()
                else:
                    session.receive(message)
        except ConnectionClosed:
            pass
        finally:
            session.close_code = connection.close_code
            session.ended()

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"PracticeExchange({self.url}, {state}, {len(self.sessions)} connections)"
