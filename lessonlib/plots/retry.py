"""Pictures of retrying: one client's schedule, the jitter strategies, the thundering herd.

Each function returns a matplotlib `Figure` (shown by Jupyter when it is a cell's value) and
reads what it draws from the event stream or from the policy itself, never from a driver's
internals.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import replace

from matplotlib.ticker import MaxNLocator

from ..backoff import BackoffPolicy, Jitter
from ..events import Event, Kind
from ..herd import HerdResult
from ..i18n import tr
from .figure import LessonFigure as Figure

FAILED, SUCCEEDED, CAP, CEILING = "#d62728", "#2ca02c", "#7f7f7f", "#1f77b4"
STRATEGY_COLOURS = {
    Jitter.NONE: "#d62728",
    Jitter.FULL: "#1f77b4",
    Jitter.EQUAL: "#ff7f0e",
    Jitter.DECORRELATED: "#2ca02c",
}


def backoff_timeline(events: Iterable[Event], policy: BackoffPolicy, *, title: str = "") -> Figure:
    """Attempts on a time axis (failed or succeeded), and the delay before each retry.

    Top: every attempt at the moment it started, joined by the waits between them.
    Bottom: each wait against the retry number on a log scale, where exponential growth is a
    straight line, beside the un-jittered schedule and the cap.
    """
    events = list(events)
    attempts = [e for e in events if e.kind is Kind.ATTEMPT]
    outcome = {e["attempt"]: e.kind for e in events if e.kind in (Kind.FAILURE, Kind.SUCCESS)}
    sleeps = [e["delay"] for e in events if e.kind is Kind.SLEEP]
    start = attempts[0].time if attempts else 0.0

    fig = Figure(figsize=(10, 5.2))
    top, bottom = fig.subplots(2, 1, height_ratios=(1, 1.6))

    times = [a.time - start for a in attempts]
    top.hlines(0, 0, max(times, default=1.0) or 1.0, color="#cccccc", zorder=0)
    for attempt, t in zip(attempts, times, strict=True):
        ok = outcome.get(attempt["attempt"]) is Kind.SUCCESS
        top.plot(
            t,
            0,
            "o" if ok else "x",
            color=SUCCEEDED if ok else FAILED,
            markersize=10 if ok else 8,
            mew=2,
        )
    for left, right, delay in zip(times, times[1:], sleeps, strict=False):
        top.annotate(
            "",
            (right, 0.35),
            (left, 0.35),
            arrowprops={"arrowstyle": "->", "color": CEILING, "lw": 1},
        )
        if right - left > 0.06 * (times[-1] or 1):
            label = tr("{delay:.2g} s", delay=delay)
            top.text((left + right) / 2, 0.5, label, ha="center", fontsize=8)
    top.set_ylim(-0.6, 1.0)
    top.set_yticks([])
    top.set_xlabel(tr("time since the first attempt (s)"))
    failed = sum(1 for kind in outcome.values() if kind is Kind.FAILURE)
    connected = any(kind is Kind.SUCCESS for kind in outcome.values())
    after = times[-1] if times else 0.0
    if connected:
        headline = tr(
            "{attempts} attempts, {failed} failed, connected after {after:.2f} s",
            attempts=len(attempts),
            failed=failed,
            after=after,
        )
    else:
        headline = tr(
            "{attempts} attempts, {failed} failed, gave up after {after:.2f} s",
            attempts=len(attempts),
            failed=failed,
            after=after,
        )
    top.set_title(title or headline)

    retries = range(1, len(sleeps) + 1)
    bottom.bar(retries, sleeps, color=CEILING, alpha=0.75, label=tr("delay before retry"))
    bottom.step(
        retries,
        [policy.ceiling(n) for n in retries],
        where="mid",
        color="black",
        lw=1,
        ls=":",
        label=tr("min(cap, initial × multiplier^(n-1)) for retry n"),
    )
    bottom.axhline(
        policy.max_delay,
        color=CAP,
        ls="--",
        lw=1.5,
        label=tr("cap = {cap:g} s", cap=policy.max_delay),
    )
    bottom.set_yscale("log")
    bottom.set_xlabel(tr("retry number"))
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel(tr("delay (s, log scale)"))
    bottom.legend(loc="upper left", fontsize=8)
    return fig


def jitter_strategies(
    policy: BackoffPolicy | None = None, *, clients: int = 12, retries: int = 12, seed: int = 1
) -> Figure:
    """The four jitter strategies side by side: the delays of several clients per retry."""
    base = policy or BackoffPolicy(initial_delay=0.1, max_delay=10.0, max_retries=retries)
    base = replace(base, max_retries=retries)
    fig = Figure(figsize=(12, 3.6))
    axes = fig.subplots(1, len(Jitter), sharey=True)
    rng = random.Random(seed)
    numbers = list(range(1, retries + 1))
    for ax, jitter in zip(axes, Jitter, strict=True):
        strategy = replace(base, jitter=jitter)
        for _ in range(clients):
            delays = list(strategy.delays(random.Random(rng.random())))
            ax.plot(numbers, delays, "o-", color=STRATEGY_COLOURS[jitter], alpha=0.35, ms=3, lw=0.8)
        if jitter is Jitter.DECORRELATED:
            # Its waits follow the previous wait, not the retry number: no per-retry ceiling.
            ax.text(
                0.03,
                0.97,
                tr(
                    "no ceiling per retry:\neach wait is drawn from\n"
                    "[initial, 3 × previous], capped"
                ),
                transform=ax.transAxes,
                va="top",
                fontsize=8,
            )
        else:
            ax.step(
                numbers,
                [base.ceiling(n) for n in numbers],
                where="mid",
                color="black",
                lw=1.2,
                ls=":",
                label=tr("no-jitter schedule"),
            )
        ax.axhline(base.max_delay, color=CAP, ls="--", lw=1, label=tr("cap"))
        ax.set_title(jitter.value)
        ax.set_xlabel(tr("retry number"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel(tr("delay (s)"))
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(
        tr(
            "{clients} clients per strategy: where each one waits before its next retry",
            clients=clients,
        )
    )
    return fig


def herd_histogram(
    results: Mapping[Jitter, HerdResult], *, bin_width: float = 0.1, show_until: float = 15.0
) -> Figure:
    """Connection attempts per ``bin_width`` seconds for each strategy, on one time axis.

    A log scale, so that the server's capacity (tens) shows beside the first rush (thousands).
    """
    fig = Figure(figsize=(11, 1.9 * len(results) + 0.6))
    axes = fig.subplots(len(results), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    edges = [i * bin_width for i in range(round(show_until / bin_width) + 1)]
    for ax, (jitter, result) in zip(axes, results.items(), strict=True):
        ax.hist(result.attempt_times, bins=edges, color=STRATEGY_COLOURS[jitter])
        ax.set_yscale("log")
        capacity = result.capacity * bin_width / result.window
        ax.axhline(capacity, color="black", ls="--", lw=1)
        ax.text(
            show_until,
            capacity,
            tr(
                " server admits\n {capacity:g} per {ms:g} ms",
                capacity=capacity,
                ms=bin_width * 1000,
            ),
            va="center",
            fontsize=8,
        )
        note = tr(
            "{calls:,} calls, last client in at {finished:,.1f} s",
            calls=result.calls,
            finished=result.finished,
        )
        if result.finished > show_until:
            note += tr("  (continues beyond {until:g} s)", until=show_until)
        ax.set_title(f"{jitter.value}: {note}", loc="left", fontsize=10)
        ax.set_ylabel(tr("attempts per\n{ms:g} ms (log)", ms=bin_width * 1000))
    axes[-1].set_xlim(0, show_until)
    axes[-1].set_xlabel(tr("time since the server came back (s)"))
    first = next(iter(results.values()))
    fig.suptitle(
        tr(
            "{clients:,} clients reconnect to one server at the same moment: connection "
            "attempts per time slot",
            clients=first.clients,
        )
    )
    return fig
