"""Reading a network's record: the waits between connection attempts, and the connection
states a client should have logged. Pure functions of what the check saw."""

from __future__ import annotations

from collections.abc import Sequence

from ..i18n import tr
from .network import Attempt

STATES = ("connecting", "connected", "disconnected")


def waits(attempts: Sequence[Attempt], after: float, until: float) -> list[float]:
    """The waits before each attempt made in ``(after, until]``: from the previous failure
    (a failed attempt, or the end of a connection) to the attempt."""
    result = []
    failed_at: float | None = after
    for attempt in attempts:
        if attempt.at <= after:
            failed_at = _failure_time(attempt, after)
            continue
        if attempt.at > until:
            break
        if failed_at is not None:
            result.append(attempt.at - failed_at)
        failed_at = _failure_time(attempt, until)
    return result


def _failure_time(attempt: Attempt, limit: float) -> float | None:
    if attempt.wire is None:
        return attempt.at
    ended = attempt.wire.ended_at
    return ended if ended is not None and ended <= limit else None


def opened_after(attempts: Sequence[Attempt], moment: float) -> Attempt | None:
    """The first attempt at or after ``moment`` that opened a connection."""
    return next((a for a in attempts if a.wire is not None and a.at >= moment), None)


def expected_states(attempts: Sequence[Attempt], end: float) -> list[tuple[float, str]]:
    """The states a client should log: connecting before every attempt, then connected or
    disconnected, and disconnected when an open connection ends."""
    moments: list[tuple[float, int, str]] = []
    for index, attempt in enumerate(attempts):
        moments.append((attempt.at, 3 * index, "connecting"))
        if attempt.wire is None:
            moments.append((attempt.at, 3 * index + 1, "disconnected"))
        else:
            moments.append((attempt.at, 3 * index + 1, "connected"))
            if attempt.wire.ended_at is not None and attempt.wire.ended_at <= end:
                moments.append((attempt.wire.ended_at, 3 * index + 2, "disconnected"))
    moments.sort()
    return collapse([(t, state) for t, _, state in moments])


def collapse(states: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """Consecutive repeats of one state are one state: only changes count."""
    result: list[tuple[float, str]] = []
    for moment in states:
        if not result or result[-1][1] != moment[1]:
            result.append(moment)
    return result


def unwelcomed(attempts: Sequence[Attempt], within: float) -> frozenset[float]:
    """When connections opened that ended within ``within`` seconds: a client that logs
    "connected" at the exchange's ``welcome`` may have logged them as failed attempts."""
    return frozenset(
        a.at
        for a in attempts
        if a.wire is not None
        and a.wire.ended_at is not None
        and a.wire.ended_at - a.wire.opened_at <= within
    )


def compare_states(
    expected: Sequence[tuple[float, str]],
    logged: Sequence[tuple[float, str]],
    optional: frozenset[float] = frozenset(),
) -> str | None:
    """None when the log follows the expected changes (the last one may still be on its way
    when the check stops); else where it first differs. A "connected" at a time in
    ``optional`` may be missing."""
    logged = list(logged)
    expected = _without_skipped(expected, logged, optional)
    if (
        logged
        and logged[0][1] == "disconnected"
        and (not expected or expected[0][1] != logged[0][1])
    ):
        logged = logged[1:]  # "disconnected" as the starting state is fine
    for index, (at, state) in enumerate(expected):
        if index >= len(logged):
            if index >= len(expected) - 1:
                return None
            return tr(
                "at {at:.1f} s the state became '{state}', but the log ends before that "
                "(it has {logged} changes, {happened} happened)",
                at=at,
                state=state,
                logged=len(logged),
                happened=len(expected),
            )
        if logged[index][1] != state:
            before = " → ".join(s for _, s in expected[max(0, index - 3) : index]) or tr("(start)")
            return tr(
                "after {before}: at {at:.1f} s the state became '{state}', but the log says "
                "'{logged}' (logged at {logged_at:.1f} s)",
                before=before,
                at=at,
                state=state,
                logged=logged[index][1],
                logged_at=logged[index][0],
            )
    if len(logged) > len(expected) + 1:
        at, state = logged[len(expected)]
        return tr(
            "the log has '{state}' at {at:.1f} s, when the state did not change", state=state, at=at
        )
    return None


def _without_skipped(
    expected: Sequence[tuple[float, str]],
    logged: Sequence[tuple[float, str]],
    optional: frozenset[float],
) -> list[tuple[float, str]]:
    """``expected`` less each optional "connected" that the log went without."""
    if not optional:
        return list(expected)
    result: list[tuple[float, str]] = []
    position = 1 if logged and logged[0][1] == "disconnected" and expected[:1] != logged[:1] else 0
    for at, state in expected:
        here = logged[position][1] if position < len(logged) else None
        skippable = state == "connected" and at in optional and here == "disconnected"
        if skippable and result and result[-1][1] == "connecting":
            continue
        result.append((at, state))
        position += 1
    return collapse(result)
