"""Task 1, basic reconnect: a client for one symbol that reconnects by itself with
exponential backoff capped at 30 s and logs every change of connection state.

The scenario (about 20 simulated minutes, its times drawn from the seed): a first connection;
a drop followed by an outage of eight to ten minutes (connections refused, then answered 503);
five healthy spells, each ended by a drop and one refused attempt: the first just over 10 s
(the backoff must reset), the others of a minute or more, one of them with a quiet of 4.2 s
(less than the 5 s that make a connection dead); a clean close (1001); a stall of a minute in
which the exchange sends nothing at all; two minutes in which the exchange accepts every
connection and drops it at once (no healthy spell: the waits must keep growing), then two and a
half in which it drops each connection after just under 10 s (still no healthy spell); then the
client is cancelled and must stop.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Text, tr
from .harness import Scenario, construct, ended, find_class, not_reached
from .report import Check
from .sandbox import BlockingCall
from .stage import ClientRecord, Stage, client_root_cause
from .timeline import (
    STATES,
    collapse,
    compare_states,
    expected_states,
    opened_after,
    unwelcomed,
    waits,
)

TITLE = Text("Task 1: basic reconnect")
STUDENT_CLASSES = ("FeedClient",)
# What lessonlib already solves this task with: the homework asks for the student's own.
LIBRARY_SOLUTIONS = (
    "PriceFeedClient",
    "connect_with_retry",
    "keep_connected",
    "Backoff",
    "BackoffPolicy",
)
SYMBOL = "BTC/USDT"
PRICE_KINDS = ("snapshot", "ticker")  # what must reach on_price
CAP = 30.0
SLACK = 0.05  # seconds of tolerance on the cap
RESET_LIMIT = 10.0  # the longest wait that still counts as "back near the initial delay"
SILENCE = 5.0  # seconds with nothing received that make a connection dead (the task's rule)
SILENCE_LIMIT = SILENCE + 1.0  # the last heartbeat may have come up to a second before the stall
GROWTH = 3.0  # the longest wait of an outage against its first (the cap is 5x the initial)
INITIAL_RANGE = (0.1, 2.0)  # the task's bounds on the first wait
MULTIPLIER_RANGE = (1.5, 3.0)  # the task's bounds on the growth after each failure
STEADY_RATIO = 0.05  # waits whose ratios agree this closely have no jitter: judge the multiplier
FLAPPING = 120.0  # seconds of an exchange that accepts every connection and drops it at once
FLAP_WAIT = 8.0  # a wait at least this long must come while connections are dropped at once
HEALTHY = 10.0  # seconds up that make a healthy spell (the task's rule)
# How long each healthy spell lasts (drawn in this range): the first just over HEALTHY, so that
# a client that wants longer is seen not to reset; its half second of margin covers a client
# that counts from the welcome frame or the first price.
SPELL_LENGTHS = ((10.6, 10.9), (60.0, 90.0), (60.0, 90.0), (60.0, 90.0), (60.0, 90.0))
# Attempts refused after each spell's drop: none after the first, so that a client that does
# not reset (and waits the cap) is back within 45 s and is told of the reset it missed.
REFUSED_AFTER = (0, 1, 1, 1, 1)
QUIET_SPELL = 1  # the spell with a quiet in it, QUIET_AT seconds after it began
QUIET_AT = 20.0
# Seconds the exchange sends nothing in that spell: with frames every half second, at most
# 4.7 s with nothing received, short of SILENCE: the connection is alive.
QUIET = 4.2
# Waits that stay within this many times the client's own waits right after a reset (those
# after the healthy spells' drops, at most the 2 s an initial delay may be) are a reset.
RESET_LIKE = 1.5
SHORT_SPELL = (9.0, 9.4)  # after the flapping, each connection dropped after this long ...
SHORT_SPELLS = 150.0  # ... for this many seconds: no healthy spell, no reset


@dataclass(slots=True)
class Observed(ClientRecord):
    """Everything the scenario saw; the judgements read only this."""

    logs: list[tuple[float, Any]] = field(default_factory=list)
    prices: list[tuple[float, Any]] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    spell_drops: list[float] = field(default_factory=list)


def scenario(namespace: Mapping[str, Any], seed: int) -> tuple[Scenario, Observed]:
    """The coroutine function the sandbox runs (the student's client against the script), and
    the record it fills, which stays readable when a run is cut short."""
    client_class = find_class(namespace, "FeedClient", {"run": True})

    def client(connect: Any, on_price: Any, log_state: Any) -> Callable[[], Awaitable[Any]]:
        return construct(client_class, connect, SYMBOL, on_price, log_state).run

    return script(seed, client)


# The client as `far_scenario` has a kernel build it: its class, methods and arguments.
FAR_CLIENT = {
    "class": "FeedClient",
    "methods": {"run": True},
    "args": [{"far": "connect"}, SYMBOL, {"far": "on_price"}, {"far": "log_state"}],
}


def script(
    seed: int, client: Callable[..., Callable[[], Awaitable[Any]]]
) -> tuple[Scenario, Observed]:
    """The scenario's own side, with ``client(connect, on_price, log_state)`` giving the
    student's ``run`` (built here, or in the student's kernel when the grader holds this)."""
    seen = Observed()

    async def main() -> None:
        rng = random.Random(seed)
        loop = asyncio.get_running_loop()

        def log_state(state: Any) -> None:
            seen.logs.append((loop.time(), state))

        def on_price(message: Any) -> None:
            seen.prices.append((loop.time(), message))

        async with Stage(seed, seen) as stage:
            network, exchange = stage.network, stage.exchange
            stage.play(client(network.connect, on_price, log_state))
            await network.wait_opened(0.0, 5.0)
            await asyncio.sleep(rng.uniform(15, 25) - loop.time())
            outage = rng.uniform(480, 600)
            seen.marks["outage"] = loop.time()
            network.down = "refused"
            network.drop_all(exchange.drop)
            await asyncio.sleep(outage / 2)
            network.down = "503"
            await asyncio.sleep(outage / 2)
            network.down = None
            seen.marks["outage_end"] = loop.time()
            await network.wait_opened(loop.time(), 45.0)
            for spell, (shortest, longest) in enumerate(SPELL_LENGTHS):
                length = rng.uniform(shortest, longest)
                if spell == QUIET_SPELL:
                    await asyncio.sleep(QUIET_AT)
                    seen.marks["quiet"] = loop.time()
                    exchange.stall(QUIET)
                    length -= QUIET_AT
                await asyncio.sleep(length)
                seen.spell_drops.append(loop.time())
                network.refuse_next = REFUSED_AFTER[spell]
                network.drop_all(exchange.drop)
                await network.wait_opened(loop.time(), 45.0)
            await asyncio.sleep(rng.uniform(20, 40))
            seen.marks["clean_close"] = loop.time()
            network.drop_all(lambda: exchange.close(1001, "going away"))
            await network.wait_opened(loop.time(), 45.0)
            await asyncio.sleep(rng.uniform(20, 40))
            seen.marks["stall"] = loop.time()
            exchange.stall(60.0)
            await asyncio.sleep(75.0)
            await network.wait_opened(seen.marks["stall"], 45.0)
            await asyncio.sleep(rng.uniform(20, 30))
            seen.marks["flapping"] = loop.time()
            network.accept_and_drop = True
            network.drop_all(exchange.drop)
            await asyncio.sleep(FLAPPING)
            seen.marks["flapping_end"] = seen.marks["short_spells"] = loop.time()
            network.accept_and_drop = False
            network.drop_after = rng.uniform(*SHORT_SPELL)
            await asyncio.sleep(SHORT_SPELLS)
            seen.marks["short_spells_end"] = loop.time()
            network.drop_after = None
            await network.wait_opened(loop.time(), 45.0)
            await asyncio.sleep(rng.uniform(5, 10))

    return main, seen


# -- judgements: each returns None when right, else what the code did -------------------------


def _first_connection(seen: Observed) -> str | None:
    opened = [a for a in seen.attempts if a.wire is not None]
    if not seen.attempts:
        return tr("it never called connect()") + ended(seen.ending)
    if not opened or opened[0].at > 5.0:
        return tr("no connection in the first 5 s ({count} attempts)", count=len(seen.attempts))
    end = seen.marks.get("outage", seen.end)
    first = [m for t, m in seen.prices if t <= end]
    if not first:
        return tr(
            "connected, but on_price was never called: subscribe to {symbol} on the new "
            "connection and pass each ticker on",
            symbol=SYMBOL,
        )
    wrong = [m for m in first if not isinstance(m, dict)]
    if wrong:
        return tr(
            "on_price got a {kind} ({value}); pass the parsed message, a dict (json.loads)",
            kind=type(wrong[0]).__name__,
            value=_short(wrong[0]),
        )
    kinds = {str(m.get("type")) for m in first}
    missing = [kind for kind in PRICE_KINDS if kind not in kinds]
    if missing:
        return tr(
            "on_price got {kinds} messages but no {missing}: the exchange sends a snapshot "
            "after each subscription, then tickers; pass both on",
            kinds=", ".join(sorted(kinds)),
            missing=" / ".join(missing),
        )
    return None


def _through_outage(seen: Observed) -> str | None:
    start, end = seen.marks.get("outage"), seen.marks.get("outage_end")
    if start is None or end is None:
        return not_reached(seen.ending)
    if seen.ending is not None and seen.ending.at < end + CAP:
        return tr(
            "it gave up during a {length:.0f} s outage: {ending}",
            length=end - start,
            ending=seen.ending.describe(),
        )
    back = opened_after(seen.attempts, end)
    if back is None:
        tried = [a.at for a in seen.attempts if start < a.at <= end]
        last = tr("; its last attempt was at {at:.1f} s", at=tried[-1]) if tried else ""
        return tr(
            "the exchange was back at {end:.1f} s but the client never reconnected{last}",
            end=end,
            last=last,
        )
    if back.at > end + CAP + SLACK:
        return tr(
            "the exchange was back at {end:.1f} s and the client reconnected only at "
            "{at:.1f} s, {late:.1f} s later",
            end=end,
            at=back.at,
            late=back.at - end,
        )
    if not any(t >= back.at for t, _ in seen.prices):
        return tr(
            "it reconnected at {at:.1f} s but no price came after that: subscribe again on "
            "every new connection",
            at=back.at,
        )
    return None


def _outage_waits(seen: Observed) -> list[float]:
    start, end = seen.marks.get("outage"), seen.marks.get("outage_end")
    if start is None or end is None:
        return []
    back = opened_after(seen.attempts, end)
    return waits(seen.attempts, start, back.at if back else seen.end)


def _no_busy_loop(seen: Observed) -> str | None:
    if seen.ending is not None and isinstance(seen.ending.error, BlockingCall):
        return tr("it waited with time.sleep: {ending}", ending=seen.ending.describe())
    if seen.flooded_at is not None:
        before = [a for a in seen.attempts if a.at >= seen.flooded_at - 1.0]
        return tr(
            "a busy loop: {count:,} connection attempts, {last:,} of them in the last simulated "
            "second before {at:.1f} s; the check stopped it",
            count=len(seen.attempts),
            last=len(before),
            at=seen.flooded_at,
        )
    gaps = _outage_waits(seen)
    if len(gaps) >= 5 and statistics.median(gaps) < 0.05:
        return tr(
            "it hardly waits: {count} attempts during the outage, median wait {median:.1f} ms",
            count=len(gaps),
            median=statistics.median(gaps) * 1000,
        )
    return None


def _grows(seen: Observed) -> str | None:
    gaps = _outage_waits(seen)
    if seen.flooded_at is not None:
        return tr("the waits could not be measured: the client never waited")
    if len(gaps) < 4:
        return tr(
            "{count} attempt(s) in all during a {length:.0f} s outage",
            count=len(gaps),
            length=_outage_length(seen),
        )
    # Robust to any jitter: the longest wait must be well above the first (an immediate
    # retry, a wait of 0, does not count as one), since the cap leaves room for five times it.
    early = [gap for gap in gaps if gap > 0.001][:3]
    if not early or max(gaps) < GROWTH * early[0]:
        return tr(
            "a fixed delay: the waits were {waits}; they should grow (×1.5 to ×3 after each "
            "failure) up to the cap",
            waits=_list(gaps),
        )
    start, end = seen.marks.get("flapping"), seen.marks.get("flapping_end")
    flapping = waits(seen.attempts, start, end) if start is not None and end is not None else []
    return (
        initial_delay_problem(early, seen.marks["outage"])
        or multiplier_problem(gaps)
        or linear_problem([gap for gap in flapping if gap < CAP - SLACK])
    )


def initial_delay_problem(early: list[float], lost_at: float) -> str | None:
    """The first waits after a failure must start at 2 s or less (with jitter, below that)."""
    low, high = INITIAL_RANGE
    if min(early) > high + SLACK:
        return tr(
            "the first wait is too long: after the connection was lost at {at:.1f} s it "
            "waited {waits}; the task says start between {low:g} s and {high:g} s",
            at=lost_at,
            waits=_list(early),
            low=low,
            high=high,
        )
    return None


def multiplier_problem(gaps: list[float]) -> str | None:
    """Waits without jitter (each the same multiple of the one before) must grow ×1.5 to ×3."""
    growing = [gap for gap in gaps if gap < CAP - SLACK]
    linear = linear_problem(growing)
    if linear is not None:
        return linear
    ratios = [b / a for a, b in itertools.pairwise(growing) if a > 0.001]
    if len(ratios) < 3 or max(ratios) - min(ratios) > STEADY_RATIO * min(ratios):
        return None  # jittered (or too few to tell): the growth judgement above is the rule
    factor = sum(ratios) / len(ratios)
    low, high = MULTIPLIER_RANGE
    if low - STEADY_RATIO <= factor <= high + STEADY_RATIO:
        return None
    return tr(
        "each wait was ×{factor:.2f} the one before ({waits}); the task says multiply by "
        "{low:g} to {high:g} after each failure",
        factor=factor,
        waits=_list(growing),
        low=low,
        high=high,
    )


def linear_problem(growing: list[float]) -> str | None:
    """Waits that grow by adding, not multiplying: every step the same size (the first may
    differ, as it is measured from the loss). Only waits without jitter can show it: with
    jitter, a few steps of one size in a row happen by chance and prove nothing."""
    steps = [b - a for a, b in itertools.pairwise(growing)][1:]
    steady = len(steps) >= 3 and max(steps) - min(steps) <= STEADY_RATIO * min(steps)
    if steady and min(steps) > SLACK:
        return tr(
            "the waits grew by a fixed step of {step:.2f} s ({waits}): that is linear; the "
            "task says multiply by {low:g} to {high:g} after each failure",
            step=steps[0],
            waits=_list(growing),
            low=MULTIPLIER_RANGE[0],
            high=MULTIPLIER_RANGE[1],
        )
    return None


def _capped(seen: Observed) -> str | None:
    gaps = _outage_waits(seen)
    longest = max(gaps, default=0.0)
    if longest <= CAP + SLACK:
        return None
    growing = len(gaps) >= 2 and gaps[-1] > 1.2 * gaps[-2] and longest > 2 * CAP
    kind = tr("no cap: the waits kept growing") if growing else tr("a cap above 30 s")
    return tr(
        "{kind}: waits of {waits}; the longest {longest:.1f} s",
        kind=kind,
        waits=_list(gaps),
        longest=longest,
    )


def _reset(seen: Observed) -> str | None:
    judged_any = False
    for drop in seen.spell_drops:
        back = opened_after(seen.attempts, drop)
        if back is None:
            continue
        judged_any = True
        longest = max(waits(seen.attempts, drop, back.at), default=0.0)
        if longest > RESET_LIMIT:
            connected = _connected_before(seen, drop)
            return tr(
                "not reset: the connection dropped at {at:.1f} s after {connected:.1f} s "
                "connected, and it waited {longest:.1f} s before trying again (after a healthy "
                "spell the wait starts again near the initial delay, at most {limit:g} s)",
                at=drop,
                connected=connected,
                longest=longest,
                limit=RESET_LIMIT,
            )
    if not judged_any:
        return tr("it never reconnected after a drop, so there was no healthy spell to judge")
    return _reset_too_soon(seen)


def _reset_too_soon(seen: Observed) -> str | None:
    """Connections dropped just short of a healthy spell must not reset the backoff: waits
    that all stay within the initial delay's bound after them are a reset."""
    start, end = seen.marks.get("short_spells"), seen.marks.get("short_spells_end")
    if start is None or end is None:
        return None
    wires = [w for w in seen.wires if start <= w.opened_at and w.ended_by == "exchange"]
    gaps = [
        gap
        for wire in wires
        if wire.ended_at is not None and wire.ended_at < end
        for gap in waits(seen.attempts, wire.ended_at, end)[:1]
    ]
    if not _like_resets(seen, gaps):
        return None
    lasted = min(w.ended_at - w.opened_at for w in wires if w.ended_at is not None)
    return tr(
        "backoff reset after connections of {lasted:.1f} s: from {at:.1f} s the exchange "
        "dropped each connection {lasted:.1f} s after it opened, and each time the client "
        "waited at most {longest:.1f} s ({count} times), as after a healthy spell; a healthy "
        "spell is a connection up {healthy:g} s or more",
        lasted=lasted,
        at=start,
        longest=max(gaps),
        count=len(gaps),
        healthy=HEALTHY,
    )


