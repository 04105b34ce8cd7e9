"""The event stream: immutable records, a log that filters, a bus that fans out, an emitter."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from lessonlib.events import Emitter, Event, EventBus, EventLog, Kind

# --- Event ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["time", "source", "kind", "details"])
def test_an_events_fields_cannot_be_reassigned(name: str) -> None:
    event = Event(1.5, "binance", Kind.SLEEP, {"delay": 0.4})
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, name, None)
    assert event == Event(1.5, "binance", Kind.SLEEP, {"delay": 0.4})


def test_an_events_details_cannot_be_changed_through_the_event() -> None:
    event = Event(1.5, "binance", Kind.SLEEP, {"delay": 0.4})
    with pytest.raises(TypeError):
        event.details["delay"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        del event.details["delay"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        event.details.clear()  # type: ignore[attr-defined]
    assert dict(event.details) == {"delay": 0.4}


def test_changing_the_dict_passed_in_does_not_change_the_event() -> None:
    details = {"delay": 0.4}
    event = Event(1.5, "binance", Kind.SLEEP, details)
    details["delay"] = 99.0
    details["extra"] = True
    assert event["delay"] == 0.4
    assert dict(event.details) == {"delay": 0.4}


def test_a_read_only_view_passed_in_is_copied_too() -> None:
    """A mappingproxy is read-only for its holder, but its owner can still change the dict."""
    details = {"delay": 0.4}
    event = Event(1.5, "binance", Kind.SLEEP, MappingProxyType(details))
    details["delay"] = 99.0
    assert event["delay"] == 0.4


def test_an_event_without_details_has_an_empty_read_only_mapping() -> None:
    event = Event(0.0, "a", Kind.CONNECTED)
    assert dict(event.details) == {}
    with pytest.raises(TypeError):
        event.details["x"] = 1  # type: ignore[index]


def test_an_event_reads_its_details_by_key_and_describes_itself() -> None:
    event = Event(1.5, "binance", Kind.SLEEP, {"delay": 0.123456789, "attempt": 3})
    assert event["attempt"] == 3
    with pytest.raises(KeyError):
        event["missing"]
    assert event.describe() == "sleep delay=0.123457 attempt=3"
    assert repr(event) == "Event(1.500s binance sleep delay=0.123457 attempt=3)"


def test_events_with_the_same_content_are_equal() -> None:
    assert Event(1.0, "a", Kind.GAP, {"missed": 2}) == Event(1.0, "a", Kind.GAP, {"missed": 2})
    assert Event(1.0, "a", Kind.GAP, {"missed": 2}) != Event(1.0, "a", Kind.GAP, {"missed": 3})
    assert Event(1.0, "a", Kind.GAP) != Event(1.0, "b", Kind.GAP)


def test_kinds_are_their_string_names() -> None:
    assert Kind("attempt") is Kind.ATTEMPT
    assert Kind.LOST == "lost"
    with pytest.raises(ValueError):
        Kind("exploded")


# --- EventLog -------------------------------------------------------------------------------


def sample_log() -> EventLog:
    log = EventLog()
    log(Event(0.0, "a", Kind.ATTEMPT))
    log(Event(0.1, "b", Kind.ATTEMPT))
    log(Event(0.2, "a", Kind.FAILURE, {"error": "OSError"}))
    log(Event(0.3, "a", Kind.SUCCESS))
    log(Event(0.4, "b", Kind.SUCCESS))
    return log


def test_the_log_keeps_events_in_order() -> None:
    log = sample_log()
    assert len(log) == 5
    assert [e.time for e in log] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert log[0].kind is Kind.ATTEMPT and log[-1].source == "b"
    log.append(Event(0.5, "c", Kind.LOST))
    assert log[-1].source == "c" and len(log) == 6


def test_where_filters_by_kind() -> None:
    log = sample_log()
    assert [e.time for e in log.where(Kind.ATTEMPT)] == [0.0, 0.1]
    assert [e.time for e in log.where(Kind.ATTEMPT, Kind.SUCCESS)] == [0.0, 0.1, 0.3, 0.4]
    assert [e.time for e in log.where("success")] == [0.3, 0.4]
    assert log.where(Kind.GAP) == []
    assert log.where() == list(log)


def test_where_filters_by_source_alone_or_with_a_kind() -> None:
    log = sample_log()
    assert [e.time for e in log.where(source="a")] == [0.0, 0.2, 0.3]
    assert [e.time for e in log.where(Kind.SUCCESS, source="b")] == [0.4]
    assert log.where(source="nobody") == []


def test_where_refuses_a_kind_that_does_not_exist() -> None:
    with pytest.raises(ValueError):
        sample_log().where("exploded")


def test_times_lists_when_each_event_of_a_kind_happened() -> None:
    log = sample_log()
    assert log.times(Kind.ATTEMPT) == [0.0, 0.1]
    assert log.times("attempt", source="b") == [0.1]
    assert log.times(Kind.LOST) == []


def test_maxlen_keeps_only_the_newest_events() -> None:
    log = EventLog(maxlen=2)
    for t in range(5):
        log(Event(float(t), "a", Kind.UPDATE))
    assert len(log) == 2
    assert [e.time for e in log] == [3.0, 4.0]
    bounded = EventLog(sample_log(), maxlen=3)
    assert [e.time for e in bounded] == [0.2, 0.3, 0.4]


def test_clear_empties_the_log() -> None:
    log = sample_log()
    log.clear()
    assert len(log) == 0 and list(log) == []
    assert repr(log) == "EventLog(0 events)"


# --- EventBus -------------------------------------------------------------------------------


def test_the_bus_hands_each_event_to_every_subscriber_in_order() -> None:
    bus = EventBus()
    seen: list[tuple[str, float]] = []
    bus.subscribe(lambda e: seen.append(("first", e.time)))
    bus.subscribe(lambda e: seen.append(("second", e.time)))
    bus.emit(Event(1.0, "a", Kind.CONNECTED))
    bus(Event(2.0, "a", Kind.LOST))
    assert seen == [("first", 1.0), ("second", 1.0), ("first", 2.0), ("second", 2.0)]
    assert bus.subscriber_errors == 0


def test_a_raising_subscriber_does_not_stop_the_others_and_is_counted() -> None:
    bus = EventBus()
    before, after = EventLog(), EventLog()

    def broken(event: Event) -> None:
        raise RuntimeError("a plot with a bug")

    bus.subscribe(before)
    bus.subscribe(broken)
    bus.subscribe(after)
    bus.emit(Event(0.0, "a", Kind.CONNECTED))
    bus.emit(Event(1.0, "a", Kind.LOST))
    assert [e.time for e in before] == [0.0, 1.0]
    assert [e.time for e in after] == [0.0, 1.0]
    assert bus.subscriber_errors == 2


def test_unsubscribe_stops_delivery_and_is_harmless_twice() -> None:
    bus = EventBus()
    kept, dropped = EventLog(), EventLog()
    bus.subscribe(kept)
    unsubscribe = bus.subscribe(dropped)
    bus.emit(Event(0.0, "a", Kind.CONNECTED))
    unsubscribe()
    unsubscribe()
    bus.emit(Event(1.0, "a", Kind.LOST))
    assert len(kept) == 2
    assert len(dropped) == 1


def test_a_subscriber_may_unsubscribe_while_an_event_is_delivered() -> None:
    bus = EventBus()
    later = EventLog()
    calls: list[float] = []

    def once(event: Event) -> None:
        calls.append(event.time)
        unsubscribe()

    unsubscribe = bus.subscribe(once)
    bus.subscribe(later)
    bus.emit(Event(0.0, "a", Kind.CONNECTED))
    bus.emit(Event(1.0, "a", Kind.LOST))
    assert calls == [0.0]
    assert [e.time for e in later] == [0.0, 1.0]


def test_a_bus_can_feed_another_bus_or_a_log() -> None:
    inner, outer, log = EventBus(), EventBus(), EventLog()
    outer.subscribe(inner)
    inner.subscribe(log)
    outer.emit(Event(0.0, "a", Kind.ALERT))
    assert len(log) == 1


# --- Emitter --------------------------------------------------------------------------------


def test_the_emitter_stamps_its_source_and_the_clocks_time_at_each_emit() -> None:
    log = EventLog()
    now = [3.25]
    emit = Emitter("kraken", log, lambda: now[0])
    emit(Kind.GAP, symbol="BTC/USDT", missed=4)
    now[0] = 7.5
    emit(Kind.RESUBSCRIBED)
    assert list(log) == [
        Event(3.25, "kraken", Kind.GAP, {"symbol": "BTC/USDT", "missed": 4}),
        Event(7.5, "kraken", Kind.RESUBSCRIBED, {}),
    ]


def test_an_emitter_without_a_sink_does_nothing_and_reads_no_clock() -> None:
    def clock() -> float:
        raise AssertionError("the clock should not be read")

    Emitter("kraken", None, clock)(Kind.GAP, missed=1)


def test_an_emitter_feeds_a_bus() -> None:
    bus, log = EventBus(), EventLog()
    bus.subscribe(log)
    Emitter("okx", bus, lambda: 1.0)(Kind.TRADING, allowed=False)
    assert log[0] == Event(1.0, "okx", Kind.TRADING, {"allowed": False})


# --- times since the run's start ------------------------------------------------------------


def test_a_log_times_its_lines_from_its_first_event_unless_told_its_start() -> None:
    log = EventLog()
    log(Event(1230.25, "kraken", Kind.ATTEMPT, {"attempt": 1}))
    log(Event(1231.5, "kraken", Kind.CONNECTED))
    assert log.start == 1230.25
    assert log.lines() == [
        "   0.000s  kraken     attempt attempt=1",
        "   1.250s  kraken     connected",
    ]
    told = EventLog(log, start=1200.0)
    assert told.lines(told.where(Kind.CONNECTED)) == ["  31.500s  kraken     connected"]
    later = log.lines(start=1231.0)  # from a moment of the run's own, such as a bot's start
    assert later == ["  -0.750s  kraken     attempt attempt=1", "   0.500s  kraken     connected"]


def test_a_logs_start_survives_clearing_and_a_bounded_log_forgetting_its_first_event() -> None:
    log = EventLog(maxlen=1)
    log(Event(10.0, "okx", Kind.ATTEMPT, {"attempt": 1}))
    log(Event(12.0, "okx", Kind.SUCCESS, {"attempt": 1}))
    assert [e.time for e in log] == [12.0] and log.start == 10.0
    log.clear()
    log(Event(15.0, "okx", Kind.LOST))
    assert log.lines() == ["   5.000s  okx        lost"]


def test_an_empty_log_shows_nothing_and_counts_from_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = EventLog()
    assert log.start == 0.0 and log.lines() == []
    EventLog([Event(2.0, "a", Kind.GAP, {"missed": 2})]).show()
    assert capsys.readouterr().out == "   0.000s  a          gap missed=2\n"
