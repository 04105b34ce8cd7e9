"""Task 4: the mistakes students really make, each as an edit to the reference solution."""

from __future__ import annotations

from homework_solutions import Mistake, source

REFERENCE = source("task4_reference")

JUDGE = """\
            if not health.alerted and value < THRESHOLD:
                health.alerted = True
                self.on_alert(name, value)
            elif health.alerted and value >= RECOVERED:
                health.alerted = False
"""

MISTAKES = [
    Mistake(
        "reliability counted from events instead of time",
        "reliability in percent of time",
        "from events",
        (
            (
                "        watched = at - self.start\n"
                "        return 100.0 * self.uptime(exchange, at)",
                "        health = self.exchanges[exchange]\n"
                "        ups = health.disconnections + (1 if health.connected else 0)\n"
                "        return 100.0 * ups / max(1, ups + health.disconnections)\n"
                "        watched = at - self.start\n"
                "        return 100.0 * self.uptime(exchange, at)",
            ),
        ),
    ),
    Mistake(
        # a share of events weighted its own way: no known model fits, yet it never moves
        # while the connection's state stays put
        "reliability from events, weighted",
        "reliability in percent of time",
        "counted from events instead of time",
        (
            (
                "        watched = at - self.start\n"
                "        return 100.0 * self.uptime(exchange, at)",
                "        health = self.exchanges[exchange]\n"
                "        ups = health.disconnections + (1 if health.connected else 0)\n"
                "        return 100.0 * (ups - health.disconnections / 2) / max(1, ups)\n"
                "        watched = at - self.start\n"
                "        return 100.0 * self.uptime(exchange, at)",
            ),
        ),
    ),
    Mistake(
        "an alert that flaps",
        "the alert does not flap",
        "flaps",
        (("RECOVERED = 97.0", "RECOVERED = THRESHOLD"),),
    ),
    Mistake(
        "an alert on every check while below 95 %",
        "the alert does not flap",
        "flaps",
        (
            (
                JUDGE,
                "            if value < THRESHOLD:\n                self.on_alert(name, value)\n",
            ),
        ),
    ),
    Mistake(
        "an alert never raised again after a recovery",
        "a new alert after a recovery",
        "not alerted again",
        ((JUDGE, JUDGE.replace("health.alerted = False", "pass")),),
    ),
    Mistake(
        "judged only when a connection changes",
        "an alert when an exchange falls below 95 %",
        "judge on every check()",
        (
            (
                "        self.exchanges[exchange].change(connected, at)\n        self.check(at)\n",
                "        self.exchanges[exchange].change(connected, at)\n        self.judge(at)\n",
            ),
            (
                "    def check(self, at):\n",
                "    def check(self, at):\n        pass\n\n    def judge(self, at):\n",
            ),
        ),
    ),
    Mistake(
        "the time before the first connection ignored",
        "reliability in percent of time",
        "before its first connection",
        (
            (
                "        watched = at - self.start\n",
                "        first = self.exchanges[exchange].first_up\n"
                "        watched = at - (first if first is not None else at)\n",
            ),
            (
                "        self.alerted = False\n",
                "        self.alerted = False\n        self.first_up = None\n",
            ),
            (
                "        if connected == self.connected:\n            return\n",
                "        if connected == self.connected:\n            return\n"
                "        if connected and self.first_up is None:\n            self.first_up = at\n",
            ),
        ),
    ),
    Mistake(
        "the current connection not counted until it ends",
        "uptime",
        "current connection",
        (
            (
                "        return self.up_before + (at - self.since if self.connected else 0.0)",
                "        return self.up_before",
            ),
        ),
    ),
    Mistake(
        "reliability as a fraction",
        "reliability in percent of time",
        "not a percent",
        (
            (
                "        return 100.0 * self.uptime(exchange, at) / watched",
                "        return self.uptime(exchange, at) / watched",
            ),
        ),
    ),
    Mistake(
        "alerts in the first minute",
        "no false alerts",
        "before a minute",
        (("MIN_OBSERVED = 60.0", "MIN_OBSERVED = 0.0"),),
    ),
    Mistake(
        "a summary without the longest outage",
        "a summary of every metric",
        "longest_outage",
        (('                "longest_outage": max(health.longest_outage, outage),\n', ""),),
    ),
]

MISTAKES += [
    Mistake(
        "start ignored: time measured from 0",
        "reliability in percent of time",
        "measured from 0, not from start",
        (
            ("        watched = at - self.start\n", "        watched = at\n"),
            (
                "{name: ExchangeHealth(start) for name in exchanges}",
                "{name: ExchangeHealth(0.0) for name in exchanges}",
            ),
        ),
    ),
]

MISTAKES += [
    Mistake(
        "judged only after the check at start + 60 s",
        "an alert when an exchange falls below 95 %",
        "judged from start + 60 s on",
        (
            (
                "        if at - self.start < MIN_OBSERVED:",
                "        if at - self.start <= MIN_OBSERVED:",
            ),
        ),
    ),
    Mistake(
        "the outage going on left out of the longest outage",
        "a summary of every metric",
        "while it was disconnected",
        (
            (
                '                "longest_outage": max(health.longest_outage, outage),\n',
                '                "longest_outage": health.longest_outage,\n',
            ),
        ),
    ),
    Mistake(
        "downtime counted from 0, not from start",
        "a summary of every metric",
        "'downtime'",
        (
            (
                '                "downtime": (at - self.start) - uptime,',
                '                "downtime": at - uptime,',
            ),
        ),
    ),
]
