"""Grading one notebook, in a process of its own: ``python -m lessonlib.grade.worker PATH
TASK``. Prints one JSON object; the parent kills the process (and its kernel) if it overruns.

The student's cells run in a fresh kernel, errors allowed and a cell that runs too long
interrupted, so that whatever can be graded is. The "try it live" cells are skipped (they spend
seconds of real time on sockets), unless a student wrote definitions into one. Then one more
cell grades the task on the grading seed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from ..headless import VARIABLE as HEADLESS
from ..homework.grading import MIME

GRADING_CELL = """\
from lessonlib.homework.grading import record as _reconnect_lab_record
_reconnect_lab_record({task!r}, get_ipython().user_ns)"""


def grade(path: Path, task: str, cell_timeout: float) -> dict[str, Any]:
    """The outcome for one notebook: a status, the report if there is one, cell errors."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        return {"status": f"not a notebook: {_first_line(error) or type(error).__name__}"}
    cells = [c for c in notebook.cells if not _skipped(c)]
    grading = nbformat.v4.new_code_cell(GRADING_CELL.format(task=task))
    notebook.cells = [*cells, grading]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=cell_timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    status = "graded"
    try:
        client.execute(env=os.environ | {HEADLESS: "1"})
    except DeadKernelError:
        status = "the kernel died (os._exit, a crash, or memory)"
    except Exception as error:
        status = f"stopped: {type(error).__name__}: {_first_line(error)}"
    errors = _errors(notebook.cells[:-1], cell_timeout)
    report = next(
        (
            o["data"][MIME]
            for o in reversed(grading.get("outputs", []))
            if MIME in o.get("data", {})
        ),
        None,
    )
    if report is None and status == "graded":
        status = "no result: the grading cell did not finish"
    elif report is not None and status != "graded":
        status = "graded"  # the kernel died after the result was out
    return {"status": status, "report": report, "errors": errors}


DEFINES = re.compile(r"^(async def|def|class) ", re.MULTILINE)


def _skipped(cell: Any) -> bool:
    return (
        cell.cell_type == "code"
        and "live" in cell.metadata.get("tags", [])
        and not DEFINES.search(cell.source)
    )


def _errors(cells: list[Any], cell_timeout: float) -> list[str]:
    found = []
    for number, cell in enumerate(cells, 1):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output["ename"] == "KeyboardInterrupt":
                found.append(f"cell {number}: ran longer than {cell_timeout:g} s and was stopped")
            else:
                found.append(f"cell {number}: {output['ename']}: {output['evalue']}"[:300])
    return found


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else ""


def main() -> None:
    path, task, cell_timeout = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    json.dump(grade(path, task, cell_timeout), sys.stdout)


if __name__ == "__main__":
    main()
