"""A restarted exchange starts a new stream of seqs: the client starts afresh, loses nothing
it could recover, and never takes the new stream's updates for duplicates of the old one's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from feed_harness import FAST, GUARD, consecutive, rig

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventBus, EventLog, Kind
from lessonlib.exchange import InMemoryExchange, PracticeExchange
from lessonlib.feed import PriceFeedClient, PriceUpdate
from lessonlib.feed.book import SubscriptionBook, Verdict
from lessonlib.feed.errors import FeedStopped
from lessonlib.retry import RetryError


def test_the_book_forgets_its_seqs_only_when_the_stream_changes() -> None:
    book = SubscriptionBook()
    book.want("BTC/USDT")
    assert book.connection_opened("a") is False  # the first stream is no change
    book.to_request()
    book.subscribed("BTC/USDT")
    assert book.ticker("BTC/USDT", 1500) is Verdict.DELIVER
    book.connection_lost()
    assert book.connection_opened("a") is False
    assert book.to_request() == (["BTC/USDT"], {"BTC/USDT": 1500})
    book.connection_lost()
    assert book.connection_opened("b") is True
    assert book.to_request() == (["BTC/USDT"], {}), "no resume into another stream"
    book.subscribed("BTC/USDT")
    assert book.snapshot("BTC/USDT", 1001) == (Verdict.DELIVER, 0)
    assert book.ticker("BTC/USDT", 1002) is Verdict.DELIVER
    assert (book.duplicates, book.gaps, book.new_streams) == (0, 0, 1)


def _after_restart(received: list[PriceUpdate], restarted_at: int) -> list[PriceUpdate]:
    return received[restarted_at:]


@pytest.mark.parametrize("same_object", [True, False], ids=["restarted", "new-process-like"])
def test_a_restarted_exchange_on_the_same_port_keeps_prices_flowing(same_object: bool) -> None:
    async def scenario() -> Any:
        async with rig("BTC/USDT", "ETH/USDT") as r:
            await r.more_updates(30)
            old_stream = r.exchange.stream
            port = r.exchange.port
            await r.exchange.stop()
            mark = len(r.received)
            if same_object:
                await r.exchange.start()
                replacement = None
            else:  # a second server, as after Ctrl+C and starting it again
                replacement = PracticeExchange(port=port, tick_rate=100, heartbeat_interval=0.1)
                await replacement.start()
            try:
                await r.until(lambda: r.client.stats.connections >= 2)
                await r.more_updates(40, "BTC/USDT")
                await r.more_updates(40, "ETH/USDT")
                new_stream = (replacement or r.exchange).stream
                return r, mark, old_stream, new_stream
            finally:
                if replacement is not None:
                    await replacement.stop()

    r, mark, old_stream, new_stream = asyncio.run(scenario())
    assert old_stream != new_stream
    changes = r.events.where(Kind.STREAM)
    assert len(changes) == 1
    assert changes[0]["previous"] == old_stream and changes[0]["stream"] == new_stream
    assert set(changes[0]["symbols"]) == {"BTC/USDT", "ETH/USDT"}
    restored = [e for e in r.events.where(Kind.RESUBSCRIBED) if e.time >= changes[0].time]
    # The client asks with the handshake, before the welcome names the stream: its resume
    # names the old stream, which the new exchange answers with a snapshot.
    assert restored and restored[0]["stream"] == old_stream
    assert set(restored[0]["resume"]) <= {"BTC/USDT", "ETH/USDT"}
    for symbol in ("BTC/USDT", "ETH/USDT"):
        after = [u for u in _after_restart(r.received, mark) if u.symbol == symbol]
        assert after[0].snapshot, "the new stream starts with a snapshot"
        assert consecutive([u.seq for u in after])
    assert r.client.stats.duplicates == 0
    assert r.client.stats.new_streams == 1


def test_in_virtual_time_a_restart_costs_no_update_of_the_new_stream() -> None:
    async def scenario() -> tuple[list[PriceUpdate], EventLog, int]:
        events, bus = EventLog(), EventBus()
        bus.subscribe(events)
        received: list[PriceUpdate] = []
        async with InMemoryExchange(tick_rate=10, heartbeat_interval=1.0) as exchange:
            client = PriceFeedClient(exchange.connect, events=bus, policy=FAST)
            await client.subscribe("SOL/USDT")
            async with client:

                async def consume() -> None:
                    async for update in client.updates():
                        received.append(update)

                consumer = asyncio.create_task(consume())
                await asyncio.sleep(30)
                await exchange.stop()
                await asyncio.sleep(5)  # the exchange is away for five seconds
                mark = len(received)
                await exchange.start()
                await asyncio.sleep(60)
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
        return received, events, mark

    received, events, mark = vtime.run(scenario)
    after = received[mark:]
    assert after[0].snapshot and 1000 <= after[0].seq < 1010  # a reconnect's backoff later
    assert consecutive([u.seq for u in after])
    assert len(after) >= 590  # 60 s at 10 a second, less the reconnect's backoff
    assert len(events.where(Kind.STREAM)) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _start_cli(port: int) -> subprocess.Popen[str]:
    """`python -m lessonlib.exchange` on ``port``, once it prints that it listens."""
    command = [sys.executable, "-m", "lessonlib.exchange", "--port", str(port), "--tick-rate", "20"]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdout is not None
    async with asyncio.timeout(GUARD * 3):
        while f":{port}" not in await asyncio.to_thread(process.stdout.readline):
            pass
    return process


def _interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(GUARD)


@pytest.mark.skipif(os.name != "posix", reason="Ctrl+C is SIGINT on POSIX")
def test_the_practice_exchange_interrupted_and_started_again_as_an_instructor_would() -> None:
    async def scenario() -> tuple[PriceFeedClient, list[PriceUpdate], int]:
        port = _free_port()
        process = await _start_cli(port)
        received: list[PriceUpdate] = []
        client = PriceFeedClient(f"ws://127.0.0.1:{port}", policy=FAST)
        await client.subscribe("BTC/USDT")
        try:
            async with client, asyncio.timeout(GUARD * 3):

                async def consume() -> None:
                    async for update in client.updates():
                        received.append(update)

                consumer = asyncio.create_task(consume())
                while len(received) < 10:
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(_interrupt, process)
                mark = len(received)
                process = await _start_cli(port)
                while len(received) < mark + 10:
                    await asyncio.sleep(0.01)
                consumer.cancel()
        finally:
            await asyncio.to_thread(_interrupt, process)
        return client, received, mark

    client, received, mark = asyncio.run(scenario())
    after = received[mark:]
    assert after[0].snapshot and consecutive([u.seq for u in after])
    assert client.stats.new_streams == 1 and client.stats.duplicates == 0


def test_a_client_that_gave_up_says_why_instead_of_hanging() -> None:
    async def scenario() -> tuple[BaseException, list[PriceUpdate], BaseException]:
        client = PriceFeedClient(
            f"ws://127.0.0.1:{_free_port()}",
            policy=BackoffPolicy(initial_delay=0.01, max_delay=0.02, max_retries=2),
        )
        async with client:
            subscribing = asyncio.create_task(client.subscribe("BTC/USDT"))
            with pytest.raises(FeedStopped) as waiting:
                await client.connected()
            updates = [u async for u in client.updates()]
            with pytest.raises(FeedStopped) as answer:
                await subscribing  # waited across attempts for an answer that never came
        return waiting.value, updates, answer.value

    waiting, updates, subscribing = asyncio.run(scenario())
    assert isinstance(waiting.reason, RetryError)
    assert "gave up" in str(waiting) and "RetryError" in str(waiting)
    assert updates == []
    assert subscribing.reason is waiting.reason


def test_a_closed_client_ends_its_updates_and_refuses_to_wait_for_a_connection() -> None:
    async def scenario() -> tuple[BaseException, list[PriceUpdate]]:
        async with InMemoryExchange(tick_rate=50) as exchange:
            client = PriceFeedClient(exchange.connect)
            await client.subscribe("BTC/USDT")
            async with client:
                await client.connected()
                first = [u async for u in _take(client.updates(), 3)]
            with pytest.raises(FeedStopped) as waiting:
                await client.connected(client.stats.connections + 1)
            return waiting.value, first

    waiting, first = vtime.run(scenario)
    assert waiting.reason is None and "closed" in str(waiting)
    assert len(first) == 3


async def _take(updates: Any, count: int) -> Any:
    async for update in updates:
        yield update
        count -= 1
        if count == 0:
            return
