"""Prices again after the practice exchange is restarted, as an instructor does it: Ctrl+C in
its terminal, then the same command again on the same port.

A client (lesson 2's policy, and one capped at 1 s) reads the feed of
``python -m lessonlib.exchange``; the exchange is interrupted, stays down for a while, and is
started again. Reported: from the new process saying it listens to the first price of its new
stream, per downtime. The client's own backoff decides most of it: while the exchange is
down the waits grow, and the first attempt after the restart comes at the next step of the
schedule. The restarted exchange counts its seqs afresh; the client takes its snapshot.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import statistics
import subprocess
import sys

from lessonlib.backoff import BackoffPolicy
from lessonlib.feed import PriceFeedClient

DOWNTIMES = (0.5, 1.0, 2.0, 4.0)  # seconds between Ctrl+C and the command again
POLICIES = {
    "lesson 2 (0.1 s doubling, cap 30 s)": BackoffPolicy(
        initial_delay=0.1, max_delay=30, max_retries=None
    ),
    "cap 1 s": BackoffPolicy(initial_delay=0.1, max_delay=1.0, max_retries=None),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def start(port: int) -> tuple[subprocess.Popen[str], float]:
    """The exchange on ``port``, and the loop time at which it said it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lessonlib.exchange", "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert process.stdout is not None
    while f":{port}" not in await asyncio.to_thread(process.stdout.readline):
        pass
    return process, asyncio.get_running_loop().time()


def interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(10)


async def restarted(policy: BackoffPolicy, downtime: float) -> float:
    """Seconds from the restarted exchange listening to the client's first new price."""
    port = free_port()
    process, _ = await start(port)
    client = PriceFeedClient(f"ws://127.0.0.1:{port}", policy=policy)
    await client.subscribe("BTC/USDT")
    try:
        async with client:
            updates = client.updates()
            await anext(updates)
            await asyncio.to_thread(interrupt, process)
            await asyncio.sleep(downtime)
            process, listening = await start(port)
            streams = client.stats.new_streams
            async for update in updates:
                if client.stats.new_streams > streams:
                    assert update.snapshot
                    return asyncio.get_running_loop().time() - listening
    finally:
        await asyncio.to_thread(interrupt, process)
    raise RuntimeError("the feed ended")


def main() -> None:
    print("restart to first price of the new stream (3 runs each, median and max):")
    for name, policy in POLICIES.items():
        figures = []
        for downtime in DOWNTIMES:
            runs = [asyncio.run(restarted(policy, downtime)) for _ in range(3)]
            figures.append(
                f"down {downtime:g} s: {statistics.median(runs):.2f} s (max {max(runs):.2f})"
            )
        print(f"  {name}: " + "; ".join(figures))


if __name__ == "__main__":
    main()
