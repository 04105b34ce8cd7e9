"""``python -m lessonlib.grade SUBMISSIONS... --out grades.csv``: see the package."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

from tqdm import tqdm

from .batch import Batch
from .isolation import wrapper
from .preflight import check_outputs
from .results import Outcome, write_csv, write_feedback, write_gradescope
from .run import grade_one
from .submissions import find

INTERRUPTED_EXIT = 130  # what a shell reports for a program ended by Ctrl+C


def parse(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessonlib.grade",
        description="Grade submitted homework notebooks, each in a fresh kernel of its own.",
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
        default=_cores(),
        help="notebooks graded at once (default: the cores this process may use)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds one notebook may take in all (default 300)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=120.0,
        help="seconds one cell may run before it is interrupted (default 120)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="the grading seed (default: a fresh one, printed, so that a grading can be "
        "repeated); it stays in this process, the notebooks never see it",
    )
    parser.add_argument(
        "--format",
        choices=["csv", "gradescope"],
        default="csv",
        help="gradescope: also write results.json beside the CSV (one student's submission)",
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


def main(arguments: list[str] | None = None) -> int:
    options = parse(arguments)
    options.feedback = options.feedback or options.out.parent / "feedback"
    try:
        submissions = find(options.submissions)
        if not submissions:
            raise ValueError(
                "SUBMISSIONS: no notebooks (*.ipynb) found in "
                + ", ".join(repr(s) for s in options.submissions)
            )
        students = sorted({s.student for s in submissions})
        if options.format == "gradescope" and len(students) > 1:
            raise ValueError(
                f"--format gradescope: Gradescope grades one student's submission at a time, "
                f"but these are {len(students)} students' ({', '.join(students[:5])}"
                f"{', …' if len(students) > 5 else ''}); grade them with --format csv"
            )
        check_outputs(options.out, options.feedback)
    except ValueError as error:
        print(f"python -m lessonlib.grade: {error}", file=sys.stderr)
        return 2
    seed = options.seed if options.seed is not None else secrets.randbelow(10**6)
    print(
        f"grading {len(submissions)} notebook(s) with {options.workers} worker(s), seed {seed} "
        f"(repeat with --seed {seed}); isolation: {wrapper()[1]}",
        flush=True,
    )
    started = time.perf_counter()
    batch = Batch(options.workers)
    progress = tqdm(total=len(submissions), unit="notebook")
    interrupted = False
    try:
        with batch.interrupt_on_ctrl_c():
            outcomes = batch.run(
                submissions,
                lambda s, b: grade_one(s, options, seed, b),
                lambda _: progress.update(),
            )
    except KeyboardInterrupt:
        interrupted = True
        outcomes = batch.outcomes
    finally:
        progress.close()
    write_csv(outcomes, options.out, seed)
    feedback = write_feedback(outcomes, options.feedback, seed)
    if options.format == "gradescope":
        write_gradescope(outcomes, options.out.parent / "results.json")
    summarize(outcomes, time.perf_counter() - started, options.out, feedback)
    if interrupted:
        print(
            "\ninterrupted: the rows of the notebooks not finished say `incomplete`; "
            f"grade again with --seed {seed} for the same scenarios",
            file=sys.stderr,
        )
        return INTERRUPTED_EXIT
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
        elif outcome.status != "graded":
            print(f"  {outcome.status}: {outcome.submission.path}")
    print(
        f"grades: {out}\nfeedback: {len(feedback)} file(s) in {feedback[0].parent}"
        if feedback
        else f"grades: {out}"
    )


if __name__ == "__main__":
    sys.exit(main())
