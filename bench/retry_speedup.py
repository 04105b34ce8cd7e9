"""How much faster than real time virtual time runs a ten-minute outage through the retry driver.

The schedule: an exchange down for 600 s; one client retrying with the lesson's policy
(0.1 s doubling to a 30 s cap, never giving up) until it gets in. The baseline, measured in
the same run: the same number of attempts with zero-length sleeps on a plain asyncio loop,
i.e. what the attempts cost with no waiting at all. Prints the speed-up (simulated seconds
per real second) and the overhead of virtual time against that baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.retry import connect_with_retry

OUTAGE = 600.0
POLICY = BackoffPolicy(initial_delay=0.1, max_delay=30.0, max_retries=None)
RUNS = 15


async def outage() -> tuple[float, int]:
    loop = asyncio.get_running_loop()
    back_at = loop.time() + OUTAGE
    log = EventLog()

    async def connect() -> str:
        if loop.time() < back_at:
            raise ConnectionRefusedError("down")
        return "up"

    await connect_with_retry(connect, POLICY, events=log)
    return loop.time() - (back_at - OUTAGE), len(log.where(Kind.ATTEMPT))


async def same_attempts_without_waiting(attempts: int) -> None:
    zero = BackoffPolicy(initial_delay=1e-9, max_delay=1e-9, max_retries=None)
    left = attempts

    async def connect() -> str:
        nonlocal left
        left -= 1
        if left > 0:
            raise ConnectionRefusedError("down")
        return "up"

    await connect_with_retry(connect, zero, events=EventLog())


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    virtual, baseline = [], []
    simulated, attempts = 0.0, 0
    for _ in range(RUNS):
        seconds, (simulated, attempts) = timed(vtime.run, outage())
        virtual.append(seconds)
        seconds, _ = timed(asyncio.run, same_attempts_without_waiting(attempts))
        baseline.append(seconds)
    v, b = statistics.median(virtual), statistics.median(baseline)
    print(f"ten-minute outage: {attempts} attempts over {simulated:.1f} simulated seconds")
    print(f"virtual time: {v * 1000:.2f} ms real (median of {RUNS})")
    print(f"speed-up: {simulated / v:,.0f}x (simulated seconds per real second; aim >= 10,000x)")
    print(f"baseline, same attempts with no waiting on a plain loop: {b * 1000:.2f} ms")
    print(f"virtual time / baseline: {v / b:.1f}x")


if __name__ == "__main__":
    main()
