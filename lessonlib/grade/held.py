"""A scenario the worker holds for its kernel: a loopback port the grading cell connects to,
and a thread that plays the task's scenario (see `lessonlib.homework.far_scenario`) against
whoever first says hello with the grading cell's token."""

from __future__ import annotations

import contextlib
import hmac
import socket
import threading
import traceback
from typing import Any

from ..homework import far_scenario
from ..homework.lockstep import Link, LinkClosed

HELLO_WAIT = 10.0  # seconds for a connection to say hello
STOP_WAIT = 30.0  # seconds for a scenario to end once its kernel is gone


class Held:
    """The thread and its port; `stop` ends it and returns the observation, if any."""

    def __init__(self, task: str, seed: int, token: str) -> None:
        self.task, self._seed, self._token = task, seed, token
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.5)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self.observation: dict[str, Any] | None = None
        self.failure = ""
        self._thread = threading.Thread(target=self._serve, name="held scenario", daemon=True)

    @classmethod
    def start(cls, task: str, seed: int, token: str) -> Held | None:
        """The held scenario of ``task``, started; None for a task the kernel plays itself."""
        if task not in far_scenario.HELD:
            return None
        held = cls(task, seed, token)
        held._thread.start()
        return held

    def wait(self, timeout: float | None = None) -> None:
        """Until the scenario has been played (or ``timeout`` seconds have passed)."""
        self._thread.join(timeout)

    def stop(self) -> dict[str, Any] | None:
        self._stopping.set()
        self._thread.join(STOP_WAIT)
        with contextlib.suppress(OSError):
            self._listener.close()
        if self.failure:
            return {"failure": self.failure}
        return self.observation

    def _serve(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    connection, _ = self._listener.accept()
                except TimeoutError:
                    continue
                link = Link(connection)
                if not self._greeted(link):
                    link.close()
                    continue
                self._listener.close()  # one client only: whoever said hello first
                try:
                    self.observation = far_scenario.observe(self.task, self._seed, link)
                finally:
                    link.close()
                return
        except OSError:
            return
        except Exception as error:  # the grader's own failure: said, not lost
            self.failure = f"{type(error).__name__}: {error}"
            traceback.print_exc()

    def _greeted(self, link: Link) -> bool:
        try:
            hello = link.receive(HELLO_WAIT)
        except LinkClosed:
            return False
        return hmac.compare_digest(str(hello.get("hello", "")), self._token)
