"""Soak: each lesson run N times headless, each run checked for the story its prose tells.

`make soak` runs this under stress-ng, so that a live demo which leans on a quiet machine
shows here as a run that told another story. A probe cell appended to the executed copy
(the stored notebook is not touched) prints what happened as JSON; `STORIES` judges it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from lessonlib.notebook_client import notebook_client

ROOT = Path(__file__).resolve().parent.parent
Facts = dict[str, object]

# Per lesson: the probe cell's code (prints one JSON line) and the story its facts must tell.
PROBES: dict[str, str] = {
    "01_simple_retry": "print(json.dumps({}))",
    "02_price_feed": (
        "print(json.dumps({'lost': len(log.where(Kind.LOST)),"
        " 'streams': len(log.where(Kind.STREAM)), 'bot_done': bot_task.done()}))"
    ),
    "03_circuit_breaker": (
        "print(json.dumps({'opened': sum(e['new'] == 'open' for e in"
        " events.where(Kind.BREAKER)), 'refused': exchange.stats.handshakes_refused}))"
    ),
    "04_multi_exchange": (
        "print(json.dumps({'doomed_trading': [e['allowed'] for e in"
        " log.where(Kind.TRADING, source='doomed')],"
        " 'sources_in_outage': sorted({s for pair in trusted_sources for s in pair})}))"
    ),
    "05_health_monitor": (
        "print(json.dumps({'alerts': [[e.source, e['raised']] for e in log.where(Kind.ALERT)],"
        " 'alerting_at_end': [r.source for r in monitor.reports() if r.alerting]}))"
    ),
    "06_order_book": (
        "print(json.dumps({'procedure': keep_book(frames)[1], 'caught': first_caught,"
        " 'reasons': sorted(set(reasons()))}))"
    ),
}


def _lesson_5(facts: Facts, outputs: list[str]) -> list[str]:
    wrong = []
    if facts["alerts"] != [["shaky", True], ["shaky", False]]:
        wrong.append(f"alerts {facts['alerts']}, not shaky raised then cleared")
    if facts["alerting_at_end"]:
        wrong.append(f"still alerting at the end: {facts['alerting_at_end']}")
    if not any("shaky: reliability" in text and "back at or above" in text for text in outputs):
        wrong.append("the heal cell did not report shaky's recovery")
    return wrong


def _lesson_6(facts: Facts, outputs: list[str]) -> list[str]:
    wrong = []
    if facts["procedure"]["checksum"] or len(facts["procedure"]["ids"]) != 1:
        wrong.append(f"the procedure's complaints {facts['procedure']}, not the one gap")
    uncaught = [name for name, at in facts["caught"].items() if at is None]
    if uncaught != ["the procedure"]:
        wrong.append(f"the checksum caught no mistake in {uncaught}, or caught the procedure")
    if not {"reconnect", "gap", "stream"} <= set(facts["reasons"]):
        wrong.append(f"rebuild reasons {facts['reasons']}")
    equal = "checksums equal: {'BTC/USDT': True, 'ETH/USDT': True}"
    if sum(equal in text for text in outputs) != 3:
        wrong.append("a book was not equal to the exchange's after a fault")
    return wrong


STORIES: dict[str, Callable[[Facts, list[str]], list[str]]] = {
    "01_simple_retry": lambda facts, outputs: [],
    "02_price_feed": lambda facts, outputs: [
        *([] if facts["lost"] >= 2 else [f"{facts['lost']} connections lost, not the 2 shown"]),
        *([] if facts["streams"] >= 1 else ["no new stream after the restart"]),
        *([] if facts["bot_done"] else ["the bot task did not end"]),
    ],
    "03_circuit_breaker": lambda facts, outputs: (
        [] if facts["opened"] >= 2 and facts["refused"] >= 1 else [f"breaker story: {facts}"]
    ),
    "04_multi_exchange": lambda facts, outputs: [
        *(
            []
            if facts["doomed_trading"][:2] == [False, True]
            or facts["doomed_trading"][1:3] == [False, True]
            else [f"doomed's trading gate went {facts['doomed_trading']}"]
        ),
        *(["doomed quoted during its outage"] if "doomed" in facts["sources_in_outage"] else []),
    ],
    "05_health_monitor": _lesson_5,
    "06_order_book": _lesson_6,
}


def _failed_cell(notebook: nbformat.NotebookNode) -> str:
    """Which cell raised, by its number and first line."""
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = cell.source.splitlines()[0] if cell.source else ""
                return f"cell {number} ({first[:60]!r}) failed"
    return "a cell failed"


def run_once(path: Path) -> tuple[float, list[str]]:
    """Execute the lesson in a fresh headless kernel; (seconds taken, what went wrong)."""
    notebook = nbformat.read(path, as_version=4)
    probe = "import json\nfrom lessonlib.events import Kind\n" + PROBES[path.stem]
    notebook.cells.append(nbformat.v4.new_code_cell(probe))
    client = notebook_client(
        notebook,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env={**os.environ, "RECONNECT_LAB_HEADLESS": "1"})
    except CellExecutionError as error:
        return time.perf_counter() - started, [f"{_failed_cell(notebook)}: {error.ename}"]
    seconds = time.perf_counter() - started
    outputs = [
        output.get("text", "") + json.dumps(output.get("data", {}))
        for cell in notebook.cells[:-1]
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    facts = json.loads(notebook.cells[-1].outputs[-1]["text"])
    return seconds, STORIES[path.stem](facts, outputs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each lesson (default 10)")
    parser.add_argument("lessons", nargs="*", help="lesson names such as 05_health_monitor")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    names = args.lessons or list(PROBES)
    unknown = sorted(set(names) - set(PROBES))
    if unknown:
        parser.error(f"unknown lessons {unknown}; known: {list(PROBES)}")
    failed = 0
    for name in names:
        times, bad = [], []
        for run in range(1, args.runs + 1):
            seconds, wrong = run_once(ROOT / "notebooks" / f"{name}.ipynb")
            times.append(seconds)
            if wrong:
                bad.append(run)
                print(f"  {name} run {run}: " + "; ".join(wrong), flush=True)
        failed += len(bad)
        print(
            f"{name}: {args.runs - len(bad)}/{args.runs} runs told the story; "
            f"{min(times):.1f}-{max(times):.1f} s a run "
            f"(median {sorted(times)[len(times) // 2]:.1f} s)",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
