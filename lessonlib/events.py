"""The one stream of events that every moving part reports to.

Retry loops, feed clients, breakers and managers describe what happens to them as small
immutable `Event` records. Plots, checks, logs and the health monitor read those records and
never a component's private state, so a live plot and a homework check share one code path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Kind(StrEnum):
    """What happened. One vocabulary for every component."""

    ATTEMPT = "attempt"  # a connection attempt is made (never one a breaker refused)
    FAILURE = "failure"  # an attempt failed (details: error, retryable)
    SLEEP = "sleep"  # the driver waits before the next attempt (details: delay)
    SUCCESS = "success"  # an attempt succeeded
    GAVE_UP = "gave_up"  # retries exhausted or a fatal error
    CONNECTED = "connected"  # a connection is up and usable
    LOST = "lost"  # an established connection ended (details: uptime, reason)
    STATE = "state"  # a connection state change (details: state, previous; attempt if any)
    BREAKER = "breaker"  # a circuit-breaker transition (details: old, new, reason)
    UPDATE = "update"  # a price was delivered (details: symbol, seq, bid, ask, ts, replayed)
    GAP = "gap"  # updates were missed and cannot be recovered
    # subscriptions restored after a reconnect (details: symbols, resume, stream of the resume)
    RESUBSCRIBED = "resubscribed"
    STREAM = "stream"  # the exchange restarted: a new run of seqs (details: stream, previous)
    MALFORMED = "malformed"  # a frame that could not be understood
    REJECTED = "rejected"  # the exchange refused a subscription (details: symbol, code)
    REFUSED = "refused"  # a circuit breaker refused a call: none was made (details: remaining)
    FAULT = "fault"  # the practice exchange injected a fault (details: fault, arguments)
    TRADING = "trading"  # a trading gate opened or closed (details: allowed, reason)
    ALERT = "alert"  # a health alert raised or cleared
    BOOK_BUFFERED = "book_buffered"  # a book update held until the snapshot arrives
    BOOK_SNAPSHOT = "book_snapshot"  # a book snapshot loaded (details: last, dropped, applied)
    BOOK_GAP = "book_gap"  # a book update did not continue the book (details: expected, first)
    BOOK_CHECKSUM = "book_checksum"  # the local book's checksum differs from the exchange's
    BOOK_RESYNC = "book_resync"  # a book thrown away to be rebuilt (details: symbol, reason)
    BOOK_REBUILT = "book_rebuilt"  # a book rebuilt and live again (details: symbol, reason)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened: when (loop time), to which connection, what, and details."""

    time: float
    source: str
    kind: Kind
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze a copy of the details: an event is a record, not a channel (a read-only
        # view passed in would still follow its owner's dict).
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def __getitem__(self, key: str) -> Any:
        return self.details[key]

    def describe(self) -> str:
        """What happened, for a person: the kind and the details, floats kept short."""
        return self.kind.value + "".join(f" {k}={_brief(v)}" for k, v in self.details.items())

    def format(self, start: float = 0.0) -> str:
        """One line for a person: seconds since ``start`` (a run's beginning), source, what."""
        return f"{self.time - start:8.3f}s  {self.source:<10} {self.describe()}"

    def __repr__(self) -> str:
        return f"Event({self.time:.3f}s {self.source} {self.describe()})"


def _brief(value: Any) -> str:
    """A detail as a person reads it: floats to six significant digits."""
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


EventSink = Callable[[Event], None]
"""Anything that takes events: an `EventLog`, `EventBus.emit`, a plain function."""


class EventBus:
    """Fans each event out to every subscriber; a subscriber that raises does not stop others."""

    def __init__(self) -> None:
        self._subscribers: list[EventSink] = []
        self.subscriber_errors = 0

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Add `sink`; returns a function that removes it again."""
        self._subscribers.append(sink)

        def unsubscribe() -> None:
            if sink in self._subscribers:
                self._subscribers.remove(sink)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for sink in tuple(self._subscribers):
            try:
                sink(event)
            except Exception:  # a broken plot must not break the connection it watches
                self.subscriber_errors += 1

    __call__ = emit


class EventLog:
    """Records events in order; with `maxlen` it keeps only the newest ones (bounded memory).

    ``start`` is when the run began (loop time); when not given, the first event's time.
    """

    def __init__(
        self,
        events: Iterable[Event] = (),
        *,
        maxlen: int | None = None,
        start: float | None = None,
    ) -> None:
        self._events: deque[Event] = deque(events, maxlen=maxlen)
        self._start = (
            start if start is not None else (self._events[0].time if self._events else None)
        )

    @property
    def start(self) -> float:
        """The loop time that `lines` and `show` count from: the run's beginning."""
        return 0.0 if self._start is None else self._start

    def __call__(self, event: Event) -> None:
        if self._start is None:
            self._start = event.time
        self._events.append(event)

    append = __call__

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __getitem__(self, index: int) -> Event:
        return self._events[index]

    def clear(self) -> None:
        self._events.clear()

    def where(self, *kinds: Kind | str, source: str | None = None) -> list[Event]:
        """The events of the given kinds (all kinds when none given), optionally of one source."""
        wanted = {Kind(k) for k in kinds}
        return [
            e
            for e in self._events
            if (not wanted or e.kind in wanted) and (source is None or e.source == source)
        ]

    def times(self, kind: Kind | str, source: str | None = None) -> list[float]:
        """When each event of `kind` happened."""
        return [e.time for e in self.where(kind, source=source)]

    def lines(
        self, events: Iterable[Event] | None = None, *, start: float | None = None
    ) -> list[str]:
        """These events (all of the log's when none given), timed from ``start`` (loop time;
        the run's start when None)."""
        origin = self.start if start is None else start
        return [e.format(origin) for e in (self if events is None else events)]

    def show(self, events: Iterable[Event] | None = None, *, start: float | None = None) -> None:
        """Print `lines`: what a lesson shows instead of the loop's clock."""
        print("\n".join(self.lines(events, start=start)))

    def __repr__(self) -> str:
        return f"EventLog({len(self)} events)"


class Emitter:
    """Stamps events with a source and the loop's time and hands them to a sink (or nowhere)."""

    __slots__ = ("clock", "sink", "source")

    def __init__(self, source: str, sink: EventSink | None, clock: Callable[[], float]) -> None:
        self.source = source
        self.sink = sink
        self.clock = clock

    def __call__(self, kind: Kind, **details: Any) -> None:
        if self.sink is not None:
            self.sink(Event(self.clock(), self.source, kind, details))
