"""The local order book and the documented rebuild procedure, against the exchange's book model.

The exchange's `SymbolBook` makes the changes; `LocalBook` and `BookSync` must follow them
exactly, and must notice every change they did not get.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lessonlib.events import Kind
from lessonlib.exchange.depth import SymbolBook
from lessonlib.orderbook import BookGap, BookSync, LocalBook
from lessonlib.orderbook.sync import Reason
from lessonlib.protocol.messages import BookSnapshot, BookUpdate

moves = st.lists(st.floats(-0.002, 0.002), min_size=1, max_size=40)
starts = st.sampled_from([42_000.0, 2_250.0, 0.62, 0.085])


def snapshot_of(book: SymbolBook, request_id: int = 1) -> BookSnapshot:
    bids, asks = book.top(1000)
    return BookSnapshot(request_id, "X", book.update_id, tuple(bids), tuple(asks))


@given(starts, moves, st.integers(0, 2**16))
def test_any_valid_sequence_keeps_the_local_book_equal_to_the_exchanges(
    start: float, steps: list[float], seed: int
) -> None:
    exchange = SymbolBook(start, random.Random(seed))
    local = LocalBook("X")
    local.load(exchange.update_id, *exchange.top(1000))
    mid = start
    for step in steps:
        mid *= 1 + step
        changes = exchange.move(mid)
        if changes.first > changes.last:
            continue
        local.apply(changes.first, changes.last, changes.bids, changes.asks)
        assert local.checksum() == exchange.checksum()
        assert (local.top_bids(1000), local.top_asks(1000)) == exchange.top(1000)
        assert not local.crossed()
        (best_bid, _), (best_ask, _) = exchange.top(1)[0][0], exchange.top(1)[1][0]
        assert local.best_bid == Decimal(best_bid) and local.best_ask == Decimal(best_ask)


@given(starts, moves, st.integers(0, 2**16), st.data())
def test_a_dropped_update_is_detected_at_the_next_one(
    start: float, steps: list[float], seed: int, data: st.DataObject
) -> None:
    exchange = SymbolBook(start, random.Random(seed))
    snapshot = snapshot_of(exchange)
    _, updates = exchange_path_from(exchange, start, steps)
    if len(updates) < 2:
        return
    dropped = data.draw(st.integers(0, len(updates) - 2))
    local = LocalBook("X")
    local.load(snapshot.last, snapshot.bids, snapshot.asks)
    for index, update in enumerate(updates):
        if index == dropped:
            continue
        if index == dropped + 1:
            with pytest.raises(BookGap):
                local.apply(update.first, update.last, update.bids, update.asks)
            assert local.last == (updates[dropped - 1].last if dropped else snapshot.last)
            return
        local.apply(update.first, update.last, update.bids, update.asks)


def exchange_moves(exchange: SymbolBook, start: float, steps: list[float]) -> Iterator[BookUpdate]:
    """The exchange's book following the mid price ``start`` moved by each step in turn: the
    `book_update` of every step that changed something, as the exchange would send it."""
    mid = start
    for step in steps:
        mid *= 1 + step
        changes = exchange.move(mid)
        if changes.first <= changes.last:
            bids, asks = tuple(changes.bids), tuple(changes.asks)
            yield BookUpdate("X", changes.first, changes.last, bids, asks, exchange.checksum(), 0.0)


def exchange_path_from(
    exchange: SymbolBook, start: float, steps: list[float]
) -> tuple[SymbolBook, list[BookUpdate]]:
    return exchange, list(exchange_moves(exchange, start, steps))


@given(starts, moves, st.integers(0, 2**16), st.data())
def test_the_procedure_builds_the_exchanges_book_wherever_the_snapshot_falls(
    start: float, steps: list[float], seed: int, data: st.DataObject
) -> None:
    """Subscribe, buffer, snapshot taken after ``taken`` updates and answered after
    ``answered`` of them: the book ends equal to the exchange's, with one rebuild."""
    exchange = SymbolBook(start, random.Random(seed))
    events: list[tuple[Kind, dict]] = []
    sync = BookSync("X", lambda kind, details: events.append((kind, details)))
    updates, snapshots = [], []
    for update in exchange_moves(exchange, start, steps):
        updates.append(update)
        snapshots.append(snapshot_of(exchange))  # the book as of this update
    if not updates:
        return
    taken = data.draw(st.integers(0, len(updates) - 1))
    answered = data.draw(st.integers(taken, len(updates) - 1))
    sync.requested(1)
    for index, update in enumerate(updates):
        sync.on_update(update)
        if index == answered:
            sync.on_snapshot(snapshots[taken])
    assert sync.live and sync.rebuilds == 1
    assert sync.book.checksum() == exchange.checksum()
    assert (sync.book.top_bids(1000), sync.book.top_asks(1000)) == exchange.top(1000)
    kinds = [kind for kind, _ in events]
    assert kinds.count(Kind.BOOK_SNAPSHOT) == 1 and kinds.count(Kind.BOOK_REBUILT) == 1
    assert Kind.BOOK_GAP not in kinds and Kind.BOOK_CHECKSUM not in kinds
    snapshot_event = next(d for k, d in events if k is Kind.BOOK_SNAPSHOT)
    assert snapshot_event["dropped"] == taken + 1


