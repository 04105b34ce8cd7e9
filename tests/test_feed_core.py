"""The feed client's pure parts: the subscription book and the parsing of server frames."""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib.feed.book import Phase, SubscriptionBook, Verdict
from lessonlib.protocol.messages import (
    Error,
    MalformedFrame,
    Shutdown,
    Subscribed,
    Ticker,
    Welcome,
    parse_server_frame,
)


def live_book(*symbols: str) -> SubscriptionBook:
    book = SubscriptionBook()
    for symbol in symbols:
        book.want(symbol)
    book.to_request()
    for symbol in symbols:
        book.subscribed(symbol)
    return book


def test_a_new_connection_requests_every_symbol_resuming_where_it_stopped() -> None:
    book = live_book("BTC/USDT", "ETH/USDT")
    assert book.snapshot("BTC/USDT", 100) == (Verdict.DELIVER, 0)
    assert book.ticker("BTC/USDT", 101) is Verdict.DELIVER
    book.connection_lost()
    book.want("SOL/USDT")
    assert book.to_request() == (["BTC/USDT", "ETH/USDT", "SOL/USDT"], {"BTC/USDT": 101})
    assert book.to_request() == ([], {})  # already requested on this connection


def test_tickers_up_to_the_seq_the_exchange_answered_a_resume_with_are_a_replay() -> None:
    book = live_book("BTC/USDT")
    book.snapshot("BTC/USDT", 100)
    book.connection_lost()
    book.to_request()  # resumes from 100
    book.subscribed("BTC/USDT", 104)  # the exchange stands at 104: 101-104 are replayed
    verdicts = [book.ticker("BTC/USDT", seq) for seq in range(101, 105)]
    assert verdicts == [Verdict.DELIVER] * 4
    assert all(book.is_replay("BTC/USDT", seq) for seq in range(101, 105))
    assert book.ticker("BTC/USDT", 105) is Verdict.DELIVER
    assert not book.is_replay("BTC/USDT", 105)  # live again


def test_prices_before_the_answer_or_after_unsubscribing_are_ignored() -> None:
    book = SubscriptionBook()
    book.want("BTC/USDT")
    book.to_request()
    assert book.ticker("BTC/USDT", 5) is Verdict.IGNORE
    assert book.ticker("ETH/USDT", 5) is Verdict.IGNORE
    book.subscribed("BTC/USDT")
    book.drop("BTC/USDT")
    assert book.ticker("BTC/USDT", 6) is Verdict.IGNORE
    assert not book.subscribed("BTC/USDT")


def test_a_seq_jump_asks_for_a_resync_and_ignores_the_old_stream_until_answered() -> None:
    book = live_book("BTC/USDT")
    book.snapshot("BTC/USDT", 10)
    assert book.ticker("BTC/USDT", 13) is Verdict.RESYNC
    assert book.resync_request("BTC/USDT") == {"BTC/USDT": 10}
    assert book.tracks["BTC/USDT"].phase is Phase.RESYNCING
    assert book.ticker("BTC/USDT", 14) is Verdict.IGNORE
    book.subscribed("BTC/USDT")
    assert [book.ticker("BTC/USDT", s) for s in (11, 12, 13, 14)] == [Verdict.DELIVER] * 4
    assert book.gaps == 0


def test_a_snapshot_after_a_resume_counts_the_lost_seqs_as_a_gap() -> None:
    book = live_book("BTC/USDT")
    book.snapshot("BTC/USDT", 10)
    book.connection_lost()
    book.to_request()
    book.subscribed("BTC/USDT")
    assert book.snapshot("BTC/USDT", 2000) == (Verdict.DELIVER, 1989)
    assert book.gaps == 1989


def test_replayed_prices_already_delivered_are_dropped_as_duplicates() -> None:
    book = live_book("BTC/USDT")
    book.snapshot("BTC/USDT", 10)
    assert book.ticker("BTC/USDT", 10) is Verdict.DUPLICATE
    assert book.snapshot("BTC/USDT", 9) == (Verdict.DUPLICATE, 0)
    assert book.duplicates == 2


