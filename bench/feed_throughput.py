"""How many updates a second the feed client can take, against a bare websockets loop.

Both read the same live stream from the same practice exchange (in its own process), in
alternating rounds of the same run. Each round counts the CPU time the reader's process spends
per update; the reciprocal is the updates per second one core could take. The baseline is
the least any reader can do: ``async for frame in ws: json.loads(frame)``.
Aim: the client takes at least the baseline's rate (typed decoding, msgspec, parses and checks
a ticker in a fifth of the time json.loads takes to make a dict of it).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import websockets
from _exchange_process import exchange_process

from lessonlib.backoff import BackoffPolicy
from lessonlib.feed import PriceFeedClient

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
UPDATES = 20_000
ROUNDS = 5


async def bare_loop(url: str) -> float:
    """CPU seconds per update of the plainest reader."""
    async with websockets.connect(url, max_size=2**20) as ws:
        await ws.recv()
        await ws.send(json.dumps({"op": "subscribe", "id": 1, "symbols": SYMBOLS}))
        count, started = 0, None
        async for frame in ws:
            message = json.loads(frame)
            if message["type"] == "ticker":
                if started is None:
                    started = time.process_time()
                count += 1
                if count == UPDATES:
                    return (time.process_time() - started) / UPDATES
    raise RuntimeError("the stream ended")


async def feed_client(url: str) -> float:
    """CPU seconds per update of `PriceFeedClient`, everything included."""
    client = PriceFeedClient(url, policy=BackoffPolicy(max_retries=None))
    await client.subscribe(*SYMBOLS)
    count, started = 0, None
    async with client:
        async for update in client.updates():
            if update.snapshot:
                continue
            if started is None:
                started = time.process_time()
            count += 1
            if count == UPDATES:
                return (time.process_time() - started) / UPDATES
    raise RuntimeError("the stream ended")


def main() -> None:
    with exchange_process("--tick-rate", "2000", "--symbols", ",".join(SYMBOLS)) as (url, _):
        bare, client = [], []
        for _ in range(ROUNDS):
            bare.append(asyncio.run(bare_loop(url)))
            client.append(asyncio.run(feed_client(url)))
    b, c = statistics.median(bare), statistics.median(client)
    print(
        f"live stream: {len(SYMBOLS) * 2000:,} tickers/s; {UPDATES:,} updates a round, "
        f"{ROUNDS} rounds each"
    )
    print(f"bare websockets + json.loads: {b * 1e6:.1f} us CPU/update = {1 / b:,.0f} updates/s")
    print(f"PriceFeedClient:              {c * 1e6:.1f} us CPU/update = {1 / c:,.0f} updates/s")
    print(f"client / baseline rate: {b / c:.2f} (aim >= 1.0)")


if __name__ == "__main__":
    main()
