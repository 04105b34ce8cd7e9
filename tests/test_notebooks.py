"""Every notebook, in every language (notebooks/ru, exercises/ru too), is stored clean, starts
with prose, and runs headless top to bottom."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from lessonlib.notebook_client import notebook_client

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "exercises")
    for path in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)
ARTIFACTS = ROOT / "artifacts" / "notebooks"
IDS = [str(path.relative_to(ROOT)) for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"cells {dirty} of {path.name} have outputs or execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_starts_with_prose(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells and notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.lstrip().startswith("# ")


@pytest.mark.timeout(600)  # a guard against a hang, sized for a heavily loaded machine
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_headless_top_to_bottom(path: Path) -> None:
    """Runs in a fresh kernel of this interpreter; the executed copy lands in artifacts/."""
    notebook = nbformat.read(path, as_version=4)
    # jupyter_client starts the "python3" kernel on this very interpreter (the project's
    # venv). The kernel is told that no one is watching, so live demos stop by themselves.
    env = {**os.environ, "RECONNECT_LAB_HEADLESS": "1"}
    client = notebook_client(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute(env=env)
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # notebooks/ru/01_simple_retry.ipynb → ru_01_simple_retry.ipynb, beside the English
        nbformat.write(notebook, ARTIFACTS / "_".join(path.relative_to(ROOT).parts[1:]))
