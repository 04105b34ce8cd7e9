# Task 2, reference solution: the client of task 1, keeping the pairs it wants in a set. On
# every new connection it subscribes to all of them in one request; a rejected pair is
# reported and dropped from the set.
import asyncio
import contextlib
import json

INITIAL_DELAY = 0.5
MULTIPLIER = 2.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 10.0
SILENCE = 5.0


class SubscriptionClient:
    """Streams the prices of the pairs it is asked for, and keeps them across reconnects."""

    def __init__(self, connect, on_price, on_rejected, log_state):
        self.connect = connect
        self.on_price = on_price
        self.on_rejected = on_rejected
        self.log_state = log_state
        self.wanted = set()
        self.ws = None
        self.next_id = 0

    @property
    def subscriptions(self):
        return sorted(self.wanted)

    async def subscribe(self, symbol):
        self.wanted.add(symbol)
        await self.send("subscribe", [symbol])

    async def unsubscribe(self, symbol):
        self.wanted.discard(symbol)
        await self.send("unsubscribe", [symbol])

    async def send(self, op, symbols):
        """Send now if connected; if not, the next connection subscribes to `wanted`."""
        if self.ws is None or not symbols:
            return
        self.next_id += 1
        request = {"op": op, "id": self.next_id, "symbols": symbols}
        with contextlib.suppress(Exception):  # the connection is going; a reconnect restores
            await self.ws.send(json.dumps(request))

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
            self.ws = ws
            try:
                await self.send("subscribe", sorted(self.wanted))
                await self.stream(ws)
            except Exception:
                pass
            finally:
                self.ws = None
                await ws.close()
            self.log_state("disconnected")
            if loop.time() - opened >= HEALTHY_AFTER:
                delay = INITIAL_DELAY
            await asyncio.sleep(delay)
            delay = min(delay * MULTIPLIER, MAX_DELAY)

    async def stream(self, ws):
        while True:
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())
            kind = message.get("type")
            if kind in ("snapshot", "ticker"):
                self.on_price(message)
            elif kind == "error" and message.get("symbol") in self.wanted:
                self.wanted.discard(message["symbol"])
                self.on_rejected(message["symbol"], message.get("code"))
