"""A live health dashboard: the monitor's table, alerting rows in colour, and small plots
of reliability over time, redrawn from a background task while the student works on."""

from __future__ import annotations

import asyncio
import contextlib
import html

import ipywidgets as widgets
from IPython.display import display

from ..events import Event
from ..health import HealthMonitor
from ..plots import health_dashboard


class HealthDashboard:
    """Redraws every ``refresh`` seconds until `stop` (or ``run_for``); alerts are listed as
    they arrive. The plots are redrawn every ``plot_every`` refreshes (they cost more)."""

    def __init__(
        self, monitor: HealthMonitor, *, refresh: float = 0.5, plot_every: int = 8
    ) -> None:
        if not refresh > 0:
            raise ValueError(f"refresh must be greater than 0, got {refresh!r}")
        self.monitor = monitor
        self.refresh = refresh
        self.plot_every = plot_every
        self.table = widgets.HTML()
        self.alerts = widgets.HTML()
        self.plots = widgets.Output()
        self.widget = widgets.VBox([self.table, self.alerts, self.plots])
        self._alerts: list[Event] = []
        self._forget = monitor.on_alert(self._alerts.append)
        self._task: asyncio.Task[None] | None = None
        self.frames_drawn = 0

    def start(self, run_for: float | None = None) -> asyncio.Task[None]:
        if self._task is not None and not self._task.done():
            raise RuntimeError("the dashboard is already running")
        self._task = asyncio.create_task(self._run(run_for), name="health dashboard")
        return self._task

    async def stop(self) -> None:
        """Stop redrawing (the last picture stays) and stop listening for alerts."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._forget()
        self.draw(plots=True)

    async def _run(self, run_for: float | None) -> None:
        loop = asyncio.get_running_loop()
        until = None if run_for is None else loop.time() + run_for
        while until is None or loop.time() < until:
            self.draw(plots=self.frames_drawn % self.plot_every == 0)
            await asyncio.sleep(self.refresh)
        self.draw(plots=True)

    def draw(self, *, plots: bool = True) -> None:
        now = asyncio.get_running_loop().time()
        self.monitor.check(now)
        self.table.value = self.monitor.table(now)._repr_html_()
        lines = [
            f"<span style='color:{'#d62728' if e['raised'] else '#2ca02c'}'>"
            f"{now - e.time:6.1f} s ago: {html.escape(e['message'])}</span>"
            for e in reversed(self._alerts[-6:])
        ]
        self.alerts.value = "<br>".join(lines) or "<i>no alerts</i>"
        if plots and self.monitor.sources:
            figure = health_dashboard(self.monitor, self._alerts, now=now, show_table=False)
            with self.plots:
                self.plots.clear_output(wait=True)
                display(figure)
        self.frames_drawn += 1
