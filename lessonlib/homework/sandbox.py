"""Run a student's code in virtual time, in a worker thread that a watchdog can stop.

A check must give an answer within seconds whatever the code does. Inside the sandbox thread
(and only there, so that the kernel's own threads are untouched):

* ``time.sleep`` raises `BlockingCall`: it would freeze the event loop, and every other task
  with it;
* ``time.time``, ``time.monotonic`` and ``time.perf_counter`` read the virtual clock, so that
  code timing itself the usual way still works in a simulation, and so do the same functions
  imported by name into the student's namespace (``from time import monotonic``);
* what the code prints is counted and only its first lines kept, so megabytes cost nothing.

The run's budget is work, not time: turns of its event loop (see `Budget`), counted inside the
loop, so that a busy machine slows a check down but never changes its verdict. Past the budget,
or after too many turns without virtual time moving (code spinning through ``await``), the
scenario is cancelled from inside the loop. Code that never awaits (``while True: pass``) ends
no turn at all: the watchdog in the calling thread sees one turn use seconds of the thread's CPU
time (what no awaiting code comes near) and raises `Stuck` inside the thread; code that will not
stop even then is left behind and the run reported as stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import io
import random
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from ..vtime import looptime  # imported there without looptime's pytest fixture

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
    overtime: bool = False  # the budget of loop turns ran out and the scenario was cancelled
    stuck: bool = False  # the code would not yield even to an injected exception
    stopped_at: float = 0.0  # the virtual time at which the budget ran out (with overtime)
    turns: int = 0  # turns of the event loop the run took
    still_turns: int = 0  # the most turns in a row at one virtual instant
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


@dataclass(frozen=True, slots=True)
class Budget:
    """How much work a run may do, counted in turns of its event loop (one turn runs what is
    ready, then moves virtual time on): the same count on a quiet machine and a busy one."""

    turns: int = 500_000  # turns for the whole scenario (a correct solution: under 20,000)
    still_turns: int = 20_000  # turns in a row at one virtual instant: a loop that never waits
    cleanup_turns: int = 100_000  # turns to wind down once stopped
    stuck_cpu: float = 1.0  # CPU seconds in one turn: code that never awaits (a turn: < 0.01 s)
    stuck_wall: float = 60.0  # real seconds of one turn outside Python (blocked, using no CPU)

    def __post_init__(self) -> None:
        for name in ("turns", "still_turns", "cleanup_turns", "stuck_cpu", "stuck_wall"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"Budget.{name} must be positive, got {value!r}")


class _OutOfTurns(BaseException):
    """Raised out of the event loop when stopped code will not wind down within its turns."""


class _Meter:
    """Counts the loop's turns; past the budget it cancels the scenario from inside the loop
    (so where it happens depends only on the code), past the cleanup turns it ends the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, budget: Budget) -> None:
        self.loop = loop
        self.budget = budget
        self.turns = 0
        self.still = 0
        self.longest_still = 0
        self._instant: float | None = None
        self.limit = budget.turns
        self.stopped_at: float | None = None  # virtual time when the budget ran out
        self.stop_requested = False  # set by the watchdog (other thread) on stuck code
        self.main: asyncio.Task[Any] | None = None
        run_once = loop._run_once  # type: ignore[attr-defined]

        def counted() -> None:
            self._count()
            run_once()

        loop._run_once = counted  # type: ignore[attr-defined]

    def _count(self) -> None:
        self.turns += 1
        now = self.loop.time()
        if now == self._instant:
            self.still += 1
            self.longest_still = max(self.longest_still, self.still)
        else:
            self._instant, self.still = now, 0
        if self.stopped_at is None:
            if (
                self.turns > self.limit
                or self.still > self.budget.still_turns
                or self.stop_requested
            ):
                self.stop()
        elif self.turns > self.limit:
            raise _OutOfTurns

    def stop(self) -> None:
        """Cancel the scenario now and give it the cleanup turns to finish."""
        self.stopped_at = self.loop.time()
        self.allow_cleanup()
        if self.main is not None:
            self.main.cancel()

    def allow_cleanup(self) -> None:
        self.limit = self.turns + self.budget.cleanup_turns


