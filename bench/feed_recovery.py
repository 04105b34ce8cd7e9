"""How long a dropped connection costs: from the drop to the first update on the new one.

The exchange drops the connection (no close frame, as a failing load balancer would); the
client notices, waits its initial delay, reconnects, resubscribes with resume, and the first
replayed update arrives. Reported: that time minus the configured initial delay, p50 and
p99. Beside it, measured in the same run, the bare WebSocket handshake (connect + welcome):
back to back, and after the same idle wait as the client's delay, since a machine that has
been idle for 50 ms takes longer over its next handshake. Aim: p50 within 3 ms of the delay.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import websockets

from lessonlib.backoff import BackoffPolicy
from lessonlib.exchange import PracticeExchange
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


async def recoveries(exchange: PracticeExchange) -> list[float]:
    policy = BackoffPolicy(initial_delay=INITIAL_DELAY, max_retries=None, healthy_after=0.1)
    client = PriceFeedClient(exchange.url, policy=policy)
    await client.subscribe("BTC/USDT")
    extra = []
    async with client:
        updates = client.updates()
        await anext(updates)
        for number in range(2, DROPS + 2):
            await asyncio.sleep(0.15)  # a healthy spell: the backoff starts from the beginning
            while client.stats.updates > 0 and not client._queue.empty():
                await anext(updates)  # what arrived meanwhile is not the recovery
            dropped = time.perf_counter()
            exchange.drop()
            await client.connected(number)
            await anext(updates)
            extra.append(time.perf_counter() - dropped - INITIAL_DELAY)
    return extra


async def measure() -> tuple[list[float], list[float], list[float]]:
    async with PracticeExchange(port=0, tick_rate=20) as exchange:
        warm = await handshakes(exchange.url, 0.0)
        idle = await handshakes(exchange.url, INITIAL_DELAY)
        extra = await recoveries(exchange)
    return warm, idle, extra


def main() -> None:
    warm, idle, extra = asyncio.run(measure())
    print(f"{DROPS} drops; initial delay {INITIAL_DELAY * 1000:.0f} ms")
    print(
        f"drop to first update, minus the initial delay: p50 {percentile(extra, 50):.2f} ms, "
        f"p99 {percentile(extra, 99):.2f} ms (aim: p50 <= 3 ms)"
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
