# Task 4, reference solution: per exchange, the time connected so far and when the current
# state began; judged on every check(); the alert re-armed at 97 %.
THRESHOLD = 95.0
RECOVERED = 97.0
MIN_OBSERVED = 60.0


class ExchangeHealth:
    def __init__(self, start):
        self.connected = False
        self.since = start  # when the current state began
        self.up_before = 0.0  # seconds connected before `since`
        self.disconnections = 0
        self.longest_outage = 0.0
        self.alerted = False

    def uptime(self, at):
        return self.up_before + (at - self.since if self.connected else 0.0)

    def change(self, connected, at):
        if connected == self.connected:
            return
        if self.connected:
            self.up_before += at - self.since
            self.disconnections += 1
        else:
            self.longest_outage = max(self.longest_outage, at - self.since)
        self.connected = connected
        self.since = at


class HealthMonitor:
    def __init__(self, exchanges, on_alert, start):
        self.start = start
        self.on_alert = on_alert
        self.exchanges = {name: ExchangeHealth(start) for name in exchanges}

    def record(self, exchange, connected, at):
        self.exchanges[exchange].change(connected, at)
        self.check(at)

    def uptime(self, exchange, at):
        return self.exchanges[exchange].uptime(at)

    def reliability(self, exchange, at):
        watched = at - self.start
        return 100.0 * self.uptime(exchange, at) / watched if watched > 0 else 100.0

    def check(self, at):
        if at - self.start < MIN_OBSERVED:
            return
        for name, health in self.exchanges.items():
            value = self.reliability(name, at)
            if not health.alerted and value < THRESHOLD:
                health.alerted = True
                self.on_alert(name, value)
            elif health.alerted and value >= RECOVERED:
                health.alerted = False

    def summary(self, at):
        result = {}
        for name, health in self.exchanges.items():
            uptime = health.uptime(at)
            outage = 0.0 if health.connected else at - health.since
            result[name] = {
                "uptime": uptime,
                "downtime": (at - self.start) - uptime,
                "reliability": self.reliability(name, at),
                "disconnections": health.disconnections,
                "longest_outage": max(health.longest_outage, outage),
                "alerted": health.alerted,
            }
        return result
