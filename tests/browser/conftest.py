"""Browser fixtures: skipped, with the reason, where there is no Chromium or no Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_driver import Lab, find_chromium, jupyterlab

CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip(
        "browser tests skipped: no Chromium found (Debian: apt-get install chromium; or set "
        "RECONNECT_LAB_CHROMIUM to a Chromium binary)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests skipped: Playwright is not installed"
)


@pytest.fixture
def page() -> Iterator[object]:
    """A Chromium page. Playwright's sync API keeps an event loop running on this thread while
    it is open, so it is opened and closed around each test: the other tests in this process
    call asyncio.run()."""
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        chromium.close()


@pytest.fixture(scope="session")
def headless_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab whose kernels know no one is watching: "Run All" runs to the end."""
    with jupyterlab(Path(tmp_path_factory.mktemp("lab")), headless=True) as lab:
        yield lab


@pytest.fixture(scope="session")
def live_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab as a student has it: live views run until they are stopped."""
    with jupyterlab(Path(tmp_path_factory.mktemp("live")), headless=False) as lab:
        yield lab
