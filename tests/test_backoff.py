"""The backoff policy and its running state: exact schedules, caps, jitter bounds, validation."""

from __future__ import annotations

import dataclasses
import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonlib.backoff import Backoff, BackoffPolicy, Jitter


def test_the_lessons_defaults_double_from_a_tenth_of_a_second_to_the_cap() -> None:
    policy = BackoffPolicy()
    assert (policy.initial_delay, policy.max_delay, policy.multiplier) == (0.1, 30.0, 2.0)
    assert (policy.max_retries, policy.jitter) == (10, Jitter.NONE)
    assert list(policy.delays()) == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]
    )


def test_max_retries_counts_the_waits_and_none_retries_forever() -> None:
    assert list(BackoffPolicy(max_retries=0).delays()) == []
    assert len(list(BackoffPolicy(max_retries=3).delays())) == 3
    forever = BackoffPolicy(max_retries=None).delays()
    assert [next(forever) for _ in range(1000)][-1] == 30.0


@pytest.mark.parametrize("multiplier", [1.0000001, 1.5, 2.0, 10.0, 1e6, 1e300])
@pytest.mark.parametrize("failures", [10_000, 10**9, 10**18])
def test_huge_failure_counts_give_the_cap_without_overflow(
    multiplier: float, failures: int
) -> None:
    policy = BackoffPolicy(max_delay=30.0, multiplier=multiplier, max_retries=None)
    delay = policy.delay(failures, None, random.Random(0))
    growth = (failures - 1) * math.log(multiplier)  # log of multiplier**(failures - 1)
    expected = 30.0 if growth > math.log(300) else 0.1 * math.exp(growth)
    assert math.isfinite(delay)
    assert delay == pytest.approx(expected)


def test_the_ten_thousandth_retry_of_a_policy_that_never_gives_up_waits_the_cap() -> None:
    backoff = Backoff(BackoffPolicy(max_retries=None))
    delays = [backoff.next_delay() for _ in range(10_000)]
    assert delays[-1] == 30.0
    assert backoff.failures == 10_000


def test_a_multiplier_of_one_is_a_fixed_delay() -> None:
    assert set(BackoffPolicy(initial_delay=2.0, multiplier=1.0).delays()) == {2.0}


def test_jitter_accepts_its_name_or_the_enum_and_the_policy_is_frozen() -> None:
    assert BackoffPolicy(jitter="full").jitter is Jitter.FULL
    assert BackoffPolicy(jitter=Jitter.EQUAL).jitter is Jitter.EQUAL
    with pytest.raises(dataclasses.FrozenInstanceError):
        BackoffPolicy().max_delay = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "field", "value"),
    [
        ({"initial_delay": 0}, "initial_delay", "0"),
        ({"initial_delay": -0.5}, "initial_delay", "-0.5"),
        ({"initial_delay": float("nan")}, "initial_delay", "nan"),
        ({"initial_delay": float("inf")}, "initial_delay", "inf"),
        ({"initial_delay": "0.1"}, "initial_delay", "'0.1'"),
        ({"max_delay": 0}, "max_delay", "0"),
        ({"max_delay": 0.05}, "max_delay", "0.05"),
        ({"multiplier": 0.5}, "multiplier", "0.5"),
        ({"multiplier": float("nan")}, "multiplier", "nan"),
        ({"max_retries": -1}, "max_retries", "-1"),
        ({"max_retries": 2.5}, "max_retries", "2.5"),
        ({"max_retries": True}, "max_retries", "True"),
        ({"jitter": "random"}, "jitter", "'random'"),
        ({"healthy_after": -1.0}, "healthy_after", "-1.0"),
    ],
)
def test_bad_configuration_names_the_field_and_the_value(
    settings: dict[str, object], field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=rf"{field}.*{value}") as raised:
        BackoffPolicy(**settings)  # type: ignore[arg-type]
    assert str(raised.value).startswith(field)


policies = st.builds(
    BackoffPolicy,
    initial_delay=st.floats(0.001, 10.0),
    max_delay=st.floats(10.0, 600.0),
    multiplier=st.floats(1.0, 5.0),
    max_retries=st.none(),
    jitter=st.sampled_from(list(Jitter)),
)


@given(policy=policies, seed=st.integers(0, 2**32), count=st.integers(1, 60))
def test_every_delay_lies_within_its_strategys_bounds(
    policy: BackoffPolicy, seed: int, count: int
) -> None:
    backoff = Backoff(policy, random.Random(seed))
    previous: float | None = None
    for failures in range(1, count + 1):
        delay = backoff.next_delay()
        assert delay is not None
        ceiling = policy.ceiling(failures)
        assert 0.0 <= delay <= policy.max_delay
        match policy.jitter:
            case Jitter.NONE:
                assert delay == ceiling
            case Jitter.FULL:
                assert delay <= ceiling
            case Jitter.EQUAL:
                assert ceiling / 2 <= delay <= ceiling
            case Jitter.DECORRELATED:
                last = policy.initial_delay if previous is None else previous
                assert policy.initial_delay <= delay <= min(policy.max_delay, 3 * last)
        previous = delay


@given(policy=policies, seed=st.integers(0, 2**32))
def test_the_same_seed_gives_the_same_schedule(policy: BackoffPolicy, seed: int) -> None:
    first = Backoff(policy, random.Random(seed))
    second = Backoff(policy, random.Random(seed))
    assert [first.next_delay() for _ in range(30)] == [second.next_delay() for _ in range(30)]


@settings(max_examples=50)
@given(policy=policies, failures=st.integers(1, 40))
def test_the_ceiling_never_falls_as_failures_grow(policy: BackoffPolicy, failures: int) -> None:
    assert policy.ceiling(failures) <= policy.ceiling(failures + 1) <= policy.max_delay


def test_full_jitter_averages_half_the_ceiling_and_equal_jitter_three_quarters() -> None:
    rng = random.Random(42)
    full = BackoffPolicy(initial_delay=1.0, max_delay=1.0, jitter="full")
    equal = BackoffPolicy(initial_delay=1.0, max_delay=1.0, jitter="equal")
    assert statistics.mean(full.delay(1, None, rng) for _ in range(20_000)) == pytest.approx(
        0.5, abs=0.01
    )
    assert statistics.mean(equal.delay(1, None, rng) for _ in range(20_000)) == pytest.approx(
        0.75, abs=0.01
    )


def test_reset_starts_the_schedule_again_and_a_floor_lengthens_one_wait() -> None:
    backoff = Backoff(BackoffPolicy())
    assert [backoff.next_delay() for _ in range(3)] == pytest.approx([0.1, 0.2, 0.4])
    backoff.reset()
    assert backoff.next_delay() == 0.1
    assert backoff.next_delay(at_least=5.0) == 5.0
    assert backoff.next_delay(at_least=0.1) == pytest.approx(0.4)


def test_only_a_healthy_spell_resets_the_schedule() -> None:
    backoff = Backoff(BackoffPolicy(healthy_after=5.0))
    for _ in range(4):
        backoff.next_delay()
    assert not backoff.lost(100.0)  # lost without ever connecting: nothing to reset
    backoff.connected(100.0)
    assert not backoff.lost(104.9)  # up for 4.9 s: not healthy
    assert backoff.failures == 4
    backoff.connected(200.0)
    assert backoff.lost(205.0)  # up for 5 s: healthy
    assert backoff.failures == 0 and backoff.next_delay() == 0.1


def test_delay_refuses_a_failure_count_below_one() -> None:
    with pytest.raises(ValueError, match="failures must be at least 1, got 0"):
        BackoffPolicy().delay(0, None, random.Random())
