"""How fast the health monitor takes events, and how much memory a million of them leave.

The stream: five sources; per source mostly price updates, with the attempts, failures,
state changes and gaps of a connection that breaks every few hundred events. Baseline in the
same run: appending the same events to a plain list and dropping them (the least any
consumer does). Memory: what tracemalloc sees the monitor holding after a million events,
the events themselves excluded (each is made, fed and dropped).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator

from lessonlib.events import Event, Kind
from lessonlib.health import HealthMonitor

EVENTS = 1_000_000
SOURCES = [f"exchange-{i}" for i in range(5)]


def stream(count: int) -> Iterator[Event]:
    """A repeatable mix of events, one source after another, 1 ms apart."""
    for i in range(count):
        t = i * 0.001
        source = SOURCES[i % len(SOURCES)]
        phase = (i // len(SOURCES)) % 500
        if phase == 0:
            lost = {"state": "reconnecting", "attempt": 1, "previous": "connected"}
            yield Event(t, source, Kind.STATE, lost)
        elif phase in (1, 2):
            yield Event(t, source, Kind.ATTEMPT, {"attempt": phase})
        elif phase == 3:
            yield Event(t, source, Kind.FAILURE, {"attempt": 1, "error": "refused"})
        elif phase == 4:
            yield Event(t, source, Kind.SUCCESS, {"attempt": 2})
        elif phase == 5:
            yield Event(t, source, Kind.STATE, {"state": "connected", "previous": "reconnecting"})
        elif phase == 6:
            yield Event(t, source, Kind.GAP, {"symbol": "BTC/USDT", "missed": 3})
        else:
            yield Event(t, source, Kind.UPDATE, {"symbol": "BTC/USDT", "seq": i})


def rate(consume: Callable[[Event], object], count: int) -> float:
    """Events per second through ``consume``, stream generation included in both."""
    start = time.perf_counter()
    for event in stream(count):
        consume(event)
    return count / (time.perf_counter() - start)


def main() -> None:
    runs = 3
    monitor_rates, baseline_rates = [], []
    sink: list[Event] = []

    def baseline(event: Event) -> None:
        sink.append(event)
        sink.clear()

    for _ in range(runs):
        baseline_rates.append(rate(baseline, 200_000))
        monitor_rates.append(rate(HealthMonitor(window=60.0), 200_000))
    m, b = statistics.median(monitor_rates), statistics.median(baseline_rates)
    print(f"monitor:  {m:,.0f} events/s (median of {runs} runs of 200,000)")
    print(f"baseline: {b:,.0f} events/s (make the event, append it to a list, drop it)")
    print(f"monitor / baseline: {m / b:.2f}")

    gc.collect()
    tracemalloc.start()
    monitor = HealthMonitor(window=60.0)
    before = tracemalloc.get_traced_memory()[0]
    for event in stream(EVENTS):
        monitor(event)
    monitor.check(EVENTS * 0.001)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(
        f"memory held after {EVENTS:,} events: {held / 2**20:.2f} MiB "
        f"({len(monitor.sources)} sources, window 60 s)"
    )


if __name__ == "__main__":
    main()
