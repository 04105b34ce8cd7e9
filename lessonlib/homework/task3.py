"""Task 3, trading with a circuit breaker: three exchanges, a breaker per exchange, no orders
while a breaker is open, trading resumed once it closes, every transition logged.

The scenario (four simulated minutes, windows drawn from the seed): prices twice a second on
three exchanges; one exchange's order gateway fails for a minute or more; another fails for
a quarter of a minute later on; the third fails now and then, one or two orders at a time (its
first two orders among them). An outage's gateway refuses orders at once for its first seconds,
then lets them time out, so that a trial order in half-open is still unanswered when the next
price comes. While the long outage begins, the other two exchanges' feeds are quiet for a few
seconds, so that beta fails more orders in a row than any breaker may take with no other
exchange's order between: one breaker shared by all is then seen to open for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exchange.memory import InMemoryExchange
from ..i18n import Text, tr
from .harness import (
    Ending,
    NotReady,
    Scenario,
    StudentTask,
    construct,
    ended,
    explain,
    find_class,
    not_reached,
)
from .network import Network
from .report import Check
from .venues import OrderFailed, Venue

TITLE = "Task 3: trading with a circuit breaker"
STUDENT_CLASSES = ("Breaker", "TradingSystem")
# What lessonlib already solves this task with: the homework asks for the student's own.
LIBRARY_SOLUTIONS = ("CircuitBreaker", "BreakerConfig", "MultiExchangeManager")
NAMES = ("alpha", "beta", "gamma")
SYMBOL = "BTC/USDT"
MAX_THRESHOLD = 10  # failures after which the breaker must have opened
MAX_RESET = 60.0  # seconds a breaker may stay open before it tries again
MAX_TRIALS = 2  # orders in a row to a still-failing exchange after its first pause
TRIALS_PER_SPELL = 1  # orders sent while the log says half-open: "one trial order"
REFUSING = 20.0  # seconds an outage's gateway refuses orders at once (503) ...
TIMING_OUT = 0.6  # ... before it lets them time out after this long: the next price comes first
# Seconds alpha's and gamma's feeds are silent (the exchange stalls) from the start of beta's
# outage: beta fails more orders in a row than MAX_THRESHOLD (prices twice a second) alone.
QUIET = (MAX_THRESHOLD + 4) / 2.0
QUIET_VENUES = ("alpha", "gamma")
# gamma's occasional failures: the sizes of its bursts of failed orders in turn, the first at
# its very first orders. Fewer than 3 in a row, the least a breaker may open after.
BLIP_SIZES = (2, 1)
BLIP_LASTS = 2.0  # seconds a blip waits for an order to fail: a breaker's pause lets it pass
STATES = ("closed", "open", "half_open")
MOVES = {("closed", "open"), ("open", "half_open"), ("half_open", "closed"), ("half_open", "open")}


@dataclass(frozen=True, slots=True)
class Order:
    at: float
    venue: str
    ok: bool
    logged: int = 0  # transitions logged before it was sent: its place in the log's order


@dataclass(slots=True)
class Observed:
    orders: list[Order] = field(default_factory=list)
    transitions: list[tuple[float, Any, Any, Any]] = field(default_factory=list)
    can_trade: list[tuple[float, str, Any, int]] = field(default_factory=list)  # with `logged`
    outages: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    blips: list[tuple[float, int]] = field(default_factory=list)  # gamma's (time, failures)
    quiet: list[tuple[float, float]] = field(default_factory=list)  # alpha's and gamma's
    bad_orders: list[str] = field(default_factory=list)
    # the breaker alone: (time, method, what it returned, what it raised or "")
    probe: list[tuple[float, str, Any, str]] = field(default_factory=list)
    ending: Ending | None = None
    ignored_cancel: bool = False
    end: float = 0.0

    def of(self, venue: str, start: float = 0.0, end: float = float("inf")) -> list[Order]:
        return [o for o in self.orders if o.venue == venue and start <= o.at < end]


def scenario(namespace: Mapping[str, Any], seed: int) -> tuple[Scenario, Observed]:
    breaker_class = find_class(namespace, "Breaker", {"allow": False, "record_success": False})
    system_class = find_class(namespace, "TradingSystem", {"run": True, "can_trade": False})
    seen = Observed()

    async def main() -> None:
        rng = random.Random(seed)
        loop = asyncio.get_running_loop()
        start = rng.uniform(25, 35)
        long_outage = (start, start + rng.uniform(70, 100))
        short_start = long_outage[1] + rng.uniform(20, 30)
        seen.outages = {
            "alpha": [(short_start, short_start + rng.uniform(15, 20))],
            "beta": [long_outage],
            "gamma": [],
        }
        end = seen.outages["alpha"][0][1] + 75.0
        seen.quiet = [(start, start + QUIET)]
        times = [0.0, rng.uniform(5, 15)]
        while times[-1] < end - 10:
            times.append(times[-1] + rng.uniform(8, 15))
        sizes = itertools.cycle(BLIP_SIZES)
        seen.blips = [(at, next(sizes)) for at in times]
        # each entry fails the next order sent at or after its time
        pending_blip = {"gamma": [at for at, size in seen.blips for _ in range(size)]}

        exchanges = [
            InMemoryExchange(name, symbols=[SYMBOL], tick_rate=2.0, seed=seed + i)
            for i, name in enumerate(NAMES)
        ]
        for exchange in exchanges:
            await exchange.start()
        for exchange, name in zip(exchanges, NAMES, strict=True):
            if name in QUIET_VENUES:
                for begin, until in seen.quiet:
                    loop.call_at(begin, exchange.stall, until - begin)

        def failing(venue: str, now: float) -> bool:
            if any(a <= now < b for a, b in seen.outages[venue]):
                return True
            blips = pending_blip.get(venue, [])
            while blips and blips[0] + BLIP_LASTS < now:
                blips.pop(0)
            if blips and blips[0] <= now:  # the next order after a blip's time fails
                blips.pop(0)
                return True
            return False

        def gateway(venue: str) -> Any:
            async def send_order(symbol: Any = SYMBOL, side: Any = "buy", price: Any = 0.0) -> None:
                now = loop.time()
                bad = failing(venue, now)
                seen.orders.append(Order(now, venue, not bad, len(seen.transitions)))
                slow = any(a + REFUSING <= now < b for a, b in seen.outages[venue])
                await asyncio.sleep(TIMING_OUT if slow else 0.01)
                if bad:
                    raise OrderFailed(f"{venue}: 503 Service Unavailable")

            return send_order

        networks = [Network(exchange, lambda: None) for exchange in exchanges]
        venues = {
            name: Venue(name, network.connect, gateway(name))
            for name, network in zip(NAMES, networks, strict=True)
        }

        def on_transition(name: Any, old: Any, new: Any) -> None:
            seen.transitions.append((loop.time(), name, old, new))

        system = construct(system_class, venues, on_transition)
        student = StudentTask(system.run)
        student.start()
        try:
            await asyncio.sleep(0.25)  # samples fall between prices, which come on the half second
            while loop.time() < end:
                await asyncio.sleep(1.0)
                for name in NAMES:
                    try:
                        value = system.can_trade(name)
                    except Exception as error:
                        value = tr("raised {error}", error=explain(error))
                    seen.can_trade.append((loop.time(), name, value, len(seen.transitions)))
        finally:
            seen.end = loop.time()
            await student.stop()
            for exchange in exchanges:
                await exchange.stop()
            seen.ending = student.ending
            seen.ignored_cancel = student.ignored_cancel
        # Then one breaker by itself, its times counted from when it is made.
        try:
            alone = construct(breaker_class, PROBE, lambda *move: None)
        except NotReady as error:
            seen.probe.append((0.0, "__init__", None, str(error)))
        else:
            await _probe(alone, seen.probe)

    return main, seen


# The breaker the check drives by itself, apart from the system: an exchange's name (a breaker
# may look its settings up by name), a fresh object all the same.
PROBE = "beta"
ALONE = f"Breaker({PROBE!r}, on_transition)"  # how the messages call it


class _ProbeEnded(Exception):
    """A method of the breaker alone raised: the probe stops there (the log says why)."""


async def _probe(breaker: Any, log: list[tuple[float, str, Any, str]]) -> None:
    """Drive one `Breaker` by itself, as a trading loop would but with nothing in between:
    failures until it refuses, the wait for its trial, two more asks while the trial is out,
    the trial failed, the wait again, a trial that succeeds, two asks after it. Each call,
    with when (seconds since the probe began) and what it returned or raised, goes to
    ``log``; `probe_finding` judges it."""
    loop = asyncio.get_running_loop()
    began = loop.time()

    def call(action: str) -> Any:
        try:
            value = getattr(breaker, action)()
        except Exception as error:
            log.append((loop.time() - began, action, None, explain(error)))
            raise _ProbeEnded from error
        log.append((loop.time() - began, action, value, ""))
        return value

    async def until_allowed() -> bool:
        for _ in range(int(MAX_RESET) + 2):
            await asyncio.sleep(1.0)
            if call("allow") is True:
                return True
        return False

    with contextlib.suppress(_ProbeEnded):
        for _ in range(MAX_THRESHOLD):
            if call("allow") is not True:
                break
            call("record_failure")
        else:
            if call("allow") is True:
                return  # never opened: the system's sub-checks say so
        if not await until_allowed():
            return
        call("allow")
        call("allow")
        call("record_failure")
        call("allow")
        if not await until_allowed():
            return
        call("record_success")
        call("allow")
        call("allow")


# -- reading the record -----------------------------------------------------------------------


def logged_state(seen: Observed, venue: str, logged: int) -> str:
    """``venue``'s breaker state as the log gave it after its first ``logged`` entries: the
    order of events, never their times, so that two things at one instant are never mixed up."""
    current = "closed"
    for _at, name, _old, new in seen.transitions[:logged]:
        if name == venue:
            current = _state(new)
    return current


def half_open_spells(seen: Observed, venue: str) -> list[tuple[int, int]]:
    """The stretches of the log (first entry, entry after the last) in which ``venue``'s
    breaker was half-open."""
    spells, opened = [], None
    for index, (_at, name, _old, new) in enumerate(seen.transitions):
        if name != venue:
            continue
        if _state(new) == "half_open" and opened is None:
            opened = index + 1
        elif _state(new) != "half_open" and opened is not None:
            spells.append((opened, index + 1))
            opened = None
    if opened is not None:
        spells.append((opened, len(seen.transitions) + 1))
    return spells


def half_open_trials(seen: Observed) -> Iterator[tuple[str, int, list[Order]]]:
    """Each exchange's half-open spells: its name, the log entry after the spell, and the
    orders sent during it (in the log's order of events)."""
    for name in NAMES:
        for first, after in half_open_spells(seen, name):
            yield name, after, [o for o in seen.of(name) if first <= o.logged < after]


def bursts(orders: list[Order], gap: float = 1.0) -> list[list[Order]]:
    """Orders grouped where they follow each other within ``gap`` seconds."""
    groups: list[list[Order]] = []
    for order in orders:
        if groups and order.at - groups[-1][-1].at <= gap:
            groups[-1].append(order)
        else:
            groups.append([order])
    return groups


# -- judgements -------------------------------------------------------------------------------


def _trades_when_healthy(seen: Observed) -> str | None:
    if not seen.orders:
        return tr("no order was sent to any exchange") + ended(seen.ending)
    first = min(a for a, _ in seen.outages.get("beta", [(30.0, 0)]))
    for name in NAMES:
        done = [o for o in seen.of(name, 0.0, first) if o.ok]
        if len(done) < 5:
            return tr(
                "only {count} orders went to {name} in the first {first:.0f} s",
                count=len(done),
                name=name,
                first=first,
            )
    return None


def _opens(seen: Observed) -> str | None:
    if not seen.outages:
        return not_reached(seen.ending)
    start, end = seen.outages["beta"][0]
    orders = seen.of("beta", start, end)
    groups = bursts(orders, gap=3.0)
    if not orders:
        return tr("no order went to beta during its outage") + ended(seen.ending)
    if len(groups[0]) > MAX_THRESHOLD:
        return tr(
            "no breaker opened: beta's orders failed from {start:.0f} s to {end:.0f} s "
            "and it kept sending them ({count} in a row, {total} in all)",
            start=start,
            end=end,
            count=len(groups[0]),
            total=len(orders),
        )
    return None


def _closed_while_open(seen: Observed) -> str | None:
    bad = []
    for name in NAMES:
        bad += [o for o in seen.of(name) if logged_state(seen, name, o.logged) == "open"]
    if bad:
        bad.sort(key=lambda o: o.at)
        first = bad[0]
        return tr(
            "traded on {venue} while its breaker was open: {count} order(s), the first at "
            "{at:.1f} s, when your log said it was open",
            venue=first.venue,
            count=len(bad),
            at=first.at,
        )
    if not seen.outages:
        return not_reached(seen.ending)
    for name, _after, trials in half_open_trials(seen):
        if len(trials) > TRIALS_PER_SPELL:
            return tr(
                "half-open let {count} orders to {name} through from {at:.1f} s, before "
                "the trial was recorded (a trial is one order: refuse the others until it "
                "has succeeded or failed)",
                count=len(trials),
                name=name,
                at=trials[0].at,
            )
    closed = _failed_trial_closed(seen)
    if closed is not None:
        return closed
    start, end = seen.outages["beta"][0]
    groups = bursts(seen.of("beta", start, end), gap=3.0)
    for group in groups[1:]:
        if len(group) > MAX_TRIALS:
            return tr(
                "half-open let {count} orders to beta through in a row from {at:.1f} s while "
                "it was still failing (a trial is one order, and a failed trial opens the "
                "breaker again)",
                count=len(group),
                at=group[0].at,
            )
    return probe_finding(seen, "trial")


def _recovers(seen: Observed) -> str | None:
    if not seen.outages:
        return not_reached(seen.ending)
    for name in ("beta", "alpha"):
        for _start, end in seen.outages[name]:
            after = [o for o in seen.of(name, end) if o.ok]
            if not after or after[0].at > end + MAX_RESET + 2.0:
                last = seen.of(name, 0.0, end)
                since = tr(" since {at:.1f} s", at=last[-1].at) if last else ""
                return tr(
                    "never half-opened: {name} recovered at {end:.1f} s but no order went "
                    "through{since} within {limit:g} s",
                    name=name,
                    end=end,
                    since=since,
                    limit=MAX_RESET,
                ) + (tr(" (first at {at:.1f} s)", at=after[0].at) if after else "")
    return probe_finding(seen, "success")


def _single_failures(seen: Observed) -> str | None:
    if not seen.blips:
        return not_reached(seen.ending)
    opened = [
        (t, old, new) for t, n, old, new in seen.transitions if n == "gamma" and new == "open"
    ]
    if opened:
        before = seen.of("gamma", 0.0, opened[0][0] + 1e-6)
        in_a_row = len(before) - next(
            (i + 1 for i in range(len(before) - 1, -1, -1) if before[i].ok), 0
        )
        if in_a_row > 1:
            return tr(
                "opened after {count} failures in a row: gamma failed {count} orders in a row "
                "and its breaker opened at {opened:.1f} s; it may open only after 3 to "
                "{most} failures in a row",
                count=in_a_row,
                opened=opened[0][0],
                most=MAX_THRESHOLD,
            )
        failed = sum(1 for o in before if not o.ok)
        return tr(
            "opened after a single failure: gamma failed one or two orders at a time (each "
            "time followed by successes), and its breaker opened at {opened:.1f} s "
            "after {failed} failed order(s)",
            opened=opened[0][0],
            failed=failed,
        )
    pauses = _pauses(seen.of("gamma"), seen.end, quiet=seen.quiet)
    if pauses:
        return tr("gamma stopped trading from {at:.1f} s after one failed order", at=pauses[0])
    return None


def _independent(seen: Observed) -> str | None:
    shared = _shared(seen)
    if shared:
        return shared
    if not seen.outages:
        return not_reached(seen.ending)
    start, end = seen.outages["beta"][0]
    for name in ("alpha", "gamma"):
        if any(n == name and _state(new) == "open" for _, n, _, new in seen.transitions):
            continue  # its own breaker opened: judged by its own sub-check
        pauses = _pauses(seen.of(name, start, end), end, start, quiet=seen.quiet)
        if pauses:
            return tr(
                "one breaker for all exchanges: {name} stopped trading at {at:.1f} s "
                "while only beta was failing",
                name=name,
                at=pauses[0],
            )
    return None


def _shared(seen: Observed) -> str | None:
    """can_trade() False for an exchange while only another's breaker was open."""
    for at, name, value, entries in seen.can_trade:
        if value is not False or logged_state(seen, name, entries) == "open":
            continue
        others = [n for n in NAMES if n != name and logged_state(seen, n, entries) == "open"]
        if others:
            return tr(
                "one breaker for all exchanges: at {at:.0f} s can_trade({name!r}) was False "
                "while only {other}'s breaker was open",
                at=at,
                name=name,
                other=others[0],
            )
    return None


def _failed_trial_closed(seen: Observed) -> str | None:
    """A half-open spell whose one trial failed, ended by a move to closed."""
    for name, after, trials in half_open_trials(seen):
        if not trials or trials[0].ok or after > len(seen.transitions):
            continue
        at, _name, _old, new = seen.transitions[after - 1]
        if _state(new) == "closed":
            return tr(
                "{name}'s trial order at {trial:.1f} s failed and the log shows half_open → "
                "closed at {at:.1f} s: a failed trial opens the breaker again",
                name=name,
                trial=trials[0].at,
                at=at,
            )
    return None


def probe_finding(seen: Observed, phase: str) -> str | None:
    """What the breaker alone did against the rule of ``phase``: "trial" (half-open lets one
    trial through and refuses the rest until it is recorded; a failed trial opens it again)
    or "success" (a successful trial closes it)."""
    log = [(at, action, value) for at, action, value, _ in seen.probe]
    raised = next(((at, a, e) for at, a, _, e in seen.probe if e), None)
    if raised is not None:
        at, action, error = raised
        if action == "__init__":
            return error
        return tr(
            "{call} raised {error}, {at:.1f} s after it was made",
            call=f"{ALONE}.{action}()",
            error=error,
            at=at,
        )
    refused = next((i for i, (_, a, v) in enumerate(log) if a == "allow" and v is not True), None)
    if refused is None:
        return None  # never opened: judged on the system
    trial = next((i for i in range(refused, len(log)) if log[i][1:] == ("allow", True)), None)
    if trial is None:
        return None  # never tried again: judged on the system
    after = log[trial + 1 : trial + 3]
    failed = log[trial + 3 : trial + 5]
    if phase == "trial":
        again = [at for at, a, v in after if a == "allow" and v is True]
        if again:
            return tr(
                "{name} alone: after its reset timeout allow() let a trial through ({at:.1f} s "
                "after its first failure) and then said True {count} more time(s) before the "
                "trial was recorded: one trial, the others refused until it has succeeded or "
                "failed",
                name=ALONE,
                at=log[trial][0],
                count=len(again),
            )
        if len(failed) == 2 and failed[1][1:] == ("allow", True):
            return tr(
                "{name} alone: its trial failed ({at:.1f} s after its first failure) and "
                "allow() still said True right after: a failed trial opens the breaker again",
                name=ALONE,
                at=failed[0][0],
            )
        return None
    succeeded = next((i for i, (_, a, _v) in enumerate(log) if a == "record_success"), None)
    if succeeded is None:
        return None
    refusals = [at for at, a, v in log[succeeded + 1 :] if a == "allow" and v is not True]
    if refusals:
        return tr(
            "{name} alone: its trial succeeded ({at:.1f} s after its first failure) and "
            "allow() then said False: a successful trial closes the breaker",
            name=ALONE,
            at=log[succeeded][0],
        )
    return None


def _logged(seen: Observed) -> str | None:
    last = dict.fromkeys(NAMES, "closed")
    for at, name, old, new in seen.transitions:
        if name not in NAMES:
            return tr(
                "on_transition got the name {name!r}; the exchanges are {names}",
                name=name,
                names=", ".join(NAMES),
            )
        old, new = _state(old), _state(new)
        if old not in STATES or new not in STATES:
            return tr(
                "on_transition({name!r}, {old!r}, {new!r}): the states are {states}",
                name=name,
                old=old,
                new=new,
                states=", ".join(STATES),
            )
        if (old, new) not in MOVES:
            return tr(
                "at {at:.1f} s the log shows {name} going {old} → {new}, not a breaker move",
                at=at,
                name=name,
                old=old,
                new=new,
            )
        if old != last[name]:
            return tr(
                "at {at:.1f} s the log shows {name} going {old} → {new}, but the last state "
                "logged for it was {last}: a transition is missing",
                at=at,
                name=name,
                old=old,
                new=new,
                last=last[name],
            )
        last[name] = new
    beta = [_state(new) for _, name, _, new in seen.transitions if name == "beta"]
    for state in ("open", "half_open", "closed"):
        if state not in beta:
            shown = " → ".join(beta) or tr("nothing")
            return tr(
                "beta failed and recovered, but the log never shows '{state}' ({shown})",
                state=state,
                shown=shown,
            )
    return None


def _state(value: Any) -> str:
    return str(getattr(value, "value", value))


def _can_trade(seen: Observed) -> str | None:
    if not seen.can_trade:
        return not_reached(seen.ending)
    for at, name, value, entries in seen.can_trade:
        if not isinstance(value, bool):
            return tr(
                "can_trade({name!r}) returned {value!r} at {at:.0f} s, not True or False",
                name=name,
                value=value,
                at=at,
            )
        logged = logged_state(seen, name, entries)
        if value != (logged != "open"):
            return tr(
                "at {at:.0f} s can_trade({name!r}) was {value} while its breaker was {logged}",
                at=at,
                name=name,
                value=value,
                logged=logged,
            )
    return None


def root_cause(seen: Observed) -> str | None:
    """run() ending early explains every later failure; so does one breaker for all
    exchanges (beta's failures stop the others, their successes let beta's orders through)."""
    if seen.ending is not None and seen.ending.at < seen.end:
        return seen.ending.describe()
    return _independent(seen) if seen.outages else None


def blocker(seen: Observed) -> str | None:
    """Why nothing can be judged, if no order was ever sent."""
    if seen.orders:
        return None
    if seen.ending is not None:
        return seen.ending.describe()
    return tr("no order was sent to any exchange")


CHECKS = [
    Check(
        Text("trades on every exchange while they are healthy"),
        1,
        _trades_when_healthy,
        Text("orders to alpha, beta and gamma as their prices arrive"),
    ),
    Check(
        Text("the breaker opens on repeated failures"),
        1,
        _opens,
        Text(
            "at most {most} failed orders in a row, then a pause",
            most=MAX_THRESHOLD,
        ),
    ),
    Check(
        Text("no orders while the breaker is open"),
        2,
        _closed_while_open,
        Text(
            "no order while open; half-open lets one trial through (at most {most} orders in "
            "a row), and a failed trial opens it again",
            most=MAX_TRIALS,
        ),
    ),
    Check(
        Text("trading resumes when the exchange recovers"),
        2,
        _recovers,
        Text("a trial within {limit:g} s; its success closes the breaker", limit=MAX_RESET),
    ),
    Check(
        Text("a single failure does not open the breaker"),
        1,
        _single_failures,
        Text("gamma's occasional failed order costs nothing more"),
    ),
    Check(
        Text("one breaker per exchange"),
        1,
        _independent,
        Text("alpha and gamma trade on while beta's breaker is open"),
    ),
    Check(
        Text("every transition is logged"),
        1,
        _logged,
        Text("on_transition(name, old, new) for closed → open → half_open → closed (or → open)"),
    ),
    Check(
        Text("can_trade() follows the breaker"),
        1,
        _can_trade,
        Text("can_trade(name) False while that exchange's breaker is open, else True"),
    ),
]


def _pauses(
    orders: list[Order],
    end: float,
    start: float | None = None,
    quiet: list[tuple[float, float]] = (),
) -> list[float]:
    """Moments after which no order came for more than 5 s (prices come twice a second),
    the time the exchange's feed was ``quiet`` (no price, so no order due) not counted."""
    times = ([start] if start is not None else []) + [o.at for o in orders] + [end]
    return [
        a
        for a, b in itertools.pairwise(times)
        if b - a - sum(max(0.0, min(b, q_end) - max(a, q_start)) for q_start, q_end in quiet) > 5.0
    ]
