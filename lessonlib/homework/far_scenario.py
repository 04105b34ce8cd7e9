"""A task's scenario held outside the student's kernel: the exchange, the network, the script
and the clock run here, in the grader's worker; the student's client runs in the kernel (see
`far_client`) and reaches them only through a `Link`, in lockstep (see `lockstep`).

What the checks judge is then written by this side alone: every connection attempt, frame and
close as the network saw it, every callback as it arrived and when, by this clock. The kernel
holds no seed, so it cannot know what the script does next; whatever it sends, true or not,
is only an action, judged like any client's. A price handed to ``on_price`` that the exchange
never sent on a connection is not counted as one (and the report says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus

from . import plain, sandbox, task1, task4
from .far_object import FarObject, KernelGone
from .harness import NotReady, explain
from .lockstep import Link, LinkClosed

HELD: dict[str, ModuleType] = {"task1": task1, "task4": task4}  # scenarios the grader holds
ECHOES = ("on_price",)  # callbacks whose message must be one the exchange sent
ANSWER_WAIT = 90.0  # seconds of real time for the kernel's answer: a backstop for a hang
SETTLE = 3  # loop turns for the other events of one moment to be collected
# This side's budget: turns as a check's, and a turn may wait for the kernel's answer (the
# kernel's own watchdog ends a turn of its code that never ends well before this one fires).
SERVER_BUDGET = sandbox.Budget(stuck_wall=2 * ANSWER_WAIT)


def observe(task: str, seed: int, link: Link) -> dict[str, Any]:
    """Play ``task``'s scenario on ``seed`` against the kernel at the other end of ``link``
    (which has said hello); the observation, as `checks.observe` gives it."""
    module = HELD[task]
    started = time.perf_counter()
    far = FarClient(link, module.FAR_CLIENT | {"random": sandbox.random_seed_for(task, seed)})
    calls_itself = "method" in module.FAR_CLIENT and module.FAR_CLIENT["method"] is None
    main, seen = module.script(seed, far.build if calls_itself else far.bind)
    result = sandbox.run(main, budget=SERVER_BUDGET)
    if far.not_ready is not None:
        return {"task": task, "not_ready": far.not_ready, "real_seconds": _since(started)}
    kernel = far.finish()
    result.blocking_sleeps = int(kernel.get("blocking_sleeps") or 0)
    result.printed = int(kernel.get("printed") or 0)
    result.output = str(kernel.get("output") or "")[: sandbox.KEEP_OUTPUT]
    result.overtime = bool(kernel.get("overtime"))
    result.stuck = bool(kernel.get("stuck"))
    borrowed = [f"{far.invented} message(s) handed to on_price were never sent by the exchange"]
    return {
        "task": task,
        "result": plain.to_plain(result, explain),
        "seen": plain.to_plain(seen, explain),
        "borrowed": borrowed if far.invented else [],
        "real_seconds": _since(started),
    }


def _since(started: float) -> float:
    return time.perf_counter() - started


class FarClient:
    """The student's client as the script sees it: `bind` gives the ``run`` the stage plays,
    which drives the kernel turn by turn and carries its actions to the network here."""

    def __init__(self, link: Link, spec: dict[str, Any]) -> None:
        self.link = link
        self.spec = spec
        self.callables: dict[str, Callable[..., Any]] = {}
        self.connections: dict[int, Any] = {}
        self.outbox: list[dict[str, Any]] = []
        self.delivered: set[str] = set()
        self.invented = 0
        self.not_ready: str | None = None
        self.ended: dict[str, Any] | None = None
        self.kernel_gone = False
        self.kernel_done: dict[str, Any] = {}
        self._arrived: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._asked: dict[int, asyncio.Future[Any]] = {}
        self._gone: str | None = None  # why no call can be answered any more

    def bind(self, *given: Callable[..., Any]) -> Callable[[], Awaitable[None]]:
        """What ``client(connect, on_price, …)`` is in the task's script: names the given
        callables as the spec's ``far`` arguments, in order, and returns `run`."""
        names = [a["far"] for a in self.spec["args"] if isinstance(a, dict) and "far" in a]
        self.callables = dict(zip(names, given, strict=True))
        return self.run

    def build(self, *args: Any) -> FarObject:
        """What ``build(…)`` is in a script that calls the student's object itself (a spec
        without a ``method`` to run): the object, built in the kernel with ``args`` (the
        callables among them called here, under their names), and its calls sent there."""
        described = []
        for value in args:
            if callable(value):
                self.callables[value.__name__] = value
                described.append({"far": value.__name__})
            else:
                described.append(plain.to_plain(value, explain))
        self.spec = self.spec | {"args": described}
        self._spawn(self.run())
        return FarObject(self._ask)

    def _ask(self, method: str, args: list[Any]) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        if self._gone is not None:
            future.set_exception(KernelGone(self._gone))
            return future
        number = len(self._asked) + 1
        self._asked[number] = future
        arguments = plain.to_plain(args, explain)
        self.post({"e": "call", "id": number, "method": method, "args": arguments})
        return future

    def _answer(self, request: dict[str, Any]) -> None:
        future = self._asked.get(_int(request.get("id")))
        if future is None or future.done():
            return
        try:
            if "error" in request:
                error = plain.from_plain(request["error"])
                future.set_exception(
                    error if isinstance(error, Exception) else ValueError(str(error))
                )
            else:
                future.set_result(plain.from_plain(request.get("value")))
        except plain.BadRecord as error:
            future.set_exception(ValueError(f"an answer that is not plain data ({error})"))

    def _no_more_answers(self, why: str) -> None:
        self._gone = why
        for future in self._asked.values():
            if not future.done():
                future.set_exception(KernelGone(why))

    async def run(self) -> None:
        self._arrived = asyncio.Event()
        self.link.send({"start": self.spec})
        try:
            await self._serve()
        except asyncio.CancelledError:
            if self.ended is None and not self.kernel_gone:
                self.outbox.append({"e": "cancel"})
                await self._reply_and_serve()
            raise
        finally:  # a call still unanswered never will be
            self._no_more_answers(self.not_ready or "the kernel no longer answers the check")
        error = plain.from_plain((self.ended or {}).get("error"))
        if isinstance(error, NotReady):
            self.not_ready = str(error)
        if isinstance(error, BaseException):
            raise error

    async def _reply_and_serve(self) -> None:
        loop = asyncio.get_running_loop()
        events, self.outbox = self.outbox, []
        self.link.send({"now": loop.time(), "events": events})
        await self._serve()

    async def _serve(self) -> None:
        """Turn after turn: the kernel's requests handled here, then this side's events up
        to the kernel's next timer, and the new time sent; until the student's run ends."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                message = self.link.receive(ANSWER_WAIT)
            except LinkClosed as error:
                self.kernel_gone = True
                raise ConnectionError(f"the kernel stopped answering the check: {error}") from None
            if "not_ready" in message:
                self.not_ready = str(message["not_ready"])
                raise NotReady(self.not_ready)
            if "done" in message:  # the kernel's run was cut short there (its watchdog)
                self.kernel_done = message["done"] if isinstance(message["done"], dict) else {}
                self.kernel_gone = True
                self.ended = {"error": self.kernel_done.get("error")}
                return
            for request in message.get("requests") or []:
                if isinstance(request, dict):
                    await self._handle(request)
            if self.ended is not None:
                return
            await self._until(message.get("idle"))
            events, self.outbox = self.outbox, []
            self.link.send({"now": loop.time(), "events": events})

    async def _until(self, due: Any) -> None:
        """Wait for an event for the kernel, or for the kernel's own next timer."""
        loop = asyncio.get_running_loop()
        assert self._arrived is not None
        if not self.outbox:
            self._arrived.clear()
            timeout = max(0.0, float(due) - loop.time()) if isinstance(due, (int, float)) else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._arrived.wait()
        for _ in range(SETTLE):
            await asyncio.sleep(0)

    def post(self, event: dict[str, Any]) -> None:
        self.outbox.append(event)
        if self._arrived is not None:
            self._arrived.set()

    async def _handle(self, request: dict[str, Any]) -> None:
        kind = request.get("r")
        if kind == "connect":
            self._spawn(self._connect(_int(request.get("id"))))
        elif kind == "send":
            connection = self.connections.get(_int(request.get("wire")))
            if connection is not None:
                frame = b"" if request.get("binary") else str(request.get("text", ""))
                with contextlib.suppress(ConnectionClosed, ConnectionError):
                    await connection.send(frame)
        elif kind == "close":
            connection = self.connections.get(_int(request.get("wire")))
            if connection is not None:
                await connection.close(
                    _int(request.get("code")) or 1000, str(request.get("reason", ""))
                )
        elif kind == "call":
            self._call(str(request.get("name")), request.get("args"))
        elif kind == "returned":
            self._answer(request)
        elif kind == "ended":
            self.ended = request

    def _call(self, name: str, args: Any) -> None:
        callback = self.callables.get(name)
        if callback is None or name == "connect":
            return
        try:
            values = plain.from_plain(args)
        except plain.BadRecord:
            return
        if not isinstance(values, list):
            return
        if name in ECHOES and not (values and _echoed(values[0]) in self.delivered):
            self.invented += 1
            return
        callback(*values)

    async def _connect(self, number: int) -> None:
        try:
            connection = await self.callables["connect"]()
        except ConnectionRefusedError:
            self.post({"e": "failed", "id": number, "kind": "refused"})
            return
        except InvalidStatus as error:
            response = error.response
            headers = dict(response.headers.raw_items())
            self.post(
                {
                    "e": "failed",
                    "id": number,
                    "kind": "status",
                    "status": response.status_code,
                    "reason": response.reason_phrase,
                    "headers": headers,
                }
            )
            return
        except Exception as error:
            self.post({"e": "failed", "id": number, "kind": "error", "text": str(error)})
            return
        wire = connection.wire.number
        self.connections[wire] = connection
        self.post({"e": "opened", "id": number, "wire": wire})
        self._spawn(self._pump(wire, connection))

    async def _pump(self, wire: int, connection: Any) -> None:
        """Every frame the exchange sends on connection ``wire``, passed on; then how it ended,
        unless the client ended it."""
        try:
            while True:
                text = await connection.recv()
                self.delivered.add(_canonical_text(text))
                self.post({"e": "msg", "wire": wire, "text": text})
        except ConnectionClosed:
            pass
        inner = connection._inner
        if inner._close is None:
            self.post({"e": "closed", "wire": wire, "code": None})
        elif inner._server_closed_first:
            close = inner._close
            self.post({"e": "closed", "wire": wire, "code": close.code, "reason": close.reason})

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def finish(self) -> dict[str, Any]:
        """The scenario is over: the kernel is told, and says what it saw of its own run."""
        if self.kernel_gone:
            return self.kernel_done
        try:
            self.link.send({"now": None, "events": [], "finish": True})
            while True:
                message = self.link.receive(ANSWER_WAIT)
                if "done" in message:
                    done = message["done"]
                    return done if isinstance(done, dict) else {}
                if "idle" in message:  # a turn that crossed the end: nothing more happens
                    self.link.send({"now": None, "events": [], "finish": True})
        except LinkClosed:
            return {}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return ""


def _echoed(value: Any) -> str:
    """A message passed on, as `_canonical_text` writes what the exchange sent: parsed or
    not (passing the text on is a mistake the checks name, not an invented message)."""
    return _canonical_text(value) if isinstance(value, str) else _canonical(value)


def _canonical_text(text: Any) -> str:
    try:
        return _canonical(json.loads(text))
    except (TypeError, ValueError):
        return ""
