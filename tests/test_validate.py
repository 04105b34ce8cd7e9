"""The one set of configuration checks: every setting refused in the same words, naming the
field and the value; and a breaker configured by a `BreakerConfig` or by its fields."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib import validate
from lessonlib.breaker import BreakerConfig, CircuitBreaker


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: validate.positive("tick_rate", v), 0, "tick_rate must be greater than 0, got 0"),
        (lambda v: validate.positive("tick_rate", v), math.nan, "must be a finite number"),
        (lambda v: validate.positive("tick_rate", v), True, "must be a finite number, got True"),
        (lambda v: validate.positive("tick_rate", v), "5", "must be a finite number, got '5'"),
        (lambda v: validate.seconds("delay", v), -0.5, "delay must not be negative, got -0.5"),
        (lambda v: validate.seconds("delay", v), math.inf, "delay must be a finite number"),
        (lambda v: validate.number("m", v, minimum=1), 0.5, "m must be at least 1, got 0.5"),
        (lambda v: validate.number("r", v, above=0, maximum=1), 1.5, "r must be at most 1"),
        (lambda v: validate.probability("p", v), -0.1, "p must be a probability between 0 and 1"),
        (lambda v: validate.integer("count", v), -1, "count must be a non-negative integer"),
        (lambda v: validate.integer("count", v), 2.0, "count must be a non-negative integer"),
        (lambda v: validate.integer("n", v, minimum=1), 0, "n must be a positive integer, got 0"),
        (lambda v: validate.integer("n", v, minimum=2), 1, "n must be an integer of at least 2"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_the_value(
    check: object, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        check(value)  # type: ignore[operator]


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False) | st.integers(0, 10**12))
def test_a_good_value_comes_back_as_the_same_number(value: float) -> None:
    assert validate.seconds("delay", value) == value
    assert isinstance(validate.seconds("delay", value), float)


@given(st.integers(1, 10**9))
def test_an_integer_setting_comes_back_unchanged(value: int) -> None:
    assert validate.integer("count", value, minimum=1) == value


def test_a_breaker_takes_a_config_or_its_fields_not_both() -> None:
    config = BreakerConfig(failure_threshold=5, reset_timeout=2.0)
    assert CircuitBreaker(config=config).config is config
    assert CircuitBreaker(5, 2.0).config == config
    assert CircuitBreaker(failure_threshold=5, reset_timeout=2.0).config == config
    with pytest.raises(ValueError, match="config and its fields given both: failure_threshold"):
        CircuitBreaker(config=config, failure_threshold=3)
    with pytest.raises(ValueError, match="window_size must be a positive integer, got 0"):
        CircuitBreaker(window_size=0)
