"""The student's end of a connection whose exchange is in another process: a websockets-like
connection (as `MemoryConnection`, whose behaviour it keeps) that hands every frame and close
to a ``request`` callable and is fed what the exchange sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..exchange.memory import MemoryConnection


class FarConnection(MemoryConnection):
    """Connection number ``wire``; ``request(message)`` carries the client's side across."""

    def __init__(self, wire: int, request: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.wire = wire
        self.session = _Session(self, request)  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        if isinstance(message, dict):
            raise TypeError("send() takes a str (json.dumps your message), not a dict")
        await super().send(message)

    def arrived(self, text: str) -> None:
        """A frame from the exchange."""
        if not self._closed:
            self._inbox.append(text)
            self._arrived.set()

    def closed_by_exchange(self, code: Any, reason: str) -> None:
        """The exchange closed (``code``) or dropped (``code`` None) the connection."""
        session = self.session
        if isinstance(session, _Session):
            session.gone = True
        if code is None:
            self._abort()
        else:
            self._server_closes(int(code), reason)


class _Session:
    """What `MemoryConnection` calls on its exchange's session, sent across instead."""

    def __init__(self, connection: FarConnection, request: Callable[[dict[str, Any]], None]):
        self._connection = connection
        self._request = request
        self.close_code: int | None = None
        self.gone = False  # closed from the exchange's side: nothing to tell it

    def receive(self, text: str) -> None:
        self._request({"r": "send", "wire": self._connection.wire, "text": text})

    def receive_binary(self) -> None:
        self._request({"r": "send", "wire": self._connection.wire, "binary": True})

    def ended(self) -> None:
        if self.gone:
            return
        self.gone = True
        close = self._connection._close
        code, reason = (close.code, close.reason) if close is not None else (1006, "")
        self._request({"r": "close", "wire": self._connection.wire, "code": code, "reason": reason})
