"""The exchange's pure parts: the market, request parsing, the fault console."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib.exchange.console import parse_command
from lessonlib.exchange.market import Market
from lessonlib.protocol.messages import Ticker, encode, parse_server_frame
from lessonlib.protocol.requests import (
    BadRequest,
    Ping,
    Subscribe,
    Unsubscribe,
    encode_request,
    parse_request,
)


@given(ticks=st.integers(0, 3000), after=st.integers(0, 5000))
def test_resume_replays_exactly_the_buffered_tickers_after_a_seq(ticks: int, after: int) -> None:
    market = Market(["BTC/USDT"], seed=3, buffer_size=1000, first_seq=0)
    history = [market.tick("BTC/USDT", float(i)) for i in range(ticks)]
    replay = market.replay("BTC/USDT", after)
    current = market.seq("BTC/USDT")
    oldest_kept = max(1, current - 999)
    if after > current or after + 1 < oldest_kept:
        assert replay is None  # a snapshot instead
    else:
        assert replay == [t for t in history if t.seq > after]


@given(seed=st.integers(0, 2**16), ticks=st.integers(1, 500))
def test_seq_grows_by_one_and_prices_stay_positive_with_bid_below_ask(
    seed: int, ticks: int
) -> None:
    market = Market(seed=seed)
    for symbol in market.symbols:
        start = market.seq(symbol)
        tickers = [market.tick(symbol, 0.0) for _ in range(ticks)]
        assert [t.seq for t in tickers] == list(range(start + 1, start + ticks + 1))
        assert all(0 < t.bid < t.ask for t in tickers)


def test_the_same_seed_moves_the_same_prices() -> None:
    first, second = Market(seed=9), Market(seed=9)
    assert [first.tick("BTC/USDT", 0.0) for _ in range(50)] == [
        second.tick("BTC/USDT", 0.0) for _ in range(50)
    ]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"symbols": []}, "symbols must be a non-empty list"),
        ({"symbols": ["A", "A"]}, "symbols must not repeat"),
        ({"buffer_size": 999}, "buffer_size must be an integer of at least 1000, got 999"),
    ],
)
def test_bad_market_settings_are_refused(settings: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Market(**settings)  # type: ignore[arg-type]


def test_requests_round_trip_through_their_frames() -> None:
    for request in (
        Subscribe(1, ("BTC/USDT", "ETH/USDT"), {"BTC/USDT": 1041}),
        Subscribe(-2, ("SOL/USDT",)),
        Unsubscribe(3, ("ETH/USDT",)),
        Ping(4),
    ):
        assert parse_request(encode_request(request)) == request


def test_server_messages_round_trip_through_their_frames() -> None:
    ticker = Ticker("BTC/USDT", 1201, 42001.0, 42011.0, 1764000000.223)
    assert json.loads(encode(ticker))["type"] == "ticker"
    assert parse_server_frame(encode(ticker)) == ticker


@given(st.text(max_size=300))
def test_any_text_is_a_request_or_a_bad_request(text: str) -> None:
    try:
        parse_request(text)
    except BadRequest as error:
        assert str(error)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_any_json_value_is_a_request_or_a_bad_request(value: object) -> None:
    try:
        parse_request(json.dumps(value))
    except BadRequest as error:
        assert str(error)


def test_a_bad_request_keeps_its_id_when_it_had_a_usable_one() -> None:
    with pytest.raises(BadRequest) as raised:
        parse_request('{"op": "subscribe", "id": 5, "symbols": []}')
    assert raised.value.request_id == 5


@pytest.mark.parametrize(
    ("line", "name", "args", "every", "after"),
    [
        ("drop", "drop", (), None, None),
        ("close 1011", "close", (1011,), None, None),
        ("refuse 3", "refuse", (3,), None, None),
        ("ratelimit 2 0.5", "ratelimit", (2, 0.5), None, None),
        ("stall 5", "stall", (5.0,), None, None),
        ("GARBAGE not_json", "garbage", ("not_json",), None, None),
        ("every 10 drop", "drop", (), 10.0, None),
        ("after 2.5 refuse 3", "refuse", (3,), None, 2.5),
        ("status", "status", (), None, None),
    ],
)
def test_console_commands_parse(
    line: str, name: str, args: tuple[object, ...], every: float | None, after: float | None
) -> None:
    command = parse_command(line)
    assert (command.name, command.args, command.every, command.after) == (
        name,
        args,
        every,
        after,
    )


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("", "empty command"),
        ("explode", "unknown command 'explode'"),
        ("stall", "usage: stall <seconds>"),
        ("refuse three", "refuse: count must be a number, got 'three'"),
        ("drop now please", "usage: drop"),
        ("every drop", "every needs seconds and a command"),
        ("every 5 status", "every takes a fault, got 'status'"),
    ],
)
def test_bad_console_commands_say_what_is_wrong(line: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_command(line)


@given(
    venues=st.lists(st.integers(0, 10**6), min_size=2, max_size=4, unique=True),
    seed=st.integers(0, 10**6),
    ticks=st.integers(1, 200),
)
def test_live_venues_of_one_market_never_cross(venues: list[int], seed: int, ticks: int) -> None:
    """Venues on one price path, at one tick: the best bid stays below the best ask."""
    markets = [Market(["BTC/USDT", "DOGE/USDT"], seed=seed, venue_seed=v) for v in venues]
    for n in range(ticks):
        for symbol in ("BTC/USDT", "DOGE/USDT"):
            quotes = [market.tick(symbol, float(n)) for market in markets]
            assert max(q.bid for q in quotes) < min(q.ask for q in quotes)