@given(st.lists(st.integers(min_value=1, max_value=60), max_size=200))
def test_delivered_seqs_only_grow_and_gaps_count_exactly_what_is_missing(
    arrivals: list[int],
) -> None:
    """Whatever order prices arrive in, what is delivered is increasing, and every seq
    missing between delivered ones is either counted as a gap or announced by a RESYNC."""
    book = live_book("X")
    delivered: list[int] = []
    for seq in arrivals:
        if not delivered:
            verdict, _ = book.snapshot("X", seq)
        else:
            verdict = book.ticker("X", seq)
        if verdict is Verdict.DELIVER:
            delivered.append(seq)
        elif verdict is Verdict.RESYNC:
            book.resync_request("X")
            book.subscribed("X")  # the exchange answers; the replay would follow
    assert delivered == sorted(set(delivered))
    if delivered:
        assert all(b == a + 1 for a, b in itertools.pairwise(delivered))
    assert book.gaps == 0


def test_parses_every_server_message() -> None:
    assert parse_server_frame(
        '{"type": "welcome", "exchange": "practice", "stream": "7f3a9c2e", '
        '"symbols": ["BTC/USDT"], "heartbeat_interval": 1.0}'
    ) == Welcome("practice", "7f3a9c2e", ("BTC/USDT",), 1.0)
    assert parse_server_frame(
        '{"type": "subscribed", "id": -3, "symbol": "BTC/USDT", "seq": 1041}'
    ) == Subscribed(-3, "BTC/USDT", 1041)
    assert parse_server_frame(
        '{"type": "ticker", "symbol": "BTC/USDT", "seq": 1201, "bid": 42001.0, '
        '"ask": 42011.0, "ts": 1764000000.223}'
    ) == Ticker("BTC/USDT", 1201, 42001.0, 42011.0, 1764000000.223)
    assert parse_server_frame(
        '{"type": "error", "id": 1, "code": "unknown_symbol", "symbol": "DOGE/XYZ", '
        '"message": "no such symbol"}'
    ) == Error(1, "unknown_symbol", "no such symbol", "DOGE/XYZ")
    assert parse_server_frame(
        '{"type": "error", "id": null, "code": "bad_request", "message": "not JSON"}'
    ) == Error(None, "bad_request", "not JSON")
    assert parse_server_frame(
        '{"type": "shutdown", "reason": "maintenance", "reconnect_after": 2.0}'
    ) == Shutdown("maintenance", 2.0)


TICKER = {"type": "ticker", "symbol": "BTC/USDT", "seq": 1, "bid": 1.0, "ask": 2.0, "ts": 0.0}


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        (b'{"type": "heartbeat", "ts": 1}', "binary"),
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ("null", "not a JSON object"),
        ('{"type": "nope"}', "unknown type"),
        ('{"type": 5}', "unknown type"),
        ("{}", "unknown type"),
        (json.dumps({**TICKER, "seq": "7"}), "'seq'"),
        (json.dumps({**TICKER, "seq": -1}), "'seq'"),
        (json.dumps({**TICKER, "seq": True}), "'seq'"),
        (json.dumps({**TICKER, "bid": None}), "'bid'"),
        (json.dumps({**TICKER, "ask": 0}), "'ask'"),
        (json.dumps({**TICKER, "bid": 3.0}), "above ask"),
        (json.dumps({**TICKER, "symbol": ""}), "'symbol'"),
        (json.dumps({k: v for k, v in TICKER.items() if k != "ts"}), "missing field 'ts'"),
        ('{"type": "ticker", "symbol": "X", "seq": 1, "bid": NaN, "ask": 1, "ts": 0}', "'bid'"),
        ('{"type": "ticker", "symbol": "X", "seq": 1, "bid": 1e999, "ask": 1, "ts": 0}', "'bid'"),
        (
            '{"type": "welcome", "exchange": "p", "stream": "s", "symbols": "BTC", '
            '"heartbeat_interval": 1}',
            "'symbols'",
        ),
        (
            '{"type": "welcome", "exchange": "p", "stream": "s", "symbols": [], '
            '"heartbeat_interval": 0}',
            "'heartbeat_interval'",
        ),
        (
            '{"type": "welcome", "exchange": "p", "symbols": [], "heartbeat_interval": 1}',
            "missing field 'stream'",
        ),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_malformed_frames_raise_a_malformed_frame_naming_the_problem(
    frame: str | bytes, complaint: str
) -> None:
    with pytest.raises(MalformedFrame, match=complaint):
        parse_server_frame(frame)


@given(st.text(max_size=200) | st.binary(max_size=50))
def test_any_frame_parses_or_is_reported_malformed(frame: str | bytes) -> None:
    with contextlib.suppress(MalformedFrame):
        parse_server_frame(frame)
