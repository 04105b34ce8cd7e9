"""How long a homework check takes in real time, against the scenario it runs.

For each task: the check of the reference solution (median of several runs), and as the
baseline measured in the same run, the same scenario with code that does nothing (the
exchange ticking and the script running, no client to judge). Prints the real seconds, the
simulated seconds, the speed-up over real time, and the check's cost as a ratio of the
baseline's.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from lessonlib.homework.checks import TASKS, grade

SOLUTIONS = Path(__file__).resolve().parent.parent / "tests" / "homework" / "solutions"
RUNS = 5

IDLE = {
    "task1": """
import asyncio
class FeedClient:
    def __init__(self, *args): pass
    async def run(self): await asyncio.Event().wait()
""",
    "task2": """
import asyncio
class SubscriptionClient:
    subscriptions = []
    def __init__(self, *args): pass
    def subscribe(self, symbol): pass
    def unsubscribe(self, symbol): pass
    async def run(self): await asyncio.Event().wait()
""",
    "task3": """
import asyncio
class Breaker:
    def allow(self): return True
    def record_success(self): pass
class TradingSystem:
    def __init__(self, *args): pass
    def can_trade(self, name): return True
    async def run(self): await asyncio.Event().wait()
""",
    "task4": """
class HealthMonitor:
    def __init__(self, *args): pass
    def record(self, *args): pass
    def check(self, at): pass
    def uptime(self, name, at): return 0.0
    def reliability(self, name, at): return 0.0
    def summary(self, at): return {}
""",
}


def namespace(code: str) -> dict:
    globals_: dict = {"__name__": "__main__"}
    exec(compile(code, "<bench>", "exec"), globals_)
    return globals_


def median_seconds(code: str, task: str) -> tuple[float, float, float]:
    times, points, simulated = [], 0.0, 0.0
    for _ in range(RUNS):
        started = time.perf_counter()
        report = grade(task, namespace(code))
        times.append(time.perf_counter() - started)
        points, simulated = report.points / report.max_points, report.simulated_seconds
    return statistics.median(times), simulated, points


def main() -> None:
    print(
        f"{'task':6} {'check (s)':>10} {'simulated (s)':>14} {'speed-up':>10} "
        f"{'idle (s)':>9} {'check/idle':>11} {'marks':>6}"
    )
    for task in TASKS:
        real, simulated, marks = median_seconds(
            (SOLUTIONS / f"{task}_reference.py").read_text(), task
        )
        idle, _, _ = median_seconds(IDLE[task], task)
        print(
            f"{task:6} {real:10.3f} {simulated:14,.0f} {simulated / real:9,.0f}× "
            f"{idle:9.3f} {real / idle:10.1f}× {marks:6.0%}"
        )
        if marks != 1:
            sys.exit(f"{task}: the reference solution did not get full marks")


if __name__ == "__main__":
    main()
