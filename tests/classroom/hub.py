"""A real JupyterHub for a class: the hub, its configurable-http-proxy, the built-in
SimpleLocalProcessSpawner and DummyAuthenticator, every student's server on this machine
with a home of its own, the course handed out through an nbgitpuller link."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from serving import free_port, serve

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "reconnect-lab-class"  # DummyAuthenticator: one shared password, for a test hub
REPO_DIR = "reconnect-lab"  # the folder nbgitpuller clones into: the repository's name


def find_proxy() -> str | None:
    """The configurable-http-proxy `make classroom` installs into .venv/chp, or one on PATH."""
    local = ROOT / ".venv" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return str(local)
    return shutil.which("configurable-http-proxy")


def course_repository(folder: Path) -> str:
    """A bare git repository of the course as committed at HEAD, its branch named main as the
    README's link says; returned as the URL nbgitpuller clones."""
    bare = folder / REPO_DIR
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    subprocess.run(
        ["git", "-C", str(ROOT), "push", "--quiet", str(bare), "HEAD:refs/heads/main"],
        check=True,
    )
    return str(bare)


@dataclass(frozen=True)
class Hub:
    """A running hub: its public URL, the instructor's API token, and where homes live."""

    url: str
    token: str
    homes: Path
    repo: str
    process: subprocess.Popen[bytes]

    def home(self, student: str) -> Path:
        return self.homes / student

    def pull_link(self, notebook: str = "notebooks/01_simple_retry.ipynb") -> str:
        """The README's nbgitpuller link, with this hub and the course's repository."""
        from urllib.parse import quote

        return (
            f"{self.url}/hub/user-redirect/git-pull?repo={quote(self.repo, safe='')}"
            f"&branch=main&urlpath=lab/tree/{REPO_DIR}/{notebook}"
        )


def _config(folder: Path, *, port: int, token: str, proxy: str) -> str:
    homes = folder / "homes"
    homes.mkdir()
    args = ["--allow-root"] if os.geteuid() == 0 else []
    return f"""
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{folder}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{homes}/{{username}}"
c.Spawner.notebook_dir = "{homes}/{{username}}"
c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.environment = {{"RECONNECT_LAB_HEADLESS": "1"}}
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.JupyterHub.services = [{{"name": "instructor", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "instructor",
    "scopes": ["admin:users", "admin:servers", "access:servers", "admin:server_state"],
    "services": ["instructor"],
}}]
"""


@contextlib.contextmanager
def jupyterhub(folder: Path) -> Iterator[Hub]:
    """A hub and its proxy on free loopback ports over ``folder``, stopped with the users'
    servers (the hub's cleanup_servers) when the block ends."""
    proxy = find_proxy()
    if proxy is None:
        raise RuntimeError("no configurable-http-proxy: `make classroom` installs it")
    port = free_port()
    token = secrets.token_hex(16)
    repo = course_repository(folder)
    (folder / "jupyterhub_config.py").write_text(
        _config(folder, port=port, token=token, proxy=proxy)
    )
    env = os.environ | {"CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16)}
    env.pop("RECONNECT_LAB_HEADLESS", None)
    process = serve(
        "JupyterHub",
        [str(BIN / "jupyterhub"), "-f", str(folder / "jupyterhub_config.py")],
        folder / "jupyterhub.log",
        r"JupyterHub is now running at",
        cwd=folder,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield Hub(url, token, folder / "homes", repo, process)
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
