"""Several exchanges on one time axis: each one's connection, breaker and trading gate."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..events import Event, Kind
from ..manager import ConsolidatedQuote
from .figure import LessonFigure as Figure

CONNECTION = {"connected": "#2ca02c", "connecting": "#ff7f0e", "reconnecting": "#ff7f0e"}
BREAKER = {"closed": "#2ca02c", "half_open": "#ff7f0e", "open": "#d62728"}
TRADING = {True: "#1f77b4", False: "#dddddd"}
DOWN = "#bbbbbb"


def exchanges_timeline(events: Iterable[Event], names: Sequence[str], *, title: str = "") -> Figure:
    """Three bands per exchange, read from the event stream: the connection (green up,
    orange reconnecting, grey down), the breaker (green closed, orange half-open, red open)
    and the trading gate (blue while trading is allowed), with injected faults marked."""
    events = sorted(events, key=lambda e: e.time)
    start = events[0].time if events else 0.0
    end = (events[-1].time - start) if events else 1.0
    fig = Figure(figsize=(11, 1.25 * len(names) + 1.2))
    ax = fig.subplots()
    ticks, labels = [], []
    for row, name in enumerate(reversed(names)):
        base = row * 4
        own = [e for e in events if e.source == name]
        bands = [
            (
                base + 2,
                "connection",
                _spans(own, Kind.STATE, "disconnected", end, start, lambda e: e["state"]),
                lambda v: CONNECTION.get(v, DOWN),
            ),
            (
                base + 1,
                "breaker",
                _spans(own, Kind.BREAKER, "closed", end, start, lambda e: e["new"]),
                BREAKER.get,
            ),
            (
                base,
                "trading",
                _spans(own, Kind.TRADING, False, end, start, lambda e: e["allowed"]),
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
    ax.set_xlim(0, end)
    ax.set_ylim(-0.3, len(names) * 4)
    ax.set_xlabel("time (s)")
    ax.set_title(title or "connection, breaker and trading gate of each exchange", loc="left")
    return fig


def _spans(
    events: Sequence[Event],
    kind: Kind,
    initial: Any,
    end: float,
    start: float,
    value_of: Callable[[Event], Any],
) -> list[tuple[float, float, Any]]:
    """(start, end, value) spans of one quantity from its change events."""
    spans: list[tuple[float, float, Any]] = []
    since, value = 0.0, initial
    for event in (e for e in events if e.kind is kind):
        t = event.time - start
        if t > since:
            spans.append((since, t, value))
        since, value = t, value_of(event)
    spans.append((since, max(end, since), value))
    return spans


def consolidated_quotes(
    samples: Sequence[tuple[float, ConsolidatedQuote | None]], names: Sequence[str]
) -> Figure:
    """The best bid and ask over time, each point coloured by the exchange it came from;
    the moments with no trustworthy exchange at all are left blank."""
    fig = Figure(figsize=(11, 3.4))
    ax = fig.subplots()
    palette = dict(zip(names, ("#1f77b4", "#9467bd", "#8c564b", "#e377c2"), strict=False))
    for side, marker in (("bid", "^"), ("ask", "v")):
        for name in names:
            points = [
                (t, getattr(q, side))
                for t, q in samples
                if q is not None and getattr(q, f"{side}_exchange") == name
            ]
            if points:
                ax.scatter(
                    *zip(*points, strict=True),
                    marker=marker,
                    s=14,
                    color=palette.get(name, "black"),
                    label=f"best {side} from {name}",
                )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("price")
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    ax.set_title(
        "the consolidated quote: best bid and best ask across trustworthy exchanges", loc="left"
    )
    return fig