def _no_reset_on_handshake(seen: Observed) -> str | None:
    start, end = seen.marks.get("flapping"), seen.marks.get("flapping_end")
    if start is None or end is None:
        return not_reached(seen.ending)
    gaps = waits(seen.attempts, start, end)
    if not gaps:
        return tr(
            "it made no attempt while the exchange accepted and dropped at once from {at:.1f} s",
            at=start,
        )
    if max(gaps) >= FLAP_WAIT or not _like_resets(seen, gaps):
        return None
    opened = sum(1 for a in seen.attempts if start < a.at <= end and a.wire is not None)
    return tr(
        "backoff reset on every handshake: from {at:.1f} s the exchange accepted each "
        "connection and dropped it at once, and the client reconnected {count} times in "
        "{length:.0f} s, never waiting more than {longest:.1f} s; a connection dropped at once "
        "is no healthy spell, so the waits must keep growing",
        at=start,
        count=opened,
        length=end - start,
        longest=max(gaps),
    )


def _stops_when_cancelled(seen: Observed) -> str | None:
    if seen.ignored_cancel:
        return tr(
            "run() was cancelled at {at:.1f} s and was still running 5 s later: it caught "
            "asyncio.CancelledError (an `except BaseException:` or a bare `except:`?); let it "
            "through",
            at=seen.end,
        )
    if seen.ending is not None:
        return tr("it ended before it was cancelled: {ending}", ending=seen.ending.describe())
    return None


