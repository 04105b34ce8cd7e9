"""A circuit breaker over time: its state, the calls it let through or refused, its waits."""

from __future__ import annotations

from collections.abc import Iterable

from ..events import Event, Kind
from ..i18n import tr
from .figure import LessonFigure as Figure

LEVELS = {"closed": 0, "half_open": 1, "open": 2}
COLOURS = {"closed": "#2ca02c", "half_open": "#ff7f0e", "open": "#d62728"}


def breaker_timeline(
    events: Iterable[Event],
    *,
    calls: str = "bot",
    duration: float | None = None,
    title: str = "",
) -> Figure:
    """Top: the breaker's state as a step line, each open spell shaded and labelled with how
    long it lasted and its reset timeout. Bottom: every call (the events of source ``calls``)
    at its time: succeeded, failed, or refused by the breaker without being made."""
    events = sorted(events, key=lambda e: e.time)
    start = events[0].time if events else 0.0
    # Without a duration, a margin: a transition at the very end is not drawn on the frame.
    last = (events[-1].time - start) * 1.06 if events else 1.0
    end = duration if duration is not None else last
    fig = Figure(figsize=(11, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1.2, 1))

    transitions = [(e.time - start, e) for e in events if e.kind is Kind.BREAKER]
    times = [0.0] + [t for t, _ in transitions] + [end]
    states = ["closed"] + [e["new"] for _, e in transitions]
    top.step(
        times,
        [LEVELS[s] for s in states] + [LEVELS[states[-1]]],
        where="post",
        color="black",
        lw=1.5,
    )
    for (t0, state), t1 in zip(zip(times, states, strict=False), times[1:], strict=False):
        top.axvspan(t0, t1, color=COLOURS[state], alpha=0.15, lw=0)
    # Each open spell as it really lasted: the reset timeout is the least it stays open; it
    # half-opens only when a caller asks after that, so a quiet caller keeps it open longer.
    spells = [
        (t, left, event)
        for (t, event), left in zip(transitions, times[2:], strict=False)
        if event["new"] == "open"
    ]
    for t, left, _ in spells:
        arrow = {"arrowstyle": "->", "color": COLOURS["open"]}
        top.annotate("", (left, 2.25), (t, 2.25), arrowprops=arrow)
        label = tr("{seconds:.2g} s", seconds=left - t)
        top.text((t + left) / 2, 2.35, label, ha="center", fontsize=8, color=COLOURS["open"])
    timeouts = sorted({event["open_for"] for _, _, event in spells})
    if timeouts:
        waits = ", ".join(f"{w:g}" for w in timeouts)
        top.text(
            1.0,
            1.02,
            tr("arrows: how long each open spell lasted (reset timeout {waits} s)", waits=waits),
            transform=top.transAxes,
            ha="right",
            fontsize=8,
            color=COLOURS["open"],
        )
    openings = spells
    top.set_yticks([0, 1, 2], [tr("closed"), tr("half-open"), tr("open")])
    top.set_ylim(-0.4, 2.7)
    top.set_title(title or tr("the breaker opened {count} times", count=len(openings)), loc="left")

    marks = [
        (Kind.SUCCESS, 1.0, "o", COLOURS["closed"], tr("succeeded")),
        (Kind.FAILURE, 0.5, "x", COLOURS["open"], tr("failed")),
        (Kind.REFUSED, 0.0, "|", "#7f7f7f", tr("refused by the breaker (no call made)")),
    ]
    for kind, y, marker, colour, label in marks:
        xs = [e.time - start for e in events if e.kind is kind and e.source == calls]
        bottom.scatter(
            xs, [y] * len(xs), marker=marker, color=colour, s=28, label=f"{label}: {len(xs)}"
        )
    bottom.set_yticks([0, 0.5, 1], [tr("refused"), tr("failed"), tr("ok")])
    bottom.set_ylim(-0.4, 1.4)
    bottom.set_xlim(0, end)
    bottom.set_xlabel(tr("time (s)"))
    bottom.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, fontsize=8, frameon=False
    )
    return fig
