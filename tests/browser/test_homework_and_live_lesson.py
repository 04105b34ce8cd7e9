"""A student's two moments in the browser: typing a solution into a homework notebook and
reading full marks off its check cell; pressing lesson 2's "drop" button and watching the
live view reconnect."""

from __future__ import annotations

import re
from pathlib import Path

from lab_driver import Lab, Notebook

SOLUTIONS = Path(__file__).resolve().parents[1] / "homework" / "solutions"


def test_a_homework_solution_typed_in_gets_full_marks_on_the_page(page, headless_lab: Lab) -> None:
    notebook = Notebook(page, headless_lab, "exercises/01_basic_reconnect.ipynb")
    solution = page.locator(".jp-CodeCell", has_text="class FeedClient").first
    solution.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text((SOLUTIONS / "task1_reference.py").read_text())
    notebook.run_all()
    notebook.screenshot("homework_01_solved")
    report = page.locator(".reconnect-lab-report")
    assert report.get_attribute("data-points") == report.get_attribute("data-max-points") == "12"
    assert "12 / 12 points" in report.inner_text()
    assert notebook.errors() == []


def test_the_drop_button_of_lesson_2_and_the_reconnect_in_the_live_view(
    page, live_lab: Lab
) -> None:
    notebook = Notebook(page, live_lab, "notebooks/02_price_feed.ipynb")
    live_cell = page.locator(".jp-CodeCell", has_text="view = LiveFeedView(client, bus)").first
    live_cell.locator(".cm-content").click()
    notebook.menu("Run", "Run All Above Selected Cell")
    notebook.wait_idle()
    live_cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    view = live_cell.locator(".widget-html", has_text=re.compile(r"connections \d+ · updates"))
    view.wait_for(timeout=30_000)
    page.wait_for_function(
        "e => / connections \\d+ · updates [1-9]/.test(e.textContent)",
        arg=view.element_handle(),
        timeout=30_000,
    )
    before = int(re.search(r"connections (\d+)", view.inner_text())[1])
    live_cell.locator("button", has_text=re.compile(r"^drop$")).click()
    page.wait_for_function(
        "([e, n]) => new RegExp(`connections ${n + 1} `).test(e.textContent)"
        " && /resubscribed/.test(e.textContent)",
        arg=[view.element_handle(), before],
        timeout=30_000,
    )
    text = view.inner_text()
    assert "Connected" in text
    assert re.search(r"resubscribed .*resume=", text)
    notebook.screenshot("lesson_02_after_drop")


def test_the_russian_homework_checks_in_russian_on_the_page(page, headless_lab: Lab) -> None:
    """A student of the Russian edition runs its check and reads Russian, asking nothing."""
    notebook = Notebook(page, headless_lab, "exercises/ru/01_basic_reconnect.ipynb")
    solution = page.locator(".jp-CodeCell", has_text="class FeedClient").first
    solution.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    wrong = (SOLUTIONS / "task1_reference.py").read_text().replace("= 30.0", "= 60.0")
    page.keyboard.insert_text(wrong)  # a cap of 60 s: one sub-check fails
    notebook.run_all()
    notebook.screenshot("homework_01_ru_checked")
    report = page.locator(".reconnect-lab-report")
    assert report.get_attribute("lang") == "ru"
    text = report.inner_text()
    assert re.search(r"Задание 1: простой реконнект: \d+ / 12 баллов", text), text
    assert "задержка не больше 30 с" in text and "потолок выше 30 с" in text, text
    assert "points" not in text and "expected" not in text
    assert notebook.errors() == []
