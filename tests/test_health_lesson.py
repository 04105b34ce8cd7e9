"""What lesson 5 runs: the trading day, the static dashboard, the live one on real sockets."""

from __future__ import annotations

import asyncio

from lessonlib import plots, vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.breaker import CircuitBreaker
from lessonlib.events import Event, EventLog, Kind
from lessonlib.exchange import PracticeExchange
from lessonlib.health import HealthMonitor
from lessonlib.manager import MultiExchangeManager
from lessonlib.scenarios import trading_day
from lessonlib.widgets import HealthDashboard

GUARD = 30.0  # seconds: fires only when something is really wrong, never a wait for an event


def test_the_trading_day_alerts_on_the_troubled_exchange_only_and_draws_its_dashboard() -> None:
    monitor, log = vtime.run(trading_day(hours=8.0, window=900.0), noop_cycles=1)
    alerts = [(e.source, e["raised"]) for e in log.where(Kind.ALERT)]
    assert alerts == [("troubled", True), ("troubled", False)]
    raised, cleared = (e.time / 3600 for e in log.where(Kind.ALERT))
    assert 3.5 <= raised <= 4.5 and 4.5 <= cleared <= 5.0  # the bad hour is 3.5 h to 4.5 h
    reports = {r.source: r for r in monitor.reports()}
    assert reports["choppy"].reconnects > reports["troubled"].reconnects / 2
    assert reports["troubled"].mttr > 10 * reports["choppy"].mttr  # slow to recover
    assert reports["steady"].overall > 0.999
    history = monitor.history("troubled")  # bounded, and still the whole day
    assert len(history) <= 2000 and history[0][0] < 600 and history[-1][0] > 7.9 * 3600
    figure = plots.health_dashboard(monitor, log, time_unit=3600)
    assert len(figure.axes) == 4  # the table and a plot per exchange
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_the_live_dashboard_shows_an_alert_and_its_recovery() -> None:
    async def scenario() -> tuple[str, str, str]:
        log = EventLog()
        async with PracticeExchange(port=0, name="shaky", heartbeat_interval=1.0) as exchange:
            # judged only on a full window, so that the first second cannot flap
            monitor = HealthMonitor(window=1.0, min_observed=1.0, events=log)
            manager = MultiExchangeManager(stale_after=1.0)
            manager.events.subscribe(monitor)
            manager.add(
                "shaky",
                exchange.url,
                symbols=["BTC/USDT"],
                policy=BackoffPolicy(initial_delay=0.05, max_delay=0.3, max_retries=None),
                breaker=CircuitBreaker(3, 0.3),
            )
            async with manager:
                dashboard = HealthDashboard(monitor, refresh=0.05, plot_every=10)
                dashboard.start()
                alerts = {True: asyncio.Event(), False: asyncio.Event()}
                at_recovery: list[str] = []

                def on_alert(event: Event) -> None:
                    alerts[event["raised"]].set()
                    if not event["raised"] and not at_recovery:
                        # the frame drawn at the recovery itself: on a loaded machine a late
                        # heartbeat can dip the 1 s window again a moment later
                        dashboard.draw(plots=False)
                        at_recovery.append(dashboard.table.value)

                monitor.on_alert(on_alert)
                await asyncio.wait_for(manager.clients["shaky"].connected(), GUARD)
                async with asyncio.timeout(GUARD):  # until a full window of it is healthy
                    while not (
                        (report := monitor.report("shaky")).observed >= 1.0
                        and report.reliability == 1.0
                    ):
                        await asyncio.sleep(0.01)
                exchange.refuse(10**6)
                exchange.drop()
                await asyncio.wait_for(alerts[True].wait(), GUARD)
                drawn = dashboard.frames_drawn
                async with asyncio.timeout(GUARD):
                    while dashboard.frames_drawn < drawn + 2:
                        await asyncio.sleep(0.01)
                during = dashboard.table.value + dashboard.alerts.value
                exchange.heal()
                await asyncio.wait_for(alerts[False].wait(), GUARD)
                await dashboard.stop()
                return during, dashboard.alerts.value, at_recovery[0]

    during, alerts_after, table_after = asyncio.run(scenario())
    assert "ALERT" in during and "below 95%" in during and "#fde2e1" in during
    assert "back at or above 97%" in alerts_after
    assert "ALERT" not in table_after
