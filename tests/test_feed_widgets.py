"""Lesson 2's panel and live view, driven as a notebook would drive them."""

from __future__ import annotations

import asyncio

from feed_harness import rig

from lessonlib import plots, vtime
from lessonlib.events import EventLog
from lessonlib.scenarios import feed_through_every_fault
from lessonlib.widgets import LiveFeedView, fault_panel


def test_a_button_runs_its_fault_and_says_what_it_did() -> None:
    async def scenario() -> tuple[str, int]:
        async with rig() as r:
            panel = fault_panel(r.exchange)
            _, buttons, status = panel.children
            drop = next(b for b in buttons.children if b.description == "drop")
            drop.click()
            await r.until(lambda: r.client.stats.connections == 2)
            return status.value, r.exchange.stats.faults_injected["drop"]

    status, drops = asyncio.run(scenario())
    assert "ok: drop (1 connections)" in status
    assert drops == 1


def test_the_live_view_shows_state_counters_prices_and_recent_events() -> None:
    async def scenario() -> tuple[str, str, int]:
        async with rig("BTC/USDT", "ETH/USDT") as r:
            view = LiveFeedView(r.client, r.bus, refresh=0.05)
            task = view.start(run_for=5.0)
            before = r.client.stats.connections
            r.exchange.drop()
            await r.client.connected(before + 1)
            await r.more_updates(5)
            drawn = view.frames_drawn
            await r.until(lambda: view.frames_drawn >= drawn + 2)  # redrawn in the background
            live = view.widget.value
            await view.stop()
            return live, view.widget.value, int(task.done())

    live, final, stopped = asyncio.run(scenario())
    assert "Connected" in live and "connections 2" in live
    assert "BTC/USDT" in live and "ETH/USDT" in live
    assert "lost" in live and "resubscribed" in live
    assert stopped == 1 and final


def test_the_scripted_run_of_every_fault_loses_nothing_and_draws_its_timeline() -> None:
    events, stats = vtime.run(feed_through_every_fault(spacing=6.0))
    assert isinstance(events, EventLog)
    assert stats.gaps == 0 and stats.malformed == 1 and stats.resyncs >= 1
    assert stats.connections >= 7
    faults = [e["fault"] for e in events.where("fault")]
    assert faults[:4] == ["drop", "close", "refuse", "drop"]
    figure = plots.feed_timeline(events)
    assert len(figure.axes) == 2
    assert figure._repr_png_().startswith(b"\x89PNG")
