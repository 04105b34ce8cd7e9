"""Connection health from the event stream: uptime, reliability, recovery times, and alerts.

`HealthMonitor` is an event sink: subscribe it to the stream that feed clients (or a manager)
report to, and it keeps, per source, what a trader needs to know about each exchange. It
never looks inside a client. Reliability is the share of *time* a connection was up (over
the whole observation and over a sliding window), not a share of events: ten reconnects in a
second and one in an hour are not equally bad.

Memory stays bounded: per source a few counters, the up/down transitions inside the window
(at most ``max_transitions`` of them; older ones fold into the state at the window's start)
and a bounded history of reliability samples for plots.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from . import validate
from .events import Event, EventSink, Kind
from .i18n import tr
from .tables import Table

UP_STATES = frozenset({"connected"})
HISTORY = 2000  # reliability samples kept per source for plots


@dataclass(frozen=True, slots=True)
class HealthReport:
    """One source's health at a moment (times in seconds, ratios from 0 to 1)."""

    source: str
    connected: bool
    observed: float
    uptime: float  # seconds connected since watching began
    overall: float  # reliability since watching began: uptime / observed
    reliability: float | None  # uptime over the window; None until the window has data
    attempts: int
    success_rate: float | None
    reconnects: int
    mtbf: float | None  # mean time between failures: up time per loss
    mttr: float | None  # mean time to recover: down time per recovery
    since_update: float | None
    gaps: int
    alerting: bool


class _Source:
    """The running state of one source; everything the report needs, in O(window) memory."""

    def __init__(self, now: float, window: float, max_transitions: int, grace: float) -> None:
        self.start = now
        self.grace = grace  # a first connection this soon after watching starts the watch
        self.window = window
        self.up = False
        self.changed_at = now
        self.total_up = 0.0
        self.transitions: deque[tuple[float, bool]] = deque()  # (time, up) within the window
        self.state_at_window_start = False
        self.max_transitions = max_transitions
        self.attempts = 0
        self.successes = 0
        self.failures = 0
        self.losses = 0
        self.recoveries = 0
        self.down_after_loss = 0.0
        self.ever_up = False
        self.last_update: float | None = None
        self.gaps = 0
        self.alerting = False
        self.history: list[tuple[float, float]] = []
        self.history_step = window / 200
        self.judged_at = now

    def record(self, now: float, reliability: float) -> None:
        """Keep a reliability sample for plots: at most ``HISTORY`` of them, however long it
        runs; when full, every other one goes and the spacing doubles."""
        if self.history and now - self.history[-1][0] < self.history_step:
            return
        self.history.append((now, reliability))
        if len(self.history) >= HISTORY:
            self.history = self.history[::2]
            self.history_step *= 2

    def set_up(self, up: bool, now: float) -> None:
        if up == self.up:
            return
        if self.up:
            self.total_up += now - self.changed_at
            self.losses += 1
        else:
            if self.ever_up:
                self.down_after_loss += now - self.changed_at
                self.recoveries += 1
            elif now - self.start <= self.grace:
                self.start = now  # start-up: connecting the first time is no outage
                self.history.clear()
            self.ever_up = True
        self.up, self.changed_at = up, now
        self.transitions.append((now, up))
        self.trim(now)

    def trim(self, now: float) -> None:
        cutoff = now - self.window
        while self.transitions and (
            self.transitions[0][0] <= cutoff or len(self.transitions) > self.max_transitions
        ):
            _, up = self.transitions.popleft()
            self.state_at_window_start = up

    def up_time(self, now: float) -> float:
        return self.total_up + (now - self.changed_at if self.up else 0.0)

    def window_up_time(self, now: float) -> tuple[float, float]:
        """Up time and observed time inside the window ending at ``now``."""
        self.trim(now)
        begin = max(self.start, now - self.window)
        up, since, state = 0.0, begin, self.state_at_window_start
        for time, new_state in self.transitions:
            if state:
                up += time - since
            since, state = max(time, begin), new_state
        if state:
            up += now - since
        return up, now - begin


