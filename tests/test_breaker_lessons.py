"""What lessons 3 and 4 draw: the breaker scenario, its explorer, the exchanges' timeline."""

from __future__ import annotations

import asyncio

import pytest
from matplotlib.figure import Figure

from lessonlib import plots, vtime
from lessonlib.breaker import CircuitBreaker
from lessonlib.events import EventLog, Kind
from lessonlib.exchange import InMemoryExchange
from lessonlib.manager import MultiExchangeManager
from lessonlib.scenarios import calls_through_a_breaker
from lessonlib.widgets import breaker_explorer
from lessonlib.widgets.breaker_explorer import render_breaker


def test_an_outage_opens_the_breaker_and_refused_calls_are_never_made() -> None:
    breaker = CircuitBreaker(3, 10.0)
    events = vtime.run(calls_through_a_breaker(breaker, failure_rate=1.0, outage=(20, 70)))
    opened = [e.time for e in events.where(Kind.BREAKER) if e["new"] == "open"]
    # a call every 1.05 s (0.05 s call, 1 s pause): the third inside the outage ends at 23.15
    assert opened[0] == pytest.approx(23.15)
    assert all(e.time < 80 for e in events.where(Kind.BREAKER))  # closed again after it
    assert breaker.rejected == len(events.where(Kind.REFUSED)) > 30
    figure = plots.breaker_timeline(events, duration=120)
    assert len(figure.axes) == 2 and figure._repr_png_().startswith(b"\x89PNG")


def test_the_breaker_explorer_redraws_for_each_setting() -> None:
    for rate in (0.0, 0.5, 1.0):
        assert isinstance(
            render_breaker(failure_rate=rate, failure_threshold=3, reset_timeout=10.0), Figure
        )
    assert len(breaker_explorer().children[0].children) == 4


def test_the_exchanges_timeline_and_the_quote_plot_read_the_event_stream() -> None:
    async def scenario() -> tuple[EventLog, list[tuple[float, object]]]:
        log = EventLog()
        a = InMemoryExchange("a", seed=7, venue_seed=1, events=log)
        b = InMemoryExchange("b", seed=7, venue_seed=2, events=log)
        async with a, b:
            manager = MultiExchangeManager(stale_after=1.0, events=log)
            for exchange in (a, b):
                manager.add(exchange.name, exchange.connect, symbols=["BTC/USDT"])
            samples = []
            async with manager:
                for step in range(40):
                    if step == 10:
                        b.refuse(100)
                        b.drop()
                    samples.append((step * 0.25, manager.quote("BTC/USDT")))
                    await asyncio.sleep(0.25)
        return log, samples

    log, samples = vtime.run(scenario())
    sources = {q.bid_exchange for t, q in samples if q is not None and t > 3.0}  # type: ignore[attr-defined]
    assert sources == {"a"}
    figure = plots.exchanges_timeline(log, ["a", "b"])
    assert len(figure.axes[0].get_yticks()) == 6
    assert plots.consolidated_quotes(samples, ["a", "b"])._repr_png_()  # type: ignore[arg-type]
