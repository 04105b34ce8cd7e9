"""Order book speed: a 10-level `book_update` applied to a `LocalBook`, against a plain dict
update of the same ten levels measured in the same run; and a 1,000-level-a-side rebuild."""

from __future__ import annotations

import timeit

from lessonlib.orderbook import LocalBook


def main() -> None:
    bids = [[f"{40000 - i}.50", "1.5"] for i in range(1000)]
    asks = [[f"{40001 + i}.50", "2.5"] for i in range(1000)]
    book = LocalBook("BTC/USDT")
    book.load(0, bids, asks)
    update_bids = [[f"{40000 - i}.50", f"{i + 1}.25"] for i in range(5)]
    update_asks = [[f"{40001 + i}.50", f"{i + 1}.75"] for i in range(5)]
    plain: dict[str, str] = {}
    state = {"last": 0}

    def apply() -> None:
        book.last = state["last"]
        book.apply(state["last"] + 1, state["last"] + 10, update_bids, update_asks)

    def dict_update() -> None:
        for price, quantity in update_bids + update_asks:
            plain[price] = quantity

    runs = 20_000
    applied = min(timeit.repeat(apply, number=runs, repeat=5)) / runs
    baseline = min(timeit.repeat(dict_update, number=runs, repeat=5)) / runs
    rebuild = min(timeit.repeat(lambda: book.load(0, bids, asks), number=20, repeat=5)) / 20
    print(
        f"10-level book_update: {applied * 1e6:.2f} us, plain dict update {baseline * 1e6:.2f} us, "
        f"ratio {applied / baseline:.1f}x"
    )
    print(f"1,000-level-a-side rebuild from a snapshot: {rebuild * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