def _after_drops(seen: Observed) -> str | None:
    if not seen.spell_drops:
        return not_reached(seen.ending)
    for drop in seen.spell_drops:
        back = opened_after(seen.attempts, drop)
        if back is None or back.at > drop + 45.0:
            if seen.ending is not None and seen.ending.at >= drop:
                return tr(
                    "after the drop at {at:.1f} s, {ending}", at=drop, ending=seen.ending.describe()
                )
            return tr(
                "the connection dropped at {at:.1f} s and it did not reconnect in 45 s", at=drop
            )
    return None


def _after_clean_close(seen: Observed) -> str | None:
    closed = seen.marks.get("clean_close")
    if closed is None:
        return not_reached(seen.ending)
    back = opened_after(seen.attempts, closed)
    if back is None or back.at > closed + 45.0:
        if seen.ending is not None and seen.ending.at >= closed:
            return tr(
                "the exchange closed the connection cleanly (1001) at {at:.1f} s and {ending}: a "
                "clean close is still a lost connection",
                at=closed,
                ending=seen.ending.describe(),
            )
        return tr(
            "the exchange closed cleanly (1001) at {at:.1f} s; no reconnect in 45 s", at=closed
        )
    return None


def _notices_silence(seen: Observed) -> str | None:
    stall = seen.marks.get("stall")
    if stall is None:
        return not_reached(seen.ending)
    closed = [
        w.ended_at for w in seen.wires if w.ended_by == "client" and (w.ended_at or 0) > stall
    ]
    tried = [a.at for a in seen.attempts if a.at > stall]
    # Closing the dead connection counts from the silence; a new attempt made without closing
    # it may come one initial delay later.
    in_time = any(t <= stall + SILENCE_LIMIT for t in closed) or any(
        t <= stall + SILENCE_LIMIT + INITIAL_RANGE[1] + SLACK for t in tried
    )
    if in_time:
        return _gave_up_alive(seen)
    acted = [t for t in closed + tried if t is not None]
    late = (
        tr(
            " (it acted only at {at:.1f} s, {late:.1f} s later)",
            at=min(acted),
            late=min(acted) - stall,
        )
        if acted
        else ""
    )
    return tr(
        "the exchange went silent at {at:.1f} s and the client stayed on the dead "
        "connection{late}: heartbeats come every second, so {silence:g} s with nothing "
        "received is a dead connection",
        at=stall,
        late=late,
        silence=SILENCE,
    )


