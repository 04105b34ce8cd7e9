"""A live health dashboard: the monitor's table, alerting rows in colour, and small plots
of reliability over time, redrawn from a background task while the student works on."""

from __future__ import annotations

import asyncio
import html

import ipywidgets as widgets
from IPython.display import display

from ..events import Event
from ..health import HealthMonitor
from ..i18n import tr
from ..plots import health_dashboard
from .live import LiveView


class HealthDashboard(LiveView):
    """Redraws every ``refresh`` seconds until `stop` (or ``run_for``); alerts are listed as
    they arrive. The plots are redrawn every ``plot_every`` refreshes (they cost more)."""

    def __init__(
        self, monitor: HealthMonitor, *, refresh: float = 0.5, plot_every: int = 8
    ) -> None:
        super().__init__(refresh)
        self.monitor = monitor
        self.plot_every = plot_every
        self.table = widgets.HTML()
        self.alerts = widgets.HTML()
        self.plots = widgets.Output()
        self.widget = widgets.VBox([self.table, self.alerts, self.plots])
        self._alerts: list[Event] = []
        self._forget = monitor.on_alert(self._alerts.append)

    def stopped(self) -> None:
        self._forget()

    def draw(self, *, plots: bool | None = None) -> None:
        now = asyncio.get_running_loop().time()
        self.monitor.check(now)
        self.table.value = self.monitor.table(now)._repr_html_()
        lines = [
            f"<span style='color:{'#d62728' if e['raised'] else '#2ca02c'}'>"
            + tr("{ago:6.1f} s ago: {message}", ago=now - e.time, message=html.escape(e["message"]))
            + "</span>"
            for e in reversed(self._alerts[-6:])
        ]
        self.alerts.value = "<br>".join(lines) or "<i>" + tr("no alerts") + "</i>"
        if plots is None:  # the plots cost more: every ``plot_every`` frames, and the last
            plots = self.frames_drawn % self.plot_every == 0 or self._task is None
        if plots and self.monitor.sources:
            figure = health_dashboard(self.monitor, self._alerts, now=now, show_table=False)
            with self.plots:
                self.plots.clear_output(wait=True)
                display(figure)
        self.frames_drawn += 1
