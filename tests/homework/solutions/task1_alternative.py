# Task 1, a differently built correct solution: full jitter (a random wait up to the
# exponential ceiling), 1 s initial delay tripling to a 20 s cap, `async with` and
# `async for`, the backoff reset once a connection has lasted 10 s, and the clock read with
# `from time import monotonic`.
import asyncio
import json
import random
from time import monotonic


def ceiling(failures, initial=1.0, factor=3.0, cap=20.0):
    return min(cap, initial * factor ** (failures - 1))


class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        self._connect = connect
        self._symbol = symbol
        self._on_price = on_price
        self._log = log_state
        self._failures = 0

    async def _wait(self):
        self._failures += 1
        await asyncio.sleep(random.uniform(0, ceiling(self._failures)))

    async def run(self):
        while True:
            self._log("connecting")
            try:
                async with self._connect() as ws:
                    self._log("connected")
                    opened = monotonic()
                    try:
                        await self._listen(ws)
                    finally:
                        if monotonic() - opened >= 10:
                            self._failures = 0
            except (OSError, TimeoutError) as error:
                print("connection failed or timed out:", error)
            except Exception as error:  # websockets' InvalidStatus, ConnectionClosed...
                print("lost:", type(error).__name__)
            self._log("disconnected")
            await self._wait()

    async def _listen(self, ws):
        subscribe = {"op": "subscribe", "id": 7, "symbols": [self._symbol]}
        await ws.send(json.dumps(subscribe))
        messages = aiter(ws)
        while True:
            raw = await asyncio.wait_for(anext(messages), timeout=5)
            message = json.loads(raw)
            if message["type"] == "ticker" or message["type"] == "snapshot":
                self._on_price(message)