def _gave_up_alive(seen: Observed) -> str | None:
    """A quiet shorter than the silence limit must leave the connection alone."""
    quiet = seen.marks.get("quiet")
    if quiet is None:
        return None
    until = quiet + QUIET + 1.0
    closed = [
        w.ended_at
        for w in seen.wires
        if w.ended_by == "client" and w.ended_at is not None and quiet < w.ended_at <= until
    ]
    tried = [a.at for a in seen.attempts if quiet < a.at <= until]
    if not closed and not tried:
        return None
    return tr(
        "it gave up a live connection: the exchange sent nothing for {quiet:.1f} s from "
        "{at:.1f} s, and the client {acted} at {when:.1f} s, {after:.1f} s into the quiet; "
        "only {silence:g} s with nothing received make a connection dead",
        quiet=QUIET,
        at=quiet,
        acted=tr("closed it") if closed else tr("connected again"),
        when=min(closed or tried),
        after=min(closed or tried) - quiet,
        silence=SILENCE,
    )


def _logs(seen: Observed) -> str | None:
    bad = [s for _, s in seen.logs if s not in STATES]
    if bad:
        return tr(
            "log_state({state!r}): the states are 'connecting', 'connected' and 'disconnected'",
            state=bad[0],
        )
    if not seen.logs:
        return tr("log_state was never called")
    expected = expected_states(seen.attempts, seen.end)
    optional = unwelcomed(seen.attempts, SILENCE_LIMIT)
    return compare_states(expected, collapse(seen.logs), optional)


