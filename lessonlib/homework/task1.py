"""Task 1, basic reconnect: a client for one symbol that reconnects by itself with
exponential backoff capped at 30 s and logs every change of connection state.

The scenario (about 20 simulated minutes, its times drawn from the seed): a first connection;
a drop followed by an outage of eight to ten minutes (connections refused, then answered 503);
five healthy spells of a minute or more, each ended by a drop and one refused attempt; a clean
close (1001); a stall of a minute in which the exchange sends nothing at all; two minutes in
which the exchange accepts every connection and drops it at once (no healthy spell: the waits
must keep growing); then the client is cancelled and must stop.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .harness import Scenario, construct, ended, find_class, not_reached
from .report import Check
from .sandbox import BlockingCall
from .stage import ClientRecord, Stage
from .timeline import (
    STATES,
    collapse,
    compare_states,
    expected_states,
    opened_after,
    unwelcomed,
    waits,
)

TITLE = "Task 1: basic reconnect"
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
SPELLS = 5
RESET_LIMIT = 10.0  # the longest wait that still counts as "back near the initial delay"
SILENCE = 5.0  # seconds with nothing received that make a connection dead (the task's rule)
SILENCE_LIMIT = SILENCE + 1.0  # the last heartbeat may have come up to a second before the stall
GROWTH = 1.5  # the longest wait of an outage against the shortest early one
INITIAL_RANGE = (0.1, 2.0)  # the task's bounds on the first wait
MULTIPLIER_RANGE = (1.5, 3.0)  # the task's bounds on the growth after each failure
STEADY_RATIO = 0.05  # waits whose ratios agree this closely have no jitter: judge the multiplier
FLAPPING = 120.0  # seconds of an exchange that accepts every connection and drops it at once
FLAP_WAIT = 8.0  # a wait at least this long must come while connections are dropped at once


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
            stage.play(construct(client_class, network.connect, SYMBOL, on_price, log_state).run)
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
            for _ in range(SPELLS):
                await asyncio.sleep(rng.uniform(60, 90))
                seen.spell_drops.append(loop.time())
                network.refuse_next = 1
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
            seen.marks["flapping_end"] = loop.time()
            network.accept_and_drop = False
            await network.wait_opened(loop.time(), 45.0)
            await asyncio.sleep(rng.uniform(5, 10))

    return main, seen


# -- judgements: each returns None when right, else what the code did -------------------------


def _first_connection(seen: Observed) -> str | None:
    opened = [a for a in seen.attempts if a.wire is not None]
    if not seen.attempts:
        return "it never called connect()" + ended(seen.ending)
    if not opened or opened[0].at > 5.0:
        return f"no connection in the first 5 s ({len(seen.attempts)} attempts)"
    end = seen.marks.get("outage", seen.end)
    first = [m for t, m in seen.prices if t <= end]
    if not first:
        return (
            "connected, but on_price was never called: subscribe to "
            f"{SYMBOL} on the new connection and pass each ticker on"
        )
    wrong = [m for m in first if not isinstance(m, dict)]
    if wrong:
        return (
            f"on_price got a {type(wrong[0]).__name__} ({_short(wrong[0])}); pass the "
            "parsed message, a dict (json.loads)"
        )
    kinds = {str(m.get("type")) for m in first}
    missing = [kind for kind in PRICE_KINDS if kind not in kinds]
    if missing:
        return (
            f"on_price got {', '.join(sorted(kinds))} messages but no {' or '.join(missing)}: "
            f"the exchange sends a snapshot after each subscription, then tickers; pass both on"
        )
    return None


def _through_outage(seen: Observed) -> str | None:
    start, end = seen.marks.get("outage"), seen.marks.get("outage_end")
    if start is None or end is None:
        return not_reached(seen.ending)
    if seen.ending is not None and seen.ending.at < end + CAP:
        return f"it gave up during a {end - start:.0f} s outage: {seen.ending.describe()}"
    back = opened_after(seen.attempts, end)
    if back is None:
        tried = [a.at for a in seen.attempts if start < a.at <= end]
        last = f"; its last attempt was at {tried[-1]:.1f} s" if tried else ""
        return f"the exchange was back at {end:.1f} s but the client never reconnected{last}"
    if back.at > end + CAP + SLACK:
        return (
            f"the exchange was back at {end:.1f} s and the client reconnected only at "
            f"{back.at:.1f} s, {back.at - end:.1f} s later"
        )
    if not any(t >= back.at for t, _ in seen.prices):
        return (
            f"it reconnected at {back.at:.1f} s but no price came after that: subscribe again "
            "on every new connection"
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
        return f"it waited with time.sleep: {seen.ending.describe()}"
    if seen.flooded_at is not None:
        before = [a for a in seen.attempts if a.at >= seen.flooded_at - 1.0]
        return (
            f"a busy loop: {len(seen.attempts):,} connection attempts, {len(before):,} of them "
            f"in the last simulated second before {seen.flooded_at:.1f} s; the check stopped it"
        )
    gaps = _outage_waits(seen)
    if len(gaps) >= 5 and statistics.median(gaps) < 0.05:
        return (
            f"it hardly waits: {len(gaps)} attempts during the outage, median wait "
            f"{statistics.median(gaps) * 1000:.1f} ms"
        )
    return None


def _grows(seen: Observed) -> str | None:
    gaps = _outage_waits(seen)
    if seen.flooded_at is not None:
        return "the waits could not be measured: the client never waited"
    if len(gaps) < 4:
        return f"{len(gaps)} attempt(s) in all during a {_outage_length(seen):.0f} s outage"
    # Robust to any jitter: the longest wait must be well above the shortest of the first
    # three (an immediate retry, a wait of 0, does not count as one).
    early = [gap for gap in gaps if gap > 0.001][:3]
    if not early or max(gaps) < GROWTH * min(early):
        return (
            f"a fixed delay: the waits were {_list(gaps)}; they should grow (×1.5 to ×3 after "
            "each failure) up to the cap"
        )
    return initial_delay_problem(early, seen.marks["outage"]) or multiplier_problem(gaps)


def initial_delay_problem(early: list[float], lost_at: float) -> str | None:
    """The first waits after a failure must start at 2 s or less (with jitter, below that)."""
    low, high = INITIAL_RANGE
    if min(early) > high + SLACK:
        return (
            f"the first wait is too long: after the connection was lost at {lost_at:.1f} s it "
            f"waited {_list(early)}; the task says start between {low:g} s and {high:g} s"
        )
    return None


def multiplier_problem(gaps: list[float]) -> str | None:
    """Waits without jitter (each the same multiple of the one before) must grow ×1.5 to ×3."""
    growing = [gap for gap in gaps if gap < CAP - SLACK]
    ratios = [b / a for a, b in itertools.pairwise(growing) if a > 0.001]
    if len(ratios) < 3 or max(ratios) - min(ratios) > STEADY_RATIO * min(ratios):
        return None  # jittered (or too few to tell): the growth judgement above is the rule
    factor = sum(ratios) / len(ratios)
    low, high = MULTIPLIER_RANGE
    if low - STEADY_RATIO <= factor <= high + STEADY_RATIO:
        return None
    return (
        f"each wait was ×{factor:.2f} the one before ({_list(growing)}); the task says "
        f"multiply by {low:g} to {high:g} after each failure"
    )


def _capped(seen: Observed) -> str | None:
    gaps = _outage_waits(seen)
    longest = max(gaps, default=0.0)
    if longest <= CAP + SLACK:
        return None
    growing = len(gaps) >= 2 and gaps[-1] > 1.2 * gaps[-2] and longest > 2 * CAP
    kind = "no cap: the waits kept growing" if growing else "a cap above 30 s"
    return f"{kind}: waits of {_list(gaps)}; the longest {longest:.1f} s"


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
            return (
                f"not reset: the connection dropped at {drop:.1f} s after {connected:.0f} s "
                f"connected, and it waited {longest:.1f} s before trying again (after a healthy "
                f"spell the wait starts again near the initial delay, at most {RESET_LIMIT:g} s)"
            )
    if not judged_any:
        return "it never reconnected after a drop, so there was no healthy spell to judge"
    return None


def _no_reset_on_handshake(seen: Observed) -> str | None:
    start, end = seen.marks.get("flapping"), seen.marks.get("flapping_end")
    if start is None or end is None:
        return not_reached(seen.ending)
    gaps = waits(seen.attempts, start, end)
    if not gaps:
        return (
            f"it made no attempt while the exchange accepted and dropped at once from {start:.1f} s"
        )
    if max(gaps) >= FLAP_WAIT:
        return None
    opened = sum(1 for a in seen.attempts if start < a.at <= end and a.wire is not None)
    return (
        f"backoff reset on every handshake: from {start:.1f} s the exchange accepted each "
        f"connection and dropped it at once, and the client reconnected {opened} times in "
        f"{end - start:.0f} s, never waiting more than {max(gaps):.1f} s; a connection dropped at "
        "once is no healthy spell, so the waits must keep growing"
    )


def _stops_when_cancelled(seen: Observed) -> str | None:
    if seen.ignored_cancel:
        return (
            f"run() was cancelled at {seen.end:.1f} s and was still running 5 s later: it "
            "caught asyncio.CancelledError (an `except BaseException:` or a bare `except:`?); "
            "let it through"
        )
    if seen.ending is not None:
        return f"it ended before it was cancelled: {seen.ending.describe()}"
    return None


def _after_drops(seen: Observed) -> str | None:
    if not seen.spell_drops:
        return not_reached(seen.ending)
    for drop in seen.spell_drops:
        back = opened_after(seen.attempts, drop)
        if back is None or back.at > drop + 45.0:
            if seen.ending is not None and seen.ending.at >= drop:
                return f"after the drop at {drop:.1f} s, {seen.ending.describe()}"
            return f"the connection dropped at {drop:.1f} s and it did not reconnect in 45 s"
    return None


def _after_clean_close(seen: Observed) -> str | None:
    closed = seen.marks.get("clean_close")
    if closed is None:
        return not_reached(seen.ending)
    back = opened_after(seen.attempts, closed)
    if back is None or back.at > closed + 45.0:
        if seen.ending is not None and seen.ending.at >= closed:
            return (
                f"the exchange closed the connection cleanly (1001) at {closed:.1f} s and "
                f"{seen.ending.describe()}: a clean close is still a lost connection"
            )
        return f"the exchange closed cleanly (1001) at {closed:.1f} s; no reconnect in 45 s"
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
        return None
    acted = [t for t in closed + tried if t is not None]
    late = (
        f" (it acted only at {min(acted):.1f} s, {min(acted) - stall:.1f} s later)" if acted else ""
    )
    return (
        f"the exchange went silent at {stall:.1f} s and the client stayed on the dead "
        f"connection{late}: heartbeats come every second, so {SILENCE:g} s with nothing "
        "received is a dead connection"
    )


def _logs(seen: Observed) -> str | None:
    bad = [s for _, s in seen.logs if s not in STATES]
    if bad:
        return f"log_state({bad[0]!r}): the states are 'connecting', 'connected' and 'disconnected'"
    if not seen.logs:
        return "log_state was never called"
    expected = expected_states(seen.attempts, seen.end)
    optional = unwelcomed(seen.attempts, SILENCE_LIMIT)
    return compare_states(expected, collapse(seen.logs), optional)


def blocker(seen: Observed) -> str | None:
    """Why nothing can be judged, if the client never opened a connection."""
    if any(a.wire is not None for a in seen.attempts):
        return None
    if seen.ending is not None:
        return seen.ending.describe()
    if not seen.attempts:
        return "it never called connect()"
    return f"it never opened a connection in {len(seen.attempts)} attempts"


CHECKS = [
    Check(
        "connects and passes prices on",
        1,
        _first_connection,
        f"connected within 5 s, each {SYMBOL} price passed to on_price as a dict",
    ),
    Check(
        "reconnects after a dropped connection",
        1,
        _after_drops,
        "back within 45 s of each of five drops",
    ),
    Check(
        "reconnects after a clean close",
        1,
        _after_clean_close,
        "a close with code 1001 treated like any lost connection",
    ),
    Check(
        "keeps trying through a long outage",
        1,
        _through_outage,
        "attempts all through an 8–10 minute outage; back within 30 s of its end, "
        "prices flowing again",
    ),
    Check(
        "waits between attempts",
        1,
        _no_busy_loop,
        "an `await asyncio.sleep(...)` between failed attempts",
    ),
    Check(
        "the waits grow exponentially",
        1,
        _grows,
        "each wait 1.5 to 3 times the one before, from an initial delay of 0.1–2 s",
    ),
    Check("the waits are capped at 30 s", 1, _capped, "no wait longer than 30 s"),
    Check(
        "backoff reset after a healthy spell",
        1,
        _reset,
        f"after a minute connected, waits start again near the initial delay "
        f"(at most {RESET_LIMIT:g} s)",
    ),
    Check(
        "no reset on a handshake alone",
        1,
        _no_reset_on_handshake,
        f"against an exchange that accepts and drops at once, waits that keep growing "
        f"(one of {FLAP_WAIT:g} s or more within {FLAPPING:g} s)",
    ),
    Check(
        "notices a silent connection",
        1,
        _notices_silence,
        f"the connection given up within {SILENCE_LIMIT:g} s of the exchange going silent "
        f"({SILENCE:g} s with nothing received)",
    ),
    Check(
        "stops when cancelled",
        1,
        _stops_when_cancelled,
        "run() ends when cancelled (asyncio.CancelledError let through)",
    ),
    Check(
        "logs every change of connection state",
        1,
        _logs,
        "'connecting' before each attempt, then 'connected' or 'disconnected'; "
        "'disconnected' when a connection is lost",
    ),
]


# -- helpers ----------------------------------------------------------------------------------


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
