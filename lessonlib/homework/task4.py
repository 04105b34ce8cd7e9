"""Task 4, health monitor: uptime and reliability (percent of time connected) for several
exchanges, an alert when one falls below 95 % that neither flaps nor stays silent after a
recovery, and a summary of every metric.

The monitor is pure: it is told of each connection change and asked to judge, with the time
passed in. The scenario (2 h 20 min of monitoring, times drawn from the seed): ``steady``
stays above 97 %; ``flappy`` dips below 95 % three times within a few minutes without
recovering in between, then recovers to 98.5 % and falls again; ``late`` connects only after
several minutes.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Text, tr
from .far_object import answered, answered_already
from .harness import Ending, Scenario, construct, explain, find_class
from .report import Check

TITLE = "Task 4: health monitor"
STUDENT_CLASSES = ("HealthMonitor",)
# What lessonlib already solves this task with: the homework asks for the student's own.
LIBRARY_SOLUTIONS = ("lessonlib.health", "HealthReport", "HealthDashboard")
NAMES = ("steady", "flappy", "late")
THRESHOLD = 95.0
RECOVERY_LEVELS = (95.5, 98.0)  # any re-arm level in this range gives the same alerts
MIN_OBSERVED = 60.0  # seconds of monitoring before an exchange is judged
ALERT_DELAY = 1.0 + 1e-6  # check() comes every second
END = 8400.0
METRICS = ("uptime", "downtime", "reliability", "disconnections", "longest_outage")
# What the task allows for rounding: seconds to half a second, percentages to one decimal.
UPTIME_TOLERANCE = 0.5
PERCENT_TOLERANCE = 0.06


@dataclass(slots=True)
class Observed:
    outages: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    first_up: dict[str, float] = field(default_factory=dict)
    alerts: list[tuple[float, Any, Any]] = field(default_factory=list)
    samples: list[tuple[float, str, Any, Any]] = field(default_factory=list)  # uptime, reliability
    summary: Any = None
    early_summary: Any = None  # summary() at EARLY_SUMMARY, before late's first connection
    problems: list[str] = field(default_factory=list)
    ending: Ending | None = None
    end: float = END
    origin: float = 0.0  # the monitor's `start`: every time it is given is origin + script time


# -- the truth, from the script ---------------------------------------------------------------


def uptime(seen: Observed, name: str, at: float) -> float:
    start = seen.first_up.get(name, math.inf)
    if at <= start:
        return 0.0
    down = sum(max(0.0, min(b, at) - a) for a, b in seen.outages.get(name, []) if a < at)
    return (at - start) - down


def reliability(seen: Observed, name: str, at: float) -> float:
    return 100.0 * uptime(seen, name, at) / at


def expected_alerts(seen: Observed, recovery: float) -> list[tuple[float, str]]:
    """When a correct monitor, judging every second, raises alerts."""
    alerts = []
    for name in NAMES:
        armed = True
        for second in range(1, int(seen.end) + 1):
            value = reliability(seen, name, float(second))
            if armed and second >= MIN_OBSERVED and value < THRESHOLD:
                alerts.append((float(second), name))
                armed = False
            elif not armed and value >= recovery:
                armed = True
    return alerts


STEP = 10.0  # simulated seconds of monitor calls in one turn of the check's loop
# The start is drawn below the span watched (a fresh process's clock reads little), so that
# a time measured by anything but `at - start` is seen; it is never 0. It is a multiple of
# 1/8 s, so that start + 60 - start is exactly 60 in floating point.
ORIGINS = (100.0, 240.0)
# A summary is asked early too, while late has never connected: an ongoing outage is counted.
EARLY_SUMMARY = 245.0


def _script(seed: int) -> Observed:
    rng = random.Random(seed)
    k = rng.uniform(0.9, 1.1)  # scaling every time keeps every percentage
    seen = Observed()
    seen.origin = round(rng.uniform(*ORIGINS) * 8) / 8
    seen.first_up = {"steady": 0.0, "flappy": 0.0, "late": rng.uniform(250, 350)}
    steady_1 = rng.uniform(2000, 3000)
    steady_2 = rng.uniform(5000, 6000)
    late_1 = rng.uniform(3000, 4000)
    seen.outages = {
        "steady": [(steady_1, steady_1 + rng.uniform(30, 60)), (steady_2, steady_2 + 20.0)],
        "flappy": [
            (1000 * k, 1060 * k),
            (1300 * k, 1320 * k),
            (1650 * k, 1665 * k),
            (7000 * k, 7400 * k),
        ],
        "late": [(late_1, late_1 + rng.uniform(10, 30))],
    }
    return seen


def scenario(namespace: Mapping[str, Any], seed: int) -> tuple[Scenario, Observed]:
    monitor_class = find_class(namespace, "HealthMonitor", FAR_CLIENT["methods"])
    return script(seed, lambda *args: construct(monitor_class, *args))


# The student's class, as the grader's worker describes it to a kernel when it holds the
# scenario: no method to run, the script calls the monitor itself (see `far_object`).
FAR_CLIENT: dict[str, Any] = {
    "class": "HealthMonitor",
    "methods": {"record": False, "check": False, "summary": False},
    "method": None,
}


def script(seed: int, build: Callable[..., Any]) -> tuple[Scenario, Observed]:
    """The scenario's own side, with ``build(names, on_alert, start)`` giving the student's
    monitor (built here, or in the student's kernel when the grader holds this)."""
    seen = _script(seed)

    async def main() -> None:
        now = 0.0
        calls = _Calls(seen)

        def on_alert(name: Any, value: Any = None) -> None:
            seen.alerts.append((calls.moment(now), name, value))

        origin = seen.origin
        monitor = build(list(NAMES), on_alert, origin)
        changes = sorted(
            [(t, name, True) for name, t in seen.first_up.items()]
            + [(a, name, False) for name, spans in seen.outages.items() for a, _ in spans]
            + [(b, name, True) for name, spans in seen.outages.items() for _, b in spans]
        )
        samples = {float(t) for t in range(300, int(END) + 1, 300)}
        samples |= {round(a + 5.0) for spans in seen.outages.values() for a, _ in spans}
        loop = asyncio.get_running_loop()

        def sample(second: float, exchange: str) -> None:
            at = origin + second
            up = calls.make(second, "uptime", monitor.uptime, exchange, at)
            rel = calls.make(second, "reliability", monitor.reliability, exchange, at)
            calls.then(lambda: seen.samples.append((second, exchange, up.value, rel.value)))

        second = 1.0
        for at, name, up in [*changes, (END + 1.0, "", False)]:
            while second < at and second <= END:
                now = second
                await _at(loop, calls, second)
                calls.make(second, f"check({origin + second:g})", monitor.check, origin + second)
                if second in samples:
                    for exchange in NAMES:
                        sample(second, exchange)
                if second == EARLY_SUMMARY:
                    early = calls.make(second, "summary", monitor.summary, origin + second)
                    calls.then(lambda early=early: setattr(seen, "early_summary", early.value))
                second += 1.0
            if name:
                now = at
                moment = origin + at
                await _at(loop, calls, at)
                what = f"record({name!r}, {up}, {moment:.1f})"
                calls.make(at, what, monitor.record, name, up, moment)
        now = END
        await _at(loop, calls, END)
        last = calls.make(END, "summary", monitor.summary, origin + END)
        await calls.settle()
        seen.summary = last.value

    return main, seen


async def _at(loop: asyncio.AbstractEventLoop, calls: _Calls, second: float) -> None:
    """Let virtual time catch up with the scenario's ``second`` every `STEP` seconds, so that
    the monitor's calls are spread over turns of the check's loop, the unit its budget and
    watchdog count in (see `sandbox.Budget`), a few calls to a turn; the calls of the turn
    before are answered first."""
    if second - loop.time() >= STEP:
        await calls.settle()
        await asyncio.sleep(second - loop.time())


@dataclass(slots=True)
class _Answer:
    """One call of the monitor: when the script made it, and what it returned once answered."""

    moment: float
    what: str
    returned: Any  # the value, or a `FarAnswer` still to be awaited
    value: Any = None
    then: Callable[[], None] | None = None


class _Calls:
    """The monitor's calls of one turn, made one after another without waiting for answers
    (an object in the kernel gets them in one message, and answers them in order), and
    settled together: a value kept, an exception noted as a problem."""

    def __init__(self, seen: Observed) -> None:
        self._seen = seen
        self._pending: deque[_Answer] = deque()

    def make(self, moment: float, what: str, method: Any, *args: Any) -> _Answer:
        try:
            answer = _Answer(moment, what, method(*args))
        except Exception as error:
            answer = _Answer(moment, what, None)
            self._problem(what, error)
        else:
            self._pending.append(answer)
        return answer

    def then(self, step: Callable[[], None]) -> None:
        """Run ``step`` once every call made so far is settled."""
        self._pending.append(_Answer(math.nan, "", None, then=step))

    async def settle(self) -> None:
        while self._pending:
            answer = self._pending[0]
            try:
                answer.value = await answered(answer.returned)
            except Exception as error:
                self._problem(answer.what, error)
            self._pending.popleft()
            if answer.then is not None:
                answer.then()

    def moment(self, now: float) -> float:
        """The scenario time of the call being answered (an alert raised in it is raised
        then), or ``now`` when none is waiting."""
        for answer in self._pending:
            if answer.then is None and not answered_already(answer.returned):
                return answer.moment
        return now

    def _problem(self, what: str, error: Exception) -> None:
        if len(self._seen.problems) < 5:
            self._seen.problems.append(
                tr("{what} raised {explain}", what=what, explain=explain(error))
            )


# -- judgements -------------------------------------------------------------------------------


def _problems(seen: Observed) -> str | None:
    return seen.problems[0] if seen.problems else None


def _uptime(seen: Observed) -> str | None:
    if not seen.samples:
        return _problems(seen) or tr("uptime() was never asked: the scenario stopped early")
    for at, name, value, _ in seen.samples:
        truth = uptime(seen, name, at)
        if not _number(value):
            return tr(
                "uptime({name!r}, {moment:g}) returned {value!r}, not a number of seconds",
                name=name,
                moment=seen.origin + at,
                value=value,
            )
        if abs(value - truth) > UPTIME_TOLERANCE:
            hint = ""
            if _open_outage(seen, name, at) is None and _counted_to_last_change(
                seen, name, at, value
            ):
                hint = tr(": the current connection's time is not counted until it ends")
            return tr(
                "uptime({name!r}, {moment:g}) = {value:.1f} s; it was up {truth:.1f} s of "
                "the {at:g} s since start={origin:g}{hint}",
                name=name,
                moment=seen.origin + at,
                value=value,
                truth=truth,
                at=at,
                origin=seen.origin,
                hint=hint,
            )
    return None


def _reliability(seen: Observed) -> str | None:
    if not seen.samples:
        return _problems(seen) or tr("reliability() was never asked: the scenario stopped early")
    wrong = []
    for at, name, _, value in seen.samples:
        if not _number(value):
            return tr(
                "reliability({name!r}, {moment:g}) returned {value!r}, not a percentage",
                name=name,
                moment=seen.origin + at,
                value=value,
            )
        if abs(value - reliability(seen, name, at)) > PERCENT_TOLERANCE:
            wrong.append((at, name, value))
    if not wrong:
        return None
    at, name, value = wrong[0]
    said = tr(
        "reliability({name!r}, {moment:g}) = {value:.2f}; connected {truth:.2f} % of the "
        "{at:g} s since start={origin:g}",
        name=name,
        moment=seen.origin + at,
        value=value,
        truth=reliability(seen, name, at),
        at=at,
        origin=seen.origin,
    )
    diagnoses = (
        (lambda n, t: reliability(seen, n, t) / 100, tr(": a fraction, not a percent (× 100)")),
        (lambda n, t: _by_events(seen, n, t), tr(": counted from events instead of time")),
        (
            lambda n, t: 100.0 * uptime(seen, n, t) / (seen.origin + t),
            tr(": measured from 0, not from start={origin:g}", origin=seen.origin),
        ),
        (
            lambda n, t: _since_first_up(seen, n, t),
            tr(": the time before its first connection is downtime too"),
        ),
    )
    for model, diagnosis in diagnoses:
        if all(abs(v - model(n, t)) <= 0.05 for t, n, v in wrong):
            return said + diagnosis
    still = _unmoved(seen)
    if still is not None:
        name, first, last = still
        return said + tr(
            ": it stayed the same from {first:g} s to {last:g} s, while {name}'s connection did "
            "not change and its true share of time did (counted from events instead of time)",
            first=first,
            last=last,
            name=name,
        )
    return said


def _unmoved(seen: Observed) -> tuple[str, float, float] | None:
    """Two samples of one exchange, with no connection change between them, at which
    reliability() gave the same value though the true one moved: a count of events."""
    changes: dict[str, list[float]] = {}
    for name, spans in seen.outages.items():
        changes[name] = [seen.first_up.get(name, 0.0)] + [t for span in spans for t in span]
    previous: dict[str, tuple[float, Any]] = {}
    for at, name, _, value in seen.samples:
        if name in previous and _number(value):
            first, before = previous[name]
            quiet = not any(first < t <= at for t in changes.get(name, []))
            moved = abs(reliability(seen, name, at) - reliability(seen, name, first))
            if quiet and _number(before) and before == value and moved > 2 * PERCENT_TOLERANCE:
                return name, first, at
        previous[name] = (at, value)
    return None


def _alerts_raised(seen: Observed) -> str | None:
    if _problems(seen):
        return _problems(seen)
    expected = expected_alerts(seen, RECOVERY_LEVELS[0])
    for at, name in expected:
        crossed = _crossing(seen, name, at)
        raised = [t for t, n, _ in seen.alerts if n == name and crossed - 1e-6 <= t]
        if at <= MIN_OBSERVED and (not raised or raised[0] > at + 1e-6):
            return tr(
                "no alert for {name} at check(start + {minimum:g}), when its first minute was "
                "over at {reliability:.2f} %{late}: every exchange is judged from start + "
                "{minimum:g} s on",
                name=name,
                minimum=MIN_OBSERVED,
                reliability=reliability(seen, name, at),
                late=tr("; the alert came only at check(start + {at:g})", at=raised[0])
                if raised
                else "",
            )
        if not raised or raised[0] > at + ALERT_DELAY:
            late = tr("; the alert came only at {at:.1f} s", at=raised[0]) if raised else ""
            return tr(
                "no alert when {name} fell below {threshold:g} % at {crossed:.1f} s "
                "({reliability:.2f} % at {at:.0f} s){late}",
                name=name,
                threshold=THRESHOLD,
                crossed=crossed,
                reliability=reliability(seen, name, at),
                at=at,
                late=late,
            ) + (tr(": judge on every check(), not only when a connection changes") if late else "")
    for t, name, value in seen.alerts:
        truth = reliability(seen, name, t) if name in NAMES else None
        if not _number(value) or truth is None or abs(value - truth) > 0.1:
            return (
                tr(
                    "on_alert({name!r}, {value!r}) at {t:.1f} s: expected the exchange and its "
                    "reliability in percent ({truth:.2f})",
                    name=name,
                    value=value,
                    t=t,
                    truth=truth,
                )
                if truth is not None
                else tr(
                    "on_alert({name!r}, {value!r}): not one of {names}",
                    name=name,
                    value=value,
                    names=", ".join(NAMES),
                )
            )
    return None


def _no_flapping(seen: Observed) -> str | None:
    expected = expected_alerts(seen, RECOVERY_LEVELS[0])
    count = sum(1 for _, n in expected if n == "flappy")
    raised = [t for t, n, _ in seen.alerts if n == "flappy"]
    first_phase = [t for t in raised if t < 2000 * _scale(seen)]
    if len(first_phase) > 1:
        return tr(
            "the alert flaps: {count} alerts for flappy at {times} s while it hovered "
            "around {threshold:g} % without recovering; raise it once, and again only "
            "after a recovery",
            count=len(first_phase),
            times=", ".join(f"{t:.0f}" for t in first_phase[:5]),
            threshold=THRESHOLD,
        )
    if len(raised) > count:
        return tr(
            "{count} alerts for flappy, {expected} expected", count=len(raised), expected=count
        )
    return None


def _realerts(seen: Observed) -> str | None:
    expected = [t for t, n in expected_alerts(seen, RECOVERY_LEVELS[0]) if n == "flappy"]
    again = expected[-1]
    raised = [t for t, n, _ in seen.alerts if n == "flappy" and t >= again - ALERT_DELAY]
    if not raised or raised[0] > again + ALERT_DELAY:
        return tr(
            "flappy recovered to {reliability:.1f} % and fell below {threshold:g} % "
            "again at {again:.0f} s, but it was not alerted again",
            reliability=reliability(seen, "flappy", 6900 * _scale(seen)),
            threshold=THRESHOLD,
            again=again,
        )
    return None


def _quiet(seen: Observed) -> str | None:
    early = [(t, n) for t, n, _ in seen.alerts if t < MIN_OBSERVED]
    if early:
        return tr(
            "an alert for {name} at {at:.0f} s, before a minute of monitoring",
            name=early[0][1],
            at=early[0][0],
        )
    steady = [t for t, n, _ in seen.alerts if n == "steady"]
    if steady:
        return tr(
            "steady was alerted at {at:.0f} s with its reliability at {reliability:.2f} %",
            at=steady[0],
            reliability=reliability(seen, "steady", steady[0]),
        )
    return None


def _summary(seen: Observed) -> str | None:
    if seen.summary is None and seen.early_summary is None:
        return _problems(seen) or tr("summary() returned None")
    for at, summary in ((EARLY_SUMMARY, seen.early_summary), (seen.end, seen.summary)):
        wrong = _summary_at(seen, summary, at)
        if wrong:
            return wrong
    return None


def _summary_at(seen: Observed, summary: Any, at: float) -> str | None:
    """What is wrong with ``summary``, asked at ``at`` seconds after start, if anything."""
    moment = seen.origin + at
    if summary is None:
        return _problems(seen) or tr("summary({moment:g}) returned None", moment=moment)
    if not isinstance(summary, Mapping):
        return tr(
            "summary() returned a {kind}; expected a dict per exchange",
            kind=type(summary).__name__,
        )
    for name in NAMES:
        row = summary.get(name)
        if not isinstance(row, Mapping):
            return tr(
                "summary() has no dict for {name!r} (keys: {keys})",
                name=name,
                keys=sorted(map(str, summary)),
            )
        missing = [m for m in METRICS if m not in row]
        if missing:
            return tr("summary()[{name!r}] lacks {missing}", name=name, missing=", ".join(missing))
        truth = _metrics(seen, name, at)
        for metric in METRICS:
            value = row[metric]
            if not _number(value) or abs(value - truth[metric]) > _tolerance(metric, truth[metric]):
                ongoing = _open_outage(seen, name, at) is not None or at <= seen.first_up[name]
                return tr(
                    "summary({moment:g})[{name!r}][{metric!r}] = {value!r}; expected {truth:g} "
                    "({at:g} s after start){state}",
                    moment=moment,
                    name=name,
                    metric=metric,
                    value=value,
                    truth=truth[metric],
                    at=at,
                    state=tr(", while it was disconnected") if ongoing else "",
                )
    return None


def root_cause(seen: Observed) -> str | None:
    """A monitor method that raised explains the wrong figures after it."""
    return seen.problems[0] if seen.problems else None


def blocker(seen: Observed) -> str | None:
    """Why nothing can be judged, if the monitor could not even be asked."""
    if seen.samples and any(v is not None for _, _, v, _ in seen.samples):
        return None
    if seen.problems:
        return seen.problems[0]
    return tr("the monitor was never asked anything: the scenario stopped early")


CHECKS = [
    Check(Text("uptime"), 1, _uptime, Text("seconds connected since monitoring began")),
    Check(
        Text("reliability in percent of time"),
        2,
        _reliability,
        Text("100 × time connected / time monitored (before the first connection counts as down)"),
    ),
    Check(
        Text("an alert when an exchange falls below 95 %"),
        2,
        _alerts_raised,
        Text("on_alert(name, reliability) at the first check() after it falls below 95 %"),
    ),
    Check(
        Text("the alert does not flap"),
        1,
        _no_flapping,
        Text("one alert while it hovers around 95 %; re-armed only after recovering"),
    ),
    Check(
        Text("a new alert after a recovery"),
        1,
        _realerts,
        Text("alerted again when it falls below 95 % after having recovered"),
    ),
    Check(
        Text("no false alerts"),
        1,
        _quiet,
        Text("no alert in the first minute, none for an exchange above 95 %"),
    ),
    Check(
        Text("a summary of every metric"),
        2,
        _summary,
        Text("summary(at)[name] with {metrics}", metrics=", ".join(METRICS)),
    ),
]


# -- helpers ----------------------------------------------------------------------------------


def _metrics(seen: Observed, name: str, at: float) -> dict[str, float]:
    """Every metric of ``name`` at ``at`` seconds after start, the outage going on included."""
    before = min(seen.first_up[name], at)
    spans = [(a, min(b, at)) for a, b in seen.outages[name] if a < at]
    up = uptime(seen, name, at)
    return {
        "uptime": up,
        "downtime": at - up,
        "reliability": 100.0 * up / at,
        "disconnections": float(len(spans)),
        "longest_outage": max([before] + [b - a for a, b in spans]),
    }


def _crossing(seen: Observed, name: str, second: float) -> float:
    """The moment, within the second before ``second``, when the reliability fell below 95 %."""
    low, high = second - 1.0, second
    if reliability(seen, name, max(low, 1e-9)) < THRESHOLD:
        return low
    for _ in range(40):
        middle = (low + high) / 2
        if reliability(seen, name, middle) < THRESHOLD:
            high = middle
        else:
            low = middle
    return high


def _scale(seen: Observed) -> float:
    return seen.outages["flappy"][0][0] / 1000.0


def _open_outage(seen: Observed, name: str, at: float) -> tuple[float, float] | None:
    return next(((a, b) for a, b in seen.outages[name] if a <= at < b), None)


def _counted_to_last_change(seen: Observed, name: str, at: float, value: float) -> bool:
    changes = [seen.first_up[name]] + [t for span in seen.outages[name] for t in span]
    last = max((t for t in changes if t <= at), default=0.0)
    return abs(value - uptime(seen, name, last)) <= 0.5


def _since_first_up(seen: Observed, name: str, at: float) -> float:
    start = seen.first_up[name]
    return 100.0 * uptime(seen, name, at) / (at - start) if at > start else 100.0


def _by_events(seen: Observed, name: str, at: float) -> float:
    ups = 1 + sum(1 for _, b in seen.outages[name] if b <= at)
    downs = sum(1 for a, _ in seen.outages[name] if a <= at)
    return 100.0 * ups / (ups + downs)


def _tolerance(metric: str, truth: float) -> float:
    if metric == "reliability":
        return PERCENT_TOLERANCE
    if metric == "disconnections":
        return 1e-6
    return UPTIME_TOLERANCE


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
