"""Task 2, restoring subscriptions: the client keeps the list of pairs it wants, subscribes to
all of them again after every reconnect, and handles a rejected subscription (reported,
dropped, the others unharmed, never retried).

The scenario (about three simulated minutes, times drawn from the seed): two pairs wanted
before the client starts; a third added while connected; an unknown symbol asked for; a pair
unsubscribed; three drops, each costing a refused attempt; during the second outage a pair is
added while the client is disconnected, during the third one a pair is unsubscribed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import Text, tr
from .harness import Scenario, construct, ended, explain, find_class, maybe_await, not_reached
from .network import Wire
from .report import Check
from .stage import ClientRecord, Stage, client_root_cause
from .timeline import opened_after

TITLE = "Task 2: restoring subscriptions"
STUDENT_CLASSES = ("SubscriptionClient",)
# What lessonlib already solves this task with: the homework asks for the student's own.
LIBRARY_SOLUTIONS = ("PriceFeedClient", "SubscriptionBook", "connect_with_retry", "keep_connected")
FIRST = ("BTC/USDT", "ETH/USDT")
ADDED = "SOL/USDT"
LISTED_AFTER = 3.0  # seconds after the unknown symbol's subscribe() that `subscriptions` is read
UNKNOWN = ("DOGE/XYZ", "LUNA/USDT", "BTC/EUR")
RESTORE_WITHIN = 3.0  # seconds after a connection opens for its subscriptions to go out
CALL_LIMIT = 2.0  # seconds a subscribe() or unsubscribe() call may take


@dataclass(slots=True)
class Observed(ClientRecord):
    """What the scenario saw, and what it wanted at each moment."""

    prices: list[tuple[float, Any]] = field(default_factory=list)
    rejected: list[tuple[float, Any, Any]] = field(default_factory=list)
    wanted: list[tuple[float, frozenset[str]]] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    unknown: str = UNKNOWN[0]
    removed: str = FIRST[1]
    call_problems: list[str] = field(default_factory=list)
    listed: dict[str, Any] = field(default_factory=dict)  # `subscriptions` read at moments
    drops: list[float] = field(default_factory=list)

    def wanted_at(self, moment: float) -> frozenset[str]:
        current: frozenset[str] = frozenset()
        for at, symbols in self.wanted:
            if at <= moment:
                current = symbols
        return current


def scenario(namespace: Mapping[str, Any], seed: int) -> tuple[Scenario, Observed]:
    client_class = find_class(
        namespace, "SubscriptionClient", {"run": True, "subscribe": False, "unsubscribe": False}
    )
    seen = Observed()

    async def main() -> None:
        rng = random.Random(seed)
        loop = asyncio.get_running_loop()
        seen.unknown = rng.choice(UNKNOWN)
        seen.removed = rng.choice(FIRST)

        def on_price(message: Any) -> None:
            seen.prices.append((loop.time(), message))

        def on_rejected(symbol: Any, reason: Any = None) -> None:
            seen.rejected.append((loop.time(), symbol, reason))

        def log_state(state: Any) -> None:
            pass

        async with Stage(seed, seen) as stage:
            network, exchange = stage.network, stage.exchange
            client = construct(client_class, network.connect, on_price, on_rejected, log_state)
            wanted: set[str] = set()

            async def call(method: str, symbol: str) -> None:
                if method == "subscribe":
                    wanted.add(symbol)
                else:
                    wanted.discard(symbol)
                seen.wanted.append((loop.time(), frozenset(wanted - {seen.unknown})))
                try:
                    async with asyncio.timeout(CALL_LIMIT):
                        await maybe_await(getattr(client, method)(symbol))
                except TimeoutError:
                    seen.call_problems.append(
                        tr(
                            "{method}({symbol!r}) at {time:.1f} s did not return within "
                            "{limit:g} s",
                            method=method,
                            symbol=symbol,
                            time=loop.time(),
                            limit=CALL_LIMIT,
                        )
                    )
                except Exception as error:
                    seen.call_problems.append(
                        tr(
                            "{method}({symbol!r}) at {time:.1f} s raised {explain}",
                            method=method,
                            symbol=symbol,
                            time=loop.time(),
                            explain=explain(error),
                        )
                    )

            def read_list(moment: str) -> None:
                try:
                    value = client.subscriptions
                    value = value() if callable(value) else value
                    seen.listed[moment] = sorted(value) if not isinstance(value, str) else value
                except Exception as error:
                    seen.listed[moment] = tr("reading it raised {explain}", explain=explain(error))

            async def drop(outage: float, during: Any = None) -> None:
                seen.drops.append(loop.time())
                network.down = "refused"
                network.drop_all(exchange.drop)
                if during is not None:
                    await asyncio.sleep(outage / 2)
                    await during()
                    await asyncio.sleep(outage / 2)
                else:
                    await asyncio.sleep(outage)
                network.down = None
                await network.wait_opened(loop.time(), 45.0)

            for symbol in FIRST:
                await call("subscribe", symbol)
            stage.play(client.run)
            await network.wait_opened(0.0, 5.0)
            await asyncio.sleep(rng.uniform(5, 10))
            seen.marks["added"] = loop.time()
            await call("subscribe", ADDED)
            await asyncio.sleep(rng.uniform(5, 10))
            seen.marks["unknown"] = loop.time()
            await call("subscribe", seen.unknown)
            await asyncio.sleep(LISTED_AFTER)
            read_list("after the rejection")
            await asyncio.sleep(rng.uniform(5, 10))
            seen.marks["removed"] = loop.time()
            await call("unsubscribe", seen.removed)
            await asyncio.sleep(3.0)
            read_list("after the unsubscribe")
            await asyncio.sleep(rng.uniform(5, 10))
            await drop(rng.uniform(1, 3))
            await asyncio.sleep(rng.uniform(15, 25))

            async def add_while_down() -> None:
                seen.marks["added_while_down"] = loop.time()
                await call("subscribe", seen.removed)

            await drop(rng.uniform(4, 8), add_while_down)
            await asyncio.sleep(rng.uniform(15, 25))

            async def remove_while_down() -> None:
                seen.marks["removed_while_down"] = loop.time()
                await call("unsubscribe", ADDED)

            await drop(rng.uniform(1, 3), remove_while_down)
            await asyncio.sleep(rng.uniform(15, 25))
            read_list("at the end")

    return main, seen


# -- what was requested on each connection ----------------------------------------------------


def requested(wire: Wire, op: str = "subscribe") -> list[tuple[float, str]]:
    """Each symbol asked for on ``wire`` with ``op``, in order, with its time."""
    result = []
    for at, request in wire.requests(op):
        symbols = request.get("symbols")
        if isinstance(symbols, list):
            result.extend((at, s) for s in symbols if isinstance(s, str))
    return result


def restored(wire: Wire) -> set[str]:
    """The symbols subscribed within `RESTORE_WITHIN` seconds of ``wire`` opening."""
    return {s for at, s in requested(wire) if at <= wire.opened_at + RESTORE_WITHIN}


def _symbols(message: Any) -> str | None:
    return message.get("symbol") if isinstance(message, dict) else None


def _prices_of(seen: Observed, symbol: str, after: float, until: float) -> int:
    return sum(1 for t, m in seen.prices if after <= t <= until and _symbols(m) == symbol)


# -- judgements -------------------------------------------------------------------------------


def _first_subscriptions(seen: Observed) -> str | None:
    if not seen.wires:
        return tr("it never connected") + ended(seen.ending)
    first = seen.wires[0]
    got = restored(first)
    missing = [s for s in FIRST if s not in got]
    if missing:
        return tr(
            "on its first connection it subscribed to {got}; missing: {missing}",
            got=_names(got),
            missing=_names(missing),
        )
    if not any(_symbols(m) in FIRST for _, m in seen.prices):
        return tr("it subscribed, but on_price was never called with a price of those pairs")
    calls = [p for p in seen.call_problems if f"subscribe({seen.removed!r})" not in p]
    return calls[0] if calls else None


def _added_while_connected(seen: Observed) -> str | None:
    added = seen.marks.get("added")
    if added is None:
        return not_reached(seen.ending)
    wire = _open_at(seen, added)
    if wire is None:
        return tr(
            "it was not connected when {added_symbol} was added at {added:.1f} s",
            added_symbol=ADDED,
            added=added,
        ) + ended(seen.ending)
    if not any(s == ADDED and added <= t <= added + 1.0 for t, s in requested(wire)):
        return tr(
            "subscribe({added_symbol!r}) at {added:.1f} s sent nothing on the open connection: "
            "when connected, send the subscription at once",
            added_symbol=ADDED,
            added=added,
        )
    if not _prices_of(seen, ADDED, added, added + 5.0):
        return tr(
            "it subscribed to {added_symbol} but no {added_symbol} price reached on_price",
            added_symbol=ADDED,
        )
    return None


def _restores(seen: Observed) -> str | None:
    later = [w for w in seen.wires[1:]]
    if not later:
        return tr("it never reconnected after a drop") + ended(seen.ending)
    for wire in later:
        expected = seen.wanted_at(wire.opened_at)
        got = restored(wire)
        missing = sorted(expected - got)
        if missing:
            return tr(
                "after reconnecting at {opened_at:.1f} s it subscribed to {got}; missing: "
                "{missing}",
                opened_at=wire.opened_at,
                got=_names(got),
                missing=_names(missing),
            )
        for symbol in expected:
            until = wire.ended_at if wire.ended_at is not None else seen.end
            if until - wire.opened_at > 5.0 and not _prices_of(seen, symbol, wire.opened_at, until):
                return tr(
                    "after reconnecting at {opened_at:.1f} s no {symbol} price reached on_price",
                    opened_at=wire.opened_at,
                    symbol=symbol,
                )
    return None


def _once_each(seen: Observed) -> str | None:
    for wire in seen.wires:
        counts = Counter(s for _, s in requested(wire))
        twice = sorted(s for s, n in counts.items() if n > 1)
        if twice:
            return tr(
                "subscriptions restored twice: on the connection opened at {opened_at:.1f} s "
                "it asked for {twice} {counts} times",
                opened_at=wire.opened_at,
                twice=twice[0],
                counts=counts[twice[0]],
            )
    return None


def _unsubscribe(seen: Observed) -> str | None:
    removed_at = seen.marks.get("removed")
    if removed_at is None:
        return not_reached(seen.ending)
    wire = _open_at(seen, removed_at)
    if wire is not None and not any(
        s == seen.removed and removed_at <= t <= removed_at + 1.0
        for t, s in requested(wire, "unsubscribe")
    ):
        return tr(
            "unsubscribe({removed!r}) at {removed_at:.1f} s sent no unsubscribe request",
            removed=seen.removed,
            removed_at=removed_at,
        )
    listed = seen.listed.get("after the unsubscribe")
    if isinstance(listed, list) and seen.removed in listed:
        return tr(
            "after unsubscribe({removed!r}) `subscriptions` still lists it: {listed}",
            removed=seen.removed,
            listed=listed,
        )
    if isinstance(listed, str):
        return tr("`subscriptions` {listed}", listed=listed)
    back = seen.marks.get("added_while_down", seen.end)
    for w in seen.wires:
        if removed_at < w.opened_at < back and seen.removed in restored(w):
            return tr(
                "{removed} was unsubscribed at {removed_at:.1f} s but subscribed again after "
                "the reconnect at {opened_at:.1f} s",
                removed=seen.removed,
                removed_at=removed_at,
                opened_at=w.opened_at,
            )
    return _unsubscribed_while_down(seen)


def _unsubscribed_while_down(seen: Observed) -> str | None:
    """An unsubscribe while disconnected counts too: the pair is not restored."""
    removed_at = seen.marks.get("removed_while_down")
    if removed_at is None:
        return not_reached(seen.ending)
    problems = [p for p in seen.call_problems if p.startswith(f"unsubscribe({ADDED!r})")]
    if problems:
        return problems[0] + tr(": while disconnected, just take it off the list")
    for wire in seen.wires:
        if wire.opened_at > removed_at and ADDED in restored(wire):
            return tr(
                "unsubscribe({added_symbol!r}) at {removed_at:.1f} s while disconnected was "
                "ignored: the reconnect at {opened_at:.1f} s subscribed to it again",
                added_symbol=ADDED,
                removed_at=removed_at,
                opened_at=wire.opened_at,
            )
    listed = seen.listed.get("at the end")
    if isinstance(listed, list) and ADDED in listed:
        return tr(
            "after unsubscribe({added_symbol!r}) while disconnected `subscriptions` still lists it",
            added_symbol=ADDED,
        )
    return None


def _rejection_reported(seen: Observed) -> str | None:
    asked = seen.marks.get("unknown")
    if asked is None:
        return not_reached(seen.ending)
    reports = [(t, s, r) for t, s, r in seen.rejected if s == seen.unknown]
    if not reports:
        others = (
            tr(" (it reported {symbol!r})", symbol=seen.rejected[0][1]) if seen.rejected else ""
        )
        return tr(
            "the exchange rejected {unknown} (unknown_symbol) at {asked:.1f} s and "
            "on_rejected was never called with it{others}",
            unknown=seen.unknown,
            asked=asked,
            others=others,
        )
    if len(reports) > 1:
        return tr(
            "on_rejected was called {count} times for {unknown}, not once",
            count=len(reports),
            unknown=seen.unknown,
        )
    return None


def _rejection_dropped(seen: Observed) -> str | None:
    asked = seen.marks.get("unknown")
    if asked is None:
        return not_reached(seen.ending)
    times = [t for w in seen.wires for t, s in requested(w) if s == seen.unknown]
    if len(times) > 1:
        return tr(
            "a rejected symbol retried: {unknown} was asked for {count} times, the last at "
            "{last:.1f} s; after a rejection, drop it from the list",
            unknown=seen.unknown,
            count=len(times),
            last=times[-1],
        )
    if _open_at(seen, asked) is not None and not any(asked <= t <= asked + 1.0 for t in times):
        # Not rejected yet when `subscriptions` was read: the list cannot be judged, and the
        # cause is the subscription that was not sent.
        later = [t for t in times if t > asked]
        return tr(
            "subscribe({unknown!r}) at {asked:.1f} s sent nothing on the open connection "
            "({sent}), so the exchange had not rejected it when `subscriptions` was read "
            "{wait:g} s later: when connected, send the subscription at once",
            unknown=seen.unknown,
            asked=asked,
            sent=tr("sent at {at:.1f} s", at=later[0]) if later else tr("never sent"),
            wait=LISTED_AFTER,
        )
    listed = seen.listed.get("after the rejection")
    if isinstance(listed, list) and seen.unknown in listed:
        return tr(
            "after the rejection `subscriptions` still lists {unknown}: {listed}",
            unknown=seen.unknown,
            listed=listed,
        )
    if isinstance(listed, str):
        return tr("`subscriptions` {listed}", listed=listed)
    return None


def _others_unharmed(seen: Observed) -> str | None:
    asked = seen.marks.get("unknown")
    if asked is None:
        return not_reached(seen.ending)
    wire = _open_at(seen, asked)
    if wire is None:
        return tr("it was not connected when the unknown symbol was asked for") + ended(seen.ending)
    if wire.ended_at is not None and wire.ended_at < asked + 3.0:
        return tr(
            "after the rejection at {asked:.1f} s the connection was closed ({by}): "
            "one rejected symbol should not cost the others their connection",
            asked=asked,
            by=tr("by the client") if wire.ended_by == "client" else tr("by the exchange"),
        )
    if seen.ending is not None and seen.ending.at < asked + 3.0:
        return tr("after the rejection, {ending}", ending=seen.ending.describe())
    quiet = [s for s in FIRST if not _prices_of(seen, s, asked + 0.5, asked + 3.0)]
    if quiet:
        return tr(
            "after the rejection at {asked:.1f} s no more {symbol} prices arrived",
            asked=asked,
            symbol=quiet[0],
        )
    return None


def _added_while_down(seen: Observed) -> str | None:
    added = seen.marks.get("added_while_down")
    if added is None:
        return not_reached(seen.ending)
    problems = [p for p in seen.call_problems if f"subscribe({seen.removed!r})" in p]
    if problems:
        return problems[-1] + tr(
            ": while disconnected, keep it in the list for the next connection"
        )
    back = opened_after(seen.attempts, added)
    if back is None or back.wire is None:
        return tr("it did not reconnect after the outage") + ended(seen.ending)
    if seen.removed not in restored(back.wire):
        return tr(
            "{removed} was subscribed at {added:.1f} s while disconnected, but not "
            "requested when it reconnected at {at:.1f} s",
            removed=seen.removed,
            added=added,
            at=back.at,
        )
    return None


root_cause = client_root_cause


def blocker(seen: Observed) -> str | None:
    """Why nothing can be judged, if the client never opened a connection."""
    if seen.wires:
        return None
    if seen.ending is not None:
        return seen.ending.describe()
    return tr("it never opened a connection") + (
        f" ({seen.call_problems[0]})" if seen.call_problems else ""
    )


CHECKS = [
    Check(
        Text("subscribes to the wanted pairs on connecting"),
        1,
        _first_subscriptions,
        Text(
            "{pairs} (subscribed before run()) requested on the first connection",
            pairs=" and ".join(FIRST),
        ),
    ),
    Check(
        Text("subscribe() while connected takes effect at once"),
        1,
        _added_while_connected,
        Text(
            "subscribe({added_symbol!r}) sends the request on the open connection; its "
            "prices arrive",
            added_symbol=ADDED,
        ),
    ),
    Check(
        Text("restores every subscription after each reconnect"),
        2,
        _restores,
        Text(
            "every wanted pair requested within {within:g} s of each new connection",
            within=RESTORE_WITHIN,
        ),
    ),
    Check(
        Text("restores each subscription once"),
        1,
        _once_each,
        Text("no pair requested twice on one connection"),
    ),
    Check(
        Text("unsubscribe() removes a pair for good"),
        1,
        _unsubscribe,
        Text(
            "an unsubscribe request, the pair gone from `subscriptions` and not "
            "restored, also when unsubscribed while disconnected"
        ),
    ),
    Check(
        Text("a rejected subscription is reported"),
        1,
        _rejection_reported,
        Text("on_rejected(symbol, reason) called once for the unknown symbol"),
    ),
    Check(
        Text("a rejected subscription is dropped, not retried"),
        1,
        _rejection_dropped,
        Text("the unknown symbol asked for once, then gone from `subscriptions`"),
    ),
    Check(
        Text("the other subscriptions are unharmed"),
        1,
        _others_unharmed,
        Text("the same connection kept, prices of the other pairs still arriving"),
    ),
    Check(
        Text("a pair added while disconnected is subscribed on reconnecting"),
        1,
        _added_while_down,
        Text(
            "subscribe() while disconnected keeps the pair and requests it on the next connection"
        ),
    ),
]


def _open_at(seen: Observed, moment: float) -> Wire | None:
    return next(
        (
            w
            for w in reversed(seen.wires)
            if w.opened_at <= moment and (w.ended_at is None or w.ended_at >= moment)
        ),
        None,
    )


def _names(symbols: Any) -> str:
    symbols = sorted(symbols)
    return ", ".join(symbols) if symbols else tr("nothing")
