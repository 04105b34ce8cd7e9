"""The student's object as a held scenario's script sees it when the object lives in the
student's kernel (see `far_scenario`): ``obj.method(*args)`` returns a `FarAnswer`, which the
script awaits (`answered`) for what the kernel's object returned, or raised, there.

A script written with `answered` runs the same against an object in its own process, whose
methods return plain values: the student's own ``check()`` plays the very same script."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class KernelGone(BaseException):
    """The kernel is gone or stopped answering: the script cannot go on (not a student error
    the script may catch and note, which is why it is not an `Exception`)."""


class FarAnswer:
    """What a method of a far object returns: ``await`` it for the kernel's answer."""

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self._future = future

    def __await__(self) -> Any:
        return self._future.__await__()

    def done(self) -> bool:
        return self._future.done()


class FarObject:
    """An object in the kernel: each method call is sent there by ``ask(method, args)``."""

    def __init__(self, ask: Callable[[str, list[Any]], asyncio.Future[Any]]) -> None:
        self._ask = ask

    def __getattr__(self, name: str) -> Callable[..., FarAnswer]:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any) -> FarAnswer:
            return FarAnswer(self._ask(name, list(args)))

        method.__name__ = name
        return method


async def answered(value: Any) -> Any:
    """``value``, or what the kernel answered when it is a far object's `FarAnswer`."""
    if isinstance(value, FarAnswer):
        return await value
    return value


def answered_already(value: Any) -> bool:
    """Whether ``value`` needs no more waiting: a plain value, or a `FarAnswer` whose answer
    (or error) has arrived."""
    return not isinstance(value, FarAnswer) or value.done()
