"""PROTOCOL.md, frame by frame, against both exchanges, with a raw client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from wire import GUARD, connector, recv_json, recv_until, running, until

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


def subscribe(
    request_id: int,
    *symbols: str,
    resume: dict[str, int] | None = None,
    stream: str | None = None,
) -> str:
    frame: dict[str, Any] = {"op": "subscribe", "id": request_id, "symbols": list(symbols)}
    if resume is not None:
        frame["resume"] = resume
    if stream is not None:
        frame["stream"] = stream
    return json.dumps(frame)


def test_welcome_comes_first_and_names_the_symbols(kind: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with running(kind, symbols=SYMBOLS, heartbeat_interval=0.5) as exchange:
            async with await connector(exchange)() as connection:
                return await recv_json(connection)

    welcome = asyncio.run(scenario())
    stream = welcome.get("stream")
    assert isinstance(stream, str) and stream, welcome
    assert welcome == {
        "type": "welcome",
        "exchange": "memory" if kind == "memory" else "practice",
        "stream": stream,
        "symbols": SYMBOLS,
        "heartbeat_interval": 0.5,
    }


def test_subscribe_answers_each_symbol_then_snapshot_then_consecutive_tickers(kind: str) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with running(kind, tick_rate=200) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(subscribe(7, "BTC/USDT", "DOGE/XYZ"))
                frames = [await recv_json(connection) for _ in range(3)]
                tickers = [await recv_until(connection, "ticker") for _ in range(5)]
                return frames + tickers

    subscribed, snapshot, error, *tickers = asyncio.run(scenario())
    assert subscribed["type"] == "subscribed" and subscribed["id"] == 7
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == subscribed["seq"]
    assert snapshot["bid"] < snapshot["ask"]
    assert error == {
        "type": "error",
        "id": 7,
        "code": "unknown_symbol",
        "message": "no such symbol",
        "symbol": "DOGE/XYZ",
    }
    seqs = [t["seq"] for t in tickers]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 6))


def test_resume_replays_exactly_what_was_missed_then_goes_live(kind: str) -> None:
    async def scenario() -> tuple[int, list[int]]:
        # 100 tickers a second: the 1,000 buffered span ten seconds, however loaded the machine
        async with running(kind, tick_rate=100) as exchange:
            async with await connector(exchange)() as first:
                await recv_json(first)
                await first.send(subscribe(1, "ETH/USDT"))
                last = (await recv_until(first, "snapshot"))["seq"]
            await until(lambda: exchange.market.seq("ETH/USDT") >= last + 40)  # it moves on
            async with await connector(exchange)() as second:
                stream = (await recv_json(second))["stream"]
                resume = {"ETH/USDT": last}
                await second.send(subscribe(2, "ETH/USDT", resume=resume, stream=stream))
                await recv_until(second, "subscribed")
                seqs = []
                while len(seqs) < 60:
                    frame = await recv_json(second)
                    assert frame["type"] in ("ticker", "heartbeat"), frame
                    if frame["type"] == "ticker":
                        seqs.append(frame["seq"])
                return last, seqs

    last, seqs = asyncio.run(scenario())
    assert seqs == list(range(last + 1, last + 61))


async def not_heartbeat(connection: Any) -> dict[str, Any]:
    """The next frame that is not a heartbeat (one may come at any moment)."""
    while (frame := await recv_json(connection))["type"] == "heartbeat":
        pass
    return frame


def test_resume_further_back_than_the_buffer_gets_a_snapshot(kind: str) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with running(kind, tick_rate=1, buffer_size=1000) as exchange:
            start = exchange.market.seq("BTC/USDT")
            for _ in range(1100):  # the market moves on by more than its buffer holds
                exchange.market.tick("BTC/USDT", ts=0.0)
            async with await connector(exchange)() as connection:
                stream = (await recv_json(connection))["stream"]
                resume = {"BTC/USDT": start}
                await connection.send(subscribe(3, "BTC/USDT", resume=resume, stream=stream))
                answer, after = await not_heartbeat(connection), await not_heartbeat(connection)
                return answer, after

    answer, snapshot = asyncio.run(scenario())
    assert answer["type"] == "subscribed"
    assert snapshot["type"] == "snapshot" and snapshot["seq"] >= answer["seq"]


def test_unsubscribe_stops_the_stream(kind: str) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with running(kind, tick_rate=200, heartbeat_interval=0.05) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send(subscribe(1, "BTC/USDT"))
                await recv_until(connection, "ticker")
                unsubscribe = {"op": "unsubscribe", "id": 2, "symbols": ["BTC/USDT"]}
                await connection.send(json.dumps(unsubscribe))
                await recv_until(connection, "unsubscribed")
                return [await recv_json(connection) for _ in range(3)]

    assert [f["type"] for f in asyncio.run(scenario())] == ["heartbeat"] * 3


def test_ping_gets_a_pong_with_its_id_and_idle_connections_get_heartbeats(kind: str) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with running(kind, heartbeat_interval=0.05) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                await connection.send('{"op": "ping", "id": -12}')
                pong = await not_heartbeat(connection)  # 50 ms heartbeats may come first
                return pong, [await recv_json(connection) for _ in range(2)]

    pong, idle = asyncio.run(scenario())
    assert pong == {"type": "pong", "id": -12}
    assert [f["type"] for f in idle] == ["heartbeat", "heartbeat"]
    assert idle[1]["ts"] > idle[0]["ts"]


def test_shutdown_sends_the_notice_then_closes_with_1012_and_refuses_for_a_while(
    kind: str,
) -> None:
    async def scenario() -> tuple[dict[str, Any], int | None, str]:
        async with running(kind) as exchange:
            async with await connector(exchange)() as connection:
                await recv_json(connection)
                exchange.shutdown(reconnect_after=30.0, reason="upgrade")
                notice = await recv_until(connection, "shutdown")
                with pytest.raises(ConnectionClosed) as closed:
                    async with asyncio.timeout(GUARD):
                        while True:
                            await connection.recv()
                code = closed.value.rcvd.code if closed.value.rcvd else None
            try:
                await connector(exchange)()
                refused = "accepted"
            except Exception as error:
                refused = type(error).__name__
            return notice, code, refused

    notice, code, refused = asyncio.run(scenario())
    assert notice == {"type": "shutdown", "reason": "upgrade", "reconnect_after": 30.0}
    assert code == 1012
    assert refused == "InvalidStatus"


def test_seq_grows_by_one_across_connections_within_one_stream(kind: str) -> None:
    async def scenario() -> list[int]:
        seqs: list[int] = []
        # 50 a second: the buffer's 1,000 tickers cover 20 s between connections, however
        # slowly a loaded machine reconnects
        async with running(kind, tick_rate=50) as exchange:
            for request_id in range(3):
                async with await connector(exchange)() as connection:
                    stream = (await recv_json(connection))["stream"]
                    resume = {"SOL/USDT": seqs[-1]} if seqs else None
                    request = subscribe(request_id, "SOL/USDT", resume=resume, stream=stream)
                    await connection.send(request)
                    await recv_until(connection, "subscribed")
                    if not seqs:
                        seqs.append((await recv_until(connection, "snapshot"))["seq"])
                    for _ in range(10):
                        seqs.append((await recv_until(connection, "ticker"))["seq"])
        return seqs

    seqs = asyncio.run(scenario())
    assert seqs == list(range(seqs[0], seqs[0] + 31))


async def _resume_answer(exchange: Any, stream: str | None) -> tuple[str, dict[str, Any]]:
    """Subscribe to BTC/USDT resuming from a seq just behind the present, with ``stream``
    (None: the field left out); the welcome's stream and the frame after ``subscribed``."""
    async with await connector(exchange)() as connection:
        own = (await recv_json(connection))["stream"]
        behind = {"BTC/USDT": exchange.market.seq("BTC/USDT") - 3}
        await connection.send(subscribe(4, "BTC/USDT", resume=behind, stream=stream))
        await recv_until(connection, "subscribed")
        return own, await not_heartbeat(connection)


