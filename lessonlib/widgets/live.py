"""A widget redrawn from a background task while the student keeps working in other cells."""

from __future__ import annotations

import asyncio
import contextlib

from .. import validate


class LiveView:
    """Calls `draw` every ``refresh`` seconds from `start` until `stop`, or for ``run_for``
    seconds (how a notebook run with no one watching ends its live parts by itself)."""

    def __init__(self, refresh: float) -> None:
        validate.positive("refresh", refresh)
        self.refresh = refresh
        self.frames_drawn = 0
        self._task: asyncio.Task[None] | None = None

    def start(self, run_for: float | None = None) -> asyncio.Task[None]:
        """Start redrawing in the background; the task is kept here and returned."""
        if self._task is not None and not self._task.done():
            raise RuntimeError(f"the {type(self).__name__} is already running")
        self._task = asyncio.create_task(self._run(run_for), name=type(self).__name__)
        return self._task

    async def stop(self) -> None:
        """Stop redrawing, let go of what it watches, and draw the last picture."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.stopped()
        self.draw()

    async def _run(self, run_for: float | None) -> None:
        loop = asyncio.get_running_loop()
        until = None if run_for is None else loop.time() + run_for
        while until is None or loop.time() < until:
            self.draw()
            await asyncio.sleep(self.refresh)
        self.draw()

    def draw(self) -> None:
        """Render the current picture (and count the frame)."""
        raise NotImplementedError

    def stopped(self) -> None:
        """Called once by `stop`: unsubscribe from what the view was watching."""
