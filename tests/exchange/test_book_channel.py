"""PROTOCOL.md's order book channel, frame by frame, against both exchanges, with a raw client.

The test keeps its own book (a dict per side) and its own checksum (zlib), so that neither
the exchange's book model nor the library's local book is trusted here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import zlib
from decimal import Decimal
from typing import Any

from wire import connector, recv_json, recv_until, running

DECIMAL = re.compile(r"\d+(\.\d+)?")


def book_subscribe(request_id: int, *symbols: str, op: str = "subscribe") -> str:
    return json.dumps({"op": op, "id": request_id, "channel": "book", "symbols": list(symbols)})


def snapshot_request(request_id: int, symbol: str, depth: int = 1000) -> str:
    return json.dumps({"op": "book_snapshot", "id": request_id, "symbol": symbol, "depth": depth})


def crc(book: dict[str, dict[Decimal, str]], texts: dict[Decimal, str]) -> int:
    asks = sorted(book["asks"])[:10]
    bids = sorted(book["bids"], reverse=True)[:10]
    levels = [f"{texts[p]}:{book['asks'][p]}" for p in asks]
    levels += [f"{texts[p]}:{book['bids'][p]}" for p in bids]
    return zlib.crc32("|".join(levels).encode())


def apply(book: dict[str, dict[Decimal, str]], texts: dict[Decimal, str], frame: dict) -> None:
    for side in ("bids", "asks"):
        for price, quantity in frame[side]:
            assert DECIMAL.fullmatch(price) and DECIMAL.fullmatch(quantity), (price, quantity)
            key = Decimal(price)
            texts[key] = price
            if Decimal(quantity) == 0:
                book[side].pop(key, None)
            else:
                book[side][key] = quantity


async def frames_of(connection: Any, kinds: set[str], count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while len(found) < count:
        frame = await recv_json(connection)
        if frame["type"] in kinds:
            found.append(frame)
    return found


def test_book_subscribe_then_updates_numbered_first_to_last_without_gaps(kind: str) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with running(kind, tick_rate=100) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(book_subscribe(5, "BTC/USDT"))
                subscribed = await recv_json(connection)
                return subscribed, await frames_of(connection, {"book_update"}, 20)

    subscribed, updates = asyncio.run(scenario())
    assert subscribed == {
        "type": "subscribed",
        "id": 5,
        "channel": "book",
        "symbol": "BTC/USDT",
        "update_id": subscribed["update_id"],
    }
    assert updates[0]["first"] == subscribed["update_id"] + 1
    for before, after in itertools.pairwise(updates):
        assert after["first"] == before["last"] + 1
    for update in updates:
        assert update["symbol"] == "BTC/USDT" and update["first"] <= update["last"]
        assert 0 <= update["checksum"] <= 0xFFFFFFFF


def test_the_documented_procedure_gives_every_checksum_and_an_uncrossed_book(kind: str) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        async with running(kind, tick_rate=100) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(book_subscribe(1, "ETH/USDT"))
                await recv_until(connection, "subscribed")
                await connection.send(snapshot_request(2, "ETH/USDT"))
                before: list[dict[str, Any]] = []
                while (frame := await recv_json(connection))["type"] != "book_snapshot":
                    if frame["type"] == "book_update":
                        before.append(frame)
                after = await frames_of(connection, {"book_update"}, 30)
                return frame, before, after

    snapshot, before, after = asyncio.run(scenario())
    assert snapshot["id"] == 2 and snapshot["symbol"] == "ETH/USDT"
    # Late, as a REST snapshot is: updates after the change it was taken at came first.
    assert any(u["last"] > snapshot["last"] for u in before)
    texts: dict[Decimal, str] = {}
    book: dict[str, dict[Decimal, str]] = {"bids": {}, "asks": {}}
    apply(book, texts, snapshot)
    assert max(book["bids"]) < min(book["asks"])
    fresh = [u for u in before + after if u["last"] > snapshot["last"]]
    assert fresh[0]["first"] <= snapshot["last"] + 1 <= fresh[0]["last"]
    for previous, update in zip([None, *fresh], fresh, strict=False):
        if previous is not None:
            assert update["first"] == previous["last"] + 1  # no update resent, none missing
        apply(book, texts, update)
        assert crc(book, texts) == update["checksum"]
        assert max(book["bids"]) < min(book["asks"])


def test_snapshot_depth_is_the_top_levels_and_at_most_1000(kind: str) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with running(kind, tick_rate=100) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(snapshot_request(3, "SOL/USDT", depth=3))
                small = await recv_until(connection, "book_snapshot")
                await connection.send(snapshot_request(4, "SOL/USDT", depth=1001))
                await connection.send(snapshot_request(5, "DOGE/XYZ", depth=5))
                await connection.send(json.dumps({"op": "book_snapshot", "id": 6}))
                errors = [await recv_until(connection, "error") for _ in range(3)]
                return [small, *errors]

    small, too_deep, unknown, missing = asyncio.run(scenario())
    assert len(small["bids"]) == len(small["asks"]) == 3
    bids = [Decimal(p) for p, _ in small["bids"]]
    asks = [Decimal(p) for p, _ in small["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert too_deep["id"] == 4 and too_deep["code"] == "bad_request"
    assert "depth" in too_deep["message"] and "1001" in too_deep["message"]
    assert unknown["code"] == "unknown_symbol" and unknown["symbol"] == "DOGE/XYZ"
    assert missing["id"] == 6 and missing["code"] == "bad_request"


def test_unknown_channel_is_an_error_and_unsubscribe_takes_the_channel(kind: str) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        async with running(kind, tick_rate=100, heartbeat_interval=0.1) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                frame = {"op": "subscribe", "id": 8, "channel": "trades", "symbols": ["BTC/USDT"]}
                await connection.send(json.dumps(frame))
                error = await recv_until(connection, "error")
                await connection.send(book_subscribe(9, "BTC/USDT"))
                await frames_of(connection, {"book_update"}, 2)
                await connection.send(book_subscribe(10, "BTC/USDT", op="unsubscribe"))
                unsubscribed = await recv_until(connection, "unsubscribed")
                await connection.send(json.dumps({"op": "ping", "id": 11}))
                await recv_until(connection, "pong")
                # Ten ticks go by in a heartbeat interval: a live book would fill it.
                later = [(await recv_json(connection))["type"] for _ in range(2)]
                return error, unsubscribed, later

    error, unsubscribed, later = asyncio.run(scenario())
    assert error["id"] == 8 and error["code"] == "unknown_channel" and "trades" in error["message"]
    assert unsubscribed == {
        "type": "unsubscribed",
        "id": 10,
        "channel": "book",
        "symbol": "BTC/USDT",
    }
    assert later == ["heartbeat", "heartbeat"]


def test_skip_loses_book_updates_and_garbage_cuts_one_short(kind: str) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[str]]:
        async with running(kind, tick_rate=100, symbols=["BTC/USDT"]) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(book_subscribe(1, "BTC/USDT"))
                before = await frames_of(connection, {"book_update"}, 1)
                exchange.skip(3)
                skipped = before + await frames_of(connection, {"book_update"}, 3)
                exchange.garbage("not_json")
                texts: list[str] = []
                while len(texts) < 4:
                    async with asyncio.timeout(30):
                        texts.append(await connection.recv())
                return skipped, texts

    skipped, texts = asyncio.run(scenario())
    jumps = [b["first"] - a["last"] for a, b in itertools.pairwise(skipped)]
    assert any(jump > 1 for jump in jumps), jumps  # the lost updates show as a gap in the ids
    cut = [t for t in texts if t.startswith('{"type":"book_update"') and not t.endswith("}")]
    assert len(cut) == 1, texts
    with_checksums = [json.loads(t) for t in texts if t.endswith("}") and "book_update" in t]
    assert all("checksum" in u for u in with_checksums)


def test_a_book_no_one_listened_to_is_served_around_the_current_price(kind: str) -> None:
    """Books stand still while no one listens; whoever subscribes or asks for a snapshot
    gets the book around the price the tickers show now, not where it stood."""

    async def scenario() -> tuple[float, dict[str, Any], float, dict[str, Any]]:
        async with running(kind, tick_rate=1) as exchange:
            drifted = []
            for symbol in ("BTC/USDT", "ETH/USDT"):
                start = exchange.market.mid(symbol)
                while abs(exchange.market.mid(symbol) / start - 1) < 0.01:  # a 1 % move
                    exchange.market.tick(symbol, ts=0.0)
                drifted.append(exchange.market.mid(symbol))
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(snapshot_request(3, "BTC/USDT", depth=1))
                asked = await recv_until(connection, "book_snapshot")
                await connection.send(book_subscribe(4, "ETH/USDT"))
                await recv_until(connection, "subscribed")
                await connection.send(snapshot_request(5, "ETH/USDT", depth=1))
                subscribed = await recv_until(connection, "book_snapshot")
                return drifted[0], asked, drifted[1], subscribed

    btc, asked, eth, subscribed = asyncio.run(scenario())
    for mid, snapshot in ((btc, asked), (eth, subscribed)):
        best_bid, best_ask = float(snapshot["bids"][0][0]), float(snapshot["asks"][0][0])
        assert best_bid < best_ask
        # a book left where it stood would be a whole 1 % off; a tick or two since is not
        assert abs((best_bid + best_ask) / 2 / mid - 1) < 0.003, (mid, best_bid, best_ask)
