# Task 3, reference solution: a breaker that opens after 3 failures in a row, stays open for
# 10 s, then lets one trial order through; a trading loop per exchange.
import asyncio

from lessonlib.homework import OrderFailed, prices

FAILURE_THRESHOLD = 3
RESET_TIMEOUT = 10.0


class Breaker:
    """closed → open after FAILURE_THRESHOLD failures in a row; open → half_open after
    RESET_TIMEOUT; half_open → closed on a successful trial, → open on a failed one."""

    def __init__(self, name, on_transition):
        self.name = name
        self.on_transition = on_transition
        self.state = "closed"
        self.failures = 0
        self.opened_at = 0.0
        self.trial_running = False

    def now(self):
        return asyncio.get_running_loop().time()

    def move(self, new):
        old, self.state = self.state, new
        self.on_transition(self.name, old, new)

    def allow(self):
        if self.state == "open" and self.now() - self.opened_at >= RESET_TIMEOUT:
            self.move("half_open")
        if self.state == "half_open":
            if self.trial_running:
                return False
            self.trial_running = True
            return True
        return self.state == "closed"

    def record_success(self):
        self.failures = 0
        self.trial_running = False
        if self.state == "half_open":
            self.move("closed")

    def record_failure(self):
        self.failures += 1
        self.trial_running = False
        if self.state == "half_open" or self.failures >= FAILURE_THRESHOLD:
            self.opened_at = self.now()
            if self.state != "open":
                self.move("open")


class TradingSystem:
    """Buys on every price of every exchange, through that exchange's breaker."""

    def __init__(self, exchanges, on_transition):
        self.exchanges = exchanges
        self.breakers = {name: Breaker(name, on_transition) for name in exchanges}

    def can_trade(self, name):
        return self.breakers[name].state != "open"

    async def run(self):
        async with asyncio.TaskGroup() as group:
            for name in self.exchanges:
                group.create_task(self.trade_on(name))

    async def trade_on(self, name):
        venue = self.exchanges[name]
        breaker = self.breakers[name]
        async for price in prices(venue.connect, ["BTC/USDT"]):
            if not breaker.allow():
                continue
            try:
                await venue.send_order(price.symbol, "buy", price.ask)
            except OrderFailed:
                breaker.record_failure()
            else:
                breaker.record_success()
