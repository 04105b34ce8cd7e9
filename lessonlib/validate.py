"""Checks of configuration values, each raising ValueError that names the field and the value.

One place for "a finite number greater than 0", "an integer of at least 1" and the like, so
that every setting of the library is refused in the same words.
"""

from __future__ import annotations

import math


def number(
    name: str,
    value: object,
    *,
    above: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """``value`` as a float: finite, greater than ``above``, within ``minimum``..``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if above is not None and not value > above:
        raise ValueError(f"{name} must be greater than {above:g}, got {value!r}")
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
        raise ValueError(f"{name} must be at least {minimum:g}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {value!r}")
    return float(value)


def positive(name: str, value: object) -> float:
    """A finite number greater than 0: an interval, a rate, a timeout."""
    return number(name, value, above=0)


def seconds(name: str, value: object) -> float:
    """A finite duration that is not negative (0 allowed: no delay)."""
    return number(name, value, minimum=0)


def probability(name: str, value: object) -> float:
    """A probability: a number from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
    return float(value)


def integer(name: str, value: object, *, minimum: int = 0) -> int:
    """A whole number (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer of at least {minimum}"
        )
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value
