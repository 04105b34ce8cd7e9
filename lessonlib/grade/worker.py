"""Running one notebook, in a process of its own: ``python -m lessonlib.grade.worker``, told
what to run on its standard input (so that nothing of it shows in a process list). Prints one
JSON object; the grader kills the process (and everything in its namespace) if it overruns.

The student's cells run in a fresh kernel on a private copy of the notebook, errors allowed and
a cell that runs too long interrupted, so that whatever can be graded is. The "try it live"
cells are skipped (they spend seconds of real time on sockets), and so are the notebook's own
``check(...)`` cells (feedback, whose scenario the grading cell runs anyway), unless a student
wrote definitions into one. Then the grader's cell runs the task's scenario and shows its record,
which this process passes on untouched: the grader judges it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

# jsonschema's optional IRI format builds a grammar when imported (about 2 s of every worker's
# start); nbformat never validates that format, so the worker goes without it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

import nbformat  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from ..headless import VARIABLE as HEADLESS  # noqa: E402
from ..homework.grading import MIME  # noqa: E402
from ..notebook_client import notebook_client  # noqa: E402
from .held import Held  # noqa: E402
from .isolation import enter, private_env  # noqa: E402

GRADING_CELL = """\
from lessonlib.homework.grading import record as _reconnect_lab_record
_reconnect_lab_record({task!r}, {seed!r}, {token!r}, get_ipython().user_ns, link={link!r})"""


def grade(job: dict[str, Any]) -> dict[str, Any]:
    """The outcome of running one notebook: a status, the records shown, the cells' errors."""
    work = enter(job.get("hide", []))
    os.environ.clear()
    os.environ.update(private_env(work, {HEADLESS: "1"}))
    try:
        notebook = nbformat.reads(job["notebook"], as_version=4)
    except Exception as error:
        return {"status": f"not a notebook: {_first_line(error) or type(error).__name__}"}
    copy = work / "work" / "submission.ipynb"
    copy.write_text(job["notebook"], encoding="utf-8")
    cell_timeout = float(job["cell_timeout"])
    cells = [c for c in notebook.cells if not _skipped(c)]
    task, token, seed = str(job["task"]), str(job["token"]), int(job["seed"])
    held = Held.start(task, seed, token)  # the scenario kept here, out of the kernel's reach
    shown = None if held is not None else seed
    link = held.port if held is not None else None
    grading = nbformat.v4.new_code_cell(
        GRADING_CELL.format(task=task, seed=shown, token=token, link=link)
    )
    notebook.cells = [*cells, grading]
    client = notebook_client(
        notebook,
        kernel_name="python3",
        timeout=cell_timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        # Killed, not asked to shut down: nothing of it is kept, and its namespace goes with it.
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(copy.parent)}},
    )
    status, died = "ran", False
    try:
        client.execute(env=dict(os.environ), cwd=str(copy.parent))
    except DeadKernelError:
        status, died = "the kernel died (os._exit, a crash, or memory)", True
    except Exception as error:
        status = f"stopped: {type(error).__name__}: {_first_line(error)}"
    finally:
        observed = held.stop() if held is not None else None
    records = [
        {"cell": number, "data": output["data"][MIME]}
        for number, cell in enumerate(notebook.cells, 1)
        for output in cell.get("outputs", [])
        if MIME in output.get("data", {})
    ]
    grading_errors = [o for o in grading.get("outputs", []) if o.get("output_type") == "error"]
    return {
        "status": status,
        "died": died,
        "records": records,
        "grading_cell": len(notebook.cells),
        "grading_error": (
            f"{grading_errors[0]['ename']}: {grading_errors[0]['evalue']}"[:300]
            if grading_errors
            else ""
        ),
        "errors": _errors(notebook.cells[:-1], cell_timeout),
        "held": observed,
    }


SKIPPED_TAGS = {"live", "check"}
DEFINES = re.compile(r"^(async def|def|class) ", re.MULTILINE)


def _skipped(cell: Any) -> bool:
    return (
        cell.cell_type == "code"
        and SKIPPED_TAGS & set(cell.metadata.get("tags", []))
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
    job = json.loads(sys.stdin.read())
    # The answer goes out on a copy of stdout that no child inherits; the kernel's stdout
    # and stderr go nowhere, so that nothing it writes can pass for the answer.
    answer = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        outcome = grade(job)
    except Exception as error:  # the worker's own failure, said rather than lost
        outcome = {"status": f"grading failed: {type(error).__name__}: {_first_line(error)}"}
    json.dump(outcome, answer)
    answer.flush()


if __name__ == "__main__":
    main()
