"""Lesson 6's pictures: the depth chart marks a wrong book's levels, and the live book view
says whether the book equals the exchange's, with every rebuild counted by its reason."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from lessonlib.events import EventBus
from lessonlib.exchange import PracticeExchange
from lessonlib.feed.transport import websocket_connector
from lessonlib.orderbook.client import BookClient
from lessonlib.plots.book import draw_depth
from lessonlib.plots.figure import LessonFigure
from lessonlib.widgets import LiveBookView

GUARD = 60.0  # seconds: a guard against hangs on a loaded machine, never a wait


def levels(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(p), Decimal(q)) for p, q in pairs]


def test_the_depth_chart_counts_each_price_that_differs_from_the_right_book() -> None:
    right = (levels(("100", "1"), ("99", "2")), levels(("101", "1"), ("102", "3")))
    wrong = (levels(("100", "1"), ("99", "5")), levels(("101", "1"), ("103", "3")))
    ax = LessonFigure().subplots()
    assert draw_depth(ax, *wrong, reference=right) == 3  # 99's quantity, 102 gone, 103 added
    assert draw_depth(LessonFigure().subplots(), *right, reference=right) == 0


def test_a_crossed_book_is_shaded() -> None:
    ax = LessonFigure().subplots()
    draw_depth(ax, levels(("101.5", "1")), levels(("101", "1")))
    assert any(patch.get_label() == "crossed" for patch in ax.patches)


def test_the_live_view_turns_green_and_counts_a_gap_and_its_rebuild() -> None:
    async def scenario() -> tuple[list[str], LiveBookView]:
        bus = EventBus()
        async with PracticeExchange(port=0, tick_rate=50, symbols=["BTC/USDT"]) as exchange:
            client = BookClient(websocket_connector(exchange.url), ["BTC/USDT"], events=bus)
            view = LiveBookView(client, bus, "BTC/USDT", exchange=exchange, refresh=0.02)
            client.start()
            view.start()
            seen = []
            try:
                async with asyncio.timeout(GUARD):
                    while "equal to the exchange" not in view.header.value:
                        await asyncio.sleep(0.005)
                    seen.append(view.header.value)
                    exchange.skip(1)
                    while view.counts["rebuild: gap"] == 0:
                        await asyncio.sleep(0.005)
                    drawn = view.frames_drawn  # the header is redrawn after the gap was found
                    while view.frames_drawn == drawn or "equal to" not in view.header.value:
                        await asyncio.sleep(0.005)
                    seen.append(view.header.value)
            finally:
                await view.stop()
                await client.close()
        return seen, view

    seen, view = asyncio.run(scenario())
    assert all("#2ca02c" in header for header in seen)
    assert view.counts["book_gap"] == 1 and view.counts["rebuild: gap"] == 1
    assert view.counts["rebuild: subscribed"] == 1
    assert view.in_step_frames >= 2
