"""Each fault of PROTOCOL.md's table, on real sockets: what the feed client must do, and does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from feed_harness import FAST, rig
from feed_harness import consecutive as is_consecutive

from lessonlib.events import Kind
from lessonlib.feed import Closed, Connected, SubscriptionRejected


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


def test_drop_reconnects_and_resumes_without_losing_or_repeating_an_update() -> None:
    async def scenario() -> Any:
        async with rig("BTC/USDT", "ETH/USDT") as r:
            await r.more_updates(5)
            assert r.exchange.drop() == 1
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(20, "BTC/USDT")
            await r.more_updates(20, "ETH/USDT")
            return r

    r = run(scenario)
    for symbol in ("BTC/USDT", "ETH/USDT"):
        assert is_consecutive(r.seqs(symbol))
    lost = r.events.where(Kind.LOST)[0]
    assert "no close frame" in lost["reason"]
    # the state says so at once, not only when the next attempt starts after the delay
    after = next(e for e in r.events.where(Kind.STATE) if e["previous"] == "connected")
    assert (after["state"], after["attempt"]) == ("reconnecting", 1) and after.time <= lost.time
    restored = r.events.where(Kind.RESUBSCRIBED)[0]
    assert restored["symbols"] == ["BTC/USDT", "ETH/USDT"]
    assert set(restored["resume"]) == {"BTC/USDT", "ETH/USDT"}
    assert r.client.stats.gaps == 0 and r.client.stats.duplicates == 0


@pytest.mark.parametrize("code", [1001, 1011, 1012, 1013])
def test_a_clean_close_with_any_code_is_followed_by_a_reconnect(code: int) -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.close(code)
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(10)
            return r

    r = run(scenario)
    assert f"received {code}" in r.events.where(Kind.LOST)[0]["reason"]
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_refused_handshakes_are_retried_with_backoff_until_one_gets_through() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.refuse(3)
            r.exchange.drop()
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(5)
            return r

    r = run(scenario)
    failures = r.events.where(Kind.FAILURE)
    assert len(failures) == 3 and all("503" in f["error"] for f in failures)
    delays = [e["delay"] for e in r.events.where(Kind.SLEEP)]
    assert delays == pytest.approx([0.02, 0.04, 0.08, 0.16])  # after the loss, then 3 refusals
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_a_rate_limit_backs_off_much_harder_than_a_refusal() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.refuse(1)
            r.exchange.rate_limit(1, retry_after=0.05)
            r.exchange.drop()
            await r.until(lambda: r.client.stats.connections == 2)
            return r

    r = run(scenario)
    refused, limited = r.events.where(Kind.FAILURE)
    assert "503" in refused["error"] and "429" in limited["error"]
    _, after_refusal, after_limit = [e["delay"] for e in r.events.where(Kind.SLEEP)]
    assert after_refusal == pytest.approx(0.04)
    # as if three more attempts had failed: 0.02 * 2**5, and never less than Retry-After
    assert after_limit == pytest.approx(0.64 if FAST.max_delay >= 0.64 else FAST.max_delay)
    assert after_limit >= 10 * after_refusal


def test_a_silent_connection_is_declared_dead_and_replaced() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.stall(600)  # silent until healed: however late the client notices
            await r.until(lambda: len(r.events.where(Kind.LOST)) == 1)
            r.exchange.heal()
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(10)
            return r

    r = run(scenario)
    lost = r.events.where(Kind.LOST)[0]
    assert "ConnectionSilent: no frame for 3 s" in lost["reason"]  # 3 heartbeats of 1 s
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_skipped_tickers_are_fetched_again_from_the_exchanges_buffer() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.skip(5)
            await r.until(lambda: r.client.stats.resyncs == 1)
            await r.more_updates(20)
            return r

    r = run(scenario)
    assert is_consecutive(r.seqs("BTC/USDT"))
    assert r.client.stats.gaps == 0
    resync = next(e for e in r.events.where(Kind.RESUBSCRIBED) if "reason" in e.details)
    assert resync["reason"].startswith("seq jumped to")


@pytest.mark.parametrize(
    "kind",
    [
        "not_json",
        "truncated",
        "array",
        "unknown_type",
        "missing_field",
        "wrong_type",
        "negative_price",
    ],
)
def test_garbage_is_counted_and_reported_and_the_stream_goes_on(kind: str) -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.garbage(kind)
            await r.until(lambda: r.client.stats.malformed == 1)
            await r.more_updates(10)
            return r

    r = run(scenario)
    assert r.client.stats.connections == 1
    assert len(r.events.where(Kind.MALFORMED)) == 1
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_latency_delays_updates_but_loses_none() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.latency(0.05)
            await r.more_updates(20)
            r.exchange.latency(0)
            await r.more_updates(5)
            return r

    r = run(scenario)
    assert r.client.stats.connections == 1
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_a_shutdown_notice_is_honoured_before_reconnecting() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.shutdown(reconnect_after=0.3)
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(5)
            return r

    r = run(scenario)
    lost = r.events.where(Kind.LOST)[0]
    assert "shutting down" in lost["reason"]
    first_retry = next(e for e in r.events.where(Kind.ATTEMPT) if e.time > lost.time)
    assert first_retry.time - lost.time >= 0.3
    assert not r.events.where(Kind.FAILURE)  # it waited as asked: no refused handshake
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_flaky_handshakes_fail_until_the_exchange_recovers() -> None:
    async def scenario() -> Any:
        async with rig() as r:
            r.exchange.flaky_handshakes(1.0)
            r.exchange.drop()
            await r.until(lambda: len(r.events.where(Kind.FAILURE)) >= 4)
            r.exchange.flaky_handshakes(0.0)
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(5)
            return r

    r = run(scenario)
    assert all("503" in e["error"] for e in r.events.where(Kind.FAILURE))
    assert is_consecutive(r.seqs("BTC/USDT"))


def test_a_rejected_symbol_is_reported_dropped_and_never_requested_again() -> None:
    async def scenario() -> Any:
        async with rig("BTC/USDT") as r:
            with pytest.raises(SubscriptionRejected, match="NOPE/USDT: unknown_symbol"):
                await r.client.subscribe("ETH/USDT", "NOPE/USDT")
            await r.more_updates(5, "ETH/USDT")
            r.exchange.drop()
            await r.until(lambda: r.client.stats.connections == 2)
            await r.more_updates(5, "ETH/USDT")
            return r

    r = run(scenario)
    assert r.client.subscriptions == ["BTC/USDT", "ETH/USDT"]
    assert set(r.client.rejected) == {"NOPE/USDT"}
    [rejected] = r.events.where(Kind.REJECTED)
    assert rejected["code"] == "unknown_symbol"
    restored = r.events.where(Kind.RESUBSCRIBED)[-1]
    assert restored["symbols"] == ["BTC/USDT", "ETH/USDT"]
    assert is_consecutive(r.seqs("BTC/USDT")) and is_consecutive(r.seqs("ETH/USDT"))


def test_subscribing_while_disconnected_takes_effect_on_the_next_connection() -> None:
    async def scenario() -> Any:
        async with rig("BTC/USDT") as r:
            r.exchange.refuse(2)
            r.exchange.drop()
            await r.until(lambda: not isinstance(r.client.state, Connected))
            subscribing = asyncio.create_task(r.client.subscribe("SOL/USDT"))
            await subscribing  # answered once the client is back
            await r.more_updates(5, "SOL/USDT")
            return r

    r = run(scenario)
    assert is_consecutive(r.seqs("SOL/USDT"))
    first_sol = next(u for u in r.received if u.symbol == "SOL/USDT")
    assert first_sol.snapshot  # a fresh subscription starts from the exchange's snapshot


def test_unsubscribe_stops_a_symbol_also_after_reconnects() -> None:
    async def scenario() -> Any:
        async with rig("BTC/USDT", "ETH/USDT") as r:
            await r.client.unsubscribe("ETH/USDT")
            r.exchange.drop()
            await r.until(lambda: r.client.stats.connections == 2)
            count = len(r.seqs("ETH/USDT"))
            await r.more_updates(20, "BTC/USDT")
            return r, count

    r, count = run(scenario)
    assert len(r.seqs("ETH/USDT")) == count
    assert r.events.where(Kind.RESUBSCRIBED)[-1]["symbols"] == ["BTC/USDT"]


def test_a_slow_consumer_gets_backpressure_not_loss() -> None:
    async def scenario() -> Any:
        from lessonlib.exchange import PracticeExchange
        from lessonlib.feed import PriceFeedClient

        async with PracticeExchange(port=0, tick_rate=500) as exchange:
            client = PriceFeedClient(exchange.url, policy=FAST, buffer_size=8)
            await client.subscribe("BTC/USDT")
            seqs: list[int] = []
            async with client:
                async for update in client.updates():
                    seqs.append(update.seq)
                    if len(seqs) % 25 == 0:
                        assert client._queue.qsize() <= 8
                        await asyncio.sleep(0.05)  # the consumer is busy elsewhere
                    if len(seqs) == 200:
                        break
            return seqs

    assert is_consecutive(run(scenario))


def test_close_stops_every_task_and_closes_the_socket_with_1000() -> None:
    async def scenario() -> Any:
        from lessonlib.exchange import PracticeExchange
        from lessonlib.feed import PriceFeedClient

        async with PracticeExchange(port=0, tick_rate=100) as exchange:
            client = PriceFeedClient(exchange.url, policy=FAST)
            await client.subscribe("BTC/USDT")
            await client.start()
            await client.connected()
            [session] = exchange.sessions
            await client.close()
            await asyncio.wait_for(session.closed.wait(), 5)
            leftovers = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and not t.get_name().startswith("practice")
            ]
            return client, leftovers, exchange.stats.connections_open, session.close_code

    client, leftovers, still_open, close_code = run(scenario)
    assert isinstance(client.state, Closed)
    assert close_code == 1000
    assert still_open == 0
    assert [t.get_name() for t in leftovers] == []
