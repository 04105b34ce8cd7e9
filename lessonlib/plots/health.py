"""The health dashboard as a static picture: a table of every exchange and its reliability
over time, for a notebook run headless and for printing."""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib.axes import Axes

from ..events import Event, Kind
from ..health import HealthMonitor
from .figure import LessonFigure as Figure

ALERT, OK, THRESHOLD = "#d62728", "#2ca02c", "#7f7f7f"


def health_dashboard(
    monitor: HealthMonitor,
    alerts: Iterable[Event] = (),
    *,
    now: float | None = None,
    title: str = "connection health",
    time_unit: float = 1.0,
    time_label: str = "time (s)",
    show_table: bool = True,
) -> Figure:
    """A table of every source's health (alerting rows in red), and one small plot per
    source of its reliability over the monitor's window, with the threshold and the alerts.
    ``time_unit`` rescales the time axis (3600 with "time (h)" for a trading day); a live
    dashboard that shows the table as HTML leaves it out with ``show_table=False``."""
    names = monitor.sources
    alerts = [e for e in alerts if e.kind is Kind.ALERT]
    rows = monitor.table(now).rows if show_table else []
    head = [0.5 + 0.3 * len(names)] if show_table else []
    fig = Figure(figsize=(11, (1.2 + 0.35 * len(names) if show_table else 0.4) + 1.6 * len(names)))
    grid = fig.add_gridspec(len(head) + len(names), 1, height_ratios=head + [1.6] * len(names))
    if show_table:
        _table(fig.add_subplot(grid[0]), rows, title)
    first_ax = None
    for index, name in enumerate(names):
        ax = fig.add_subplot(grid[len(head) + index], sharex=first_ax)
        first_ax = first_ax or ax
        history = monitor.history(name)
        if history:
            times = [t / time_unit for t, _ in history]
            values = [100 * r for _, r in history]
            ax.plot(times, values, color=OK, lw=1.2)
            ax.fill_between(times, values, 100, color=ALERT, alpha=0.08)
        ax.axhline(100 * monitor.threshold, color=THRESHOLD, ls="--", lw=1)
        raised = None
        for event in (e for e in alerts if e.source == name):
            if event["raised"]:
                raised = event.time
            elif raised is not None:
                ax.axvspan(raised / time_unit, event.time / time_unit, color=ALERT, alpha=0.15)
                raised = None
        if raised is not None and history:
            ax.axvspan(raised / time_unit, history[-1][0] / time_unit, color=ALERT, alpha=0.15)
        low = min([100 * monitor.threshold - 5] + [100 * r for _, r in history])
        ax.set_ylim(max(0, low), 100.5)
        ax.set_ylabel(f"{name}\nreliability %", fontsize=8)
    if first_ax is not None:
        fig.axes[-1].set_xlabel(time_label)
    return fig


def _table(ax: Axes, rows: list[dict[str, object]], title: str) -> None:
    ax.axis("off")
    columns = list(rows[0]) if rows else []
    table = ax.table(
        cellText=[[str(row[c]) for c in columns] for row in rows],
        colLabels=columns,
        loc="center",
        cellLoc="center",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1, 1.25)
    for index, row in enumerate(rows, start=1):
        colour = "#fde2e1" if row["alert"] else "white"
        for column in range(len(columns)):
            table[index, column].set_facecolor(colour)
    ax.set_title(title, loc="left")
