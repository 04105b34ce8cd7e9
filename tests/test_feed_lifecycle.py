"""The feed client's life in virtual time: giving up, and configuration it refuses."""

from __future__ import annotations

import asyncio

import pytest

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.events import EventLog, Kind
from lessonlib.exchange import InMemoryExchange
from lessonlib.feed import Closed, PriceFeedClient
from lessonlib.retry import RetryError


def test_when_the_retries_run_out_the_client_closes_and_its_updates_end() -> None:
    async def scenario() -> tuple[PriceFeedClient, EventLog, list[object], float]:
        events = EventLog()
        async with InMemoryExchange() as exchange:
            exchange.refuse(10**6)
            client = PriceFeedClient(
                exchange.connect, policy=BackoffPolicy(max_retries=3), events=events
            )
            await client.subscribe("BTC/USDT")
            await client.start()
            received = [update async for update in client.updates()]  # ends by itself
            return client, events, received, asyncio.get_running_loop().time()

    client, events, received, ended = vtime.run(scenario())
    assert isinstance(client.state, Closed) and isinstance(client.error, RetryError)
    assert received == []
    assert len(events.where(Kind.ATTEMPT)) == 4
    assert ended == pytest.approx(0.1 + 0.2 + 0.4)


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"buffer_size": 0}, "buffer_size must be a positive integer, got 0"),
        ({"silence_intervals": 0.5}, "silence_intervals must be at least 1, got 0.5"),
        ({"open_timeout": 0}, "open_timeout must be greater than 0, got 0"),
    ],
)
def test_bad_client_settings_name_the_field_and_value(
    settings: dict[str, float], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        PriceFeedClient("ws://127.0.0.1:8765", **settings)  # type: ignore[arg-type]


def test_an_exchange_that_is_not_a_websocket_url_is_refused() -> None:
    with pytest.raises(ValueError, match="exchange must be a ws:// or wss:// URL, got 'http://x'"):
        PriceFeedClient("http://x")
