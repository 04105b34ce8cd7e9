"""The book client on real sockets: it builds the books the documented way and rebuilds them,
each time for a reason, through drops, skips, garbage, restarts and a hundred random faults."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from lessonlib.events import EventLog, Kind
from lessonlib.exchange import PracticeExchange
from lessonlib.feed.transport import websocket_connector
from lessonlib.orderbook.client import BookClient

SYMBOLS = ("BTC/USDT", "ETH/USDT")
GUARD = 60.0  # seconds: a guard against hangs on a loaded machine, never a wait


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(GUARD):
        while not condition():
            await asyncio.sleep(0.005)


def in_step(client: BookClient, exchange: PracticeExchange) -> bool:
    """Every book live and at the exchange's latest change (read in one turn of the loop)."""
    return client.live and all(
        sync.book.last == exchange.books[symbol].update_id for symbol, sync in client.books.items()
    )


def checksums(client: BookClient, exchange: PracticeExchange) -> list[tuple[int, int]]:
    return [(s.book.checksum(), exchange.book_checksum(name)) for name, s in client.books.items()]


@asynccontextmanager
async def clients(
    exchange: PracticeExchange, count: int, events: EventLog
) -> AsyncIterator[list[BookClient]]:
    made = [
        BookClient(websocket_connector(exchange.url), SYMBOLS, name=f"book{i}", events=events)
        for i in range(count)
    ]
    tasks = [asyncio.create_task(c.run(), name=f"test {c.name}") for c in made]
    try:
        yield made
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def resync_reasons(events: EventLog, source: str) -> Counter[str]:
    return Counter(
        e["reason"] for e in list(events) if e.kind is Kind.BOOK_RESYNC and e.source == source
    )


def test_builds_the_book_then_rebuilds_it_after_a_drop_and_a_skip() -> None:
    async def scenario() -> tuple[EventLog, list[list[tuple[int, int]]]]:
        events = EventLog()
        seen = []
        async with PracticeExchange(port=0, tick_rate=50, symbols=list(SYMBOLS)) as exchange:
            async with clients(exchange, 1, events) as (client,):
                await until(lambda: in_step(client, exchange))
                seen.append(checksums(client, exchange))
                exchange.drop()
                await until(lambda: client.connections == 2 and in_step(client, exchange))
                seen.append(checksums(client, exchange))
                exchange.skip(2)
                await until(lambda: client.books["BTC/USDT"].rebuilds >= 3)
                await until(lambda: in_step(client, exchange))
                seen.append(checksums(client, exchange))
        return events, seen

    events, seen = asyncio.run(scenario())
    for pairs in seen:
        assert all(mine == theirs for mine, theirs in pairs), pairs
    kinds = [e.kind for e in list(events)]
    assert kinds.index(Kind.BOOK_BUFFERED) < kinds.index(Kind.BOOK_SNAPSHOT)
    assert kinds.index(Kind.BOOK_SNAPSHOT) < kinds.index(Kind.BOOK_REBUILT)
    reasons = resync_reasons(events, "book0")
    assert reasons["subscribed"] == 2 and reasons["reconnect"] == 2 and reasons["gap"] >= 2


def test_a_restarted_exchange_is_a_new_stream_and_every_book_is_rebuilt() -> None:
    async def scenario() -> tuple[EventLog, list[tuple[int, int]]]:
        events = EventLog()
        async with PracticeExchange(port=0, tick_rate=50, symbols=list(SYMBOLS)) as exchange:
            async with clients(exchange, 1, events) as (client,):
                await until(lambda: in_step(client, exchange))
                await exchange.stop()
                await exchange.start()
                await until(lambda: client.stream == exchange.stream and in_step(client, exchange))
                return events, checksums(client, exchange)

    events, pairs = asyncio.run(scenario())
    assert all(mine == theirs for mine, theirs in pairs), pairs
    assert resync_reasons(events, "book0")["stream"] == len(SYMBOLS)
    assert any(e.kind is Kind.STREAM for e in list(events))


FAULTS = ["drop", "close", "skip", "skip", "garbage", "stall", "latency", "refuse"]


def gaps_found(events: EventLog, client: BookClient) -> int:
    return sum(1 for e in list(events) if e.kind is Kind.BOOK_GAP and e.source == client.name)


async def skip_on_live_books(
    exchange: PracticeExchange,
    made: list[BookClient],
    events: EventLog,
    count: int,
    since: dict[str, int],
) -> None:
    """A skip that lands outside every rebuild, and the next fault only after every client
    found the gap it made in each of its books. It waits until every book is live with a
    change made after the last fault (``since``: the exchange's update ids then), so each
    client is on a connection that fault did not end. A client that is on a new connection
    before the skip reaches it (a loaded machine can make a connection look silent) rebuilds
    its books from a snapshot, which absorbs the skip: then the skip is made again."""
    while not await _skip_found(exchange, made, events, count, since):
        since = {symbol: book.update_id for symbol, book in exchange.books.items()}


