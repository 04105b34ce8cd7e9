"""The check's network: a ``connect`` for student code that reaches an in-memory exchange, goes
down on the scenario's command, and writes down everything that crosses it.

What the checks judge is what happened on this wire (when each attempt was made, how it
ended, what was sent on each connection), never the student's private state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from ..exchange.memory import InMemoryExchange, MemoryConnection

FLOOD_LIMIT = 3_000  # attempts after which the client is stopped as a busy loop
DROP_AFTER = 0.05  # seconds an exchange that "accepts and drops at once" keeps a connection


@dataclass(slots=True)
class Wire:
    """One connection as the network saw it."""

    number: int
    opened_at: float
    ended_at: float | None = None
    ended_by: str = ""  # "client" (it closed), "exchange" (drop or close), or "" while open
    sent: list[tuple[float, Any]] = field(default_factory=list)  # (time, parsed request)

    def requests(self, op: str) -> list[tuple[float, dict[str, Any]]]:
        return [(t, r) for t, r in self.sent if isinstance(r, dict) and r.get("op") == op]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call of ``connect()``: when, and whether it opened a connection."""

    at: float
    outcome: str  # "opened", "refused" (nothing listening) or "503" (handshake answered 503)
    wire: Wire | None = None


class Network:
    """Between the student's client and the exchange; see the module's description.

    ``down`` set to "refused" or "503" makes every attempt fail that way; ``refuse_next``
    fails only the next attempts. ``on_flood`` is called once when attempts pass
    `FLOOD_LIMIT`, so that a busy loop can be stopped.
    """

    def __init__(self, exchange: InMemoryExchange, on_flood: Callable[[], None]) -> None:
        self.exchange = exchange
        self.down: str | None = None
        self.refuse_next = 0
        self.accept_and_drop = False  # every new connection ended by the exchange at once
        self.drop_after: float | None = None  # ... or this many seconds after it opens
        self.attempts: list[Attempt] = []
        self.wires: list[Wire] = []
        self.flooded_at: float | None = None
        self._on_flood = on_flood
        self._opened = asyncio.Event()

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    def connect(self) -> _Connecting:
        """What student code calls: awaitable, and usable as ``async with connect() as ws``."""
        return _Connecting(self)

    async def wait_opened(self, after: float, timeout: float) -> Wire | None:
        """The first connection opened after ``after``, waiting up to ``timeout`` for it."""
        deadline = self.now() + timeout
        while True:
            for wire in self.wires:
                if wire.opened_at >= after:
                    return wire
            remaining = deadline - self.now()
            if remaining <= 0:
                return None
            self._opened.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._opened.wait()
            except TimeoutError:
                return None

    def open_wires(self) -> list[Wire]:
        return [w for w in self.wires if w.ended_at is None]

    def ended(self, wire: Wire, by: str) -> None:
        if wire.ended_at is None:
            wire.ended_at = self.now()
            wire.ended_by = by

    def drop_all(self, how: Callable[[], Any]) -> None:
        """End every open connection from the exchange's side (``how`` does it)."""
        for wire in self.open_wires():
            self.ended(wire, "exchange")
        how()

    async def _attempt(self) -> WatchedConnection:
        now = self.now()
        if len(self.attempts) >= FLOOD_LIMIT:
            if self.flooded_at is None:
                self.flooded_at = now
                self._on_flood()
            await asyncio.sleep(0)  # where the cancellation that stops the client lands
            raise ConnectionRefusedError("the check stopped a client that never waits")
        failure = self.down
        if failure is None and self.refuse_next > 0:
            self.refuse_next -= 1
            failure = "503"
        if failure is not None:
            self.attempts.append(Attempt(now, failure))
            await asyncio.sleep(0)
            if failure == "refused":
                raise ConnectionRefusedError(111, "Connection refused")
            raise InvalidStatus(Response(503, "Service Unavailable", Headers()))
        connection = await self.exchange.connect()
        wire = Wire(len(self.wires) + 1, now)
        self.wires.append(wire)
        self.attempts.append(Attempt(now, "opened", wire))
        self._opened.set()
        if self.accept_and_drop:
            asyncio.get_running_loop().call_later(DROP_AFTER, self._drop_at_once, wire)
        elif self.drop_after is not None:
            asyncio.get_running_loop().call_later(self.drop_after, self._drop_at_once, wire)
        return WatchedConnection(connection, wire, self)

    def _drop_at_once(self, wire: Wire) -> None:
        if wire.ended_at is None:
            self.drop_all(self.exchange.drop)


class _Connecting:
    """Like websockets' ``connect(...)``: ``await`` it, or ``async with`` it."""

    def __init__(self, network: Network) -> None:
        self._network = network
        self._connection: WatchedConnection | None = None

    def __await__(self) -> Generator[Any, None, WatchedConnection]:
        return self._network._attempt().__await__()

    async def __aenter__(self) -> WatchedConnection:
        self._connection = await self._network._attempt()
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        if self._connection is not None:
            await self._connection.close()


class WatchedConnection:
    """The student's end of a connection: a websockets-like object that records requests."""

    def __init__(self, inner: MemoryConnection, wire: Wire, network: Network) -> None:
        self._inner = inner
        self.wire = wire
        self._network = network

    async def send(self, message: Any) -> None:
        if isinstance(message, dict):
            raise TypeError("send() takes a str (json.dumps your message), not a dict")
        try:
            request = json.loads(message)
        except (TypeError, ValueError):
            request = message
        self.wire.sent.append((self._network.now(), request))
        await self._inner.send(message)

    async def recv(self) -> str:
        return await self._inner.recv()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._network.ended(self.wire, "client")
        await self._inner.close(code, reason)

    @property
    def close_code(self) -> int | None:
        return self._inner.close_code

    def __aiter__(self) -> Any:
        return self._inner.__aiter__()

    async def __aenter__(self) -> WatchedConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