@given(starts, moves, st.integers(0, 2**16), st.data())
def test_a_dropped_update_makes_the_procedure_rebuild_for_a_gap(
    start: float, steps: list[float], seed: int, data: st.DataObject
) -> None:
    exchange = SymbolBook(start, random.Random(seed))
    events: list[tuple[Kind, dict]] = []
    sync = BookSync("X", lambda kind, details: events.append((kind, details)))
    sync.requested(1)
    sync.on_snapshot(snapshot_of(exchange))
    _, updates = exchange_path_from(exchange, start, steps)
    if len(updates) < 2:
        return
    dropped = data.draw(st.integers(0, len(updates) - 2))
    for index, update in enumerate(updates):
        if index != dropped:
            sync.on_update(update)
    gaps = [d for k, d in events if k is Kind.BOOK_GAP]
    assert len(gaps) == 1 and gaps[0]["first"] == updates[dropped + 1].first
    assert not sync.live and sync.reason is Reason.GAP and sync.snapshot_wanted
    sync.requested(2)
    sync.on_snapshot(snapshot_of(exchange, 2))
    assert sync.live and sync.book.checksum() == exchange.checksum()


def test_a_snapshot_older_than_every_buffered_update_is_a_gap() -> None:
    exchange = SymbolBook(42_000.0, random.Random(1))
    old = snapshot_of(exchange)
    _, updates = exchange_path_from(exchange, 42_000.0, [0.001, -0.001, 0.001])
    sync = BookSync("X")
    sync.requested(1)
    for update in updates[1:]:  # the first went by before the subscription
        sync.on_update(update)
    sync.on_snapshot(old)
    assert not sync.live and sync.reason is Reason.GAP and sync.snapshot_wanted


def test_a_wrong_checksum_throws_the_book_away() -> None:
    exchange = SymbolBook(2_250.0, random.Random(2))
    snapshot = snapshot_of(exchange)
    _, updates = exchange_path_from(exchange, 2_250.0, [0.001])
    events: list[Kind] = []
    sync = BookSync("X", lambda kind, details: events.append(kind))
    sync.requested(1)
    sync.on_snapshot(snapshot)
    update = updates[0]
    sync.on_update(
        BookUpdate(
            update.symbol,
            update.first,
            update.last,
            update.bids,
            update.asks,
            update.checksum ^ 1,
            0.0,
        )
    )
    assert Kind.BOOK_CHECKSUM in events and sync.reason is Reason.CHECKSUM and not sync.live
    assert not sync.book.ready


def test_an_answer_to_an_older_request_is_ignored() -> None:
    exchange = SymbolBook(0.62, random.Random(3))
    sync = BookSync("X")
    sync.requested(1)
    sync.resync(Reason.RECONNECT)
    sync.requested(2)
    sync.on_snapshot(snapshot_of(exchange, 1))
    assert not sync.live and sync.pending == 2


def test_prices_are_exact_decimals_and_a_zero_quantity_removes_the_level() -> None:
    book = LocalBook("X")
    book.load(10, [["0.1", "1"], ["0.2", "2"]], [["0.3", "3"]])
    book.apply(11, 12, [["0.2", "0.000"]], [["0.30", "0.5"]])
    assert book.best_bid == Decimal("0.1") and book.best_ask == Decimal("0.3")
    assert book.depth(5) == ([(Decimal("0.1"), Decimal("1"))], [(Decimal("0.30"), Decimal("0.5"))])
    with pytest.raises(BookGap, match=r"expected update 13, got 14\.\.14"):
        book.apply(14, 14, [], [])
    assert book.last == 12


# Prices that floats cannot tell apart (17 significant digits), the same price written two
# ways, and plain short ones: the book must keep each decimal price its own level, in order.
PRICES = [
    "1.0000000000000001",
    "1.0000000000000002",
    "1.0000000000000000",
    "1",
    "1.5",
    "1.50",
    "0.99999999999999999",
    "2",
    "12345.678901234",
]
quantities = st.sampled_from(["0", "0.000", "1", "2.5", "0.001", "10"])
changes = st.lists(st.tuples(st.sampled_from(PRICES), quantities), max_size=8)


@given(changes, st.lists(changes, max_size=6), st.booleans())
@example([("1.5", "1"), ("1.50", "0")], [[("1.0000000000000001", "1")]], False)
@example([("1.0000000000000001", "1"), ("1.0000000000000002", "2")], [[("1", "0")]], True)
def test_prices_are_levels_by_their_exact_decimal_value_however_they_are_written(
    snapshot: list[tuple[str, str]], updates: list[list[tuple[str, str]]], long_first: bool
) -> None:
    """Against a model keyed by `Decimal`: the same levels, ordered the same way, whether the
    book starts on short prices (float keys) and meets a long one, or starts on long ones."""
    if not long_first:
        snapshot = [level for level in snapshot if len(level[0]) <= 15]
    model: dict[Decimal, tuple[str, str]] = {}

    def model_apply(levels: list[tuple[str, str]]) -> None:
        for price, quantity in levels:
            if Decimal(quantity):
                model[Decimal(price)] = (price, quantity)
            else:
                model.pop(Decimal(price), None)

    book = LocalBook("X")
    book.load(0, snapshot, [])
    model_apply(snapshot)
    for last, levels in enumerate(updates, start=1):
        book.apply(last, last, levels, [])
        model_apply(levels)
    expected = [model[p] for p in sorted(model, reverse=True)]
    assert book.top_bids(len(PRICES)) == expected
    assert book.levels == (len(model), 0)
    assert book.best_bid == (max(model) if model else None)