async def _skip_found(
    exchange: PracticeExchange,
    made: list[BookClient],
    events: EventLog,
    count: int,
    since: dict[str, int],
) -> bool:
    """One try of `skip_on_live_books`: True when every client found the skip in each book,
    False when one was on a new connection first."""
    await until(
        lambda: all(
            sync.live and sync.book.last is not None and sync.book.last > since[symbol]
            for c in made
            for symbol, sync in c.books.items()
        )
    )
    before = {c.name: gaps_found(events, c) for c in made}
    connections = {c.name: c.connections for c in made}

    def found(client: BookClient) -> bool:
        return gaps_found(events, client) >= before[client.name] + len(SYMBOLS)

    exchange.skip(count)
    await until(lambda: all(found(c) or c.connections > connections[c.name] for c in made))
    return all(found(c) for c in made)


def random_fault(exchange: PracticeExchange, rng: random.Random, choice: str) -> None:
    match choice:
        case "drop":
            exchange.drop()
        case "close":
            exchange.close(rng.choice([1011, 1012, 1013]))
        case "skip":
            exchange.skip(rng.randint(1, 4))
        case "garbage":
            exchange.garbage()
        case "stall":
            exchange.stall(rng.uniform(0.02, 0.1))
        case "latency":
            exchange.latency(rng.choice([0.0, 0.0, 0.01]))
        case "refuse":
            exchange.refuse(1)


def test_after_a_hundred_random_faults_every_book_equals_the_exchanges() -> None:
    async def scenario() -> tuple[EventLog, list[BookClient], list[tuple[int, int]], int, int]:
        rng = random.Random(20261204)
        live_skips = 0
        events = EventLog()
        async with PracticeExchange(
            port=0, tick_rate=20, heartbeat_interval=1.0, symbols=list(SYMBOLS), events=events
        ) as exchange:
            async with clients(exchange, 2, events) as made:
                await until(lambda: all(in_step(c, exchange) for c in made))
                since = {symbol: book.update_id for symbol, book in exchange.books.items()}
                for _ in range(100):
                    await asyncio.sleep(rng.uniform(0.01, 0.04))
                    choice = rng.choice(FAULTS)
                    if choice == "skip" and rng.random() < 0.5:  # half the skips on live books
                        await skip_on_live_books(exchange, made, events, rng.randint(1, 4), since)
                        live_skips += 1
                    else:
                        random_fault(exchange, rng, choice)
                    since = {symbol: book.update_id for symbol, book in exchange.books.items()}
                exchange.heal()
                exchange.latency(0)
                await until(lambda: all(in_step(c, exchange) for c in made))
                # Then a skip and a cut-short update on live books: both must be found.
                exchange.skip(2)
                await until(lambda: all(c.books["BTC/USDT"].reason is not None for c in made))
                await until(lambda: all(in_step(c, exchange) for c in made))
                exchange.garbage("not_json")
                await until(lambda: all(c.malformed >= 2 and not c.live for c in made))
                await until(lambda: all(in_step(c, exchange) for c in made))
                pairs = [pair for c in made for pair in checksums(c, exchange)]
                faults = sum(exchange.stats.faults_injected.values())
                return events, made, pairs, faults, live_skips

    events, made, pairs, faults, live_skips = asyncio.run(scenario())
    assert faults >= 100
    assert live_skips >= 5  # the seed's choices, not the machine's timing, set how many
    assert all(mine == theirs for mine, theirs in pairs), pairs
    for client in made:
        mine = [e for e in list(events) if e.source == client.name]
        reasons = resync_reasons(events, client.name)
        gaps = sum(1 for e in mine if e.kind is Kind.BOOK_GAP)
        mismatches = sum(1 for e in mine if e.kind is Kind.BOOK_CHECKSUM)
        connected = sum(1 for e in mine if e.kind is Kind.CONNECTED)
        # No rebuild without a reason: each has a gap, a mismatch or a new connection behind it.
        assert reasons["gap"] == gaps and reasons["checksum"] == mismatches
        new_connection = reasons["subscribed"] + reasons["reconnect"] + reasons["stream"]
        assert new_connection == connected * len(SYMBOLS)
        assert connected > 2  # the faults did break connections
        # Every skip on live books was found in every book (each waited for), then the last
        # skip on every book and the cut-short update.
        assert gaps >= (live_skips + 1) * len(SYMBOLS) + 1
        print(
            f"\nbook chaos {client.name}: {faults} faults ({live_skips} skips on live books), "
            f"{connected} connections, {gaps} gaps found, {mismatches} checksum mismatches, "
            f"{sum(s.rebuilds for s in client.books.values())} rebuilds, "
            f"{client.malformed} malformed frames; checksums equal the exchange's"
        )
