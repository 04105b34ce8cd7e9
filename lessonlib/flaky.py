"""A connect function that fails with a given probability: lesson 1's unreliable exchange."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from . import validate


@dataclass(frozen=True, slots=True)
class Connection:
    """What a successful `FlakyConnect` call returns: which attempt got through."""

    attempt: int


class FlakyConnect:
    """Each call takes ``handshake_time`` and fails with probability ``failure_rate``.

    Failures are ``ConnectionRefusedError``, the error a real client sees when nothing
    listens on the port. With a seeded ``rng`` the same calls fail on every run.
    """

    def __init__(
        self,
        failure_rate: float,
        *,
        handshake_time: float = 0.02,
        rng: random.Random | None = None,
    ) -> None:
        validate.probability("failure_rate", failure_rate)
        validate.seconds("handshake_time", handshake_time)
        self.failure_rate = failure_rate
        self.handshake_time = handshake_time
        self.rng = rng if rng is not None else random.Random()
        self.calls = 0

    async def __call__(self) -> Connection:
        self.calls += 1
        await asyncio.sleep(self.handshake_time)
        if self.rng.random() < self.failure_rate:
            raise ConnectionRefusedError(f"attempt {self.calls}: connection refused")
        return Connection(self.calls)
