# Task 3, a differently built correct solution: states as an Enum, time from time.monotonic(),
# the half-open move made when the state is read, a threshold of 5 and a reset of 20 s, and
# the exchanges' loops started with asyncio.gather.
import asyncio
import enum
import time

from lessonlib.homework import prices


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker:
    def __init__(self, name, on_transition, threshold=5, reset_after=20.0):
        self.name = name
        self.log = on_transition
        self.threshold = threshold
        self.reset_after = reset_after
        self._state = State.CLOSED
        self._failures = 0
        self._opened = None
        self._trial = False

    def _go(self, new):
        if new is not self._state:
            self.log(self.name, self._state.value, new.value)
            self._state = new

    @property
    def state(self):
        if self._state is State.OPEN and time.monotonic() - self._opened >= self.reset_after:
            self._go(State.HALF_OPEN)
            self._trial = False
        return self._state

    def allow(self):
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and not self._trial:
            self._trial = True
            return True
        return False

    def record_success(self):
        self._failures = 0
        self._go(State.CLOSED)

    def record_failure(self):
        self._failures += 1
        if self._state is State.HALF_OPEN or self._failures >= self.threshold:
            self._opened = time.monotonic()
            self._go(State.OPEN)


class TradingSystem:
    def __init__(self, exchanges, on_transition):
        self.venues = exchanges
        self.breakers = {name: Breaker(name, on_transition) for name in exchanges}

    def can_trade(self, name):
        return self.breakers[name].state is not State.OPEN

    async def run(self):
        await asyncio.gather(*(self._trade(name, venue) for name, venue in self.venues.items()))

    async def _trade(self, name, venue):
        breaker = self.breakers[name]
        async for update in prices(venue.connect, ["BTC/USDT"]):
            if breaker.allow():
                try:
                    await venue.send_order("BTC/USDT", "buy", update.ask)
                    breaker.record_success()
                except Exception:
                    breaker.record_failure()
