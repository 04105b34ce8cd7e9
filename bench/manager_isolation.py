"""What a dead exchange, retried all along, costs the healthy ones beside it in one manager.

Real sockets, real time: two healthy practice exchanges (100 ticks a second each), run with
and without a third address that refuses every connection and is retried as fast as its
policy allows (a 5-10 ms backoff, a breaker that never opens). Measured once both healthy
ones are up: the updates they deliver in one second and the p99 spacing between them.
Alternating runs, the medians printed as ratios of "beside the dead one" to "alone" (the
baseline of the same run): 1.00 is no cost. tests/test_manager.py asserts the isolation
itself by events; how much it costs is a measurement, so it lives here.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics

from lessonlib.events import EventLog, Kind
from lessonlib.exchange import PracticeExchange
from lessonlib.scenarios import closed_port, hammering_manager

RUNS = 4  # of each kind, alternating
SECONDS = 1.0


async def run(with_dead: bool) -> tuple[int, float, int]:
    """(healthy updates in SECONDS, p99 spacing in s, refused attempts at the dead one)."""
    async with (
        PracticeExchange(port=0, tick_rate=100, seed=7, venue_seed=1) as a,
        PracticeExchange(port=0, tick_rate=100, seed=7, venue_seed=2) as b,
    ):
        events = EventLog()
        urls = {"a": a.url, "b": b.url}
        if with_dead:
            urls["dead"] = f"ws://127.0.0.1:{closed_port()}/"
        manager = hammering_manager(urls, events)
        async with manager:
            async with asyncio.timeout(30):
                for name in ("a", "b"):
                    await manager.clients[name].connected()
            start = asyncio.get_running_loop().time()
            await asyncio.sleep(SECONDS)  # a measurement over a fixed time, not a wait
        arrivals = sorted(
            e.time
            for e in events.where(Kind.UPDATE)
            if e.source in ("a", "b") and start <= e.time < start + SECONDS
        )
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        attempts = sum(start <= t < start + SECONDS for t in events.times(Kind.ATTEMPT, "dead"))
        return len(arrivals), statistics.quantiles(gaps, n=100)[98], attempts


def main() -> None:
    results = {False: [], True: []}
    for _ in range(RUNS):
        for with_dead in (False, True):
            results[with_dead].append(asyncio.run(run(with_dead)))
    alone, beside = (statistics.median(r[0] for r in results[k]) for k in (False, True))
    alone_p99, beside_p99 = (statistics.median(r[1] for r in results[k]) for k in (False, True))
    attempts = statistics.median(r[2] for r in results[True])
    print(
        f"healthy updates in {SECONDS:g} s: alone {alone:.0f}, beside a dead exchange {beside:.0f}"
    )
    print(f"  ratio beside/alone: {beside / alone:.2f} (1.00: the dead one costs nothing)")
    print(
        f"p99 spacing: alone {alone_p99 * 1000:.2f} ms, beside {beside_p99 * 1000:.2f} ms "
        f"(ratio {beside_p99 / alone_p99:.2f})"
    )
    print(f"refused attempts at the dead exchange: {attempts:.0f} in {SECONDS:g} s")


if __name__ == "__main__":
    main()
