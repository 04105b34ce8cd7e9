"""A price feed's life on one time axis: connection state, faults, updates, gaps and resumes."""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib.patches import Patch

from ..events import Event, Kind
from ..i18n import tr
from .figure import LessonFigure as Figure

# The one argument that tells two faults of a kind apart (latency 0.5 from latency 0).
FAULT_ARGUMENT = ("code", "count", "seconds", "reconnect_after", "probability")

LEVELS = {"connected": 2, "connecting": 1, "reconnecting": 1, "disconnected": 0, "closed": 0}
UP, TRYING, FAULT, GAP, RESUME, MALFORMED = (
    "#2ca02c",
    "#ff7f0e",
    "#7f7f7f",
    "#d62728",
    "#1f77b4",
    "#9467bd",
)


def feed_timeline(events: Iterable[Event], *, bin_width: float = 1.0, title: str = "") -> Figure:
    """Two panels sharing the time axis (seconds since the first event).

    Top: the client's connection state as a step line, connected spells shaded, and every
    fault the exchange injected as a labelled vertical line. Bottom: updates delivered per
    ``bin_width`` seconds, with resumes (a subscription restored or resynchronised), gaps
    that could not be filled, and malformed frames marked.
    """
    events = sorted(events, key=lambda e: e.time)
    start = events[0].time if events else 0.0
    end = (events[-1].time - start) if events else 1.0

    fig = Figure(figsize=(11, 5.4))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.3))

    states = [(e.time - start, e["state"]) for e in events if e.kind is Kind.STATE]
    if states:
        times = [t for t, _ in states] + [end]
        levels = [LEVELS.get(name, 0) for _, name in states]
        top.step(times, [*levels, levels[-1]], where="post", color="black", lw=1.5)
        for (t, name), t_next in zip(states, times[1:], strict=False):
            if name == "connected":
                top.axvspan(t, t_next, color=UP, alpha=0.15, lw=0)
    # Waiting is not trying: each wait before the next attempt (a backoff, or the time a
    # shutdown notice asked for) is shaded on its own, below the state line.
    for event in (e for e in events if e.kind is Kind.SLEEP):
        t = event.time - start
        top.axvspan(t, t + event["delay"], ymax=0.55, color=TRYING, alpha=0.25, lw=0)
    faults: dict[float, list[str]] = {}
    for event in (e for e in events if e.kind is Kind.FAULT):
        faults.setdefault(round(event.time - start, 3), []).append(_fault_label(event))
    for t, names in faults.items():
        top.axvline(t, color=FAULT, ls="--", lw=0.8)
        top.text(t, 2.15, "+".join(names), rotation=90, va="bottom", fontsize=7, color=FAULT)
    top.set_yticks([0, 1, 2], [tr("down"), tr("reconnecting"), tr("connected")])
    top.set_ylim(-0.3, 4.4)
    top.legend(
        handles=[
            Patch(color=UP, alpha=0.3, label=tr("connected")),
            Patch(color=TRYING, alpha=0.4, label=tr("waiting before the next attempt")),
            Patch(facecolor="white", edgecolor=FAULT, lw=0.5, label=tr("an attempt under way")),
        ],
        loc="upper right",
        bbox_to_anchor=(1.0, 1.18),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    top.set_title(title or tr("connection state, and the faults injected (dashed)"), loc="left")

    updates = [e.time - start for e in events if e.kind is Kind.UPDATE]
    bins = max(1, round(end / bin_width))
    bottom.hist(updates, bins=bins, range=(0, max(end, bin_width)), color=UP, alpha=0.7)
    bottom.set_ylabel(tr("updates per {width:g} s", width=bin_width))
    height = max(bottom.get_ylim()[1], 1.0)
    markers = [
        (Kind.RESUBSCRIBED, RESUME, "^", tr("subscriptions restored / resynced")),
        (Kind.GAP, GAP, "X", tr("gap the exchange could not fill")),
        (Kind.MALFORMED, MALFORMED, "D", tr("malformed frame")),
        (Kind.STREAM, "black", "*", tr("exchange restarted: a new stream, a fresh snapshot")),
    ]
    for kind, colour, marker, label in markers:
        times = [e.time - start for e in events if e.kind is kind]
        if times:
            bottom.scatter(
                times,
                [height * 0.92] * len(times),
                marker=marker,
                color=colour,
                s=45,
                label=label,
                zorder=3,
            )
    bottom.set_ylim(0, height * 1.05)
    bottom.set_xlabel(tr("time since the first event (s)"))
    if any(e.kind in {kind for kind, *_ in markers} for e in events):
        bottom.legend(loc="lower right", fontsize=8)
    bottom.set_xlim(0, max(end, bin_width))
    return fig


def _fault_label(event: Event) -> str:
    """A fault as the console writes it: its name and the argument that sets it apart."""
    for key in FAULT_ARGUMENT:
        if key in event.details:
            return f"{event['fault']} {event[key]:g}"
    return str(event["fault"])