root_cause = client_root_cause


def blocker(seen: Observed) -> str | None:
    """Why nothing can be judged, if the client never opened a connection."""
    if any(a.wire is not None for a in seen.attempts):
        return None
    if seen.ending is not None:
        return seen.ending.describe()
    if not seen.attempts:
        return tr("it never called connect()")
    return tr("it never opened a connection in {count} attempts", count=len(seen.attempts))


CHECKS = [
    Check(
        Text("connects and passes prices on"),
        1,
        _first_connection,
        Text(
            "connected within 5 s, each {symbol} price passed to on_price as a dict",
            symbol=SYMBOL,
        ),
    ),
    Check(
        Text("reconnects after a dropped connection"),
        1,
        _after_drops,
        Text("back within 45 s of each of five drops"),
    ),
    Check(
        Text("reconnects after a clean close"),
        1,
        _after_clean_close,
        Text("a close with code 1001 treated like any lost connection"),
    ),
    Check(
        Text("keeps trying through a long outage"),
        1,
        _through_outage,
        Text(
            "attempts all through an 8–10 minute outage; back within 30 s of its end, "
            "prices flowing again"
        ),
    ),
    Check(
        Text("waits between attempts"),
        1,
        _no_busy_loop,
        Text("an `await asyncio.sleep(...)` between failed attempts"),
    ),
    Check(
        Text("the waits grow exponentially"),
        1,
        _grows,
        Text("each wait 1.5 to 3 times the one before, from an initial delay of 0.1–2 s"),
    ),
    Check(Text("the waits are capped at 30 s"), 1, _capped, Text("no wait longer than 30 s")),
    Check(
        Text("backoff reset after a healthy spell"),
        1,
        _reset,
        Text(
            "after a connection up {healthy:g} s or more, waits start again near the initial "
            "delay (at most {limit:g} s); after shorter ones, they do not",
            healthy=HEALTHY,
            limit=RESET_LIMIT,
        ),
    ),
    Check(
        Text("no reset on a handshake alone"),
        1,
        _no_reset_on_handshake,
        Text(
            "against an exchange that accepts and drops at once, waits that keep growing "
            "past those after a reset (or reach {wait:g} s) within {within:g} s",
            wait=FLAP_WAIT,
            within=FLAPPING,
        ),
    ),
    Check(
        Text("notices a silent connection"),
        1,
        _notices_silence,
        Text(
            "the connection given up within {limit:g} s of the exchange going silent "
            "({silence:g} s with nothing received)",
            limit=SILENCE_LIMIT,
            silence=SILENCE,
        ),
    ),
    Check(
        Text("stops when cancelled"),
        1,
        _stops_when_cancelled,
        Text("run() ends when cancelled (asyncio.CancelledError let through)"),
    ),
    Check(
        Text("logs every change of connection state"),
        1,
        _logs,
        Text(
            "'connecting' before each attempt, then 'connected' or 'disconnected'; "
            "'disconnected' when a connection is lost"
        ),
    ),
]


