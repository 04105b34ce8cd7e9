"""A live view of a local order book: its depth, its best prices over time with every rebuild
marked, and whether it equals the exchange's, redrawn while the class breaks the exchange."""

from __future__ import annotations

import asyncio
import html
from collections import Counter, deque
from decimal import Decimal

import ipywidgets as widgets
from IPython.display import display

from ..events import Event, EventBus, Kind
from ..exchange import ExchangeCore
from ..i18n import tr
from ..orderbook.client import BookClient
from ..plots.book import best_prices, draw_depth
from ..plots.figure import LessonFigure
from .live import LiveView

LIVE, BEHIND, REBUILDING = "#2ca02c", "#ff7f0e", "#d62728"


class LiveBookView(LiveView):
    """One symbol of a `BookClient`, redrawn every ``refresh`` seconds until `stop` (or
    ``run_for``). With the ``exchange`` at hand (a lesson's own) it also says whether the
    local book is in step with the exchange's, checksum for checksum."""

    def __init__(
        self,
        client: BookClient,
        bus: EventBus,
        symbol: str,
        *,
        exchange: ExchangeCore | None = None,
        refresh: float = 0.5,
        window: float = 20.0,
        depth: int = 25,
    ) -> None:
        super().__init__(refresh)
        if symbol not in client.books:
            raise ValueError(
                f"symbol must be one of the client's {sorted(client.books)}, got {symbol!r}"
            )
        self.client, self.symbol, self.exchange = client, symbol, exchange
        self.window, self.depth = window, depth
        self.header = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox([self.header, self.plot])
        self.counts: Counter[str] = Counter()
        self.in_step_frames = 0  # frames drawn with the book equal to the exchange's
        self._samples: deque[tuple[float, Decimal | None, Decimal | None]] = deque(maxlen=400)
        self._rebuilds: deque[tuple[float, str]] = deque(maxlen=50)
        self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.details.get("symbol") != self.symbol or event.source != self.client.name:
            return
        if event.kind is Kind.BOOK_RESYNC:
            self._rebuilds.append((event.time, event["reason"]))
            self.counts[f"rebuild: {event['reason']}"] += 1
        elif event.kind in (Kind.BOOK_GAP, Kind.BOOK_CHECKSUM):
            self.counts[event.kind.value] += 1

    def stopped(self) -> None:
        self._unsubscribe()

    def status(self) -> tuple[str, str]:
        """What the book is doing, and the colour a person reads it by."""
        sync = self.client.books[self.symbol]
        if not sync.live:
            return tr(
                "rebuilding ({reason}): updates buffered: {count}",
                reason=sync.reason,
                count=len(sync.buffer),
            ), REBUILDING
        if self.exchange is None:
            return tr("live at change {last:,}, every checksum verified", last=sync.book.last), LIVE
        theirs = self.exchange.books[self.symbol].update_id
        if sync.book.last == theirs:
            same = sync.book.checksum() == self.exchange.book_checksum(self.symbol)
            if same:
                return tr(
                    "live, equal to the exchange's book at change {last:,}", last=theirs
                ), LIVE
            return tr(
                "live but NOT equal to the exchange's at change {last:,}", last=theirs
            ), REBUILDING
        behind = theirs - sync.book.last
        return tr(
            "live, {behind} changes behind the exchange (an update in flight)", behind=behind
        ), BEHIND

    def draw(self) -> None:
        now = asyncio.get_running_loop().time()
        sync = self.client.books[self.symbol]
        text, colour = self.status()
        if colour == LIVE and self.exchange is not None:
            self.in_step_frames += 1
        self._samples.append((now, sync.book.best_bid, sync.book.best_ask))
        counts = " · ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or tr(
            "no rebuilds yet"
        )
        self.header.value = (
            f"<b>{html.escape(self.symbol)}</b> &nbsp; "
            f'<span style="background:{colour};color:white;padding:2px 8px;border-radius:4px">'
            f"{html.escape(text)}</span> &nbsp; "
            + tr(
                "connections {connections} · malformed {malformed} · {counts}",
                connections=self.client.connections,
                malformed=self.client.malformed,
                counts=html.escape(counts),
            )
        )
        figure = self.figure(now)
        with self.plot:
            self.plot.clear_output(wait=True)
            display(figure)
        self.frames_drawn += 1

    def figure(self, now: float) -> LessonFigure:
        """The book's depth now, and its best prices over the last ``window`` seconds."""
        sync = self.client.books[self.symbol]
        figure = LessonFigure(figsize=(10, 3.4))
        depth_ax, time_ax = figure.subplots(1, 2, width_ratios=(1, 1.2))
        bids, asks = sync.book.depth(self.depth)
        title = (
            tr("depth: {bids} bids, {asks} asks", bids=len(bids), asks=len(asks))
            if sync.live
            else tr("depth: rebuilding")
        )
        draw_depth(depth_ax, bids, asks, title=title)
        best_prices(self._samples, self._rebuilds, ax=time_ax, now=now, window=self.window)
        time_ax.set_title(tr("best bid and ask; dashed: a rebuild began"), loc="left", fontsize=9)
        return figure
