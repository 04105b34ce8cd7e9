"""Order book speed, each beside a baseline measured in the same run: a 10-level
`book_update` applied to a `LocalBook` against a plain dict update of the same ten levels;
the same with the checksum every update is verified by; and a rebuild from a snapshot of
1,000 levels a side against building a plain dict of the same levels, and against a book
keyed by `Decimal` prices (how `LocalBook` kept them before)."""

from __future__ import annotations

import timeit
from collections.abc import Callable
from decimal import Decimal

from lessonlib.orderbook import LocalBook


def best(run: Callable[[], object], number: int) -> float:
    """Seconds a call, the best of five batches (the least disturbed by a busy machine)."""
    return min(timeit.repeat(run, number=number, repeat=5)) / number


def decimal_keyed(levels: list[tuple[str, str]]) -> dict[Decimal, tuple[str, str]]:
    side: dict[Decimal, tuple[str, str]] = {}
    for price, quantity in levels:
        if Decimal(quantity):
            side[Decimal(price)] = (price, quantity)
        else:
            side.pop(Decimal(price), None)
    return side


def main() -> None:
    bids = [(f"{40000 - i}.50", "1.5") for i in range(1000)]
    asks = [(f"{40001 + i}.50", "2.5") for i in range(1000)]
    book = LocalBook("BTC/USDT")
    book.load(0, bids, asks)
    update_bids = [(f"{40000 - i}.50", f"{i + 1}.25") for i in range(5)]
    update_asks = [(f"{40001 + i}.50", f"{i + 1}.75") for i in range(5)]
    plain: dict[str, str] = {}
    state = {"last": 0}

    def apply() -> None:
        book.last = state["last"]
        book.apply(state["last"] + 1, state["last"] + 10, update_bids, update_asks)

    def apply_and_verify() -> None:
        apply()
        book.checksum()

    def dict_update() -> None:
        for price, quantity in update_bids + update_asks:
            plain[price] = quantity

    runs = 20_000
    baseline = best(dict_update, runs)
    applied = best(apply, runs)
    verified = best(apply_and_verify, runs // 10)
    print(
        f"10-level book_update: {applied * 1e6:.2f} us, plain dict update {baseline * 1e6:.2f} us,"
        f" ratio {applied / baseline:.1f}x"
    )
    print(
        f"10-level book_update and its checksum (1,000 levels a side): {verified * 1e6:.1f} us,"
        f" ratio {verified / baseline:.0f}x the dict update"
    )
    rebuild = best(lambda: book.load(0, bids, asks), 50)
    plain_dict = best(lambda: (dict(bids), dict(asks)), 50)
    old = best(lambda: (decimal_keyed(bids), decimal_keyed(asks)), 50)
    print(
        f"1,000-level-a-side rebuild from a snapshot: {rebuild * 1e3:.3f} ms;"
        f" a plain dict of the same levels {plain_dict * 1e3:.3f} ms"
        f" (ratio {rebuild / plain_dict:.1f}x);"
        f" keyed by Decimal {old * 1e3:.3f} ms ({old / rebuild:.1f}x the rebuild)"
    )


if __name__ == "__main__":
    main()
