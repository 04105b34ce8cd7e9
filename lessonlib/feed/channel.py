"""The bounded hand-off between the feed's reader and its consumers.

What `asyncio.Queue` does for this one use, with less work per item: no task accounting
(`join`/`task_done`), and waiters woken only when someone waits. It sits on the hot path of
every price (bench/feed_throughput.py), and closing it ends every consumer once it is empty.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Channel(Generic[T]):
    """First in, first out, at most ``capacity`` items; `put` waits while it is full."""

    __slots__ = ("_capacity", "_closed", "_getters", "_items", "_putters")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: deque[T] = deque()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return len(self._items) >= self._capacity

    @property
    def closed(self) -> bool:
        return self._closed

    def put_nowait(self, item: T) -> None:
        """Add ``item``; the caller has made sure there is room (`full` is False)."""
        self._items.append(item)
        if self._getters:
            _wake_one(self._getters)

    async def put(self, item: T) -> None:
        """Add ``item`` once there is room: backpressure from a consumer that is behind."""
        while len(self._items) >= self._capacity:
            await _wait(self._putters)
        self.put_nowait(item)

    def get_nowait(self) -> T:
        """The oldest item; the caller has made sure there is one (`empty` is False)."""
        item = self._items.popleft()
        if self._putters:
            _wake_one(self._putters)
        return item

    async def get(self) -> T | None:
        """The oldest item, waiting for one; None once the channel is closed and empty."""
        while not self._items:
            if self._closed:
                return None
            await _wait(self._getters)
        return self.get_nowait()

    def close(self) -> None:
        """No more items will come: consumers get what is left, then None."""
        self._closed = True
        while self._getters:
            _wake_one(self._getters)

    def reopen(self) -> None:
        """A client started again after a close: items may come once more."""
        self._closed = False


async def _wait(waiters: deque[asyncio.Future[None]]) -> None:
    waiter = asyncio.get_running_loop().create_future()
    waiters.append(waiter)
    try:
        await waiter
    except asyncio.CancelledError:
        if waiter in waiters:  # cancelled while waiting: leave no dead waiter behind
            waiters.remove(waiter)
        elif not waiter.cancelled():  # woken, then cancelled: the wake goes to the next one
            _wake_one(waiters)
        raise


def _wake_one(waiters: deque[asyncio.Future[None]]) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return
