"""Virtual time: long schedules in an instant, exact clocks, and guards against hangs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from lessonlib import vtime

SANITY_BOUND = 5.0  # real seconds: a guard against a hang, not a timing measurement


async def sleep_and_read_clock(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return asyncio.get_running_loop().time()


async def where_am_i() -> tuple[str, asyncio.AbstractEventLoop]:
    return threading.current_thread().name, asyncio.get_running_loop()


# --- run ------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [0.0, 100.0, 1_000_000.0])
def test_ten_minutes_pass_in_an_instant_and_the_clock_reads_exactly_start_plus_600(
    start: float,
) -> None:
    started = time.perf_counter()
    assert vtime.run(sleep_and_read_clock(600.0), start=start) == start + 600.0
    assert time.perf_counter() - started < SANITY_BOUND


def test_the_clock_starts_at_start() -> None:
    async def read() -> float:
        return asyncio.get_running_loop().time()

    assert vtime.run(read(), start=42.0) == 42.0


def test_a_day_of_a_minutely_schedule_runs_in_virtual_time() -> None:
    async def minutely() -> list[float]:
        loop = asyncio.get_running_loop()
        ticks = []
        for _ in range(24 * 60):
            await asyncio.sleep(60.0)
            ticks.append(loop.time())
        return ticks

    started = time.perf_counter()
    ticks = vtime.run(minutely(), noop_cycles=1)
    assert ticks[0] == 60.0 and ticks[-1] == 86_400.0 and len(ticks) == 1440
    assert time.perf_counter() - started < SANITY_BOUND


def test_concurrent_sleepers_wake_in_virtual_time_order() -> None:
    async def main() -> list[tuple[str, float]]:
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            woke.append((name, await sleep_and_read_clock(seconds)))

        await asyncio.gather(sleeper("slow", 30.0), sleeper("fast", 5.0), sleeper("mid", 12.5))
        return woke

    assert vtime.run(main()) == [("fast", 5.0), ("mid", 12.5), ("slow", 30.0)]


def test_a_function_returning_a_coroutine_is_accepted() -> None:
    assert vtime.run(lambda: sleep_and_read_clock(5.0)) == 5.0


def test_an_error_in_main_propagates() -> None:
    async def fails() -> None:
        await asyncio.sleep(3.0)
        raise KeyError("inside the simulation")

    with pytest.raises(KeyError, match="inside the simulation"):
        vtime.run(fails())


def test_each_run_gets_a_fresh_loop_that_is_closed_afterwards() -> None:
    _, first = vtime.run(where_am_i())
    _, second = vtime.run(where_am_i())
    assert first is not second
    assert first.is_closed() and second.is_closed()


def test_run_inside_a_running_loop_uses_a_worker_thread_as_in_a_notebook() -> None:
    async def kernel_cell() -> dict[str, Any]:
        outer = asyncio.get_running_loop()
        clock = vtime.run(sleep_and_read_clock(60.0))
        inner_thread, inner_loop = vtime.run(where_am_i())
        return {
            "clock": clock,
            "inner thread": inner_thread,
            "outer thread": threading.current_thread().name,
            "separate loops": inner_loop is not outer,
            "outer loop intact": asyncio.get_running_loop() is outer and not outer.is_closed(),
        }

    seen = asyncio.run(kernel_cell())
    assert seen["clock"] == 60.0
    assert seen["inner thread"] != seen["outer thread"]
    assert seen["separate loops"]
    assert seen["outer loop intact"]


def test_run_inside_a_running_loop_passes_errors_back() -> None:
    async def fails() -> None:
        raise ValueError("from the worker")

    async def kernel_cell() -> None:
        vtime.run(fails())

    with pytest.raises(ValueError, match="from the worker"):
        asyncio.run(kernel_cell())


# --- simulate -------------------------------------------------------------------------------


def test_simulate_is_awaited_while_the_outer_loop_keeps_running() -> None:
    async def kernel_cell() -> tuple[float, int, str, str]:
        ticks = 0

        async def outer_work() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        worker = asyncio.create_task(outer_work())
        result = await vtime.simulate(sleep_and_read_clock(3600.0), start=10.0)
        inner_thread, _ = await vtime.simulate(where_am_i)
        worker.cancel()
        return result, ticks, inner_thread, threading.current_thread().name

    result, ticks, inner_thread, outer_thread = asyncio.run(kernel_cell())
    assert result == 3610.0
    assert ticks > 0
    assert inner_thread != outer_thread


def test_simulate_passes_errors_back() -> None:
    async def fails() -> None:
        await asyncio.sleep(1.0)
        raise LookupError("simulated")

    async def kernel_cell() -> None:
        await vtime.simulate(fails())

    with pytest.raises(LookupError, match="simulated"):
        asyncio.run(kernel_cell())


# --- guards ---------------------------------------------------------------------------------


def test_end_stops_a_schedule_that_never_finishes() -> None:
    ticks: list[float] = []

    async def forever() -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(1.0)
            ticks.append(loop.time())

    started = time.perf_counter()
    with pytest.raises(vtime.LoopTimeoutError):
        vtime.run(forever(), end=50.0)
    assert time.perf_counter() - started < SANITY_BOUND
    assert ticks  # it did run for a while
    assert max(ticks) <= 50.0


def test_end_does_not_disturb_a_schedule_that_finishes_in_time() -> None:
    assert vtime.run(sleep_and_read_clock(49.0), end=50.0) == 49.0


def test_end_inside_a_running_loop_also_raises() -> None:
    async def forever() -> None:
        while True:
            await asyncio.sleep(1.0)

    async def kernel_cell() -> None:
        await vtime.simulate(forever(), end=10.0)

    with pytest.raises(vtime.LoopTimeoutError):
        asyncio.run(kernel_cell())


def test_a_deadlock_is_reported_instead_of_hanging() -> None:
    async def deadlock() -> None:
        await asyncio.get_running_loop().create_future()  # nobody will ever set it

    started = time.perf_counter()
    with pytest.raises(vtime.IdleTimeoutError):
        vtime.run(deadlock(), idle_timeout=0.2)
    assert time.perf_counter() - started < SANITY_BOUND


def test_background_tasks_left_running_are_cancelled_when_main_returns() -> None:
    cancelled: list[float] = []
    cleaned_up: list[str] = []

    async def background(name: str) -> None:
        try:
            await asyncio.sleep(1e9)
        except asyncio.CancelledError:
            cancelled.append(asyncio.get_running_loop().time())
            raise
        finally:
            cleaned_up.append(name)

    async def main() -> str:
        tasks = [asyncio.create_task(background(name)) for name in ("a", "b")]
        await asyncio.sleep(10.0)
        assert not any(task.done() for task in tasks)  # still running when main returns
        return "done"

    assert vtime.run(main()) == "done"
    assert cancelled == [10.0, 10.0]
    assert sorted(cleaned_up) == ["a", "b"]


def test_background_tasks_are_cancelled_even_when_main_fails() -> None:
    cleaned_up: list[bool] = []

    async def background() -> None:
        try:
            await asyncio.sleep(1e9)
        finally:
            cleaned_up.append(True)

    async def main() -> None:
        asyncio.create_task(background())  # noqa: RUF006 - left running on purpose
        await asyncio.sleep(1.0)
        raise RuntimeError("main failed")

    with pytest.raises(RuntimeError, match="main failed"):
        vtime.run(main())
    assert cleaned_up == [True]


# --- arguments ------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    ({"start": 5.0, "end": 5.0}, r"end must be later than start \(5\.0\), got 5\.0"),
    ({"start": 5.0, "end": 1.0}, r"end must be later than start \(5\.0\), got 1\.0"),
    ({"end": -1.0}, r"end must be later than start \(0\.0\), got -1\.0"),
    ({"idle_timeout": 0}, r"idle_timeout must be greater than 0 or None, got 0"),
    ({"idle_timeout": -0.5}, r"idle_timeout must be greater than 0 or None, got -0\.5"),
    ({"noop_cycles": -1}, r"noop_cycles must be a non-negative integer, got -1"),
    ({"noop_cycles": 1.5}, r"noop_cycles must be a non-negative integer, got 1\.5"),
    ({"noop_cycles": True}, r"noop_cycles must be a non-negative integer, got True"),
]
BAD_IDS = [
    "end=start",
    "end<start",
    "end<0",
    "idle 0",
    "idle<0",
    "noop<0",
    "noop float",
    "noop bool",
]


@pytest.mark.parametrize(("kwargs", "complaint"), BAD_ARGUMENTS, ids=BAD_IDS)
def test_new_loop_refuses_bad_arguments(kwargs: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        vtime.new_loop(**kwargs)


@pytest.mark.parametrize(("kwargs", "complaint"), BAD_ARGUMENTS, ids=BAD_IDS)
def test_run_refuses_bad_arguments_without_running_main(
    kwargs: dict[str, Any], complaint: str
) -> None:
    ran: list[bool] = []
    main = recording_main(ran)
    with pytest.raises(ValueError, match=complaint):
        vtime.run(main, **kwargs)
    assert ran == []


@pytest.mark.parametrize(("kwargs", "complaint"), BAD_ARGUMENTS, ids=BAD_IDS)
def test_simulate_refuses_bad_arguments_without_running_main(
    kwargs: dict[str, Any], complaint: str
) -> None:
    ran: list[bool] = []

    async def kernel_cell() -> None:
        await vtime.simulate(recording_main(ran), **kwargs)

    with pytest.raises(ValueError, match=complaint):
        asyncio.run(kernel_cell())
    assert ran == []


def recording_main(ran: list[bool]) -> Callable[[], Any]:
    """A main given as a function, so that a refused run leaves no coroutine unawaited."""

    async def main() -> None:
        ran.append(True)

    return main


@pytest.mark.parametrize(
    "kwargs",
    [{"idle_timeout": None}, {"noop_cycles": 0}, {"noop_cycles": 1}, {"start": -5.0, "end": 0.0}],
)
def test_edge_arguments_that_make_sense_are_accepted(kwargs: dict[str, Any]) -> None:
    assert vtime.run(lambda: sleep_and_read_clock(0.5), **kwargs) == kwargs.get("start", 0.0) + 0.5
