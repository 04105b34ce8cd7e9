"""Order books as pictures: a depth chart, a wrong book drawn over the right one, and a live
book's best prices over time with its rebuilds marked."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from matplotlib.axes import Axes

from ..i18n import tr
from .figure import LessonFigure as Figure

BID, ASK, WRONG, REBUILD = "#2ca02c", "#d62728", "#000000", "#1f77b4"
REASON_COLOURS = {
    "subscribed": "#7f7f7f",
    "reconnect": "#ff7f0e",
    "stream": "#000000",
    "gap": "#d62728",
    "checksum": "#9467bd",
    "overflow": "#8c564b",
}
Side = Sequence[tuple[Decimal, Decimal]]  # (price, quantity), best first


def draw_depth(
    ax: Axes,
    bids: Side,
    asks: Side,
    *,
    reference: tuple[Side, Side] | None = None,
    title: str = "",
    unit: str = "USDT",
) -> int:
    """Cumulative quantity by price (in ``unit``), bids (green) left of asks (red). With
    ``reference`` (the right book) drawn faintly beneath, every level that differs from it is
    marked with a black x on the price axis; returns how many levels differ."""
    if reference is not None:
        for side, colour, label in zip(
            reference, (BID, ASK), (tr("the exchange's book"), None), strict=True
        ):
            xs, ys = _cumulative(side)
            ax.step(xs, ys, where="post", color=colour, lw=4, alpha=0.18, label=label)
    names = (tr("the bot's bids"), tr("the bot's asks")) if reference is not None else None
    names = names or (tr("bids"), tr("asks"))
    for side, colour, label in ((bids, BID, names[0]), (asks, ASK, names[1])):
        xs, ys = _cumulative(side)
        if xs:
            ax.step(xs, ys, where="post", color=colour, lw=1.4, label=label)
            ax.fill_between(xs, ys, step="post", color=colour, alpha=0.15, lw=0)
    wrong = 0
    if reference is not None:
        differing = sorted(_differences(bids, reference[0]) | _differences(asks, reference[1]))
        wrong = len(differing)
        if differing:
            ax.scatter(
                [float(p) for p in differing],
                [0] * wrong,
                marker="x",
                color=WRONG,
                s=36,
                zorder=4,
                clip_on=False,
                label=tr("a level differs from the exchange's")
                if wrong == 1
                else tr("{count} levels differ from the exchange's", count=wrong),
            )
    bid, ask = (bids[0][0] if bids else None), (asks[0][0] if asks else None)
    if bid is not None and ask is not None and bid >= ask:
        ax.axvspan(float(ask), float(bid), color=ASK, alpha=0.25, lw=0, label=tr("crossed"))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(tr("price ({unit})", unit=unit))
    ax.set_ylabel(tr("cumulative quantity"))
    ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", fontsize=7, ncol=2, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=9)
    return wrong


def depth_chart(bids: Side, asks: Side, *, title: str = "") -> Figure:
    """One book as a depth chart (levels best first, exact prices and quantities)."""
    fig = Figure(figsize=(8, 3.2))
    draw_depth(fig.subplots(), bids, asks, title=title)
    return fig


def books_against(
    books: Mapping[str, tuple[Side, Side]], reference: tuple[Side, Side], *, columns: int = 2
) -> Figure:
    """Each named book drawn over the right one (faint), its wrong levels marked."""
    rows = -(-len(books) // columns)
    fig = Figure(figsize=(5.2 * columns, 3.0 * rows))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, (bids, asks)) in zip(axes, books.items(), strict=False):
        draw_depth(ax, bids, asks, reference=reference, title=name)
    for ax in axes[len(books) :]:
        ax.set_visible(False)
    return fig


def best_prices(
    samples: Iterable[tuple[float, Decimal | None, Decimal | None]],
    rebuilds: Iterable[tuple[float, str]],
    *,
    ax: Axes,
    now: float,
    window: float,
) -> None:
    """Best bid and ask over the last ``window`` seconds (``samples``: time, bid, ask), with a
    vertical line at every rebuild's start, coloured by its reason."""
    shown = [(t - now, b, a) for t, b, a in samples if t >= now - window]
    for index, colour in ((1, BID), (2, ASK)):
        # A book being rebuilt has no best price: the line breaks there (NaN), not bridges it.
        points = [(s[0], math.nan if s[index] is None else float(s[index])) for s in shown]
        if points:
            ax.plot(*zip(*points, strict=True), color=colour, lw=1.2, marker=".", ms=3)
    seen: set[str] = set()
    for t, reason in rebuilds:
        if t < now - window:
            continue
        colour = REASON_COLOURS.get(reason, REBUILD)
        label = None if reason in seen else tr("rebuilt: {reason}", reason=reason)
        seen.add(reason)
        ax.axvline(t - now, color=colour, ls="--", lw=1.2, label=label)
    ax.set_xlim(-window, 0)
    ax.set_xlabel(tr("seconds ago"))
    ax.set_ylabel(tr("best bid / ask (USDT)"))
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    if seen:
        ax.legend(loc="upper left", fontsize=7, ncol=3, frameon=False)


def _cumulative(side: Side) -> tuple[list[float], list[float]]:
    xs, ys, total = [], [], Decimal(0)
    for price, quantity in side:
        total += quantity
        xs.append(float(price))
        ys.append(float(total))
    return xs, ys


def _differences(side: Side, reference: Side) -> set[Decimal]:
    """Prices whose quantity differs (or that only one of the two books holds)."""
    mine, theirs = dict(side), dict(reference)
    return {price for price in mine.keys() | theirs.keys() if mine.get(price) != theirs.get(price)}
