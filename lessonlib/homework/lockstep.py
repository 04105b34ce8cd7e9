"""Two processes on one virtual clock: the grader's side of a scenario (the exchange, the
network, the script) owns the clock; the student's kernel runs its code on a `LockstepLoop`,
whose time moves only when the other side says so.

Each time the kernel's loop has nothing left to do at the present moment, it sends what its
code asked for (connects, frames, callbacks) and when its next timer is due, and waits; the
other side plays its own events up to that time, and answers with the new time and what
happened meanwhile. Neither side can run ahead of the other, so the order of events is the
one a single virtual-time loop would have given, and the record is written by the side that
the student's code cannot reach. Messages are JSON lines on a socket (`Link`).
"""

from __future__ import annotations

import asyncio
import json
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

POLL = 0.2  # seconds between looks at the loop's own wake-up pipe while waiting for an answer
MAX_LINE = 8_000_000  # bytes in one message: far above any scenario's


class LinkClosed(ConnectionError):
    """The other side is gone, or sent what no side of a scenario sends."""


class Link:
    """One JSON message per line over a connected socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._sock.settimeout(POLL)
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        try:
            self._sock.settimeout(None)
            self._sock.sendall(data)
        except OSError as error:
            raise LinkClosed(f"the other side is gone ({error})") from None
        finally:
            self._sock.settimeout(POLL)

    def poll(self) -> dict[str, Any] | None:
        """The next message if one arrives within `POLL` seconds, else None."""
        while b"\n" not in self._buffer:
            try:
                chunk = self._sock.recv(1 << 16)
            except TimeoutError:
                return None
            except OSError as error:
                raise LinkClosed(f"the other side is gone ({error})") from None
            if not chunk:
                raise LinkClosed("the other side closed the link")
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE:
                raise LinkClosed("a message longer than any scenario sends")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            raise LinkClosed("a message that is not JSON") from None
        if not isinstance(message, dict):
            raise LinkClosed("a message that is not a JSON object")
        return message

    def receive(self, within: float, clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
        """The next message, waiting up to ``within`` seconds of real time for it."""
        deadline = clock() + within
        while True:
            message = self.poll()
            if message is not None:
                return message
            if clock() > deadline:
                raise LinkClosed(f"no answer within {within:g} s")

    def close(self) -> None:
        self._sock.close()


class LockstepLoop(asyncio.SelectorEventLoop):
    """An event loop whose time is told by the other end of ``link``; see the module.

    ``on_events(events)`` is called (in the loop) with what the other side sent along with
    each new time; `requests` collects what the code asked for until the next wait."""

    def __init__(self, link: Link, on_events: Callable[[list[Any]], None]) -> None:
        self._now = 0.0
        self.link = link
        self.requests: list[dict[str, Any]] = []
        self.finished = False
        self._on_events = on_events
        self._waiting = False
        super().__init__(selector=_LockstepSelector(self))

    def time(self) -> float:
        return self._now

    def _wait_for_the_other_side(
        self, timeout: float | None, real: selectors.BaseSelector
    ) -> list[Any]:
        """Tell the other side that nothing is left to do before ``now + timeout``, and wait
        for its answer (looking at the loop's own wake-up pipe meanwhile)."""
        if not self._waiting:
            due = None if timeout is None else self._now + timeout
            requests, self.requests = self.requests, []
            self.link.send({"idle": due, "requests": requests})
            self._waiting = True
        while True:
            answer = self.link.poll()
            if answer is not None:
                break
            woken = real.select(0)
            if woken:  # a call_soon_threadsafe (the watchdog): answer it, keep waiting after
                return woken
        self._waiting = False
        now = answer.get("now")
        if isinstance(now, (int, float)) and now > self._now:
            self._now = float(now)
        events = answer.get("events")
        if isinstance(events, list) and events:
            self.call_soon(self._on_events, events)
        if answer.get("finish"):
            self.finished = True
            self.call_soon(self._on_events, [{"e": "finish"}])
        return real.select(0)


class _LockstepSelector(selectors.BaseSelector):
    """The loop's selector: real file descriptors as usual, but a wait that would let time
    pass is a turn of the other side instead."""

    def __init__(self, loop: LockstepLoop) -> None:
        self._loop = loop
        self._real = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Any:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is not None and timeout <= 0:
            return self._real.select(0)
        if self._loop.finished:  # the scenario is over: what is left winds down on its own
            self._loop._now += timeout if timeout is not None else 0.0
            return self._real.select(0)
        return self._loop._wait_for_the_other_side(timeout, self._real)
