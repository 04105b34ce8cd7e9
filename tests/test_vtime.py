"""Virtual time: long schedules in milliseconds, exact clocks, and guards against hangs."""

from __future__ import annotations

import asyncio
import time

import pytest

from lessonlib import vtime


async def sleep_and_read_clock(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return asyncio.get_running_loop().time()


def test_ten_minutes_pass_in_a_blink_and_the_clock_is_exact() -> None:
    started = time.perf_counter()
    assert vtime.run(sleep_and_read_clock(600.0), start=100.0) == 700.0
    assert time.perf_counter() - started < 5.0  # a sanity bound, not a timing test


def test_run_works_inside_a_running_loop_as_in_a_notebook() -> None:
    async def kernel_cell() -> float:
        return vtime.run(sleep_and_read_clock(60.0))

    assert asyncio.run(kernel_cell()) == 60.0


def test_simulate_is_awaited_while_the_outer_loop_keeps_running() -> None:
    async def kernel_cell() -> tuple[float, int]:
        ticks = 0

        async def outer_work() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        worker = asyncio.create_task(outer_work())
        result = await vtime.simulate(sleep_and_read_clock(3600.0))
        worker.cancel()
        return result, ticks

    result, ticks = asyncio.run(kernel_cell())
    assert result == 3600.0
    assert ticks > 0


def test_a_function_returning_a_coroutine_is_accepted() -> None:
    assert vtime.run(lambda: sleep_and_read_clock(5.0)) == 5.0


def test_end_stops_a_schedule_that_never_finishes() -> None:
    async def forever() -> None:
        while True:
            await asyncio.sleep(1.0)

    with pytest.raises(vtime.LoopTimeoutError):
        vtime.run(forever(), end=50.0)


def test_a_deadlock_is_reported_instead_of_hanging() -> None:
    async def deadlock() -> None:
        await asyncio.get_running_loop().create_future()

    with pytest.raises(vtime.IdleTimeoutError):
        vtime.run(deadlock(), idle_timeout=0.2)


def test_background_tasks_left_running_are_cancelled() -> None:
    cancelled = []

    async def background() -> None:
        try:
            await asyncio.sleep(1e9)
        except asyncio.CancelledError:
            cancelled.append(asyncio.get_running_loop().time())
            raise

    async def main() -> None:
        task = asyncio.create_task(background())
        await asyncio.sleep(10.0)
        assert not task.done()  # still running when main returns

    vtime.run(main())
    assert cancelled == [10.0]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"start": 5.0, "end": 5.0}, "end must be later than start"),
        ({"idle_timeout": 0}, "idle_timeout must be greater than 0"),
        ({"noop_cycles": -1}, "noop_cycles must be a non-negative integer, got -1"),
    ],
)
def test_bad_arguments_are_refused(settings: dict[str, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        vtime.new_loop(**settings)  # type: ignore[arg-type]
