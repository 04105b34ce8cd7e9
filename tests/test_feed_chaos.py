"""Chaos on real sockets: over a hundred faults of random kinds at random moments, from a seed.

Afterwards the consumer must have received every ticker of every subscribed symbol exactly
once, in seq order, apart from gaps the exchange's buffer could not fill, and those must equal
the client's gap counter. Every subscription is restored; no task and no socket is left over.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog
from lessonlib.exchange import PracticeExchange
from lessonlib.feed import Connected, PriceFeedClient, PriceUpdate

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
POLICY = BackoffPolicy(initial_delay=0.01, max_delay=0.1, max_retries=None, healthy_after=0.1)


def random_fault(exchange: PracticeExchange, rng: random.Random) -> Callable[[], object]:
    """One fault of a random kind with random arguments."""
    return rng.choice(
        [
            lambda: exchange.drop(),
            lambda: exchange.close(rng.choice([1001, 1011, 1012, 1013])),
            lambda: exchange.refuse(1),
            lambda: exchange.rate_limit(1, retry_after=0.02),
            lambda: exchange.stall(rng.uniform(0.05, 0.25)),
            lambda: exchange.skip(rng.randint(1, 8)),
            lambda: exchange.garbage(),
            lambda: exchange.latency(rng.choice([0.0, 0.0, 0.01, 0.03])),
            lambda: exchange.shutdown(reconnect_after=rng.uniform(0.01, 0.05)),
            lambda: exchange.flaky_handshakes(rng.choice([0.0, 0.0, 0.0, 0.3])),
        ]
    )


@dataclass
class Outcome:
    received: list[PriceUpdate]
    gaps: int
    faults: int
    connections: int
    resyncs: int
    malformed: int
    subscriptions: list[str]
    restored_on_server: list[set[str]]
    leftover_tasks: list[str]
    connections_open: int


async def chaos(seed: int, faults: int) -> Outcome:
    rng = random.Random(seed)
    events = EventLog()
    async with PracticeExchange(port=0, tick_rate=200, heartbeat_interval=0.05) as exchange:
        client = PriceFeedClient(exchange.url, policy=POLICY, events=events, rng=rng)
        await client.subscribe(*SYMBOLS)
        received: list[PriceUpdate] = []

        async def consume() -> None:
            async for update in client.updates():
                received.append(update)

        await client.start()
        consumer = asyncio.create_task(consume())
        for _ in range(faults):
            await asyncio.sleep(rng.uniform(0.01, 0.06))
            random_fault(exchange, rng)()
        exchange.heal()
        exchange.latency(0)
        # Let the client catch up with the market: everything up to this seq must arrive.
        final = {symbol: exchange.market.seq(symbol) for symbol in SYMBOLS}
        async with asyncio.timeout(60):  # a guard for a loaded machine, not a wait
            while not (
                isinstance(client.state, Connected)
                and all(s in client.latest and client.latest[s].seq >= final[s] for s in SYMBOLS)
            ):
                await asyncio.sleep(0.01)
        restored = [set(session.subscriptions) for session in exchange.sessions]
        await client.close()
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await exchange.wait_for_connections(0)
        leftovers = [
            t.get_name()
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task() and not t.get_name().startswith("practice")
        ]
        return Outcome(
            received=received,
            gaps=client.stats.gaps,
            faults=sum(exchange.stats.faults_injected.values()),
            connections=client.stats.connections,
            resyncs=client.stats.resyncs,
            malformed=client.stats.malformed,
            subscriptions=client.subscriptions,
            restored_on_server=restored,
            leftover_tasks=leftovers,
            connections_open=exchange.stats.connections_open,
        )


def test_every_ticker_arrives_exactly_once_in_order_through_a_hundred_and_twenty_faults() -> None:
    outcome = asyncio.run(chaos(seed=20261124, faults=120))
    missing = 0
    for symbol in SYMBOLS:
        seqs = [u.seq for u in outcome.received if u.symbol == symbol]
        assert seqs == sorted(set(seqs)), f"{symbol}: duplicated or out of order"
        missing += sum(b - a - 1 for a, b in itertools.pairwise(seqs))
    assert missing == outcome.gaps
    assert outcome.faults >= 120
    assert outcome.connections > 10  # the faults really did break connections
    assert outcome.subscriptions == list(SYMBOLS)
    assert outcome.restored_on_server == [set(SYMBOLS)]
    assert outcome.leftover_tasks == []
    assert outcome.connections_open == 0
    print(
        f"\nchaos: {outcome.faults} faults, {outcome.connections} connections, "
        f"{len(outcome.received)} updates, {outcome.resyncs} resyncs, "
        f"{outcome.malformed} malformed frames, {outcome.gaps} seqs lost for good"
    )