# -- helpers ----------------------------------------------------------------------------------


def _like_resets(seen: Observed, gaps: list[float]) -> bool:
    """Whether ``gaps`` (three or more) never grew past `RESET_LIKE` times the client's own
    first waits after a healthy spell: every one of them a wait from a reset backoff."""
    after_reset = []
    for drop in seen.spell_drops:
        back = opened_after(seen.attempts, drop)
        first = waits(seen.attempts, drop, back.at)[:1] if back is not None else []
        after_reset += first
    level = min(max(after_reset, default=INITIAL_RANGE[1]), INITIAL_RANGE[1]) + SLACK
    return len(gaps) >= 3 and max(gaps) <= RESET_LIKE * level


def _connected_before(seen: Observed, moment: float) -> float:
    wire = next((w for w in reversed(seen.wires) if w.opened_at <= moment), None)
    return moment - wire.opened_at if wire else 0.0


def _outage_length(seen: Observed) -> float:
    return seen.marks.get("outage_end", 0.0) - seen.marks.get("outage", 0.0)


def _list(values: list[float], head: int = 6) -> str:
    shown = [f"{v:.1f}" for v in values[:head]]
    if len(values) > head + 2:
        shown += ["…", *(f"{v:.1f}" for v in values[-2:])]
    else:
        shown += [f"{v:.1f}" for v in values[head:]]
    return ", ".join(shown) + " s"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
