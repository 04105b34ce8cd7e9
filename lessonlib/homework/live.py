"""Trying homework code live, against real practice exchanges on real sockets, for a few
seconds: the "try it" cells of the homework notebooks. Unfinished code is reported, not
raised, so that a notebook as shipped runs top to bottom."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ..events import Event, EventBus, Kind
from ..feed.client import PriceFeedClient
from .harness import explain

Fault = tuple[float, Callable[[], Any]]


async def run_for(seconds: float, main: Awaitable[Any], faults: Iterable[Fault] = ()) -> bool:
    """Run ``main`` (the student's ``run()``) for ``seconds``, calling each fault at its
    moment, then cancel it. True when it was still running at the end; otherwise what it
    raised is printed."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        for moment, fault in sorted(faults, key=lambda f: f[0]):
            await asyncio.wait({task}, timeout=max(0.0, start + moment - loop.time()))
            if task.done():
                break
            fault()
        await asyncio.wait({task}, timeout=max(0.0, start + seconds - loop.time()))
        if task.done():
            error = task.exception()
            print(f"run() ended early: {explain(error) if error else 'it returned'}")
            return False
        return True
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


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
