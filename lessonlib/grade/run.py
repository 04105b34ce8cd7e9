"""Grading one submission: its worker started in isolation (see `isolation`), the record its
kernel showed judged here, with the grader's own code, on the grader's own seed."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import i18n
from .batch import Batch
from .isolation import hidden, wrapper
from .results import Outcome
from .submissions import Submission
from .verdict import Verdict, judge

WORKER = [sys.executable, "-m", "lessonlib.grade.worker"]


def scenario_seed(seed: int, task: str) -> int:
    """The seed a task's scenario is drawn from: derived from the grading seed by a keyed hash,
    so that the kernel, which is handed only this, cannot tell the grading seed from it."""
    digest = hmac.new(str(seed).encode(), task.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % 10**8


def grade_one(
    submission: Submission, options: argparse.Namespace, seed: int, batch: Batch
) -> Outcome:
    """Run the worker on one notebook and judge what it brings back; always an outcome."""
    started = time.perf_counter()
    task = submission.task
    if task is None:
        return Outcome(submission, "no homework task found in it (no check cell, no metadata)")
    try:
        text = submission.path.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        return Outcome(submission, f"not readable: {error.strerror}")
    token = secrets.token_hex(16)
    chosen = scenario_seed(seed, task)
    job = {
        "notebook": text,
        "task": task,
        "cell_timeout": options.cell_timeout,
        "seed": chosen,
        "token": token,
        "hide": hidden([*map(Path, options.submissions), options.out.parent, options.feedback]),
    }
    prefix, _ = wrapper()
    process = batch.start(
        [*prefix, *WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if process is None:
        return Outcome(submission, "incomplete: grading was interrupted before it started")
    try:
        out = _exchange(process, json.dumps(job).encode(), options.timeout, batch)
    finally:
        batch.finish(process)
    seconds = time.perf_counter() - started
    if batch.stopping.is_set():
        return Outcome(submission, "incomplete: grading was interrupted", seconds=seconds)
    if out is None:
        return Outcome(submission, f"over the time limit of {options.timeout:g} s", seconds=seconds)
    try:
        ran = json.loads(out)
    except ValueError:
        return Outcome(submission, "grading failed: the worker gave no answer", seconds=seconds)
    with i18n.speaking(submission.language):  # feedback in the notebook's own language
        verdict: Verdict = judge(ran, task, chosen, token)
    return Outcome(
        submission,
        verdict.status,
        verdict.report,
        ran.get("errors", []),
        seconds,
        scenario_seed=chosen,
    )


def _exchange(
    process: subprocess.Popen[bytes], job: bytes, timeout: float, batch: Batch
) -> bytes | None:
    """Hand the job over and read the answer; None when it overran or a stop came."""
    answer: list[bytes] = []

    def talk() -> None:
        try:
            out, _ = process.communicate(job)
            answer.append(out)
        except (OSError, ValueError):
            answer.append(b"")

    reader = threading.Thread(target=talk, daemon=True)
    reader.start()
    if not batch.wait(process, timeout):
        return None
    reader.join(5)
    return answer[0] if answer else None
