"""What only a browser shows, on a lesson as a student runs it in JupyterLab in Chromium:
Run All Cells, then no error on the page, the plots as images, the widgets as widgets. A
screenshot lands in artifacts/browser/.

Every lesson runs headless in tests/test_notebooks.py; here one lesson stands for all, since
they share their widgets' and plots' machinery (ipywidgets' own containers, matplotlib PNGs).
Lesson 1 draws the most of both; lesson 2's live view is driven in
test_homework_and_live_lesson.py."""

from __future__ import annotations

import nbformat
import pytest
from lab_driver import ARTIFACTS, Lab, Notebook

# notebook: (images at least, widgets at least)
LESSONS = {"01_simple_retry": (4, 1)}


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_runs_all_cells_in_the_browser(page, headless_lab: Lab, lesson: str) -> None:
    notebook = Notebook(page, headless_lab, f"notebooks/{lesson}.ipynb")
    notebook.run_all()
    shot = notebook.screenshot(lesson)
    images, widgets = LESSONS[lesson]
    assert notebook.errors() == [], f"{lesson}: an error on the page, see {shot}"
    assert notebook.count(".jp-RenderedImage img") >= images, f"plots missing, see {shot}"
    assert notebook.count(".jupyter-widgets.widget-container, .jupyter-widgets") >= widgets
    assert notebook.widgets_as_text() == [], f"a widget shown as text, see {shot}"
    assert shot.parent == ARTIFACTS and shot.stat().st_size > 10_000


def test_the_russian_lesson_1_runs_all_cells_in_russian(page, headless_lab: Lab) -> None:
    notebook = Notebook(page, headless_lab, "notebooks/ru/01_simple_retry.ipynb")
    notebook.run_all()
    shot = notebook.screenshot("ru_01_simple_retry")
    images, widgets = LESSONS["01_simple_retry"]
    assert notebook.errors() == [], f"an error on the page, see {shot}"
    assert notebook.count(".jp-RenderedImage img") >= images, f"plots missing, see {shot}"
    assert notebook.count(".jupyter-widgets.widget-container, .jupyter-widgets") >= widgets
    assert notebook.widgets_as_text() == [], f"a widget shown as text, see {shot}"
    page_text = page.locator(".jp-Notebook").text_content() or ""  # off-screen cells too
    for russian in ("Урок 1", "подключились:", "сделано попыток: 1", "начальная (с)"):
        assert russian in page_text, f"{russian!r} not on the page, see {shot}"


def test_the_page_checks_see_an_error_and_a_widget_shown_as_text(page, headless_lab: Lab) -> None:
    """The two detectors above, shown a notebook that fails both ways."""
    cells = [
        nbformat.v4.new_markdown_cell("# A broken notebook"),
        nbformat.v4.new_code_cell(
            "import ipywidgets\n"
            "print(repr(ipywidgets.HBox([ipywidgets.Button(description='drop')])))"
        ),
        nbformat.v4.new_code_cell("1 / 0"),
    ]
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    broken = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel})
    nbformat.write(broken, headless_lab.root / "broken.ipynb")
    notebook = Notebook(page, headless_lab, "broken.ipynb")
    notebook.run_all()
    assert any("ZeroDivisionError" in error for error in notebook.errors())
    assert notebook.widgets_as_text() == [
        "HBox(children=(Button(description='drop', style=ButtonStyle()),))"
    ]
