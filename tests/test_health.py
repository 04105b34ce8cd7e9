"""The health monitor on scripted timelines: numbers checked against hand computation."""

from __future__ import annotations

import pytest

from lessonlib.events import Event, EventLog, Kind
from lessonlib.health import HealthMonitor


def state(t: float, source: str, new: str) -> Event:
    return Event(t, source, Kind.STATE, {"state": new.lower(), "previous": ""})


def feed(monitor: HealthMonitor, *events: Event) -> None:
    for event in events:
        monitor(event)


def test_uptime_reliability_mtbf_and_mttr_on_a_scripted_timeline() -> None:
    """Up 0-60, down 60-70, up 70-170, down 170-200, up 200-300 (window 100 s)."""
    monitor = HealthMonitor(window=100.0, threshold=0.95)
    feed(
        monitor,
        state(0, "x", "Connected"),
        state(60, "x", "Reconnecting(1)"),
        state(70, "x", "Connected"),
        state(170, "x", "Reconnecting(1)"),
        state(200, "x", "Connected"),
    )
    assert monitor.report("x", now=250.0).reliability == pytest.approx(70 / 100)  # 150-250
    report = monitor.report("x", now=300.0)
    assert report.uptime == pytest.approx(260.0)  # seconds connected
    assert report.overall == pytest.approx(260 / 300)
    assert report.reliability == pytest.approx(1.0)  # up throughout 200-300
    assert report.reconnects == 2
    assert report.mtbf == pytest.approx(260 / 2)  # 260 s up, two losses so far
    assert report.mttr == pytest.approx((10 + 30) / 2)


def test_window_edges_count_exactly_the_part_inside() -> None:
    monitor = HealthMonitor(window=10.0)
    feed(monitor, state(0, "x", "Connected"))
    assert monitor.report("x", now=4.0).reliability == pytest.approx(1.0)  # 4 s observed
    feed(monitor, state(5, "x", "Disconnected"))
    assert monitor.report("x", now=10.0).reliability == pytest.approx(5 / 10)  # 0-10: up 0-5
    feed(monitor, state(12, "x", "Connected"))
    assert monitor.report("x", now=15.0).reliability == pytest.approx(3 / 10)  # 5-15: up 12-15
    assert monitor.report("x", now=22.0).reliability == pytest.approx(10 / 10)  # 12-22


def test_an_exchange_that_never_connected_is_zero_percent_up_and_alerts() -> None:
    alerts = EventLog()
    monitor = HealthMonitor(window=60.0, min_observed=10.0, events=alerts)
    monitor.watch("dead", 0.0)
    for t in range(0, 31, 3):
        monitor(Event(float(t), "dead", Kind.ATTEMPT, {"attempt": 1}))
        monitor(Event(float(t), "dead", Kind.FAILURE, {"attempt": 1, "error": "refused"}))
    report = monitor.report("dead", now=30.0)
    assert (report.uptime, report.reliability, report.success_rate) == (0.0, 0.0, 0.0)
    assert report.attempts == 11 and report.mtbf is None and report.mttr is None
    [alert] = alerts.where(Kind.ALERT)
    assert alert.time == 12.0 and alert["raised"] is True  # first judged after 10 s observed


def hovering(monitor: HealthMonitor) -> list[tuple[float, bool]]:
    """Down 1.05 s in every 21 s: 4 or 5 outages in any 100 s, so reliability hovers
    between 94.75 % and 95.8 %, around the 95 % threshold, and never reaches 97 %."""
    alerts: list[tuple[float, bool]] = []
    monitor.on_alert(lambda e: alerts.append((e.time, e["raised"])))
    feed(monitor, state(0, "x", "Connected"))
    for period in range(10, 40):  # after 210 s fully up
        t = period * 21.0
        monitor(state(t, "x", "Disconnected"))
        monitor(state(t + 1.05, "x", "Connected"))
        for step in range(1, 40):
            monitor.check(t + 1.05 + step * 0.5)
    return alerts


def test_alerts_do_not_flap_when_reliability_hovers_around_the_threshold() -> None:
    flapping = hovering(HealthMonitor(window=100.0, threshold=0.95, recover_at=0.95))
    steady = hovering(HealthMonitor(window=100.0, threshold=0.95, recover_at=0.97))
    assert len(flapping) >= 8  # without hysteresis: raised, cleared, raised, cleared...
    assert [raised for _, raised in steady] == [True]  # with it: raised once, stays raised


def test_an_alert_clears_once_reliability_is_back_above_the_recovery_level() -> None:
    alerts: list[tuple[float, bool]] = []
    monitor = HealthMonitor(window=100.0, threshold=0.95, recover_at=0.97, min_observed=0)
    monitor.on_alert(lambda e: alerts.append((e.time, e["raised"])))
    feed(
        monitor,
        state(0, "x", "Connected"),
        state(100, "x", "Disconnected"),
        state(106, "x", "Connected"),
    )  # 94 % over 6-106
    for t in range(110, 211):
        monitor.check(float(t))  # the outage slides out of the window from t = 200
    assert alerts == [(106.0, True), (203.0, False)]  # 203: 3 s down in 103-203 = 97 %


def test_update_age_gaps_and_connection_success_rate() -> None:
    monitor = HealthMonitor(window=60.0)
    feed(
        monitor,
        Event(0, "x", Kind.ATTEMPT),
        Event(0, "x", Kind.FAILURE),
        Event(1, "x", Kind.ATTEMPT),
        Event(1, "x", Kind.SUCCESS),
        state(1, "x", "Connected"),
        Event(5, "x", Kind.UPDATE, {"symbol": "BTC/USDT", "seq": 1}),
        Event(6, "x", Kind.GAP, {"symbol": "BTC/USDT", "missed": 7}),
    )
    report = monitor.report("x", now=9.0)
    assert report.success_rate == 0.5
    assert report.since_update == 4.0
    assert report.gaps == 7


def test_memory_stays_bounded_however_many_transitions() -> None:
    monitor = HealthMonitor(window=1e9, max_transitions=100)
    for t in range(10_000):
        monitor(state(float(t), "x", "Connected" if t % 2 == 0 else "Disconnected"))
    assert len(monitor._sources["x"].transitions) <= 100
    assert len(monitor.history("x")) <= 2000


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"window": 0}, "window must be greater than 0, got 0"),
        ({"threshold": 1.5}, "threshold must be in \\(0, 1\\], got 1.5"),
        ({"threshold": 0.95, "recover_at": 0.9}, "recover_at must be between"),
        ({"window": 10, "min_observed": 20}, "min_observed must be between 0 and window"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        HealthMonitor(**settings)


def test_a_first_connection_within_min_observed_is_start_up_not_an_outage() -> None:
    """Connecting takes a moment (longer on a busy machine): a source that first connects
    within ``min_observed`` is watched from its connection on; a later one counts as down."""
    for connects_at, alerts_expected in [(0.9, []), (1.5, [True, False])]:
        alerts = EventLog()
        monitor = HealthMonitor(window=3.0, min_observed=1.0, events=alerts)
        monitor.watch("x", 0.0)
        monitor(state(connects_at, "x", "Connected"))
        for step in range(1, 41):
            monitor.check(connects_at + step * 0.1)
        assert [e["raised"] for e in alerts.where(Kind.ALERT)] == alerts_expected
        report = monitor.report("x")
        assert report.observed == pytest.approx(4.0 if connects_at == 0.9 else 5.5)
