"""JupyterLab and Chromium for the browser tests: a lab server on a free loopback port over
a copy of the course, and a page driven the way a student drives it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from serving import free_port, serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
TOKEN = "reconnect-lab-test"


def find_chromium() -> str | None:
    """Debian's chromium, or the browser named by RECONNECT_LAB_CHROMIUM."""
    named = os.environ.get("RECONNECT_LAB_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where to reach it, and the folder it serves."""

    base: str
    root: Path


@contextlib.contextmanager
def jupyterlab(workdir: Path, *, headless: bool) -> Iterator[Lab]:
    """A JupyterLab server on a copy of the course's notebooks and exercises.

    ``headless`` tells the kernels that no one is watching, so that live views stop by
    themselves and "Run All" ends."""
    root = workdir / "course"
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, root / folder, dirs_exist_ok=True)
    settings = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port = free_port()
    # Settings and workspaces of its own: servers running side by side must not reopen each
    # other's notebooks.
    env = os.environ | {
        "JUPYTERLAB_SETTINGS_DIR": str(workdir / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
    }
    env.pop("RECONNECT_LAB_HEADLESS", None)
    if headless:
        env["RECONNECT_LAB_HEADLESS"] = "1"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--ServerApp.open_browser=False",
        "--ServerApp.port_retries=0",  # the port asked for, or an error: never another one
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = serve(
        "JupyterLab",
        command,
        workdir / f"jupyterlab-{port}.log",
        r"Jupyter Server .* is running at",
        env=env,
    )
    try:
        yield Lab(f"http://127.0.0.1:{port}", root)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")

ALL_RAN = f"""() => {{
    const prompts = [...document.querySelectorAll('{CURRENT} .jp-CodeCell .jp-InputPrompt')]
        .map(e => e.textContent.trim());
    return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
}}"""

WIDGET_AS_TEXT = r"""() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .map(e => e.textContent.trim())
    .filter(t => /^(\w+)\((children|value|layout|description)=/.test(t)
                 || t.startsWith('Error displaying widget') || t === 'Loading widget...')"""

ERRORS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(e => e.querySelector('pre') && /Traceback|Error:/.test(e.textContent)
                 && e.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
    .map(e => e.textContent.slice(0, 500))"""


class Notebook:
    """One notebook open in JupyterLab in a Chromium page."""

    def __init__(self, page: Page, lab: Lab, path: str) -> None:
        self.page = page
        self.path = path
        page.goto(f"{lab.base}/lab/tree/{path}?token={TOKEN}&reset")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        self.wait_for_kernel()

    def wait_for_kernel(self, timeout: float = 90) -> None:
        """Until the kernel is started and idle, as the status bar shows it; a "Select
        Kernel" dialog (a kernel slow to start on a loaded machine) is answered as a student
        would, with the notebook's own kernel."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
            if dialog.count():
                dialog.locator("button", has_text="Select").click()
            if self.page.get_by_text(KERNEL_IDLE).count():
                return
            self.page.wait_for_timeout(200)
        raise TimeoutError(f"{self.path}: the kernel was not idle within {timeout:g} s")

    def wait_idle(self, timeout: float = 90) -> None:
        self.page.wait_for_selector(
            f"{CURRENT} .jp-Notebook-ExecutionIndicator[data-status='idle']",
            timeout=timeout * 1000,
        )

    def menu(self, *items: str) -> None:
        for item in items:
            self.page.locator(
                ".lm-MenuBar-itemLabel, .lm-Menu-itemLabel", has_text=item
            ).first.click()

    def run_all(self, timeout: float = 90) -> None:
        self.menu("Run", "Run All Cells")
        try:
            self.page.wait_for_function(ALL_RAN, timeout=timeout * 1000)
            self.wait_idle(timeout)
        except Exception:
            self.screenshot("FAILED-" + Path(self.path).stem)
            raise

    def errors(self) -> list[str]:
        return self.page.evaluate(ERRORS)

    def widgets_as_text(self) -> list[str]:
        return self.page.evaluate(WIDGET_AS_TEXT)

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def screenshot(self, name: str) -> Path:
        """The whole notebook, however long: the page is made as tall as its content."""
        height = self.page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.jp-WindowedPanel-outer')]"
            ".map(e => e.scrollHeight), 800)"
        )
        self.page.set_viewport_size({"width": 1400, "height": min(int(height) + 200, 16_000)})
        self.page.evaluate(
            "() => document.querySelectorAll('.jp-WindowedPanel-outer')"
            ".forEach(e => { e.scrollTop = 0; })"
        )
        self.page.wait_for_timeout(800)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size({"width": 1400, "height": 1000})
        return path
