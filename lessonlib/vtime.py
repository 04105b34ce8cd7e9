"""Virtual time: run a coroutine on an event loop whose clock jumps ahead when all tasks wait.

A ten-minute outage schedule then runs in milliseconds, and every time it reports is exact
and the same on every run. The loop is looptime's; this module gives it a front door that
also works inside Jupyter, where the kernel's own loop is already running: there the
simulation runs on a fresh loop in a worker thread.

    result = vtime.run(main())            # from plain code or a test
    result = await vtime.simulate(main()) # from a notebook cell or other async code
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from . import validate

# looptime defines a pytest fixture whenever pytest can be imported, and importing pytest
# costs about half a second of every kernel's start (a lesson, a graded notebook). Nothing
# here uses the fixture, so looptime is imported with pytest hidden, unless pytest is loaded
# already (a test run, where the fixture is pytest's business).
if "pytest" in sys.modules:
    import looptime
else:
    sys.modules["pytest"] = None  # type: ignore[assignment]  # `import pytest` fails at once
    try:
        import looptime
    finally:
        del sys.modules["pytest"]

T = TypeVar("T")

Main = Coroutine[Any, Any, T] | Callable[[], Awaitable[T]]

LoopTimeoutError = looptime.LoopTimeoutError
IdleTimeoutError = looptime.IdleTimeoutError


def run(
    main: Main[T],
    *,
    start: float = 0.0,
    end: float | None = None,
    idle_timeout: float | None = 2.0,
    noop_cycles: int = 42,
) -> T:
    """Run ``main`` (a coroutine, or a function returning one) in virtual time; its result.

    ``start`` is the loop's clock at the beginning. ``end`` stops the simulation with
    `LoopTimeoutError` once the virtual clock reaches it, a guard against schedules that never
    finish. ``idle_timeout`` is the real time to wait when every task waits on something that
    no timer will ever wake (a deadlock) before failing with `IdleTimeoutError`.
    ``noop_cycles`` is how many idle loop turns looptime lets pass before it moves the clock;
    a pure simulation with no sockets can lower it to 1 for speed.
    Tasks still running when ``main`` returns are cancelled and awaited.
    """
    loop = new_loop(start=start, end=end, idle_timeout=idle_timeout, noop_cycles=noop_cycles)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on(loop, main)
    # A loop already runs in this thread (a notebook): use the fresh one on a worker thread.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="vtime") as pool:
        return pool.submit(_run_on, loop, main).result()


async def simulate(
    main: Main[T],
    *,
    start: float = 0.0,
    end: float | None = None,
    idle_timeout: float | None = 2.0,
    noop_cycles: int = 42,
) -> T:
    """Like `run`, awaited from async code: the calling loop keeps running meanwhile."""
    loop = new_loop(start=start, end=end, idle_timeout=idle_timeout, noop_cycles=noop_cycles)
    return await asyncio.to_thread(_run_on, loop, main)


def new_loop(
    *,
    start: float = 0.0,
    end: float | None = None,
    idle_timeout: float | None = 2.0,
    noop_cycles: int = 42,
) -> asyncio.AbstractEventLoop:
    """A fresh virtual-time event loop (arguments as for `run`), not yet running."""
    if end is not None and end <= start:
        raise ValueError(f"end must be later than start ({start!r}), got {end!r}")
    if idle_timeout is not None and not idle_timeout > 0:
        raise ValueError(f"idle_timeout must be greater than 0 or None, got {idle_timeout!r}")
    validate.integer("noop_cycles", noop_cycles)
    return looptime.new_event_loop(
        start=start, end=end, idle_timeout=idle_timeout, noop_cycles=noop_cycles
    )


def _run_on(loop: asyncio.AbstractEventLoop, main: Main[T]) -> T:
    """Run ``main`` to completion on ``loop`` in the current thread, then close the loop."""
    asyncio.set_event_loop(loop)
    try:
        coroutine = main() if callable(main) else main
        return loop.run_until_complete(coroutine)
    finally:
        try:
            _cancel_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
