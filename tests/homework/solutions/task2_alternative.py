# Task 2, a differently built correct solution: plain (not async) subscribe/unsubscribe that
# queue requests for a sender task, one request per pair, full-jitter backoff, a dict of
# pending request ids to know which pair an error is about.
import asyncio
import json
import random


class SubscriptionClient:
    def __init__(self, connect, on_price, on_rejected, log_state):
        self._connect = connect
        self._on_price = on_price
        self._on_rejected = on_rejected
        self._log = log_state
        self._pairs = []
        self._outbox = asyncio.Queue()
        self._pending = {}
        self._ids = 0

    @property
    def subscriptions(self):
        return list(self._pairs)

    def subscribe(self, symbol):
        if symbol not in self._pairs:
            self._pairs.append(symbol)
            self._outbox.put_nowait(("subscribe", symbol))

    def unsubscribe(self, symbol):
        if symbol in self._pairs:
            self._pairs.remove(symbol)
            self._outbox.put_nowait(("unsubscribe", symbol))

    async def run(self):
        failures = 0
        while True:
            self._log("connecting")
            try:
                ws = await self._connect()
            except Exception:
                self._log("disconnected")
                failures += 1
                await asyncio.sleep(random.uniform(0, min(30.0, 0.2 * 2**failures)))
                continue
            failures = 0
            self._log("connected")
            self._outbox = asyncio.Queue()  # what was queued while down is in _pairs anyway
            for pair in self._pairs:
                self._outbox.put_nowait(("subscribe", pair))
            sender = asyncio.create_task(self._send_queued(ws))
            try:
                while True:
                    raw = await asyncio.wait_for(ws.recv(), 3.5)
                    self._handle(json.loads(raw))
            except Exception:
                pass
            finally:
                sender.cancel()
                await ws.close()
            self._log("disconnected")
            await asyncio.sleep(random.uniform(0, 0.4))

    async def _send_queued(self, ws):
        while True:
            op, pair = await self._outbox.get()
            self._ids += 1
            self._pending[self._ids] = pair
            await ws.send(json.dumps({"op": op, "id": self._ids, "symbols": [pair]}))

    def _handle(self, message):
        if message["type"] in ("ticker", "snapshot"):
            self._on_price(message)
        elif message["type"] == "error":
            pair = message.get("symbol") or self._pending.get(message.get("id"))
            if pair in self._pairs:
                self._pairs.remove(pair)
                self._on_rejected(pair, message.get("message"))