@pytest.mark.parametrize("stream", [None, "another-run"])
def test_a_resume_from_another_stream_or_none_gets_a_snapshot(
    kind: str, stream: str | None
) -> None:
    async def scenario() -> dict[str, Any]:
        async with running(kind, tick_rate=200) as exchange:
            await until(lambda: exchange.market.seq("BTC/USDT") >= 1010)
            return (await _resume_answer(exchange, stream))[1]

    assert asyncio.run(scenario())["type"] == "snapshot"


def test_a_restarted_exchange_opens_a_new_stream_counted_from_the_start(kind: str) -> None:
    async def scenario() -> tuple[str, str, int, int, dict[str, Any]]:
        async with running(kind, tick_rate=200) as exchange:
            first_seq = exchange.market.seq("BTC/USDT")
            await until(lambda: exchange.market.seq("BTC/USDT") >= first_seq + 20)
            before, _ = await _resume_answer(exchange, None)
            last_before = exchange.market.seq("BTC/USDT")
            await exchange.stop()
            await exchange.start()
            restarted_at = exchange.market.seq("BTC/USDT")
            await until(lambda: exchange.market.seq("BTC/USDT") >= first_seq + 5)
            after, answer = await _resume_answer(exchange, before)
            return before, after, restarted_at, last_before, answer

    before, after, restarted_at, last_before, answer = asyncio.run(scenario())
    assert before != after
    assert restarted_at < last_before, "the new stream's seq starts again"
    assert answer["type"] == "snapshot", "a resume from the old stream is not replayed"


def test_separate_exchanges_with_one_seed_name_different_streams(kind: str) -> None:
    async def scenario() -> set[str]:
        streams = set()
        for _ in range(3):
            async with running(kind, seed=7) as exchange:
                async with await connector(exchange)() as connection:
                    streams.add((await recv_json(connection))["stream"])
        return streams

    assert len(asyncio.run(scenario())) == 3
