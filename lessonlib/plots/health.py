"""The health dashboard as a static picture: a table of every exchange and its reliability
over time, for a notebook run headless and for printing."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from matplotlib.axes import Axes

from ..events import Event, Kind
from ..health import HealthMonitor, window
from ..i18n import tr
from .figure import LessonFigure as Figure

ALERT, OK, THRESHOLD = "#d62728", "#2ca02c", "#7f7f7f"
FONT = 10  # the table's points: readable at the figure's width


def health_dashboard(
    monitor: HealthMonitor,
    alerts: Iterable[Event] = (),
    *,
    now: float | None = None,
    title: str | None = None,
    time_unit: float = 1.0,
    time_label: str | None = None,
    show_table: bool = True,
    leave_out: Sequence[str] = (),
) -> Figure:
    """A table of every source's health (alerting rows in red; ``leave_out`` names columns
    not to show), and one small plot per source of its reliability over the monitor's window,
    with the alert threshold, the recovery level and the spells an alert was raised.
    ``time_unit`` rescales the time axis (3600 with "time (h)" for a trading day); a live
    dashboard that shows the table as HTML leaves it out with ``show_table=False``."""
    title = tr("connection health") if title is None else title
    time_label = tr("time (s)") if time_label is None else time_label
    names = monitor.sources
    alerts = [e for e in alerts if e.kind is Kind.ALERT]
    rows = monitor.table(now).rows if show_table else []
    rows = [{k: v for k, v in row.items() if k not in leave_out} for row in rows]
    head = [0.9 + 0.4 * len(names)] if show_table else []
    fig = Figure(figsize=(11, (sum(head) if show_table else 0.6) + 1.7 * len(names)))
    grid = fig.add_gridspec(len(head) + len(names), 1, height_ratios=head + [1.6] * len(names))
    if show_table:
        _table(fig.add_subplot(grid[0]), rows, title)
    span = window(monitor.window)
    first_ax = None
    for index, name in enumerate(names):
        ax = fig.add_subplot(grid[len(head) + index], sharex=first_ax)
        first_ax = first_ax or ax
        history = monitor.history(name)
        if history:
            times = [t / time_unit for t, _ in history]
            values = [100 * r for _, r in history]
            ax.plot(
                times,
                values,
                color=OK,
                lw=1.4,
                label=tr("reliability over the last {span}", span=span),
            )
        ax.axhline(
            100 * monitor.threshold,
            color=THRESHOLD,
            ls="--",
            lw=1,
            label=tr("alert below {threshold:.0%}", threshold=monitor.threshold),
        )
        ax.axhline(
            100 * monitor.recover_at,
            color=THRESHOLD,
            ls=":",
            lw=1,
            label=tr("alert clears at {level:.0%}", level=monitor.recover_at),
        )
        spells, raised = [], None
        for event in (e for e in alerts if e.source == name):
            if event["raised"]:
                raised = event.time
            elif raised is not None:
                spells.append((raised, event.time))
                raised = None
        if raised is not None and history:
            spells.append((raised, history[-1][0]))
        for left, right in spells:
            ax.axvspan(left / time_unit, right / time_unit, color=ALERT, alpha=0.15, lw=0)
        ax.axvspan(0, 0, color=ALERT, alpha=0.15, lw=0, label=tr("alert raised"))  # legend only
        low = min([100 * monitor.threshold - 5] + [100 * r for _, r in history])
        ax.set_ylim(max(0, low), 100.5)
        ax.set_ylabel(tr("reliability %"), fontsize=8)
        ax.set_title(name, loc="left", fontsize=9, pad=2)
    if first_ax is not None:
        handles, labels = first_ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
        fig.axes[-1].set_xlabel(time_label)
    return fig


def _table(ax: Axes, rows: list[dict[str, object]], title: str) -> None:
    ax.axis("off")
    columns = list(rows[0]) if rows else []
    table = ax.table(
        cellText=[[str(row[c]) for c in columns] for row in rows],
        colLabels=[textwrap.fill(c, 12) for c in columns],
        loc="center",
        cellLoc="center",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(FONT)
    table.scale(1, 1.6)
    for column in range(len(columns)):
        table[0, column].set_height(table[0, column].get_height() * 1.6)
    for index, row in enumerate(rows, start=1):
        colour = "#fde2e1" if row.get("alert") else "white"
        for column in range(len(columns)):
            table[index, column].set_facecolor(colour)
    ax.set_title(title, loc="left")
