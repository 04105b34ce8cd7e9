# Task 4, a differently built correct solution: each exchange's history kept as a list of
# (time, connected) changes and every metric computed from it when asked; the alert re-armed
# at 95.5 %; summary rows built by a helper function.
from dataclasses import dataclass, field
from itertools import pairwise


@dataclass
class History:
    changes: list = field(default_factory=list)  # (time, connected)
    alerted: bool = False

    def spans(self, start, at):
        """(begin, end, connected) pieces covering start..at."""
        pieces, state, since = [], False, start
        for when, connected in self.changes:
            if when > at:
                break
            pieces.append((since, when, state))
            state, since = connected, when
        pieces.append((since, at, state))
        return pieces


def row(history, start, at):
    spans = history.spans(start, at)
    up = sum(end - begin for begin, end, connected in spans if connected)
    outages = [end - begin for begin, end, connected in spans if not connected and end > begin]
    drops = sum(1 for (_, _, a), (_, _, b) in pairwise(spans) if a and not b)
    return {
        "uptime": up,
        "downtime": (at - start) - up,
        "reliability": 100 * up / (at - start),
        "disconnections": drops,
        "longest_outage": max(outages, default=0.0),
    }


class HealthMonitor:
    def __init__(self, exchanges, on_alert, start):
        self.histories = {name: History() for name in exchanges}
        self.on_alert = on_alert
        self.start = start

    def record(self, exchange, connected, at):
        self.histories[exchange].changes.append((at, connected))

    def uptime(self, exchange, at):
        return row(self.histories[exchange], self.start, at)["uptime"]

    def reliability(self, exchange, at):
        return row(self.histories[exchange], self.start, at)["reliability"]

    def check(self, at):
        if at - self.start < 60:
            return
        for name, history in self.histories.items():
            percent = self.reliability(name, at)
            if percent < 95 and not history.alerted:
                history.alerted = True
                self.on_alert(name, percent)
            if percent >= 95.5:
                history.alerted = False

    def summary(self, at):
        return {name: row(history, self.start, at) for name, history in self.histories.items()}
