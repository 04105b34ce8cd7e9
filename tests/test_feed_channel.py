"""The feed's hand-off from reader to consumer: order kept, capacity held, close ends readers."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from lessonlib.feed.channel import Channel


@given(
    items=st.lists(st.integers(), max_size=60),
    capacity=st.integers(min_value=1, max_value=8),
    consumer_pauses=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=10),
)
def test_every_item_arrives_once_in_order_and_the_channel_never_holds_more_than_its_capacity(
    items: list[int], capacity: int, consumer_pauses: list[int]
) -> None:
    async def scenario() -> tuple[list[int], int]:
        channel: Channel[int] = Channel(capacity)
        most = 0

        async def produce() -> None:
            nonlocal most
            for item in items:
                if channel.full():
                    await channel.put(item)  # waits for room
                else:
                    channel.put_nowait(item)
                most = max(most, channel.qsize())
            channel.close()

        async def consume() -> list[int]:
            got = []
            turn = 0
            while (item := await channel.get()) is not None:
                got.append(item)
                for _ in range(consumer_pauses[turn % len(consumer_pauses)]):
                    await asyncio.sleep(0)  # a consumer slower than the producer, at times
                turn += 1
            return got

        producer = asyncio.create_task(produce())
        got = await consume()
        await producer
        return got, most

    got, most = asyncio.run(scenario())
    assert got == items
    assert most <= capacity


def test_close_wakes_a_waiting_consumer_and_reopen_lets_items_flow_again() -> None:
    async def scenario() -> tuple[object, int | None]:
        channel: Channel[int] = Channel(4)
        waiting = asyncio.create_task(channel.get())
        await asyncio.sleep(0)
        channel.close()
        ended = await waiting
        channel.reopen()
        channel.put_nowait(7)
        return ended, await channel.get()

    assert asyncio.run(scenario()) == (None, 7)


def test_a_cancelled_consumer_leaves_no_waiter_and_passes_on_a_wake_it_did_not_use() -> None:
    async def scenario() -> list[int | None]:
        channel: Channel[int] = Channel(4)
        first = asyncio.create_task(channel.get())
        second = asyncio.create_task(channel.get())
        await asyncio.sleep(0)
        channel.put_nowait(1)  # wakes the first waiter ...
        first.cancel()  # ... which is cancelled before it runs: the second must get the item
        got = await second
        third = asyncio.create_task(channel.get())
        await asyncio.sleep(0)
        third.cancel()
        await asyncio.gather(first, third, return_exceptions=True)
        channel.put_nowait(2)
        return [got, channel.get_nowait(), channel.qsize()]

    assert asyncio.run(scenario()) == [1, 2, 0]
