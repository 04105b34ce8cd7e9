"""Finding the submissions: who handed in which notebook, for which task."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import i18n

EXERCISES = {
    "01_basic_reconnect.ipynb": "task1",
    "02_restoring_subscriptions.ipynb": "task2",
    "03_trading_with_a_breaker.ipynb": "task3",
    "04_health_monitor.ipynb": "task4",
}
CHECK_CALL = re.compile(r"""check\(\s*["'](task[1-4])["']""")
LANGUAGE_CALL = re.compile(r"""i18n\.use\(\s*["'](\w+)["']""")


@dataclass(frozen=True, slots=True)
class Submission:
    """One notebook: its path, whose it is, and (when it can be told) which task."""

    path: Path
    student: str
    task: str | None
    language: str = i18n.SOURCE  # the notebook's: its feedback is written in it


def find(arguments: list[str]) -> list[Submission]:
    """Every notebook named, or inside a folder named, on the command line.

    The student is the first folder below a folder named on the command line
    (``submissions/alice/…/x.ipynb`` is alice's); for a notebook given directly, or lying
    directly in such a folder, the folder holding it if the notebook kept its exercise name
    (``alice/01_basic_reconnect.ipynb``), else the file's name (``alice_task1.ipynb``)."""
    found: dict[Path, str] = {}
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for notebook in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in notebook.parts:
                    parts = notebook.relative_to(path).parts
                    found.setdefault(notebook, parts[0] if len(parts) > 1 else _named(notebook))
        elif path.exists():
            found.setdefault(path, _named(path))
        else:
            raise ValueError(f"SUBMISSIONS: no such file or folder: {argument!r}")
    return [
        Submission(path, student, task_of(path), language_of(path))
        for path, student in found.items()
    ]


def _named(path: Path) -> str:
    folder = path.resolve().parent.name
    return folder if path.name in EXERCISES and folder else path.stem


def language_of(path: Path) -> str:
    """The language a notebook is in: its metadata (a generated edition's), else the language
    its cells choose with ``i18n.use``, else English."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return i18n.SOURCE
    if not isinstance(notebook, dict):
        return i18n.SOURCE
    metadata = notebook.get("metadata")
    found = (
        metadata.get("reconnect_lab", {}).get("language") if isinstance(metadata, dict) else None
    )
    if not isinstance(found, str):
        for cell in notebook.get("cells") or []:
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            source = "".join(source) if isinstance(source, list) else str(source)
            if match := LANGUAGE_CALL.search(source):
                found = match[1]
                break
    try:
        return i18n.language_of(found) if isinstance(found, str) else i18n.SOURCE
    except ValueError:
        return i18n.SOURCE


def task_of(path: Path) -> str | None:
    """The task a notebook is for: its metadata, else its check cell, else its file name."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return EXERCISES.get(path.name)
    if isinstance(notebook, dict):
        metadata = notebook.get("metadata")
        task = metadata.get("reconnect_lab", {}).get("task") if isinstance(metadata, dict) else None
        if isinstance(task, str) and task in EXERCISES.values():
            return task
        for cell in notebook.get("cells") or []:
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            source = "".join(source) if isinstance(source, list) else str(source)
            if match := CHECK_CALL.search(source):
                return match[1]
    return EXERCISES.get(path.name)
