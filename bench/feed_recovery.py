"""How long a dropped connection costs: from the loss to the first update on the new one.

The exchange (in a process of its own, as a real one is) drops the connection with no close
frame, as a failing load balancer would; the client notices, waits its initial delay,
reconnects, resubscribes with resume, and the first replayed update arrives. Reported: the
time from the loss noticed to that update, minus the configured initial delay, p50 and p99;
and how long noticing took after the drop was typed (through the exchange's console thread).
Beside it, measured in the same run, the bare WebSocket handshake (connect + welcome): back
to back, and after the same idle wait as the client's delay, since a machine that has been
idle for 50 ms takes longer over its next handshake. Aim: p50 within 3 ms of the delay.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import IO

import websockets
from _exchange_process import exchange_process

from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.feed import PriceFeedClient

INITIAL_DELAY = 0.05
DROPS = 60


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


async def handshakes(url: str, idle: float) -> list[float]:
    times = []
    for _ in range(DROPS):
        await asyncio.sleep(idle)
        started = time.perf_counter()
        async with websockets.connect(url) as ws:
            await ws.recv()  # the welcome: the exchange is ready to serve
            times.append(time.perf_counter() - started)
    return times


async def recoveries(url: str, console: IO[str]) -> tuple[list[float], list[float]]:
    """For each drop: loss noticed to first update minus the delay; drop typed to noticed."""
    policy = BackoffPolicy(initial_delay=INITIAL_DELAY, max_retries=None, healthy_after=0.1)
    events = EventLog()
    client = PriceFeedClient(url, policy=policy, events=events)
    await client.subscribe("BTC/USDT")
    loop = asyncio.get_running_loop()
    extra, noticing = [], []
    async with client:
        updates = client.updates()
        await anext(updates)
        for number in range(2, DROPS + 2):
            await asyncio.sleep(0.15)  # a healthy spell: the backoff starts from the beginning
            while client.stats.updates > 0 and not client._queue.empty():
                await anext(updates)  # what arrived meanwhile is not the recovery
            mark = len(events)
            typed = loop.time()
            console.write("drop\n")
            console.flush()
            await client.connected(number)
            await anext(updates)
            arrived = loop.time()
            lost = next(e.time for e in list(events)[mark:] if e.kind is Kind.LOST)
            extra.append(arrived - lost - INITIAL_DELAY)
            noticing.append(lost - typed)
    return extra, noticing


async def measure(url: str, console: IO[str]) -> tuple[list[float], ...]:
    warm = await handshakes(url, 0.0)
    idle = await handshakes(url, INITIAL_DELAY)
    extra, noticing = await recoveries(url, console)
    return warm, idle, extra, noticing


def main() -> None:
    with exchange_process("--tick-rate", "20") as (url, process):
        assert process.stdin is not None
        warm, idle, extra, noticing = asyncio.run(measure(url, process.stdin))
    print(f"{DROPS} drops; initial delay {INITIAL_DELAY * 1000:.0f} ms")
    print(
        f"loss noticed to first update, minus the delay: p50 {percentile(extra, 50):.2f} ms, "
        f"p99 {percentile(extra, 99):.2f} ms (aim: p50 <= 3 ms)"
    )
    print(
        f"drop typed to loss noticed (console thread):  p50 {percentile(noticing, 50):.2f} ms, "
        f"p99 {percentile(noticing, 99):.2f} ms"
    )
    print(
        f"bare handshake + welcome, back to back:       p50 {percentile(warm, 50):.2f} ms, "
        f"p99 {percentile(warm, 99):.2f} ms"
    )
    print(
        f"bare handshake + welcome, after {INITIAL_DELAY * 1000:.0f} ms idle:    "
        f"p50 {percentile(idle, 50):.2f} ms, p99 {percentile(idle, 99):.2f} ms"
    )
    own = statistics.median(extra) - statistics.median(idle)
    print(f"the client's own share (p50 extra minus p50 idle handshake): {own * 1000:.2f} ms")


if __name__ == "__main__":
    main()
