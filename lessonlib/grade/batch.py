"""Grading many notebooks at once, each in a worker process of its own, and stopping them
all within a moment when the instructor presses Ctrl+C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .results import Outcome
from .submissions import Submission

POLL = 0.1  # seconds between looks at a running worker, so that a stop is seen at once
INTERRUPTED = "incomplete: grading was interrupted before this notebook was finished"


class Batch:
    """Runs ``grade(submission, batch)`` for each submission on ``workers`` threads; each call
    starts its worker through `start`, so that `stop` can end every one still running."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.stopping = threading.Event()
        # Ctrl+C sets this (see `interrupt_on_ctrl_c`); `run` acts on it between two looks at
        # the workers, never in the middle of writing a row or a progress bar.
        self.interrupted = threading.Event()
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def start(self, command: list[str], **options: object) -> subprocess.Popen[bytes] | None:
        """The worker for one notebook, in a session of its own; None once stopping."""
        with self._lock:
            if self.stopping.is_set():
                return None
            process = subprocess.Popen(command, start_new_session=True, **options)  # type: ignore[call-overload]
            self._running.add(process)
            return process

    def finish(self, process: subprocess.Popen[bytes]) -> None:
        """End ``process`` and everything it started; forget it."""
        kill_group(process)
        with self._lock:
            self._running.discard(process)

    def wait(self, process: subprocess.Popen[bytes], timeout: float) -> bool:
        """Wait for ``process`` up to ``timeout`` seconds; False if it overran or a stop came."""
        deadline = time.monotonic() + timeout
        while not self.stopping.is_set():
            try:
                process.wait(timeout=min(POLL, max(0.0, deadline - time.monotonic())))
                return True
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    return False
        return False

    def stop(self) -> None:
        """No worker starts from now on, and every running one is killed with its group."""
        with self._lock:
            self.stopping.set()
            running = list(self._running)
        for process in running:
            kill_group(process)

    def run(
        self,
        submissions: Iterable[Submission],
        grade: Callable[[Submission, Batch], Outcome],
        done: Callable[[Outcome], None],
    ) -> list[Outcome]:
        """Every submission's outcome; on KeyboardInterrupt, those finished so far plus one
        marked incomplete for each of the others, and the interrupt raised again after."""
        submissions = list(submissions)
        outcomes: dict[Submission, Outcome] = {}
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="grade")
        futures: dict[Future[Outcome], Submission] = {
            pool.submit(grade, s, self): s for s in submissions
        }
        try:
            pending = set(futures)
            while pending:
                if self.interrupted.is_set():
                    raise KeyboardInterrupt
                finished, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
                for future in finished:
                    outcome = future.result()
                    outcomes[futures[future]] = outcome
                    done(outcome)
        except KeyboardInterrupt:
            self.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            for future, submission in futures.items():
                if submission not in outcomes and future.done() and not future.cancelled():
                    outcome = future.result()
                    if not self._cut(outcome):
                        outcomes[submission] = outcome
            for submission in submissions:
                outcomes.setdefault(submission, Outcome(submission, INTERRUPTED))
            self.outcomes = [outcomes[s] for s in submissions]
            raise
        pool.shutdown(wait=True)
        return [outcomes[s] for s in submissions]

    @contextlib.contextmanager
    def interrupt_on_ctrl_c(self) -> Iterator[None]:
        """While inside: Ctrl+C (SIGINT) asks `run` to stop instead of raising wherever the
        main thread happens to be (inside a lock, halfway through a file)."""
        previous = signal.signal(signal.SIGINT, lambda *_: self.interrupted.set())
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    @staticmethod
    def _cut(outcome: Outcome) -> bool:
        return outcome.status == INTERRUPTED


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group ``process`` leads (the worker and its kernel) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=5)
