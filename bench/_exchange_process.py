"""The practice exchange in a process of its own, so that a benchmark's client does not share
a CPU with the server it measures against."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def exchange_process(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``python -m lessonlib.exchange --port 0 OPTIONS``; yields its URL and the process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lessonlib.exchange", "--port", "0", *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"ws://\S+", process.stdout.readline())
        if match is None:
            raise RuntimeError("the exchange did not print its address")
        yield match.group(0), process
    finally:
        process.terminate()
        process.wait(timeout=10)
