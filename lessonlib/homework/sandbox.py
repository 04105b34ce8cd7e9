"""Run a student's code in virtual time, in a worker thread that a watchdog can stop.

A check must give an answer within seconds whatever the code does. Inside the sandbox thread
(and only there, so that the kernel's own threads are untouched):

* ``time.sleep`` raises `BlockingCall`: it would freeze the event loop, and every other task
  with it;
* ``time.time``, ``time.monotonic`` and ``time.perf_counter`` read the virtual clock, so that
  code timing itself the usual way still works in a simulation, and so do the same functions
  imported by name into the student's namespace (``from time import monotonic``);
* what the code prints is counted and only its first lines kept, so megabytes cost nothing.

The watchdog in the calling thread gives the run a budget of CPU time of the sandbox thread
(what the code does, not how busy the machine is; a long wall-clock backstop remains for a thread
stuck outside Python). Past it, the scenario is
cancelled (enough for code that spins through ``await``); past a second more, an exception is
raised inside the thread (enough for ``while True: pass``); past that, the thread is left
behind and the run reported as stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import looptime

KEEP_OUTPUT = 2_000  # characters of printed output kept for the report


class BlockingCall(BaseException):
    """Raised in student code that calls ``time.sleep`` during a check.

    A BaseException, so that ``except Exception`` in a retry loop does not swallow it."""


class Stuck(BaseException):
    """Raised inside the sandbox thread by the watchdog when the code never yields."""


@dataclass(slots=True)
class RunResult:
    """How a sandboxed run ended, and what it printed."""

    error: BaseException | None = None
    overtime: bool = False  # the CPU-time budget ran out and the run was cancelled
    stuck: bool = False  # the code would not yield even to an injected exception
    blocking_sleeps: int = 0
    printed: int = 0
    output: str = ""
    simulated: float = 0.0
    real: float = 0.0


class _Sandbox:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.output = io.StringIO()
        self.printed = 0
        self.blocking_sleeps = 0
        self.epoch = 1_764_000_000.0

    def write(self, text: str) -> int:
        self.printed += len(text)
        room = KEEP_OUTPUT - self.output.tell()
        if room > 0:
            self.output.write(text[:room])
        return len(text)

    def now(self) -> float:
        return self.loop.time() if self.loop is not None else 0.0


_local = threading.local()
_patch_lock = threading.Lock()
_patch_depth = 0
_originals: dict[str, Callable[..., Any]] = {}


def _current() -> _Sandbox | None:
    return getattr(_local, "sandbox", None)


def _sleep(seconds: float) -> None:
    sandbox = _current()
    if sandbox is None:
        return _originals["sleep"](seconds)
    sandbox.blocking_sleeps += 1
    raise BlockingCall(
        f"time.sleep({seconds!r}) blocks the event loop and every other task; "
        "use `await asyncio.sleep(...)`"
    )


def _clock(name: str, offset: Callable[[_Sandbox], float]) -> Callable[[], float]:
    def clock() -> float:
        sandbox = _current()
        if sandbox is None:
            return _originals[name]()
        return offset(sandbox) + sandbox.now()

    clock.__name__ = name
    return clock


class _RoutedStream:
    """sys.stdout / sys.stderr: the sandbox thread's writes are counted, others pass on."""

    def __init__(self, original: Any) -> None:
        self._original = original

    def write(self, text: str) -> int:
        sandbox = _current()
        if sandbox is None:
            return self._original.write(text)
        return sandbox.write(str(text))

    def flush(self) -> None:
        if _current() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


@contextlib.contextmanager
def _patched() -> Iterator[None]:
    """Install the thread-aware replacements for the duration of a check."""
    global _patch_depth
    with _patch_lock:
        if _patch_depth == 0:
            _originals.update(
                sleep=time.sleep,
                time=time.time,
                monotonic=time.monotonic,
                perf_counter=time.perf_counter,
                stdout=sys.stdout,
                stderr=sys.stderr,
            )
            time.sleep = _sleep
            time.time = _clock("time", lambda s: s.epoch)
            time.monotonic = _clock("monotonic", lambda s: 0.0)
            time.perf_counter = _clock("perf_counter", lambda s: 0.0)
            sys.stdout = _RoutedStream(sys.stdout)
            sys.stderr = _RoutedStream(sys.stderr)
        _patch_depth += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                time.sleep = _originals["sleep"]
                time.time = _originals["time"]
                time.monotonic = _originals["monotonic"]
                time.perf_counter = _originals["perf_counter"]
                sys.stdout = _originals["stdout"]
                sys.stderr = _originals["stderr"]


