"""Several exchanges on one time axis: each one's connection, breaker and trading gate."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from matplotlib.patches import Patch

from ..consolidation import ConsolidatedQuote
from ..events import Event, Kind
from ..i18n import tr
from .figure import LessonFigure as Figure

CONNECTION = {"connected": "#2ca02c", "connecting": "#ff7f0e", "reconnecting": "#ff7f0e"}
BREAKER = {"closed": "#2ca02c", "half_open": "#ff7f0e", "open": "#d62728"}
TRADING = {True: "#1f77b4", False: "#dddddd"}
DOWN = "#bbbbbb"


def legend() -> list[Patch]:
    """The timeline's colours, in the language in force when it is drawn."""
    return [
        Patch(color="#2ca02c", label=tr("connected · breaker closed")),
        Patch(color="#ff7f0e", label=tr("(re)connecting · breaker half-open")),
        Patch(color=DOWN, label=tr("not connected yet")),
        Patch(color="#d62728", label=tr("breaker open")),
        Patch(color=TRADING[True], label=tr("trading allowed")),
        Patch(color=TRADING[False], label=tr("trading stopped")),
    ]


def exchanges_timeline(
    events: Iterable[Event],
    names: Sequence[str],
    *,
    start: float | None = None,
    title: str = "",
) -> Figure:
    """Three bands per exchange, read from the event stream: the connection (green up,
    orange reconnecting, grey down), the breaker (green closed, orange half-open, red open)
    and the trading gate (blue while trading is allowed), with injected faults marked.
    Time counts from ``start`` (loop time; the first event's when None): what happened
    before it is drawn at negative times."""
    events = sorted(events, key=lambda e: e.time)
    first = events[0].time if events else 0.0
    start = first if start is None else start
    end = (events[-1].time - start) if events else 1.0
    fig = Figure(figsize=(11, 1.25 * len(names) + 1.6))
    ax = fig.subplots()
    ticks, labels = [], []
    for row, name in enumerate(reversed(names)):
        base = row * 4
        own = [e for e in events if e.source == name]
        bands = [
            (
                base + 2,
                tr("connection"),
                _spans(own, Kind.STATE, "disconnected", first, end, start, lambda e: e["state"]),
                lambda v: CONNECTION.get(v, DOWN),
            ),
            (
                base + 1,
                tr("breaker"),
                _spans(own, Kind.BREAKER, "closed", first, end, start, lambda e: e["new"]),
                BREAKER.get,
            ),
            (
                base,
                tr("trading"),
                _spans(own, Kind.TRADING, False, first, end, start, lambda e: e["allowed"]),
                TRADING.get,
            ),
        ]
        for y, label, spans, colour in bands:
            for t0, t1, value in spans:
                ax.broken_barh([(t0, t1 - t0)], (y + 0.1, 0.8), color=colour(value))
            ticks.append(y + 0.5)
            labels.append(f"{name} · {label}")
        faults: dict[float, list[str]] = {}
        for fault in (e for e in own if e.kind is Kind.FAULT):
            faults.setdefault(round(fault.time - start, 2), []).append(fault["fault"])
        for t, kinds in faults.items():
            ax.plot([t, t], [base, base + 3], color="black", lw=0.8, ls="--")
            ax.text(t, base + 3.05, " " + "+".join(kinds), fontsize=7, va="bottom")
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlim(first - start, end)
    ax.set_ylim(-0.3, len(names) * 4)
    if first < start:
        ax.axvline(0, color="black", lw=1)
    ax.set_xlabel(tr("time since the bot started (s)") if start != first else tr("time (s)"))
    ax.set_title(title or tr("connection, breaker and trading gate of each exchange"), loc="left")
    fig.legend(handles=legend(), loc="outside lower center", ncol=6, fontsize=8, frameon=False)
    return fig


def _spans(
    events: Sequence[Event],
    kind: Kind,
    initial: Any,
    first: float,
    end: float,
    start: float,
    value_of: Callable[[Event], Any],
) -> list[tuple[float, float, Any]]:
    """(start, end, value) spans of one quantity from its change events, from the first
    event of all on, in seconds since ``start``."""
    spans: list[tuple[float, float, Any]] = []
    since, value = first - start, initial
    for event in (e for e in events if e.kind is kind):
        t = event.time - start
        if t > since:
            spans.append((since, t, value))
        since, value = t, value_of(event)
    spans.append((since, max(end, since), value))
    return spans


def consolidated_quotes(
    samples: Sequence[tuple[float, ConsolidatedQuote | None]],
    names: Sequence[str],
    gates: Sequence[tuple[float, Sequence[bool]]] = (),
    *,
    unit: str = "USDT",
) -> Figure:
    """Top: the best bid and ask over time, coloured by the exchange each came from.
    Middle: the consolidated spread (ask minus bid; below zero would be crossed), samples that
    left a venue out ringed. Bottom: when each exchange's trading gate was closed."""
    fig = Figure(figsize=(11, 5.6))
    top, middle, bottom = fig.subplots(
        3, 1, sharex=True, height_ratios=(1.6, 1, 0.2 * len(names) + 0.2)
    )
    palette = dict(zip(names, ("#1f77b4", "#9467bd", "#8c564b", "#e377c2"), strict=False))
    for side, marker, offset in (("bid", "^", -0.015), ("ask", "v", 0.015)):
        for name in names:
            points = [
                (t + offset, getattr(q, side))
                for t, q in samples
                if q is not None and getattr(q, f"{side}_exchange") == name
            ]
            if points:
                top.scatter(
                    *zip(*points, strict=True),
                    marker=marker,
                    s=10,
                    color=palette.get(name, "black"),
                    label=tr("best bid from {name}", name=name)
                    if side == "bid"
                    else tr("best ask from {name}", name=name),
                )
    top.set_ylabel(tr("price ({unit})", unit=unit))
    top.legend(fontsize=7, ncol=3, loc="upper left")
    top.set_title(
        tr("the consolidated quote: best bid and best ask across trustworthy exchanges"), loc="left"
    )
    spreads = [(t, q.spread) for t, q in samples if q is not None]
    if spreads:
        middle.plot(*zip(*spreads, strict=True), color="black", lw=1, marker=".", ms=3)
    left_out = [(t, q.spread) for t, q in samples if q is not None and q.left_out]
    if left_out:
        middle.scatter(
            *zip(*left_out, strict=True),
            s=40,
            facecolors="none",
            edgecolors="#d62728",
            label=tr("a venue left out: its price was behind one it crossed"),
        )
        middle.legend(fontsize=7, loc="lower right")
    middle.axhline(0, color="#d62728", lw=1, ls="--")
    middle.text(
        0.0,
        0,
        " " + tr("crossed below, locked on the line"),
        va="bottom",
        fontsize=7,
        color="#d62728",
    )
    middle.set_ylabel(tr("spread ({unit})", unit=unit))
    middle.set_ylim(bottom=min(0.0, middle.get_ylim()[0]) - 0.5)
    step = gates[1][0] - gates[0][0] if len(gates) > 1 else 0.1  # one sample's width
    for index, name in enumerate(names):
        row = len(names) - 1 - index
        closed = [(t - step / 2, step) for t, allowed in gates if not allowed[index]]
        bottom.broken_barh(closed, (row + 0.15, 0.7), color=palette.get(name, "grey"))
    bottom.set_yticks(
        [len(names) - 1 - i + 0.5 for i in range(len(names))],
        [tr("{name}: gate closed", name=name) for name in names],
        fontsize=8,
    )
    bottom.set_ylim(0, len(names))
    bottom.set_xlabel(tr("time since the bot started (s)"))
    return fig
