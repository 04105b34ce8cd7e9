"""``python -m lessonlib.release DIR``: the student edition of the course, as nbgrader's
``generate_assignment`` or otter's ``assign`` make one: everything a student runs and checks
with, and none of the reference solutions, the mistake sets, the grader's own tests or the
instructor's guide."""

from __future__ import annotations

import argparse
import shutil
import sys
from fnmatch import fnmatch
from pathlib import Path

COURSE = Path(__file__).resolve().parents[1]
# What stays with the instructor: reference solutions and the mistakes made from them, the
# tests and benchmark that read them, and the guide that lists the mistakes (in every language).
WITHHELD = ("tests/homework", "tests/browser/test_homework_and_live_lesson.py")
WITHHELD += ("bench/homework_checks.py", "docs/instructors*.md")
# What is never part of a course: environments, caches, outputs, students' work.
SKIPPED = {".git", ".venv", "artifacts", "grades", "submissions", "feedback", "build"}
SKIPPED |= {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints"}


def withheld(relative: Path) -> bool:
    """True for what the student edition leaves out."""
    text = relative.as_posix()
    if any(part in SKIPPED or part.endswith(".egg-info") for part in relative.parts):
        return True
    return any(fnmatch(text, w) or text.startswith(w + "/") for w in WITHHELD)


def release(target: Path, source: Path = COURSE) -> list[Path]:
    """Copy the student edition of ``source`` into ``target`` (new or empty); the files."""
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"DIR: {str(target)!r} is not empty; give a new or empty folder")
    if target.resolve().is_relative_to(source.resolve()):
        raise ValueError(f"DIR: {str(target)!r} is inside the course; give a folder outside it")
    written = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or withheld(relative):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        written.append(destination)
    return written


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessonlib.release",
        description="Write the student edition of the course (no solutions) into DIR.",
    )
    parser.add_argument("dir", type=Path, help="a new or empty folder")
    options = parser.parse_args(arguments)
    try:
        written = release(options.dir)
    except ValueError as error:
        print(f"python -m lessonlib.release: {error}", file=sys.stderr)
        return 2
    print(
        f"student edition: {len(written)} files in {options.dir} (withheld: {', '.join(WITHHELD)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
