"""Servers the browser and classroom tests start (JupyterLab, JupyterHub): a free loopback
port, and a start that waits for the server to say it is serving, not for a time."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
from pathlib import Path

GUARD = 120.0  # seconds: a hang guard sized for a loaded machine, never a wait


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(
    name: str, command: list[str], log: Path, ready: str, **options: object
) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output copied to ``log``; return once a line of it matches
    ``ready``. If it ends first, or says nothing of the kind within the guard, the error
    names ``name`` and ends with the end of its log."""
    process = subprocess.Popen(  # type: ignore[call-overload]
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **options
    )
    pattern = re.compile(ready)
    said, settled = threading.Event(), threading.Event()  # ready said; said or ended

    def copy() -> None:
        with log.open("wb") as sink:
            for line in process.stdout:
                sink.write(line)
                sink.flush()
                if pattern.search(line.decode(errors="replace")):
                    said.set()
                    settled.set()
        settled.set()  # the output ended: the process is gone

    threading.Thread(target=copy, name=f"log of {log.name}", daemon=True).start()
    settled.wait(GUARD)
    if said.is_set():
        return process
    process.kill()
    process.wait()
    raise RuntimeError(f"{name} did not start (exit {process.returncode}):\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