def run(
    main: Callable[[], Awaitable[Any]],
    *,
    budget: Budget | None = None,
    namespaces: Iterable[MutableMapping[str, Any]] = (),
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    random_seed: int | None = None,
) -> RunResult:
    """Run ``main()`` on a fresh virtual-time loop in a sandbox thread within ``budget`` (turns
    of the loop, not seconds, so that a busy machine cannot change the outcome); never hangs.
    ``namespaces`` are the student's globals, whose names for the clocks are rebound;
    ``loop_factory`` makes the loop when its time is kept elsewhere (see `lockstep`);
    ``random_seed`` seeds the `random` module for the run (see `random_seed_for`)."""
    budget = budget or Budget()
    sandbox = _Sandbox()
    result = RunResult()

    # Made here, before the clocks are patched: looptime keeps a real clock for its idle timeout.
    loop = (
        loop_factory()
        if loop_factory is not None
        else looptime.new_event_loop(start=0.0, idle_timeout=1.0, noop_cycles=1)
    )
    sandbox.loop = loop
    meter = _Meter(loop, budget)

    def target() -> None:
        _local.sandbox = sandbox
        asyncio.set_event_loop(loop)
        try:
            meter.main = loop.create_task(_as_coroutine(main))
            loop.run_until_complete(meter.main)
        except BaseException as error:  # everything is reported, nothing escapes the thread
            result.error = error
        finally:
            result.simulated = loop.time()
            meter.allow_cleanup()
            _close(loop)
            asyncio.set_event_loop(None)
            _local.sandbox = None

    real_clock = time.perf_counter
    with _patched(), _rebound(namespaces), _seeded(random_seed):
        started = real_clock()
        thread = threading.Thread(target=target, name="homework-check", daemon=True)
        thread.start()
        result.stuck = not _watch(thread, meter, budget, real_clock)
        result.real = real_clock() - started
    result.overtime = meter.stopped_at is not None
    result.stopped_at = meter.stopped_at or 0.0
    result.turns = meter.turns
    result.still_turns = meter.longest_still
    result.blocking_sleeps = sandbox.blocking_sleeps
    result.printed = sandbox.printed
    result.output = sandbox.output.getvalue()
    return result


def random_seed_for(task: str, seed: int) -> int:
    """The seed of the `random` module while a check of ``task`` runs on scenario ``seed``:
    code that draws its jitter from `random` then gets the same verdict on every run of one
    seed (a rerun repeats a grade), and the number tells nothing of the scenario's seed (the
    kernel of a held scenario is given this, never the seed)."""
    digest = hashlib.sha256(f"reconnect-lab/{task}/{seed}/random".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """The `random` module seeded with ``seed`` for the run; its state before is put back."""
    if seed is None:
        yield
        return
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def _watch(
    thread: threading.Thread, meter: _Meter, budget: Budget, clock: Callable[[], float]
) -> bool:
    """Wait for ``thread`` to end; while one turn of its loop never ends (``stuck_cpu`` of its
    CPU time, or ``stuck_wall`` of real time outside Python), raise `Stuck` inside it. False
    when it still would not end after a few tries. No turn of code that awaits comes near."""
    cpu = _cpu_clock(thread, clock)
    tries = 0
    while True:
        turns, cpu_since, wall_since = meter.turns, cpu(), clock()
        while thread.is_alive() and meter.turns == turns:
            thread.join(0.05)
            if cpu() - cpu_since >= budget.stuck_cpu or clock() - wall_since >= budget.stuck_wall:
                break
        if not thread.is_alive():
            return True
        if meter.turns != turns:
            continue
        if tries == 4:
            return False
        tries += 1
        meter.stop_requested = True
        raise_in(thread, Stuck)


def _cpu_clock(thread: threading.Thread, clock: Callable[[], float]) -> Callable[[], float]:
    """The CPU time ``thread`` has used (its own clock, where the system has one)."""
    try:
        clock_id = time.pthread_getcpuclockid(thread.ident or 0)
    except (AttributeError, OSError):  # no per-thread CPU clock here: real time stands in
        return clock
    last = [0.0]

    def used() -> float:
        with contextlib.suppress(OSError):  # the thread ended between two looks
            last[0] = time.clock_gettime(clock_id)
        return last[0]

    return used


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
        for task in leftovers:  # code that would not stop: reported already, dropped quietly
            if not task.done():
                task._log_destroy_pending = False  # type: ignore[attr-defined]
        loop.run_until_complete(loop.shutdown_asyncgens())
    with contextlib.suppress(BaseException):
        loop.close()


def raise_in(thread: threading.Thread, exception: type[BaseException]) -> None:
    """Raise ``exception`` inside ``thread`` at its next Python instruction."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exception)
        )
