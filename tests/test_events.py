"""The event stream: immutable records, a log that filters, a bus that fans out."""

from __future__ import annotations

import dataclasses

import pytest

from lessonlib.events import Emitter, Event, EventBus, EventLog, Kind


def test_an_event_is_immutable_down_to_its_details() -> None:
    details = {"delay": 0.4}
    event = Event(1.5, "binance", Kind.SLEEP, details)
    details["delay"] = 99.0
    assert event["delay"] == 0.4
    with pytest.raises(TypeError):
        event.details["delay"] = 1.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.time = 2.0  # type: ignore[misc]
    assert repr(event) == "Event(1.500s binance sleep delay=0.4)"


def test_the_log_filters_by_kind_and_source_and_can_be_bounded() -> None:
    log = EventLog()
    log(Event(0.0, "a", Kind.ATTEMPT))
    log(Event(0.1, "b", Kind.ATTEMPT))
    log(Event(0.2, "a", Kind.SUCCESS))
    assert [e.time for e in log.where(Kind.ATTEMPT)] == [0.0, 0.1]
    assert log.times(Kind.ATTEMPT, source="a") == [0.0]
    assert len(log.where()) == 3 and len(log.where("success")) == 1
    bounded = EventLog(log, maxlen=2)
    assert [e.time for e in bounded] == [0.1, 0.2]
    bounded(Event(0.3, "a", Kind.LOST))
    assert [e.time for e in bounded] == [0.2, 0.3]


def test_the_bus_reaches_every_subscriber_even_past_a_broken_one() -> None:
    bus = EventBus()
    first, second = EventLog(), EventLog()

    def broken(event: Event) -> None:
        raise RuntimeError("a plot with a bug")

    bus.subscribe(first)
    bus.subscribe(broken)
    unsubscribe = bus.subscribe(second)
    bus.emit(Event(0.0, "a", Kind.CONNECTED))
    unsubscribe()
    bus(Event(1.0, "a", Kind.LOST))
    assert len(first) == 2 and len(second) == 1
    assert bus.subscriber_errors == 2


def test_the_emitter_stamps_source_and_clock_time() -> None:
    log = EventLog()
    now = [3.25]
    emit = Emitter("kraken", log, lambda: now[0])
    emit(Kind.GAP, symbol="BTC/USDT", missed=4)
    assert log[0] == Event(3.25, "kraken", Kind.GAP, {"symbol": "BTC/USDT", "missed": 4})
    Emitter("kraken", None, lambda: 0.0)(Kind.GAP)  # no sink: nothing happens, no error
