"""A live view of a price feed: its connection state, counters, latest prices, recent events."""

from __future__ import annotations

import asyncio
import html
from collections import deque

import ipywidgets as widgets

from ..events import Event, EventBus, Kind
from ..feed import ConnectionState, PriceFeedClient
from ..i18n import tr
from ..tables import Table
from .live import LiveView

STATE_COLOURS = {"connected": "#2ca02c", "connecting": "#ff7f0e", "reconnecting": "#ff7f0e"}


def describe_state(state: ConnectionState) -> str:
    """A connection state as a person reads it: "Reconnecting (attempt 3)"."""
    attempt = state.details().get("attempt")
    if attempt is None:
        return state.name
    return tr("{state} (attempt {attempt})", state=state.name, attempt=attempt)


class LiveFeedView(LiveView):
    """Redraws every ``refresh`` seconds from a background task until `stop` (or ``run_for``).

    It reads the client's public counters and latest prices, and the event stream on ``bus``
    (the one the client reports to) for the recent events and the age of each price.
    """

    def __init__(
        self, client: PriceFeedClient, bus: EventBus, *, refresh: float = 0.25, recent: int = 8
    ) -> None:
        super().__init__(refresh)
        self.client = client
        self.widget = widgets.HTML()
        self._recent: deque[Event] = deque(maxlen=recent)
        self._last_update: dict[str, float] = {}
        self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind is Kind.UPDATE:
            self._last_update[event["symbol"]] = event.time
        elif event.kind not in (Kind.ATTEMPT, Kind.SUCCESS):
            self._recent.append(event)

    def stopped(self) -> None:
        self._unsubscribe()

    def draw(self) -> None:
        """Render the current picture into the widget."""
        now = asyncio.get_running_loop().time()
        state = self.client.state
        colour = STATE_COLOURS.get(state.key, "#7f7f7f")
        stats = self.client.stats
        header = (
            f'<span style="background:{colour};color:white;padding:2px 8px;border-radius:4px">'
            f"{html.escape(describe_state(state))}</span> &nbsp; "
            + tr(
                "connections {connections} · updates {updates:,} · gaps {gaps} · resyncs "
                "{resyncs} · malformed {malformed} · rejected {rejected}",
                connections=stats.connections,
                updates=stats.updates,
                gaps=stats.gaps,
                resyncs=stats.resyncs,
                malformed=stats.malformed,
                rejected=stats.rejected,
            )
        )
        rows = [
            {
                tr("symbol"): symbol,
                tr("bid"): update.bid,
                tr("ask"): update.ask,
                "seq": update.seq,
                tr("age (s)"): round(now - self._last_update.get(symbol, now), 1),
            }
            for symbol, update in sorted(self.client.latest.items())
        ]
        prices = Table(rows)._repr_html_() if rows else "<i>" + tr("no prices yet") + "</i>"
        events = "<br>".join(
            html.escape(tr("{ago:5.1f} s ago  {event}", ago=now - e.time, event=e.describe())[:160])
            for e in reversed(self._recent)
        )
        self.widget.value = (
            f"<div>{header}</div><div style='margin:6px 0'>{prices}</div>"
            f"<div style='font-family:monospace;font-size:85%;color:#555'>{events}</div>"
        )
        self.frames_drawn += 1
