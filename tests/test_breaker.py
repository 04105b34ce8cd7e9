"""The circuit breaker: its rules against a reference model, its events, its configuration."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonlib import vtime
from lessonlib.breaker import BreakerState, CircuitBreaker, CircuitOpenError
from lessonlib.events import EventLog, Kind


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Model:
    """The breaker's rules written as plainly as possible, to check the real one against."""

    threshold: int
    timeout: float
    trials: int
    successes_needed: int
    multiplier: float
    state: str = "closed"
    streak: int = 0
    opened_at: float = 0.0
    open_for: float = 0.0
    in_flight: int = 0
    trial_ok: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.open_for = self.timeout

    def allow(self, now: float) -> bool:
        if self.state == "open" and now - self.opened_at >= self.open_for:
            self.go("half_open")
        if self.state == "open":
            return False
        if self.state == "half_open":
            if self.in_flight >= self.trials:
                return False
            self.in_flight += 1
        return True

    def success(self) -> None:
        if self.state == "half_open":
            self.in_flight -= 1
            self.trial_ok += 1
            if self.trial_ok >= self.successes_needed:
                self.open_for = self.timeout
                self.go("closed")
        elif self.state == "closed":
            self.streak = 0

    def failure(self, now: float) -> None:
        if self.state == "half_open":
            self.open_for = min(300.0, self.open_for * self.multiplier)
            self.opened_at = now
            self.go("open")
        elif self.state == "closed":
            self.streak += 1
            if self.streak >= self.threshold:
                self.opened_at = now
                self.go("open")

    def go(self, state: str) -> None:
        self.state, self.streak, self.in_flight, self.trial_ok = state, 0, 0, 0
        self.log.append(state)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.booleans()),  # an allowed call that succeeds or fails
        st.tuples(st.just("wait"), st.floats(min_value=0, max_value=30)),
        st.tuples(st.just("ask"), st.just(True)),  # allow() without recording (in flight)
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(
    steps=steps,
    threshold=st.integers(1, 5),
    timeout=st.floats(0.5, 20),
    trials=st.integers(1, 3),
    successes_needed=st.integers(1, 3),
    multiplier=st.sampled_from([1.0, 2.0]),
)
def test_breaker_matches_the_reference_model(
    steps: list[tuple[str, object]],
    threshold: int,
    timeout: float,
    trials: int,
    successes_needed: int,
    multiplier: float,
) -> None:
    clock = ManualClock()
    events = EventLog()
    breaker = CircuitBreaker(
        threshold,
        timeout,
        half_open_max_calls=trials,
        success_threshold=successes_needed,
        timeout_multiplier=multiplier,
        clock=clock,
        events=events,
    )
    model = Model(threshold, timeout, trials, successes_needed, multiplier)
    for action, value in steps:
        if action == "wait":
            clock.now += float(value)  # type: ignore[arg-type]
            continue
        allowed = breaker.allow()
        assert allowed == model.allow(clock.now)
        if action == "call" and allowed:
            if value:
                breaker.record_success()
                model.success()
            else:
                breaker.record_failure()
                model.failure(clock.now)
        assert breaker.state.value == model.state
    assert [e["new"] for e in events.where(Kind.BREAKER)] == model.log


def test_trips_after_consecutive_failures_and_says_how_long_remains() -> None:
    clock = ManualClock()
    events = EventLog()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10.0, clock=clock, events=events)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    breaker.record_success()  # a success breaks the streak
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 4.0
    assert breaker.remaining() == pytest.approx(6.0)
    assert not breaker.allow()
    assert breaker.rejected == 1
    [opened] = events.where(Kind.BREAKER)
    assert opened["reason"] == "3 consecutive failures"
    assert (opened.time, opened["old"], opened["new"]) == (0.0, "closed", "open")


def test_trips_on_failure_rate_once_the_window_has_enough_calls() -> None:
    breaker = CircuitBreaker(
        failure_threshold=100,
        failure_rate_threshold=0.5,
        window_size=10,
        minimum_calls=6,
        clock=ManualClock(),
    )
    for failed in [True, False, True, False, True]:  # 60 %, but only 5 calls so far
        breaker.allow()
        breaker.record_failure() if failed else breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.failure_rate is None
    breaker.allow()
    breaker.record_success()  # 6 calls, 50 %: trips on the next failure only if >= 50 %
    assert breaker.state is BreakerState.CLOSED
    breaker.allow()
    breaker.record_failure()  # 4 of 7 failed
    assert breaker.state is BreakerState.OPEN


def test_half_open_lets_only_the_trial_calls_through_and_grows_the_wait() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(
        1, 10.0, half_open_max_calls=2, success_threshold=2, timeout_multiplier=2.0, clock=clock
    )
    breaker.allow()
    breaker.record_failure()
    clock.now = 10.0
    assert [breaker.allow() for _ in range(4)] == [True, True, False, False]
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_success()
    breaker.record_failure()  # one trial failed: open again, for twice as long
    assert breaker.state is BreakerState.OPEN
    assert breaker.remaining() == pytest.approx(20.0)
    clock.now = 30.0
    assert breaker.allow() and breaker.allow()
    breaker.record_success()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_concurrent_callers_in_half_open_get_one_trial_in_virtual_time() -> None:
    async def main() -> tuple[list[str], CircuitBreaker]:
        breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5.0)
        outcomes: list[str] = []

        async def dependency() -> str:
            await asyncio.sleep(1.0)
            return "ok"

        async def caller() -> None:
            try:
                outcomes.append(await breaker.call(dependency))
            except CircuitOpenError:
                outcomes.append("rejected")

        with pytest.raises(ZeroDivisionError):
            await breaker.call(lambda: asyncio.sleep(0, 1 / 0))
        await asyncio.sleep(5.0)
        await asyncio.gather(*(caller() for _ in range(10)))
        return outcomes, breaker

    outcomes, breaker = vtime.run(main())
    assert sorted(outcomes) == ["ok"] + ["rejected"] * 9
    assert breaker.state is BreakerState.CLOSED
    assert (breaker.successes, breaker.failures, breaker.rejected) == (1, 1, 9)


@pytest.mark.parametrize(
    ("settings", "field", "value"),
    [
        ({"failure_threshold": 0}, "failure_threshold", "0"),
        ({"failure_threshold": 2.5}, "failure_threshold", "2.5"),
        ({"reset_timeout": -1.0}, "reset_timeout", "-1.0"),
        ({"reset_timeout": float("nan")}, "reset_timeout", "nan"),
        ({"failure_rate_threshold": 1.5}, "failure_rate_threshold", "1.5"),
        ({"failure_rate_threshold": 0.0}, "failure_rate_threshold", "0.0"),
        ({"half_open_max_calls": 0}, "half_open_max_calls", "0"),
        ({"success_threshold": -1}, "success_threshold", "-1"),
        ({"window_size": 5, "minimum_calls": 6}, "minimum_calls", "6"),
        ({"timeout_multiplier": 0.5}, "timeout_multiplier", "0.5"),
        ({"max_reset_timeout": 1.0}, "max_reset_timeout", "1.0"),
    ],
)
def test_bad_configuration_names_the_field_and_value(
    settings: dict[str, float], field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=rf"{field}.*{value}"):
        CircuitBreaker(**settings)  # type: ignore[arg-type]
