"""The backoff policy and its running state: exact schedules, caps, jitter bounds, validation."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import re
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib.backoff import Backoff, BackoffPolicy, Jitter

DEFAULT_SCHEDULE = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]


def reference_ceiling(policy: BackoffPolicy, failures: int) -> float:
    """min(cap, base * multiplier**(failures - 1)), worked out in logs so as not to overflow."""
    growth = (failures - 1) * math.log(policy.multiplier)
    if growth >= math.log(policy.max_delay / policy.initial_delay):
        return policy.max_delay
    return policy.initial_delay * math.exp(growth)


# --- the schedule without jitter ------------------------------------------------------------


def test_the_defaults_are_the_lessons_numbers() -> None:
    policy = BackoffPolicy()
    assert policy.initial_delay == 0.1
    assert policy.max_delay == 30.0
    assert policy.multiplier == 2.0
    assert policy.max_retries == 10
    assert policy.jitter is Jitter.NONE
    assert policy.healthy_after == 5.0


def test_the_default_schedule_doubles_from_a_tenth_of_a_second_up_to_the_cap() -> None:
    # Doubling 0.1 is exact in binary floating point, so the schedule compares exactly.
    assert list(BackoffPolicy().delays()) == DEFAULT_SCHEDULE


def test_a_running_backoff_gives_the_same_schedule_then_gives_up_for_good() -> None:
    backoff = Backoff(BackoffPolicy())
    assert [backoff.next_delay() for _ in range(10)] == DEFAULT_SCHEDULE
    assert backoff.next_delay() is None  # the 11th failure: retries exhausted
    assert backoff.next_delay() is None  # and it stays given up
    assert backoff.failures == 12


def test_the_delay_stays_at_the_cap_once_it_is_reached() -> None:
    policy = BackoffPolicy(max_retries=20)
    assert list(policy.delays())[9:] == [30.0] * 11
    assert [policy.ceiling(n) for n in range(10, 21)] == [30.0] * 11


@pytest.mark.parametrize("max_retries", [0, 1, 3, 10, 25])
def test_max_retries_is_exactly_the_number_of_waits(max_retries: int) -> None:
    policy = BackoffPolicy(max_retries=max_retries)
    assert len(list(policy.delays())) == max_retries
    backoff = Backoff(policy)
    for _ in range(max_retries):
        assert backoff.next_delay() is not None
    assert backoff.next_delay() is None
    assert policy.gives_up_after(max_retries + 1)
    assert not policy.gives_up_after(max_retries)


def test_max_retries_zero_gives_up_on_the_first_failure() -> None:
    assert list(BackoffPolicy(max_retries=0).delays()) == []
    assert Backoff(BackoffPolicy(max_retries=0)).next_delay() is None


def test_max_retries_none_never_gives_up_and_the_10000th_wait_is_the_cap() -> None:
    backoff = Backoff(BackoffPolicy(max_retries=None))
    delays = [backoff.next_delay() for _ in range(10_000)]
    assert None not in delays
    assert all(isinstance(d, float) and math.isfinite(d) for d in delays)
    assert delays[-1] == 30.0
    assert backoff.failures == 10_000
    assert not backoff.policy.gives_up_after(10**18)


@pytest.mark.parametrize("multiplier", [1.0000001, 1.5, 2.0, 10.0, 1e6, 1e300])
@pytest.mark.parametrize("failures", [10_000, 10**9, 10**18])
def test_huge_failure_counts_never_overflow(multiplier: float, failures: int) -> None:
    policy = BackoffPolicy(max_delay=30.0, multiplier=multiplier, max_retries=None)
    expected = reference_ceiling(policy, failures)
    ceiling = policy.ceiling(failures)
    delay = policy.delay(failures, None, random.Random(0))
    for value in (ceiling, delay):
        assert isinstance(value, float)
        assert math.isfinite(value)
        assert value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("multiplier", [1.0000001, 2.0, 1e6])
def test_the_billionth_failure_waits_exactly_the_cap(multiplier: float) -> None:
    policy = BackoffPolicy(multiplier=multiplier, max_retries=None)
    assert policy.ceiling(10**9) == 30.0
    assert policy.delay(10**9, None, random.Random(0)) == 30.0
    assert policy.ceiling(10**100) == 30.0


@pytest.mark.parametrize("jitter", [Jitter.FULL, Jitter.EQUAL, Jitter.DECORRELATED])
def test_jittered_delays_at_huge_failure_counts_stay_within_the_cap(jitter: Jitter) -> None:
    policy = BackoffPolicy(multiplier=1e6, max_retries=None, jitter=jitter)
    rng = random.Random(7)
    for failures in (10_000, 10**9, 10**18):
        delay = policy.delay(failures, 30.0, rng)
        assert math.isfinite(delay)
        assert 0.0 <= delay <= 30.0


def test_a_multiplier_of_one_is_a_constant_delay() -> None:
    policy = BackoffPolicy(initial_delay=2.0, max_delay=30.0, multiplier=1.0, max_retries=7)
    assert list(policy.delays()) == [2.0] * 7
    assert policy.ceiling(10**9) == 2.0


def test_an_initial_delay_equal_to_the_cap_is_the_cap_every_time() -> None:
    policy = BackoffPolicy(initial_delay=3.0, max_delay=3.0, max_retries=4)
    assert list(policy.delays()) == [3.0] * 4


def test_delay_refuses_a_failure_count_below_one() -> None:
    with pytest.raises(ValueError, match="failures must be at least 1, got 0"):
        BackoffPolicy().delay(0, None, random.Random())


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "shown"),
    [
        ({"initial_delay": 0}, "initial_delay", "0"),
        ({"initial_delay": -0.5}, "initial_delay", "-0.5"),
        ({"initial_delay": float("nan")}, "initial_delay", "nan"),
        ({"initial_delay": float("inf")}, "initial_delay", "inf"),
        ({"initial_delay": "0.1"}, "initial_delay", "'0.1'"),
        ({"initial_delay": None}, "initial_delay", "None"),
        ({"max_delay": 0}, "max_delay", "0"),
        ({"max_delay": float("inf")}, "max_delay", "inf"),
        ({"max_delay": 0.05}, "max_delay", "0.05"),
        ({"initial_delay": 5.0, "max_delay": 4.5}, "max_delay", "4.5"),
        ({"multiplier": 0.5}, "multiplier", "0.5"),
        ({"multiplier": 0}, "multiplier", "0"),
        ({"multiplier": -2.0}, "multiplier", "-2.0"),
        ({"multiplier": float("nan")}, "multiplier", "nan"),
        ({"multiplier": float("inf")}, "multiplier", "inf"),
        ({"max_retries": -1}, "max_retries", "-1"),
        ({"max_retries": 2.5}, "max_retries", "2.5"),
        ({"max_retries": 3.0}, "max_retries", "3.0"),
        ({"max_retries": True}, "max_retries", "True"),
        ({"max_retries": "3"}, "max_retries", "'3'"),
        ({"jitter": "random"}, "jitter", "'random'"),
        ({"jitter": None}, "jitter", "None"),
        ({"healthy_after": -1.0}, "healthy_after", "-1.0"),
        ({"healthy_after": float("nan")}, "healthy_after", "nan"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field_and_the_value(
    kwargs: dict[str, object], field: str, shown: str
) -> None:
    pattern = rf"^{field}\b.*{re.escape(shown)}$"
    with pytest.raises(ValueError, match=pattern):
        BackoffPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_delay": 1, "max_delay": 1},  # ints, and a cap equal to the start
        {"multiplier": 1},
        {"max_retries": 0},
        {"max_retries": None},
        {"healthy_after": 0},
        {"initial_delay": 1e-9, "max_delay": 1e9, "multiplier": 1e9},
    ],
)
def test_edge_values_that_make_sense_are_accepted(kwargs: dict[str, object]) -> None:
    policy = BackoffPolicy(**kwargs)  # type: ignore[arg-type]
    for name, value in kwargs.items():
        assert getattr(policy, name) == value


@pytest.mark.parametrize("jitter", list(Jitter))
def test_jitter_accepts_its_name_or_the_enum_member(jitter: Jitter) -> None:
    assert BackoffPolicy(jitter=jitter.value).jitter is jitter
    assert BackoffPolicy(jitter=jitter).jitter is jitter
    assert BackoffPolicy(jitter=jitter.value) == BackoffPolicy(jitter=jitter)


@pytest.mark.parametrize(
    "name", ["initial_delay", "max_delay", "multiplier", "max_retries", "jitter", "healthy_after"]
)
def test_the_policy_is_frozen(name: str) -> None:
    policy = BackoffPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(policy, name, 1.0)
    assert policy == BackoffPolicy()


def test_a_replaced_policy_is_validated_again() -> None:
    with pytest.raises(ValueError, match=r"initial_delay.*-1"):
        dataclasses.replace(BackoffPolicy(), initial_delay=-1)
    assert dataclasses.replace(BackoffPolicy(), jitter="full").jitter is Jitter.FULL


# --- jitter, as properties ------------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn, jitter: st.SearchStrategy[Jitter] | None = None) -> BackoffPolicy:
    """Valid policies that never give up, across a wide range of scales."""
    initial_delay = draw(st.floats(0.001, 10.0))
    max_delay = draw(st.floats(initial_delay, 600.0))
    multiplier = draw(st.one_of(st.just(1.0), st.floats(1.0, 10.0), st.floats(1.0, 1e6)))
    return BackoffPolicy(
        initial_delay=initial_delay,
        max_delay=max_delay,
        multiplier=multiplier,
        max_retries=None,
        jitter=draw(jitter if jitter is not None else st.sampled_from(list(Jitter))),
    )


seeds = st.integers(0, 2**64)
counts = st.integers(1, 60)


def run_schedule(policy: BackoffPolicy, seed: int, count: int) -> list[float]:
    backoff = Backoff(policy, random.Random(seed))
    delays = [backoff.next_delay() for _ in range(count)]
    assert None not in delays
    return delays  # type: ignore[return-value]


@given(policy=policies(st.just(Jitter.NONE)), count=counts)
def test_no_jitter_is_exactly_the_ceiling(policy: BackoffPolicy, count: int) -> None:
    for failures, delay in enumerate(run_schedule(policy, 0, count), start=1):
        assert delay == policy.ceiling(failures)
        assert delay == pytest.approx(reference_ceiling(policy, failures), rel=1e-9)


@given(policy=policies(st.just(Jitter.FULL)), seed=seeds, count=counts)
def test_full_jitter_lies_between_zero_and_the_ceiling(
    policy: BackoffPolicy, seed: int, count: int
) -> None:
    for failures, delay in enumerate(run_schedule(policy, seed, count), start=1):
        assert 0.0 <= delay <= policy.ceiling(failures)


@given(policy=policies(st.just(Jitter.EQUAL)), seed=seeds, count=counts)
def test_equal_jitter_lies_between_half_the_ceiling_and_the_ceiling(
    policy: BackoffPolicy, seed: int, count: int
) -> None:
    for failures, delay in enumerate(run_schedule(policy, seed, count), start=1):
        ceiling = policy.ceiling(failures)
        assert ceiling / 2 <= delay <= ceiling


@given(policy=policies(st.just(Jitter.DECORRELATED)), seed=seeds, count=counts)
def test_decorrelated_jitter_lies_between_the_start_and_three_times_the_last_wait(
    policy: BackoffPolicy, seed: int, count: int
) -> None:
    previous = policy.initial_delay
    for delay in run_schedule(policy, seed, count):
        assert policy.initial_delay <= delay <= min(policy.max_delay, 3 * previous)
        previous = delay


@given(policy=policies(), seed=seeds, count=counts)
def test_no_delay_is_ever_negative_or_above_the_cap(
    policy: BackoffPolicy, seed: int, count: int
) -> None:
    for delay in run_schedule(policy, seed, count):
        assert isinstance(delay, float)
        assert 0.0 <= delay <= policy.max_delay


@given(policy=policies(), seed=seeds, failures=st.integers(1, 10**12), previous=st.floats(0, 1e6))
def test_a_single_delay_at_any_failure_count_stays_within_the_cap(
    policy: BackoffPolicy, seed: int, failures: int, previous: float
) -> None:
    delay = policy.delay(failures, max(previous, policy.initial_delay), random.Random(seed))
    assert math.isfinite(delay)
    assert 0.0 <= delay <= policy.max_delay


@given(policy=policies(), seed=seeds)
def test_the_same_seed_gives_the_same_schedule(policy: BackoffPolicy, seed: int) -> None:
    first = run_schedule(policy, seed, 30)
    assert run_schedule(policy, seed, 30) == first
    assert list(itertools.islice(policy.delays(random.Random(seed)), 30)) == first


@given(policy=policies(), failures=st.integers(1, 200))
def test_the_ceiling_never_falls_and_never_passes_the_cap(
    policy: BackoffPolicy, failures: int
) -> None:
    assert policy.ceiling(failures) <= policy.ceiling(failures + 1) <= policy.max_delay


def test_different_seeds_give_different_jittered_schedules() -> None:
    policy = BackoffPolicy(jitter="full", max_retries=None)
    assert run_schedule(policy, 1, 20) != run_schedule(policy, 2, 20)


def sample_mean(policy: BackoffPolicy, failures: int, samples: int = 20_000) -> float:
    rng = random.Random(1234)
    return statistics.mean(policy.delay(failures, None, rng) for _ in range(samples))


def test_each_jitter_strategy_has_its_own_average() -> None:
    """At the 4th failure the ceiling is 8 s: none waits 8, equal ~6, full ~4, decorrelated ~2.

    Decorrelated jitter starting from 1 s draws uniformly from [1, 3], whatever the count.
    """
    common = {"initial_delay": 1.0, "max_delay": 100.0, "max_retries": None}
    means = {
        jitter: sample_mean(BackoffPolicy(jitter=jitter, **common), failures=4)  # type: ignore[arg-type]
        for jitter in Jitter
    }
    assert means[Jitter.NONE] == 8.0
    assert means[Jitter.EQUAL] == pytest.approx(6.0, abs=0.05)
    assert means[Jitter.FULL] == pytest.approx(4.0, abs=0.1)
    assert means[Jitter.DECORRELATED] == pytest.approx(2.0, abs=0.05)


def test_full_jitter_spreads_over_the_whole_range_and_equal_over_the_upper_half() -> None:
    rng = random.Random(99)
    full = BackoffPolicy(initial_delay=1.0, max_delay=1.0, jitter="full")
    equal = BackoffPolicy(initial_delay=1.0, max_delay=1.0, jitter="equal")
    full_samples = [full.delay(1, None, rng) for _ in range(5_000)]
    equal_samples = [equal.delay(1, None, rng) for _ in range(5_000)]
    assert min(full_samples) < 0.01 and max(full_samples) > 0.99
    assert min(equal_samples) >= 0.5 and min(equal_samples) < 0.51
    assert sum(d < 0.5 for d in full_samples) == pytest.approx(2_500, abs=150)


# --- the running state ----------------------------------------------------------------------


def test_next_delay_counts_the_failures() -> None:
    backoff = Backoff(BackoffPolicy())
    assert backoff.failures == 0 and backoff.previous is None
    assert backoff.next_delay() == 0.1
    assert backoff.next_delay() == 0.2
    assert backoff.failures == 2 and backoff.previous == 0.2


def test_reset_starts_the_schedule_from_the_beginning() -> None:
    backoff = Backoff(BackoffPolicy(max_retries=3))
    assert [backoff.next_delay() for _ in range(4)] == [0.1, 0.2, 0.4, None]
    backoff.reset()
    assert backoff.failures == 0 and backoff.previous is None
    assert [backoff.next_delay() for _ in range(4)] == [0.1, 0.2, 0.4, None]


def test_reset_restarts_decorrelated_jitter_from_the_initial_delay() -> None:
    policy = BackoffPolicy(initial_delay=1.0, max_delay=1000.0, jitter="decorrelated")
    backoff = Backoff(policy, random.Random(3))
    for _ in range(8):
        backoff.next_delay()
    backoff.reset()
    first = backoff.next_delay()
    assert first is not None and 1.0 <= first <= 3.0


def test_at_least_raises_the_delay_to_a_floor_but_never_lowers_it() -> None:
    backoff = Backoff(BackoffPolicy())
    assert backoff.next_delay(at_least=5.0) == 5.0  # 0.1 raised to the floor
    assert backoff.next_delay(at_least=0.05) == 0.2  # a lower floor changes nothing
    assert backoff.next_delay() == 0.4  # the floor did not change the schedule itself
    assert backoff.next_delay(at_least=60.0) == 60.0  # a server may ask for more than the cap


def test_at_least_does_not_postpone_giving_up() -> None:
    backoff = Backoff(BackoffPolicy(max_retries=1))
    assert backoff.next_delay(at_least=3.0) == 3.0
    assert backoff.next_delay(at_least=3.0) is None


def test_a_loss_after_a_healthy_spell_resets_the_schedule() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    for _ in range(4):
        backoff.next_delay()
    backoff.connected(200.0)
    assert backoff.lost(205.0) is True  # up for exactly healthy_after: healthy
    assert backoff.failures == 0
    assert backoff.next_delay() == 0.1


def test_a_loss_after_a_short_spell_keeps_the_schedule() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    for _ in range(4):
        backoff.next_delay()
    backoff.connected(100.0)
    assert backoff.lost(104.9) is False
    assert backoff.failures == 4
    assert backoff.next_delay() == 1.6


def test_a_loss_without_a_connection_resets_nothing() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    backoff.next_delay()
    assert backoff.lost(1000.0) is False
    assert backoff.failures == 1


def test_each_loss_needs_its_own_connection() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    backoff.connected(0.0)
    backoff.next_delay()
    assert backoff.lost(10.0) is True
    backoff.next_delay()
    assert backoff.lost(100.0) is False  # the earlier connection does not count twice
    assert backoff.failures == 1


def test_the_latest_connection_is_the_one_that_counts() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    backoff.next_delay()
    backoff.connected(0.0)
    backoff.connected(8.0)
    assert backoff.lost(10.0) is False  # up since 8.0: only 2 s
    assert backoff.failures == 1


def test_healthy_after_zero_resets_on_every_loss() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=0.0))
    backoff.next_delay()
    backoff.connected(3.0)
    assert backoff.lost(3.0) is True
    assert backoff.failures == 0
