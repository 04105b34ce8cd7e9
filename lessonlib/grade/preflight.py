"""What is checked before a batch starts, so that a class is never graded for nothing: the
CSV and the feedback folder can be written."""

from __future__ import annotations

import tempfile
from pathlib import Path


def check_outputs(out: Path, feedback: Path) -> None:
    """Raise ValueError naming ``--out`` or ``--feedback`` when grading could not write it."""
    if out.is_dir():
        raise ValueError(f"--out: {str(out)!r} is a folder; give the CSV file to write")
    if out.suffix.lower() != ".csv":
        raise ValueError(f"--out: {str(out)!r} should name a .csv file")
    _writable_folder("--out", out.parent)
    if out.exists():
        try:
            with out.open("a", encoding="utf-8"):
                pass
        except OSError as error:
            raise ValueError(f"--out: cannot write {str(out)!r}: {error.strerror}") from error
    if feedback.exists() and not feedback.is_dir():
        raise ValueError(f"--feedback: {str(feedback)!r} is a file, not a folder")
    _writable_folder("--feedback", feedback)


def _writable_folder(option: str, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"{option}: cannot write into {str(folder)!r}: {reason}") from error