@contextlib.contextmanager
def _rebound(namespaces: Iterable[MutableMapping[str, Any]]) -> Iterator[None]:
    """While patched: names in ``namespaces`` bound to the real clocks or sleep (``from time
    import monotonic``) point at the replacements, and back afterwards."""
    replaced: list[tuple[MutableMapping[str, Any], str, Any, Any]] = []
    pairs = [(_originals[name], getattr(time, name)) for name in _CLOCK_NAMES]
    for namespace in namespaces:
        for key, value in list(namespace.items()):
            replacement = next((new for old, new in pairs if value is old), None)
            if replacement is not None:
                namespace[key] = replacement
                replaced.append((namespace, key, value, replacement))
    try:
        yield
    finally:
        for namespace, key, value, replacement in replaced:
            if namespace.get(key) is replacement:
                namespace[key] = value


_CLOCK_NAMES = ("sleep", "time", "monotonic", "perf_counter")


def run(
    main: Callable[[], Awaitable[Any]],
    *,
    real_limit: float = 3.0,
    wall_limit: float = 120.0,
    namespaces: Iterable[MutableMapping[str, Any]] = (),
) -> RunResult:
    """Run ``main()`` on a fresh virtual-time loop in a sandbox thread, within ``real_limit``
    seconds of the thread's CPU time (``wall_limit`` of real time at most); never hangs.
    ``namespaces`` are the student's globals, whose names for the clocks are rebound."""
    sandbox = _Sandbox()
    result = RunResult()
    main_task: list[asyncio.Task[Any]] = []

    # Made here, before the clocks are patched: looptime keeps a real clock for its idle timeout.
    loop = looptime.new_event_loop(start=0.0, idle_timeout=1.0, noop_cycles=1)
    sandbox.loop = loop

    def target() -> None:
        _local.sandbox = sandbox
        asyncio.set_event_loop(loop)
        try:
            task = loop.create_task(_as_coroutine(main))
            main_task.append(task)
            loop.run_until_complete(task)
        except BaseException as error:  # everything is reported, nothing escapes the thread
            result.error = error
        finally:
            result.simulated = loop.time()
            _close(loop)
            asyncio.set_event_loop(None)
            _local.sandbox = None

    real_clock = time.perf_counter
    with _patched(), _rebound(namespaces):
        started = real_clock()
        thread = threading.Thread(target=target, name="homework-check", daemon=True)
        thread.start()
        _join_within_cpu(thread, real_limit, started + wall_limit, real_clock)
        if thread.is_alive():
            result.overtime = True
            if main_task:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(main_task[0].cancel)
            thread.join(0.5)
        deadline = real_clock() + 2.0
        while thread.is_alive() and real_clock() < deadline:
            _raise_in(thread, Stuck)
            thread.join(0.2)
        result.stuck = thread.is_alive()
        result.real = real_clock() - started
    result.blocking_sleeps = sandbox.blocking_sleeps
    result.printed = sandbox.printed
    result.output = sandbox.output.getvalue()
    return result


def _join_within_cpu(
    thread: threading.Thread, cpu_limit: float, deadline: float, clock: Callable[[], float]
) -> None:
    """Wait for ``thread`` until it has used ``cpu_limit`` seconds of CPU (or the wall-clock
    ``deadline`` passes): a busy machine slows the thread down but does not use up its budget."""
    try:
        cpu_clock = time.pthread_getcpuclockid(thread.ident or 0)
    except (AttributeError, OSError):  # no per-thread CPU clock here: real time, as before
        thread.join(cpu_limit)
        return
    while thread.is_alive() and clock() < deadline:
        try:
            if time.clock_gettime(cpu_clock) >= cpu_limit:
                return
        except OSError:  # the thread ended between the two looks
            return
        thread.join(0.02)


async def _as_coroutine(main: Callable[[], Awaitable[Any]]) -> Any:
    return await main()


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left, give it a few turns to finish, and close the loop."""
    with contextlib.suppress(BaseException):
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=5.0))
        loop.run_until_complete(loop.shutdown_asyncgens())
    with contextlib.suppress(BaseException):
        loop.close()


def _raise_in(thread: threading.Thread, exception: type[BaseException]) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exception)
        )
