"""Fault injection refuses bad arguments by name, and schedules fire on time (virtual time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from lessonlib import vtime
from lessonlib.events import EventLog, Kind
from lessonlib.exchange import InMemoryExchange


@pytest.mark.parametrize(
    ("inject", "complaint"),
    [
        (lambda x: x.close(1000), "code must be one of 1001, 1011, 1012, 1013, got 1000"),
        (lambda x: x.refuse(-1), "count must be a non-negative integer, got -1"),
        (lambda x: x.rate_limit(1, retry_after=-2), "retry_after must not be negative"),
        (lambda x: x.stall(float("nan")), "seconds must be a finite number, got nan"),
        (lambda x: x.skip(2.5), "count must be a non-negative integer, got 2.5"),
        (lambda x: x.garbage("confetti"), "kind must be one of .*, got 'confetti'"),
        (lambda x: x.latency(-0.1), "seconds must not be negative, got -0.1"),
        (lambda x: x.shutdown(reconnect_after="soon"), "reconnect_after must be a finite"),
        (lambda x: x.flaky_handshakes(1.5), "probability .* got 1.5"),
        (lambda x: x.every(0, "drop"), "interval must be greater than 0, got 0"),
        (lambda x: x.every(1, "explode"), "fault must be one of .*, got 'explode'"),
    ],
)
def test_bad_fault_arguments_name_the_field_and_value(
    inject: Callable[[InMemoryExchange], Any], complaint: str
) -> None:
    async def scenario() -> None:
        async with InMemoryExchange() as exchange:
            with pytest.raises(ValueError, match=complaint):
                inject(exchange)

    vtime.run(scenario())


def test_schedules_fire_on_time_and_heal_cancels_them() -> None:
    async def scenario() -> list[tuple[float, str]]:
        events = EventLog()
        async with InMemoryExchange(events=events) as exchange:
            exchange.every(10, "drop")
            exchange.after(25, "refuse", 2)
            await asyncio.sleep(35)
            exchange.heal()
            await asyncio.sleep(100)
        return [(e.time, e["fault"]) for e in events.where(Kind.FAULT)]

    assert vtime.run(scenario()) == [
        (10.0, "drop"),
        (20.0, "drop"),
        (25.0, "refuse"),
        (30.0, "drop"),
    ]


def test_bad_exchange_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="tick_rate must be greater than 0, got 0"):
        InMemoryExchange(tick_rate=0)
    with pytest.raises(ValueError, match="max_subscriptions must be a positive integer, got 0"):
        InMemoryExchange(max_subscriptions=0)
    with pytest.raises(ValueError, match="heartbeat_interval must be greater than 0"):
        InMemoryExchange(heartbeat_interval=0)
