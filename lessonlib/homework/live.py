"""Trying homework code live, against real practice exchanges on real sockets, for a few
seconds: the "try it" cells of the homework notebooks. Unfinished code is reported, not
raised, so that a notebook as shipped runs top to bottom."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ..events import Event, EventBus, Kind
from ..feed.client import PriceFeedClient
from ..i18n import tr
from .harness import explain
from .sandbox import Stuck, raise_in

Fault = tuple[float, Callable[[], Any]]


STOP_GRACE = 3.0  # real seconds a cancelled run() has to end before it is reported


async def run_for(seconds: float, main: Awaitable[Any], faults: Iterable[Fault] = ()) -> bool:
    """Run ``main`` (the student's ``run()``) for ``seconds``, calling each fault at its
    moment, then cancel it. True when it was still running at the end; otherwise what it
    raised is printed.

    ``main`` runs on an event loop of its own in a thread, so that code which never awaits
    or will not be cancelled cannot freeze the notebook: it is stopped and what it did is
    said, as the check says it."""
    runner = _Runner(main)
    loop = asyncio.get_running_loop()
    start = loop.time()
    finished = runner.start(loop)
    try:
        for moment, fault in sorted(faults, key=lambda f: f[0]):
            await asyncio.wait({finished}, timeout=max(0.0, start + moment - loop.time()))
            if finished.done():
                break
            fault()
        await asyncio.wait({finished}, timeout=max(0.0, start + seconds - loop.time()))
        if finished.done():
            error = runner.error
            why = explain(error) if error else tr("it returned")
            print(tr("run() ended early: {why}", why=why))
            return False
        return True
    finally:
        await runner.stop(finished)


class _Runner:
    """The student's coroutine on its own loop in a daemon thread, with a count of that
    loop's turns, to tell code that never awaits from code that will not be cancelled, and
    a list of the connections it opened, cut when it ends."""

    def __init__(self, main: Awaitable[Any]) -> None:
        self._main = main
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="live run()", daemon=True)
        self.turns = 0
        self.error: BaseException | None = None
        self._ready = threading.Event()
        run_once = self._loop._run_once  # type: ignore[attr-defined]

        def counted() -> None:
            self.turns += 1
            run_once()

        self._loop._run_once = counted  # type: ignore[attr-defined]
        self._transports: list[asyncio.BaseTransport] = []
        create_connection = self._loop.create_connection

        async def tracked(*args: Any, **kwargs: Any) -> tuple[asyncio.BaseTransport, Any]:
            transport, protocol = await create_connection(*args, **kwargs)
            self._transports.append(transport)
            return transport, protocol

        self._loop.create_connection = tracked  # type: ignore[method-assign]

    def start(self, caller: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """Start the thread; the future (of ``caller``'s loop) is done when ``main`` ends."""
        finished: asyncio.Future[None] = caller.create_future()
        self._done = lambda: caller.call_soon_threadsafe(_settle, finished)
        self._thread.start()
        self._ready.wait()
        return finished

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._task = self._loop.create_task(_awaited(self._main), name="student code")
            self._ready.set()
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as error:  # what run() raised, said to the student
            self.error = error
        finally:
            self._ready.set()
            if self._task is not None and not self._task.done():  # stopped by force: said
                self._task._log_destroy_pending = False  # type: ignore[attr-defined]
            with contextlib.suppress(BaseException):
                self._cut_what_is_left()
            with contextlib.suppress(BaseException):
                self._loop.close()
            with contextlib.suppress(RuntimeError):  # the notebook's loop is gone
                self._done()

    def _cut_what_is_left(self) -> None:
        """Abort the connections ``main`` left open and cancel the tasks it left, then turn
        the loop once so that the sockets close: an exchange stopped after the cell then has
        no silent peer to wait for, and the next cell no stray client."""
        for transport in self._transports:
            transport.abort()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))

    async def stop(self, finished: asyncio.Future[None]) -> None:
        """Cancel ``main``; if it is still running `STOP_GRACE` later, say why and stop it."""
        if finished.done():
            return
        turns = self.turns  # before the cancel, whose own turn shows a loop that still turns
        task = self._task
        if task is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(task.cancel)
        await asyncio.wait({finished}, timeout=STOP_GRACE)
        if finished.done():
            return
        if self.turns == turns:
            print(
                tr(
                    "run() never awaited: it ran without letting anything else run (a loop "
                    "that never waits?), so it was stopped"
                )
            )
        else:
            print(tr("run() did not stop when cancelled: let asyncio.CancelledError through"))
        for _ in range(3):
            raise_in(self._thread, Stuck)
            with contextlib.suppress(RuntimeError):  # wake a loop asleep in select()
                self._loop.call_soon_threadsafe(_nothing)
            await asyncio.wait({finished}, timeout=STOP_GRACE)
            if finished.done():
                return
        print(
            tr(
                "your code could not be stopped and is still running in the background: restart "
                "the kernel (Kernel → Restart) after fixing it"
            )
        )


def _nothing() -> None:
    """A callback that only wakes its loop up."""


def _settle(finished: asyncio.Future[None]) -> None:
    if not finished.done():
        finished.set_result(None)


async def _awaited(main: Awaitable[Any]) -> Any:
    return await main


async def feed_monitor(
    monitor: Any,
    exchanges: Mapping[str, str],
    seconds: float,
    *,
    faults: Iterable[Fault] = (),
    speed: float = 60.0,
) -> None:
    """Tell ``monitor`` of every connection change of a feed on each exchange (name → URL)
    and call its ``check`` five times a second, for ``seconds`` of real time.

    The monitor's clock runs ``speed`` times faster than the real one, so that a few seconds
    of a notebook cell are several minutes for the monitor."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    def now() -> float:
        return (loop.time() - start) * speed

    said: set[str] = set()

    def on_event(event: Event) -> None:
        if event.kind in (Kind.CONNECTED, Kind.LOST):
            _report(said, monitor.record, event.source, event.kind is Kind.CONNECTED, now())

    bus = EventBus()
    bus.subscribe(on_event)
    clients = [PriceFeedClient(url, name=name, events=bus) for name, url in exchanges.items()]
    for client in clients:
        await client.subscribe("BTC/USDT")
        await client.start()
    pending = sorted(faults, key=lambda f: f[0])
    try:
        while loop.time() - start < seconds:
            while pending and loop.time() - start >= pending[0][0]:
                pending.pop(0)[1]()
            _report(said, monitor.check, now())
            await asyncio.sleep(0.2)
    finally:
        for client in clients:
            await client.close()


def _report(said: set[str], method: Callable[..., Any], *args: Any) -> None:
    """Call a monitor's method; print what it raised, once per method."""
    try:
        method(*args)
    except Exception as error:
        name = getattr(method, "__name__", "monitor")
        if name not in said:
            said.add(name)
            print(f"{name}{args} raised {explain(error)}")
