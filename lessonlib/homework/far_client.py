"""The kernel's side of a scenario held by the grader (see `far_scenario`): the student's class
built as the other side describes, its ``run()`` on a `LockstepLoop`, and every connect, frame
and callback it makes sent across. The kernel holds no seed and writes no record: all it can
do is act, and the other side writes down what it did."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from . import plain, sandbox
from .far_connection import FarConnection
from .harness import NotReady, construct, explain, find_class
from .lockstep import Link, LockstepLoop

START_WAIT = 60.0  # seconds of real time for the other side to describe the client


def play(link: Link, token: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Play the student's code against the scenario at the other end of ``link``; what the
    kernel itself saw of the run (its prints, its blocking sleeps) is returned, and sent."""
    link.send({"hello": token})
    start = link.receive(START_WAIT).get("start")
    if not isinstance(start, dict):
        raise NotReady("the grader did not describe the client to build")
    try:
        cls = find_class(namespace, str(start["class"]), dict(start["methods"]))
    except NotReady as error:
        link.send({"not_ready": str(error)})
        return {"not_ready": str(error)}
    method = start.get("method", "run")
    player = _Player(link, cls, list(start["args"]), None if method is None else str(method))
    globals_ = [namespace] if isinstance(namespace, dict) else []
    chosen = start.get("random")
    random_seed = chosen if isinstance(chosen, int) and not isinstance(chosen, bool) else None
    result = sandbox.run(
        player.main, namespaces=globals_, loop_factory=player.new_loop, random_seed=random_seed
    )
    summary = {
        "blocking_sleeps": result.blocking_sleeps,
        "printed": result.printed,
        "output": result.output,
        "overtime": result.overtime,
        "stuck": result.stuck,
        "error": plain.to_plain(result.error, explain),
    }
    with contextlib.suppress(ConnectionError):
        link.send({"done": summary})
    return summary


class _Player:
    """Builds the student's object and runs it; turns the other side's events into what a
    websockets client sees, and the code's actions into requests."""

    def __init__(self, link: Link, cls: type, args: list[Any], method: str | None) -> None:
        self.link = link
        self.cls = cls
        self.args = args
        self.method = method
        self.loop: LockstepLoop | None = None
        self.connections: dict[int, FarConnection] = {}
        self.pending: dict[int, asyncio.Future[FarConnection]] = {}
        self.task: asyncio.Task[Any] | None = None
        self.client: Any = None
        self.finished: asyncio.Event | None = None
        self._next_id = 0

    def new_loop(self) -> LockstepLoop:
        self.loop = LockstepLoop(self.link, self.on_events)
        return self.loop

    def request(self, message: dict[str, Any]) -> None:
        assert self.loop is not None
        self.loop.requests.append(message)

    async def main(self) -> None:
        self.finished = asyncio.Event()
        built = [self._argument(a) for a in self.args]
        try:
            self.client = construct(self.cls, *built)
            run = getattr(self.client, self.method) if self.method is not None else None
        except NotReady as error:
            self.request({"r": "ended", "error": plain.to_plain(error, explain)})
            await self.finished.wait()
            return
        if run is None:  # the other side calls the object's methods itself
            await self.finished.wait()
            return
        self.task = asyncio.create_task(self._run(run), name="student code")
        await self.finished.wait()
        if not self.task.done():
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait({self.task}, timeout=5.0)

    async def _run(self, run: Any) -> None:
        cancelled, error = False, None
        try:
            await run()
        except asyncio.CancelledError:
            cancelled = True
        except (sandbox.BlockingCall, sandbox.Stuck, Exception) as raised:
            error = raised
        self.request(
            {"r": "ended", "cancelled": cancelled, "error": plain.to_plain(error, explain)}
        )
        if cancelled:
            raise asyncio.CancelledError

    def _argument(self, spec: Any) -> Any:
        if not (isinstance(spec, dict) and "far" in spec):
            return plain.from_plain(spec)
        name = str(spec["far"])
        if name == "connect":
            return self.connect

        def callback(*args: Any) -> None:
            self.request({"r": "call", "name": name, "args": plain.to_plain(list(args), explain)})

        callback.__name__ = name
        return callback

    def connect(self) -> _Connecting:
        return _Connecting(self)

    async def attempt(self) -> FarConnection:
        assert self.loop is not None
        self._next_id += 1
        number = self._next_id
        future: asyncio.Future[FarConnection] = self.loop.create_future()
        self.pending[number] = future
        self.request({"r": "connect", "id": number})
        return await future

    def on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, dict):
                self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("e")
        if kind == "finish":
            if self.finished is not None:
                self.finished.set()
        elif kind == "cancel":
            if self.task is not None:
                self.task.cancel()
            else:
                self.request({"r": "ended", "cancelled": True, "error": None})
        elif kind == "call":
            self._answer(event)
        elif kind == "opened":
            wire = int(event["wire"])
            connection = FarConnection(wire, self.request)
            self.connections[wire] = connection
            self._settle(int(event["id"]), connection)
        elif kind == "failed":
            self._settle(int(event["id"]), _failure(event))
        elif kind in ("msg", "closed"):
            found = self.connections.get(int(event["wire"]))
            if found is None:
                return
            if kind == "msg":
                found.arrived(str(event["text"]))
            else:
                found.closed_by_exchange(event.get("code"), str(event.get("reason", "")))

    def _answer(self, event: dict[str, Any]) -> None:
        """A call of the student's object, made as the other side asks; its answer sent back
        (after whatever the call itself sent, such as a callback's)."""
        number = event.get("id")
        try:
            method = getattr(self.client, str(event.get("method")))
            value = method(*plain.from_plain(event.get("args") or []))
        except (sandbox.BlockingCall, sandbox.Stuck) as error:
            self.request({"r": "returned", "id": number, "error": plain.to_plain(error, explain)})
            self.request({"r": "ended", "error": plain.to_plain(error, explain)})
            return
        except Exception as error:
            self.request({"r": "returned", "id": number, "error": plain.to_plain(error, explain)})
            return
        self.request({"r": "returned", "id": number, "value": plain.to_plain(value, explain)})

    def _settle(self, number: int, outcome: FarConnection | BaseException) -> None:
        future = self.pending.pop(number, None)
        if future is None or future.done():
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _failure(event: dict[str, Any]) -> BaseException:
    """The exception a websockets ``connect`` raises for the way the attempt failed."""
    if event.get("kind") == "refused":
        return ConnectionRefusedError(111, "Connection refused")
    if event.get("kind") == "status":
        headers = Headers()
        for key, value in dict(event.get("headers") or {}).items():
            headers[str(key)] = str(value)
        status = int(event.get("status", 503))
        return InvalidStatus(Response(status, str(event.get("reason", "")), headers))
    return ConnectionError(str(event.get("text", "the connection failed")))


class _Connecting:
    """Like websockets' ``connect(...)``: ``await`` it, or ``async with`` it."""

    def __init__(self, player: _Player) -> None:
        self._player = player
        self._connection: FarConnection | None = None

    def __await__(self) -> Any:
        return self._player.attempt().__await__()

    async def __aenter__(self) -> FarConnection:
        self._connection = await self._player.attempt()
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        if self._connection is not None:
            await self._connection.close()
