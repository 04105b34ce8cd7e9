"""``python -m lessonlib.grade SUBMISSIONS... --out grades.csv``: see the package."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from ..homework.checks import SEED_VARIABLE
from .results import Outcome, write_csv, write_feedback, write_gradescope
from .submissions import Submission, find

WORKER = [sys.executable, "-m", "lessonlib.grade.worker"]


def parse(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessonlib.grade",
        description="Grade submitted homework notebooks, each in a fresh kernel.",
    )
    parser.add_argument("submissions", nargs="+", help="notebooks, or folders holding them")
    parser.add_argument("--out", type=Path, required=True, help="the CSV to write")
    parser.add_argument(
        "--feedback",
        type=Path,
        help="folder for feedback files (default: a `feedback` folder beside the CSV)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks graded at once (default: the number of cores)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds one notebook may take in all (default 120)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=30.0,
        help="seconds one cell may run before it is interrupted (default 30)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="the scenarios' seed (default: a fresh one, "
        "printed, so that a grading can be repeated)",
    )
    parser.add_argument(
        "--format",
        choices=["csv", "gradescope"],
        default="csv",
        help="gradescope: also write results.json beside the CSV",
    )
    options = parser.parse_args(arguments)
    for name in ("workers", "timeout", "cell_timeout"):
        if not getattr(options, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be greater than 0")
    return options


def _cores() -> int:
    """The cores this process may run on (a container's CPU quota is not visible here)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def grade_one(submission: Submission, options: argparse.Namespace, seed: int) -> Outcome:
    """Run the worker on one notebook; whatever happens, an outcome comes back."""
    started = time.perf_counter()
    if submission.task is None:
        return Outcome(submission, "no homework task found in it (no check cell, no metadata)")
    env = os.environ | {SEED_VARIABLE: str(seed)}
    command = [*WORKER, str(submission.path), submission.task, str(options.cell_timeout)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=options.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and the kernel it started
        process.communicate()
        status = f"over the time limit of {options.timeout:g} s"
        return Outcome(submission, status, seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    try:
        result = json.loads(out)
    except ValueError:
        last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        return Outcome(submission, f"grading failed: {last[:200]}", seconds=seconds)
    return Outcome(
        submission, result["status"], result.get("report"), result.get("errors", []), seconds
    )


def main(arguments: list[str] | None = None) -> int:
    options = parse(arguments)
    try:
        submissions = find(options.submissions)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    seed = options.seed if options.seed is not None else secrets.randbelow(10**6)
    print(f"grading {len(submissions)} notebook(s) with {options.workers} worker(s), seed {seed}")
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(options.workers) as pool:
        futures = [pool.submit(grade_one, s, options, seed) for s in submissions]
        for future in tqdm(as_completed(futures), total=len(futures), unit="notebook"):
            outcomes.append(future.result())
    write_csv(outcomes, options.out, seed)
    feedback = write_feedback(outcomes, options.feedback or options.out.parent / "feedback")
    if options.format == "gradescope":
        write_gradescope(outcomes, options.out.parent / "results.json")
    summarize(outcomes, time.perf_counter() - started, options.out, feedback)
    return 0


def summarize(outcomes: list[Outcome], seconds: float, out: Path, feedback: list[Path]) -> None:
    graded = [o for o in outcomes if o.report]
    print(f"\n{len(graded)} of {len(outcomes)} notebooks graded in {seconds:.1f} s")
    tasks = sorted({o.report["task"] for o in graded})
    for task in tasks:
        mine = [o for o in graded if o.report["task"] == task]
        mean = sum(o.points for o in mine) / len(mine)
        full = sum(1 for o in mine if o.points == o.max_points)
        print(
            f"  {task}: {len(mine)} graded, mean {mean:.1f} / {mine[0].max_points:g}, "
            f"{full} with full marks"
        )
    for outcome in sorted(outcomes, key=lambda o: str(o.submission.path)):
        if not outcome.report:
            print(f"  not graded: {outcome.submission.path}: {outcome.status}")
    print(
        f"grades: {out}\nfeedback: {len(feedback)} file(s) in {feedback[0].parent}"
        if feedback
        else f"grades: {out}"
    )


if __name__ == "__main__":
    sys.exit(main())
