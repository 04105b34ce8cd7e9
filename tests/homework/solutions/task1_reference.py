# Task 1, reference solution: exponential backoff from 0.5 s, doubling, capped at 30 s, reset
# once a connection has stayed up for 10 s; 5 s of silence is a dead connection.
import asyncio
import json

INITIAL_DELAY = 0.5
MULTIPLIER = 2.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 10.0
SILENCE = 5.0


class FeedClient:
    """Streams one symbol's prices, reconnecting by itself when the connection is lost."""

    def __init__(self, connect, symbol, on_price, log_state):
        self.connect = connect
        self.symbol = symbol
        self.on_price = on_price
        self.log_state = log_state

    async def run(self):
        loop = asyncio.get_running_loop()
        delay = INITIAL_DELAY
        while True:
            self.log_state("connecting")
            try:
                ws = await self.connect()
            except Exception:
                self.log_state("disconnected")
                await asyncio.sleep(delay)
                delay = min(delay * MULTIPLIER, MAX_DELAY)
                continue
            self.log_state("connected")
            opened = loop.time()
            try:
                await self.stream(ws)
            except Exception:
                pass
            finally:
                await ws.close()
            self.log_state("disconnected")
            if loop.time() - opened >= HEALTHY_AFTER:
                delay = INITIAL_DELAY
            await asyncio.sleep(delay)
            delay = min(delay * MULTIPLIER, MAX_DELAY)

    async def stream(self, ws):
        await ws.send(json.dumps({"op": "subscribe", "id": 1, "symbols": [self.symbol]}))
        while True:
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())
            if message.get("type") in ("snapshot", "ticker"):
                self.on_price(message)
