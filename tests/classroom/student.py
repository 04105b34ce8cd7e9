"""A student on the hub, as a program: logs in through the hub's API, starts their server,
follows the nbgitpuller link, and runs notebooks cell by cell over the Jupyter server's REST
API and a kernel's WebSocket, every request through the hub's proxy."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import nbformat
import websockets
from hub import PASSWORD, REPO_DIR, Hub

TIMEOUT = httpx.Timeout(300)  # a loaded machine's spawn; a real hang is stopped by pytest


@dataclass
class Ran:
    """What one notebook printed, cell by cell, and the errors its cells raised."""

    outputs: list[list[dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def text(self, cell: int) -> str:
        parts = []
        for output in self.outputs[cell]:
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
        return "".join(parts)


async def enrol(hub: Hub, students: list[str]) -> None:
    """The instructor adds the class to the hub (its admin API, with the service's token)."""
    async with httpx.AsyncClient(base_url=hub.url, timeout=TIMEOUT) as client:
        reply = await client.post(
            "/hub/api/users",
            json={"usernames": students},
            headers={"Authorization": f"token {hub.token}"},
        )
        assert reply.status_code in (201, 409), reply.text


class Student:
    """One student's session with the hub, authenticated by the token they logged in for."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.client = httpx.AsyncClient(base_url=hub.url, timeout=TIMEOUT)
        self.token = ""

    @property
    def server(self) -> str:
        return f"/user/{self.name}"

    async def __aenter__(self) -> Student:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def log_in(self) -> None:
        """A token from the hub's API for the student's name and password."""
        reply = await self.client.post(
            f"/hub/api/users/{self.name}/tokens",
            json={"auth": {"username": self.name, "password": PASSWORD}, "note": "class"},
        )
        reply.raise_for_status()
        self.token = reply.json()["token"]
        self.client.headers["Authorization"] = f"token {self.token}"

    async def start_server(self) -> None:
        """Their own server, started through the hub, awaited until the hub says it is ready."""
        reply = await self.client.post(f"/hub/api/users/{self.name}/server")
        assert reply.status_code in (201, 202, 400), reply.text
        # The hub's progress stream (server-sent events) ends with a "ready" or "failed" event.
        progress = f"/hub/api/users/{self.name}/server/progress"
        async with self.client.stream("GET", progress) as events:
            async for line in events.aiter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line.removeprefix("data:"))
                assert not event.get("failed"), event
                if event.get("ready"):
                    return
        raise AssertionError(f"{self.name}'s server: the progress stream ended before ready")

    async def pull_course(self) -> list[dict[str, Any]]:
        """The README's link, followed as a browser does (the hub's pages take its login
        cookie, not an API token): the hub sends it to the student's own server's git-pull
        page, whose progress stream (what that page's script reads) does the pull."""
        async with httpx.AsyncClient(
            base_url=self.hub.url, timeout=TIMEOUT, follow_redirects=True
        ) as browser:
            await browser.get("/hub/login")
            form = {"username": self.name, "password": PASSWORD}
            form["_xsrf"] = browser.cookies.get("_xsrf", "")
            (await browser.post("/hub/login", data=form)).raise_for_status()
            page = await browser.get(self.hub.pull_link())
            page.raise_for_status()
            assert page.url.path == f"{self.server}/git-pull", page.url
            events = []
            async with browser.stream(
                "GET", f"{self.server}/git-pull/api", params=page.url.params
            ) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data:"):
                        events.append(json.loads(line[5:]))
        return events

    async def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"{self.server}/api/{path}", **kwargs)

    async def read_notebook(self, path: str) -> nbformat.NotebookNode:
        reply = await self.api("GET", f"contents/{path}", params={"content": 1})
        reply.raise_for_status()
        return nbformat.from_dict(reply.json()["content"])

    async def save_notebook(self, path: str, notebook: nbformat.NotebookNode) -> None:
        body = {"type": "notebook", "format": "json", "content": notebook}
        (await self.api("PUT", f"contents/{path}", json=body)).raise_for_status()

    async def run(
        self, path: str, notebook: nbformat.NotebookNode, *extra: str, keep: bool = False
    ) -> Ran:
        """Every code cell of ``notebook`` (then ``extra`` code) in a fresh kernel of a session
        at ``path``, so that the kernel works in the notebook's folder; shut down after unless
        ``keep`` (then `shut_down` ends it)."""
        reply = await self.api(
            "POST",
            "sessions",
            json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        reply.raise_for_status()
        session = reply.json()
        try:
            cells = [c.source for c in notebook.cells if c.cell_type == "code"]
            return await self._execute(session["kernel"]["id"], [*cells, *extra])
        finally:
            if not keep:
                await self.api("DELETE", f"sessions/{session['id']}")

    async def shut_down(self) -> None:
        """Every session of the student's server, and so its kernel, ended."""
        for session in (await self.api("GET", "sessions")).json():
            await self.api("DELETE", f"sessions/{session['id']}")

    async def _execute(self, kernel: str, cells: list[str]) -> Ran:
        url = re.sub(r"^http", "ws", self.hub.url) + f"{self.server}/api/kernels/{kernel}/channels"
        ran = Ran()
        headers = {"Authorization": f"token {self.token}"}
        async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
            for code in cells:
                outputs, error = await _execute_one(ws, code)
                ran.outputs.append(outputs)
                if error:
                    ran.errors.append(error)
                    break
        return ran


async def _execute_one(ws: Any, code: str) -> tuple[list[dict[str, Any]], str]:
    """One execute_request; its outputs until the kernel is idle again, and any error."""
    msg_id = uuid.uuid4().hex
    request = {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "student",
            "session": uuid.uuid4().hex,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "buffers": [],
    }
    await ws.send(json.dumps(request))
    outputs: list[dict[str, Any]] = []
    error, idle, replied = "", False, False
    while not (idle and replied):
        message = json.loads(await ws.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind in ("stream", "display_data", "execute_result"):
            outputs.append(content)
        elif kind == "error":
            error = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
    return outputs, error


LESSON = f"{REPO_DIR}/notebooks/02_price_feed.ipynb"
HOMEWORK = f"{REPO_DIR}/exercises/01_basic_reconnect.ipynb"


def solved(notebook: nbformat.NotebookNode, solution: str) -> nbformat.NotebookNode:
    """The exercise with ``solution`` typed into its solution cell, as a student does."""
    for cell in notebook.cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.source = solution
    return notebook


def check_cell(notebook: nbformat.NotebookNode) -> int:
    """The index, among code cells, of the exercise's check cell."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    return next(i for i, c in enumerate(code) if "check" in c.metadata.get("tags", []))


def points(text: str) -> tuple[int, int]:
    found = re.search(r"(\d+) / (\d+) points", text)
    assert found, text
    return int(found[1]), int(found[2])
