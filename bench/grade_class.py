"""Grading a class of 30 submissions (the reference and alternative solutions of the four
tasks, over and over) with the default workers against one at a time: both times, their ratio,
and whether every verdict is the same. ``--stressed``: the reference solutions only, graded
(by `make stress-grade`) while stress-ng keeps the cores busy; every one must get full marks."""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "homework"))

from homework_solutions import source  # noqa: E402
from test_grade import NAMES, hand_in  # noqa: E402

NAMES = NAMES | {"task2": "02_restoring_subscriptions.ipynb"}
SOLUTIONS = [f"task{n}_{kind}" for n in range(1, 5) for kind in ("reference", "alternative")]


def make_class(folder: Path, count: int, kinds: list[str]) -> None:
    import test_grade

    test_grade.NAMES.update(NAMES)
    for number in range(count):
        name = kinds[number % len(kinds)]
        hand_in(folder, f"student{number:02d}", name.split("_")[0], source(name))


def grade(folder: Path, out: Path, *options: str) -> tuple[float, dict[str, tuple[str, str]]]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "lessonlib.grade", str(folder), "--out", str(out)]
    done = subprocess.run([*command, "--seed", "7", *options], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"grading failed: {done.stderr[-2000:]}")
    with out.open() as file:
        rows = {
            r["student"]: (r["points"], r["max_points"], r["status"]) for r in csv.DictReader(file)
        }
    return seconds, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--stressed", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        if options.stressed:
            make_class(folder, 4 * 2, [s for s in SOLUTIONS if s.endswith("reference")])
            seconds, rows = grade(folder, Path(tmp) / "stressed.csv")
            short = {s: r for s, r in rows.items() if r[0] != r[1]}
            for student, (points, most, status) in sorted(rows.items()):
                print(f"  {student}: {points} / {most} ({status})")
            print(
                f"under load: {len(rows) - len(short)} of {len(rows)} full marks, {seconds:.1f} s"
            )
            return 1 if short else 0
        make_class(folder, options.count, SOLUTIONS)
        parallel, together = grade(folder, Path(tmp) / "parallel.csv")
        print(f"{options.count} submissions, default workers: {parallel:.1f} s", flush=True)
        serial, alone = grade(folder, Path(tmp) / "serial.csv", "--workers", "1")
    same = together == alone
    full = sum(1 for points, most, _ in together.values() if points == most)
    print(f"{options.count} submissions: default workers {parallel:.1f} s, alone {serial:.1f} s")
    print(f"speed-up {serial / parallel:.2f}x; same verdicts: {same}; full marks: {full}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
