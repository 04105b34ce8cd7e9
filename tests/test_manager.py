"""The multi-exchange manager: isolation, trading gates, the consolidated quote, a clean stop;
and the feed client's breaker, which keeps it from even trying while open."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.breaker import CircuitBreaker
from lessonlib.events import EventLog, Kind
from lessonlib.exchange import InMemoryExchange, PracticeExchange
from lessonlib.feed import PriceFeedClient
from lessonlib.manager import MultiExchangeManager
from lessonlib.scenarios import closed_port, hammering_manager

POLICY = BackoffPolicy(initial_delay=0.5, max_delay=5.0, max_retries=None, healthy_after=2.0)


def venues(*names: str) -> list[InMemoryExchange]:
    return [InMemoryExchange(n, seed=7, venue_seed=i, tick_rate=10) for i, n in enumerate(names)]


def test_the_breaker_stops_connection_attempts_while_open() -> None:
    async def scenario() -> tuple[list[float], EventLog]:
        events = EventLog()
        async with InMemoryExchange(events=events) as exchange:
            exchange.refuse(10**6)
            breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30.0, events=events)
            client = PriceFeedClient(
                exchange.connect, policy=POLICY, breaker=breaker, events=events
            )
            async with client:
                await asyncio.sleep(100)
        return [e.time for e in events.where(Kind.ATTEMPT)], events

    attempts, events = vtime.run(scenario())
    transitions = [(e.time, e["new"]) for e in events.where(Kind.BREAKER)]
    # three failures open it; each trial 30 s later fails and opens it again
    assert [t for t, _ in transitions if _ == "open"] == pytest.approx([1.5, 31.5, 61.5, 91.5])
    assert attempts == pytest.approx([0.0, 0.5, 1.5, 31.5, 61.5, 91.5])


def test_gates_follow_breaker_connection_and_freshness_and_every_change_is_an_event() -> None:
    async def scenario() -> tuple[list[tuple[float, str, bool, str]], list[bool], str]:
        events = EventLog()
        a, b = venues("a", "b")
        async with a, b:
            manager = MultiExchangeManager(stale_after=2.0, events=events)
            for exchange in (a, b):
                manager.add(
                    exchange.name,
                    exchange.connect,
                    symbols=["BTC/USDT"],
                    policy=POLICY,
                    breaker=CircuitBreaker(3, 10.0),
                )
            async with manager:
                await asyncio.sleep(5)
                b.stall(4)  # silent: prices go stale before the connection is declared dead
                await asyncio.sleep(10)
                b.refuse(100)
                b.drop()  # refused: the breaker opens
                await asyncio.sleep(15)
                during = manager.status()[1].reason
                b.heal()
                await asyncio.sleep(20)
                seen = [manager.can_trade("a"), manager.can_trade("b")]
        gates = [
            (round(e.time, 1), e.source, e["allowed"], e["reason"])
            for e in events.where(Kind.TRADING)
        ]
        return gates, seen, during

    gates, seen, during = vtime.run(scenario())
    assert during == "breaker open"
    b = [(t, allowed, reason) for t, source, allowed, reason in gates if source == "b"]
    assert b[0] == (0.0, True, "connected, breaker closed, prices fresh")
    assert b[1][1] is False and b[1][2].startswith("prices") and 7.0 <= b[1][0] <= 7.5
    assert b[-2][1:] == (True, "connected, breaker closed, prices fresh")  # resumed after heal
    assert b[-1][1:] == (False, "connection closed")  # the manager stopped
    a = [entry for entry in gates if entry[1] == "a"]
    assert a[0] == (0.0, "a", True, "connected, breaker closed, prices fresh")
    assert len(a) == 2  # a traded throughout; its gate closed only when the manager stopped
    assert seen == [True, True]


def test_the_consolidated_quote_leaves_out_stale_and_broken_exchanges() -> None:
    async def scenario() -> list[tuple[str, str] | None]:
        a, b, c = venues("a", "b", "c")
        async with a, b, c:
            manager = MultiExchangeManager(stale_after=2.0)
            for exchange in (a, b, c):
                manager.add(exchange.name, exchange.connect, symbols=["BTC/USDT"], policy=POLICY)
            async with manager:
                await asyncio.sleep(3)
                sources = []
                everyone = manager.quote("BTC/USDT")
                assert everyone is not None
                sources.append((everyone.bid_exchange, everyone.ask_exchange))
                for exchange in (a, b):
                    exchange.stall(60)
                await asyncio.sleep(4)  # a and b are stale now; only c is left
                only_c = manager.quote("BTC/USDT")
                sources.append(
                    None if only_c is None else (only_c.bid_exchange, only_c.ask_exchange)
                )
                c.stall(60)
                await asyncio.sleep(4)
                sources.append(manager.quote("BTC/USDT"))  # type: ignore[arg-type]
                return sources

    everyone, only_c, nobody = vtime.run(scenario())
    assert everyone is not None and set(everyone) <= {"a", "b", "c"}
    assert only_c == ("c", "c")
    assert nobody is None


def test_best_bid_and_best_ask_are_the_extremes_across_exchanges() -> None:
    async def scenario() -> tuple[float, float, list[float], list[float]]:
        a, b, c = venues("a", "b", "c")
        async with a, b, c:
            manager = MultiExchangeManager(stale_after=2.0)
            for exchange in (a, b, c):
                manager.add(exchange.name, exchange.connect, symbols=["ETH/USDT"], policy=POLICY)
            async with manager:
                await asyncio.sleep(3)
                quote = manager.quote("ETH/USDT")
                assert quote is not None
                bids = [client.latest["ETH/USDT"].bid for client in manager.clients.values()]
                asks = [client.latest["ETH/USDT"].ask for client in manager.clients.values()]
                return quote.bid, quote.ask, bids, asks

    bid, ask, bids, asks = vtime.run(scenario())
    assert bid == max(bids) and ask == min(asks)
    assert len(set(bids)) == 3  # three venues, three slightly different prices


GUARD = 30.0  # seconds: fires only when something is really wrong, never a wait for an event


async def until(condition: Callable[[], bool]) -> None:
    """Wait (within the guard) until ``condition()`` holds: for the event, not for a time."""
    async with asyncio.timeout(GUARD):
        while not condition():
            await asyncio.sleep(0.01)


def test_a_dead_exchange_retried_all_along_leaves_the_healthy_ones_untouched() -> None:
    """Real sockets: two healthy exchanges beside a third that refuses every connection and is
    retried as fast as its policy allows. While it is hammered, the healthy ones stay on their
    first connection, their gates stay open, and every update arrives, in order. What it costs
    them in throughput and spacing is a measurement, not a verdict a busy machine could flip:
    bench/manager_isolation.py prints it."""

    async def scenario() -> tuple[EventLog, dict[str, int]]:
        async with (
            PracticeExchange(port=0, tick_rate=100, seed=7, venue_seed=1) as a,
            PracticeExchange(port=0, tick_rate=100, seed=7, venue_seed=2) as b,
        ):
            events = EventLog()
            urls = {"a": a.url, "b": b.url, "dead": f"ws://127.0.0.1:{closed_port()}/"}
            manager = hammering_manager(urls, events)

            def count(kind: Kind, source: str) -> int:
                return len(events.where(kind, source=source))

            async with manager:
                async with asyncio.timeout(GUARD):
                    for name in ("a", "b"):
                        await manager.clients[name].connected()
                await until(lambda: manager.can_trade("a") and manager.can_trade("b"))
                mark = len(events)  # from here on, the dead one is retried all the time
                attempts = count(Kind.ATTEMPT, "dead")
                updates = {name: count(Kind.UPDATE, name) for name in ("a", "b")}
                await until(
                    lambda: (
                        count(Kind.ATTEMPT, "dead") >= attempts + 50
                        and all(count(Kind.UPDATE, n) >= updates[n] + 100 for n in ("a", "b"))
                    )
                )
                last = count(Kind.ATTEMPT, "dead")
                await until(lambda: count(Kind.ATTEMPT, "dead") > last)  # still retrying
                connections = {n: manager.clients[n].stats.connections for n in ("a", "b")}
                return EventLog(list(events)[mark:]), connections  # before the stop closes all

    window, connections = asyncio.run(scenario())
    assert connections == {"a": 1, "b": 1}
    for name in ("a", "b"):
        assert window.where(Kind.LOST, source=name) == []
        assert window.where(Kind.FAILURE, source=name) == []
        assert window.where(Kind.TRADING, source=name) == []  # the open gate never closed
        for symbol in ("BTC/USDT", "ETH/USDT"):
            seqs = [
                e["seq"] for e in window.where(Kind.UPDATE, source=name) if e["symbol"] == symbol
            ]
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert window.where(Kind.CONNECTED, source="dead") == []
    assert len(window.where(Kind.FAILURE, source="dead")) >= 50


def test_stopping_the_manager_stops_everything_it_started() -> None:
    async def scenario() -> tuple[list[str], list[bool]]:
        a, b = venues("a", "b")
        async with a, b:
            manager = MultiExchangeManager()
            for exchange in (a, b):
                manager.add(exchange.name, exchange.connect, symbols=["BTC/USDT"])
            await manager.start()
            await asyncio.sleep(2)
            await manager.stop()
            left = [
                t.get_name()
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and not t.get_name().startswith(("a ", "b "))
            ]
            return left, [manager.can_trade("a"), manager.can_trade("b")]

    left, gates = vtime.run(scenario())
    assert left == []
    assert gates == [False, False]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"stale_after": 0}, "stale_after must be greater than 0, got 0"),
        ({"check_every": -1}, "check_every must be greater than 0, got -1"),
    ],
)
def test_bad_manager_settings_are_refused(settings: dict[str, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        MultiExchangeManager(**settings)
