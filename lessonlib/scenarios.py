"""Small scripted scenarios the lessons run in virtual time and then draw."""

from __future__ import annotations

import asyncio
import contextlib
import random

from .backoff import BackoffPolicy
from .events import EventLog
from .retry import RetryError, connect_with_retry


async def retry_through_outage(
    policy: BackoffPolicy, outage: float, *, seed: int = 0, source: str = "client"
) -> EventLog:
    """One client retries against a server that is down for ``outage`` seconds.

    Every attempt before the server is back is refused. Returns the client's events, whether
    it got through or gave up. Run it in virtual time: a long outage then takes milliseconds.
    """
    loop = asyncio.get_running_loop()
    back_at = loop.time() + outage

    async def connect() -> str:
        if loop.time() < back_at:
            raise ConnectionRefusedError("the exchange is down")
        return "connected"

    log = EventLog()
    with contextlib.suppress(RetryError):  # giving up is one of the outcomes the lesson shows
        await connect_with_retry(
            connect, policy, rng=random.Random(seed), events=log, source=source
        )
    return log
