"""The pieces lesson 1 shows: the thundering herd, the flaky connect, tables, plots, explorer."""

from __future__ import annotations

import asyncio
import random

import pytest
from matplotlib.figure import Figure

from lessonlib import plots, vtime
from lessonlib.backoff import BackoffPolicy, Jitter
from lessonlib.events import Kind
from lessonlib.flaky import Connection, FlakyConnect
from lessonlib.herd import RecoveringServer, ServerBusy, compare_jitter, run_herd
from lessonlib.scenarios import retry_through_outage
from lessonlib.tables import Table
from lessonlib.widgets import backoff_explorer
from lessonlib.widgets.backoff_explorer import render_schedule

FOREVER = BackoffPolicy(initial_delay=0.1, max_delay=30.0, max_retries=None)


def test_recovering_server_admits_capacity_per_window() -> None:
    server = RecoveringServer(capacity=2, window=0.1)
    server.handshake(0.0)
    server.handshake(0.05)
    with pytest.raises(ServerBusy):
        server.handshake(0.09)
    server.handshake(0.1)  # a new window has room again


@pytest.mark.parametrize("bad", [{"capacity": 0}, {"capacity": 1.5}, {"window": 0}])
def test_recovering_server_rejects_bad_configuration(bad: dict[str, float]) -> None:
    settings = {"capacity": 1, "window": 0.1, **bad}
    (field, value), *_ = bad.items()
    with pytest.raises(ValueError, match=rf"{field}.*{value}"):
        RecoveringServer(**settings)  # type: ignore[arg-type]


def test_herd_without_jitter_matches_the_hand_computed_rounds() -> None:
    """1,000 synchronised clients, 50 admitted per round: 1000 + 950 + ... + 50 calls."""
    result = vtime.run(run_herd(FOREVER, clients=1000, capacity=50, window=0.1))
    assert result.calls == sum(range(50, 1001, 50)) == 10_500
    # Rounds start after 0.1, 0.2, ... 25.6 s of waiting (51.1 s), then ten waits at the cap.
    assert result.finished == pytest.approx(51.1 + 10 * 30.0)
    assert min(result.attempt_times) == 0.0


def test_jitter_spreads_the_herd_and_costs_less_work() -> None:
    results = asyncio.run(compare_jitter(FOREVER, clients=300, capacity=20, seed=3))
    assert set(results) == set(Jitter)
    none = results[Jitter.NONE]
    for jitter in (Jitter.FULL, Jitter.EQUAL, Jitter.DECORRELATED):
        assert results[jitter].calls < none.calls
        assert results[jitter].finished < none.finished / 5
    again = asyncio.run(compare_jitter(FOREVER, clients=300, capacity=20, seed=3))
    assert again == results  # a seed makes the whole experiment repeatable


def test_flaky_connect_fails_at_its_rate() -> None:
    async def main() -> tuple[int, Connection]:
        always = FlakyConnect(1.0, rng=random.Random(1))
        with pytest.raises(ConnectionRefusedError):
            await always()
        never = FlakyConnect(0.0)
        connection = await never()
        half = FlakyConnect(0.5, rng=random.Random(2), handshake_time=0.0)
        failures = 0
        for _ in range(2000):
            try:
                await half()
            except ConnectionRefusedError:
                failures += 1
        return failures, connection

    failures, connection = vtime.run(main())
    assert connection == Connection(attempt=1)
    assert 900 < failures < 1100


@pytest.mark.parametrize(
    "bad",
    [{"failure_rate": 1.5}, {"failure_rate": -0.1}, {"failure_rate": 0.5, "handshake_time": -1}],
)
def test_flaky_connect_rejects_bad_configuration(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=str(list(bad.values())[-1])):
        FlakyConnect(**bad)


def test_retry_through_outage_connects_when_the_server_is_back() -> None:
    events = vtime.run(retry_through_outage(FOREVER, outage=10.0))
    attempts = events.times(Kind.ATTEMPT)
    assert attempts == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7])
    assert len(events.where(Kind.SUCCESS)) == 1


def test_retry_through_outage_records_giving_up() -> None:
    events = vtime.run(retry_through_outage(BackoffPolicy(max_retries=2), outage=10.0))
    assert len(events.where(Kind.ATTEMPT)) == 3
    assert events.where(Kind.GAVE_UP)[0]["reason"] == "retries exhausted"


def test_table_renders_as_text_and_html() -> None:
    table = Table(
        [{"name": "a<b", "calls": 10500}, {"name": "c", "time": 0.25}], title="t", highlight=[1]
    )
    text = str(table)
    assert text.splitlines()[1].split() == ["name", "calls", "time"]
    assert "10,500" in text
    html = table._repr_html_()
    assert "a&lt;b" in html and "<caption>t</caption>" in html
    assert html.count("background") == 1


def test_backoff_timeline_draws_every_wait_and_the_cap() -> None:
    policy = BackoffPolicy()
    events = vtime.run(retry_through_outage(policy, outage=60.0))
    figure = plots.backoff_timeline(events, policy)
    _, bottom = figure.axes
    waits = [p.get_height() for p in bottom.patches]
    assert waits == pytest.approx([e["delay"] for e in events.where(Kind.SLEEP)])
    assert policy.max_delay in [line.get_ydata()[0] for line in bottom.get_lines()]
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_jitter_and_herd_figures_have_a_panel_per_strategy() -> None:
    assert len(plots.jitter_strategies().axes) == len(Jitter)
    results = asyncio.run(compare_jitter(FOREVER, clients=50, capacity=10))
    assert len(plots.herd_histogram(results).axes) == len(Jitter)


def test_explorer_draws_a_valid_policy_and_explains_an_invalid_one() -> None:
    figure = render_schedule(
        30.0, initial_delay=0.1, multiplier=2.0, max_delay=30.0, max_retries=5, jitter="full"
    )
    assert isinstance(figure, Figure)
    message = render_schedule(
        30.0, initial_delay=1.0, multiplier=2.0, max_delay=0.5, max_retries=5, jitter="none"
    )
    assert message == "Not a valid policy: max_delay must be at least initial_delay (1.0), got 0.5"


def test_explorer_has_a_control_for_every_setting() -> None:
    panel = backoff_explorer()
    controls = panel.children[0].children
    assert [c.description for c in controls] == [
        "initial delay (s)",
        "multiplier",
        "cap (s)",
        "max retries",
        "jitter",
        "outage (s)",
    ]