class HealthMonitor:
    """Health of every source on an event stream; an `EventSink` (call it with events).

    ``window`` is the sliding window for reliability, in seconds. An alert is raised when a
    source's reliability over the window falls below ``threshold`` and cleared when it is
    back at ``recover_at`` or above (hysteresis: a value hovering around the threshold does
    not flap). No alert before ``min_observed`` seconds of a source have been watched; a
    source that first connects within those seconds is watched from its connection on (a
    start-up grace: the first connect on a busy machine is no outage).
    Alerts are `Kind.ALERT` events on ``events`` and calls of the `on_alert` callbacks.
    """

    def __init__(
        self,
        *,
        window: float = 300.0,
        threshold: float = 0.95,
        recover_at: float | None = None,
        min_observed: float | None = None,
        max_transitions: int = 10_000,
        events: EventSink | None = None,
    ) -> None:
        validate.positive("window", window)
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        recover_at = min(1.0, threshold + 0.02) if recover_at is None else recover_at
        if not threshold <= recover_at <= 1:
            raise ValueError(
                f"recover_at must be between threshold ({threshold!r}) and 1, got {recover_at!r}"
            )
        min_observed = window / 10 if min_observed is None else min_observed
        if not 0 <= min_observed <= window:
            raise ValueError(f"min_observed must be between 0 and window, got {min_observed!r}")
        validate.integer("max_transitions", max_transitions, minimum=2)
        self.window = window
        self.threshold = threshold
        self.recover_at = recover_at
        self.min_observed = min_observed
        self.max_transitions = max_transitions
        self.events = events
        self._sources: dict[str, _Source] = {}
        self._callbacks: list[Callable[[Event], None]] = []
        self.now = 0.0

    # -- reading the stream -----------------------------------------------------------------
    def watch(self, source: str, now: float) -> None:
        """Start watching ``source`` at ``now`` (one that never connects counts from here)."""
        if source not in self._sources:
            self._sources[source] = _Source(
                now, self.window, self.max_transitions, self.min_observed
            )

    def __call__(self, event: Event) -> None:
        if event.kind in (Kind.ALERT, Kind.FAULT, Kind.TRADING, Kind.BREAKER):
            return  # not about a connection's health (and our own alerts, once more)
        self.now = max(self.now, event.time)
        self.watch(event.source, event.time)
        source = self._sources[event.source]
        match event.kind:
            case Kind.STATE:
                source.set_up(event["state"] in UP_STATES, event.time)
            case Kind.ATTEMPT:
                source.attempts += 1
            case Kind.SUCCESS:
                source.successes += 1
            case Kind.FAILURE:
                source.failures += 1
            case Kind.UPDATE:
                source.last_update = event.time
                if event.time - source.judged_at < self.window / 100:
                    return  # the commonest event: re-judge now and then, not every time
            case Kind.GAP:
                source.gaps += int(event["missed"])
            case _:
                return
        self._judge(event.source, event.time)

    def check(self, now: float) -> None:
        """Re-judge every source at ``now`` (time passes without events, too)."""
        self.now = max(self.now, now)
        for name in self._sources:
            self._judge(name, now)

    def on_alert(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` with every alert event; returns a function that stops it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    # -- judging ----------------------------------------------------------------------------
    def _judge(self, name: str, now: float) -> None:
        source = self._sources[name]
        source.judged_at = now
        up, observed = source.window_up_time(now)
        if observed <= 0:
            return
        reliability = up / observed
        source.record(now, reliability)
        if now - source.start < self.min_observed:
            return
        if not source.alerting and reliability < self.threshold:
            source.alerting = True
            self._alert(name, now, raised=True, reliability=reliability)
        elif source.alerting and reliability >= self.recover_at:
            source.alerting = False
            self._alert(name, now, raised=False, reliability=reliability)

    def _alert(self, name: str, now: float, *, raised: bool, reliability: float) -> None:
        bound = self.threshold if raised else self.recover_at
        span = window(self.window)
        wording = {"name": name, "reliability": reliability, "bound": bound, "span": span}
        event = Event(
            now,
            name,
            Kind.ALERT,
            {
                "raised": raised,
                "reliability": round(reliability, 6),
                "message": (
                    tr(
                        "{name}: reliability {reliability:.1%} below {bound:.0%} over the last "
                        "{span}",
                        **wording,
                    )
                    if raised
                    else tr(
                        "{name}: reliability {reliability:.1%} back at or above {bound:.0%} "
                        "over the last {span}",
                        **wording,
                    )
                ),
            },
        )
        if self.events is not None:
            self.events(event)
        for callback in tuple(self._callbacks):
            callback(event)

    # -- reporting --------------------------------------------------------------------------
    @property
    def sources(self) -> list[str]:
        return list(self._sources)

    def history(self, name: str) -> list[tuple[float, float]]:
        """(time, reliability over the window) samples of ``name``, for plots."""
        return list(self._sources[name].history)

    def report(self, name: str, now: float | None = None) -> HealthReport:
        now = self.now if now is None else now
        source = self._sources[name]
        observed = now - source.start
        up, window_observed = source.window_up_time(now)
        attempts_done = source.successes + source.failures
        return HealthReport(
            source=name,
            connected=source.up,
            observed=observed,
            uptime=source.up_time(now),
            overall=source.up_time(now) / observed if observed > 0 else 0.0,
            reliability=up / window_observed if window_observed > 0 else None,
            attempts=source.attempts,
            success_rate=source.successes / attempts_done if attempts_done else None,
            reconnects=source.recoveries,
            mtbf=source.up_time(now) / source.losses if source.losses else None,
            mttr=source.down_after_loss / source.recoveries if source.recoveries else None,
            since_update=None if source.last_update is None else now - source.last_update,
            gaps=source.gaps,
            alerting=source.alerting,
        )

    def reports(self, now: float | None = None) -> list[HealthReport]:
        return [self.report(name, now) for name in self._sources]

    def table(self, now: float | None = None) -> Table:
        """Every source's health; alerting ones highlighted."""
        reports = self.reports(now)

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.1%}"

        def secs(value: float | None) -> str:
            return "-" if value is None else duration(value)

        return Table(
            [
                {
                    tr("exchange"): r.source,
                    tr("up"): tr("yes") if r.connected else tr("no"),
                    tr("uptime"): secs(r.uptime),
                    tr("reliability"): pct(r.overall),
                    tr("reliability, last {span}", span=window(self.window)): pct(r.reliability),
                    tr("connect success"): pct(r.success_rate),
                    tr("reconnects"): r.reconnects,
                    "MTBF": secs(r.mtbf),
                    "MTTR": secs(r.mttr),
                    tr("last price"): secs(r.since_update),
                    tr("gaps"): r.gaps,
                    tr("alert"): tr("ALERT") if r.alerting else "",
                }
                for r in reports
            ],
            highlight=[i for i, r in enumerate(reports) if r.alerting],
        )


def duration(seconds: float) -> str:
    """Seconds as a person reads them: "5.1 s", "18.4 min", "7.99 h"."""
    if seconds < 120:
        return tr("{seconds:.1f} s", seconds=seconds)
    if seconds < 7200:
        return tr("{minutes:.1f} min", minutes=seconds / 60)
    return tr("{hours:.2f} h", hours=seconds / 3600)


def window(seconds: float) -> str:
    """A window's length as a person names it: "3 s", "15 min", "1 h"."""
    if seconds < 120:
        return tr("{seconds:g} s", seconds=seconds)
    if seconds < 7200:
        return tr("{minutes:g} min", minutes=seconds / 60)
    return tr("{hours:g} h", hours=seconds / 3600)
