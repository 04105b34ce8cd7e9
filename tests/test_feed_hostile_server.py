"""A hostile exchange: malformed and misleading frames sent to the feed client.

The client never crashes: malformed frames are counted and reported, misleading ones (a
second welcome, prices it never asked for, seqs it has already seen) are ignored or dropped,
and the good prices around them are delivered in order.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.feed import PriceFeedClient

WELCOME = (
    '{"type":"welcome","exchange":"hostile","stream":"h1","symbols":["BTC/USDT"],'
    '"heartbeat_interval":1}'
)


def ticker(number: int, **changes: Any) -> str:
    frame = {"type": "ticker", "symbol": "BTC/USDT", "seq": number, "bid": 1.0, "ask": 2.0}
    return json.dumps({**frame, "ts": 0.0, **changes})


MALFORMED = [
    b"\x00\x01 a binary frame",
    "",
    "not json",
    '{"type": "ticker", "symbol": "BTC/USDT", "seq": 1',
    "[1, 2, 3]",
    "null",
    '"ticker"',
    "{}",
    '{"type": "price"}',
    '{"type": 42}',
    ticker(1, seq="1"),
    ticker(1, seq=-5),
    ticker(1, seq=True),
    ticker(1, seq=1.5),
    ticker(1, bid=None),
    ticker(1, bid=-1.0),
    ticker(1, bid=3.0),
    ticker(1, ask="2"),
    ticker(1, ts="now"),
    ticker(1, symbol=""),
    ticker(1, symbol=7),
    '{"type":"ticker","symbol":"BTC/USDT","seq":1,"bid":NaN,"ask":2,"ts":0}',
    '{"type":"ticker","symbol":"BTC/USDT","seq":1,"bid":1,"ask":Infinity,"ts":0}',
    '{"type": "heartbeat"}',
    '{"type": "shutdown", "reason": "x", "reconnect_after": -1}',
    '{"type": "subscribed", "id": 1, "symbol": "BTC/USDT"}',
    '{"type": "error", "id": 1}',
    "[" * 30_000 + "]" * 30_000,
]
MISLEADING = [
    WELCOME,  # a second welcome
    '{"type": "subscribed", "id": 99, "symbol": "ETH/USDT", "seq": 5}',  # never asked for
    ticker(7, symbol="ETH/USDT"),  # a price it never asked for
    '{"type": "unsubscribed", "id": 3, "symbol": "SOL/USDT"}',
    '{"type": "pong", "id": 12345}',
    '{"type": "error", "id": null, "code": "mystery", "message": "?"}',
]


async def hostile(connection: ServerConnection) -> None:
    """Welcome, answer the subscription, then good prices with hostile frames between them."""
    await connection.send(WELCOME)
    request = json.loads(await connection.recv())
    subscribed = {"type": "subscribed", "id": request["id"], "symbol": "BTC/USDT", "seq": 100}
    await connection.send(json.dumps(subscribed))
    await connection.send(ticker(100, type="snapshot"))
    seq = 100
    for frame in MALFORMED + MISLEADING:
        seq += 1
        await connection.send(ticker(seq))
        await connection.send(frame)
        await connection.send(ticker(seq))  # the same seq again: a duplicate
    for _ in range(5):
        seq += 1
        await connection.send(ticker(seq))
    await connection.wait_closed()


def test_hostile_frames_never_crash_the_client_and_good_prices_get_through() -> None:
    async def scenario() -> tuple[list[int], PriceFeedClient, EventLog]:
        events = EventLog()
        async with serve(hostile, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            client = PriceFeedClient(f"ws://127.0.0.1:{port}", events=events)
            await client.subscribe("BTC/USDT")
            seqs: list[int] = []
            async with client:
                async for update in client.updates():
                    seqs.append(update.seq)
                    if update.seq == 100 + len(MALFORMED) + len(MISLEADING) + 5:
                        break
            return seqs, client, events

    seqs, client, events = asyncio.run(scenario())
    total = len(MALFORMED) + len(MISLEADING) + 5
    assert seqs == list(range(100, 100 + total + 1))
    assert client.stats.malformed == len(MALFORMED)
    assert client.stats.duplicates == len(MALFORMED) + len(MISLEADING)
    assert client.stats.connections == 1 and client.stats.gaps == 0
    reported = events.where(Kind.MALFORMED)
    assert len(reported) == client.stats.malformed
    assert all(e["error"] for e in reported)
    assert [e["code"] for e in events.where(Kind.REJECTED)] == ["mystery"]


async def oversized(connection: ServerConnection) -> None:
    await connection.send(WELCOME)
    await connection.recv()
    await connection.send("x" * (2**20 + 1))  # more than the client accepts in one frame
    await connection.wait_closed()


def test_a_frame_too_big_costs_the_connection_not_the_client() -> None:
    async def scenario() -> tuple[PriceFeedClient, EventLog]:
        events = EventLog()
        async with serve(oversized, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            policy = BackoffPolicy(initial_delay=0.01, max_retries=None)
            client = PriceFeedClient(f"ws://127.0.0.1:{port}", policy=policy, events=events)
            await client.subscribe("BTC/USDT")
            async with client:
                async with asyncio.timeout(10):
                    while client.stats.connections < 3:
                        await asyncio.sleep(0.005)
            return client, events

    client, events = asyncio.run(scenario())
    assert "1009" in events.where(Kind.LOST)[0]["reason"]
    assert client.stats.connections >= 3


async def closes_with_policy_violation(connection: ServerConnection) -> None:
    await connection.send(WELCOME)
    await connection.recv()
    await connection.close(1008, "too many requests")


def test_a_1008_close_backs_off_as_hard_as_a_rate_limit() -> None:
    async def scenario() -> EventLog:
        events = EventLog()
        async with serve(closes_with_policy_violation, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            policy = BackoffPolicy(initial_delay=0.01, max_retries=None)
            client = PriceFeedClient(f"ws://127.0.0.1:{port}", policy=policy, events=events)
            await client.subscribe("BTC/USDT")
            async with client:
                async with asyncio.timeout(10):
                    while client.stats.connections < 2:
                        await asyncio.sleep(0.005)
        return events

    events = asyncio.run(scenario())
    assert "received 1008" in events.where(Kind.LOST)[0]["reason"]
    # an ordinary loss waits 0.01 s; a policy violation as if three more had failed: 8x
    assert events.where(Kind.SLEEP)[0]["delay"] == pytest.approx(0.01 * 2**3)
