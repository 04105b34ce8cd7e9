"""Task 3: the mistakes students really make, each as an edit to the reference solution."""

from __future__ import annotations

from homework_solutions import Mistake, source

REFERENCE = source("task3_reference")

TO_HALF_OPEN = """\
        if self.state == "open" and self.now() - self.opened_at >= RESET_TIMEOUT:
            self.move("half_open")
"""

AS_TASKS = (
    (
        "            try:\n"
        '                await venue.send_order(price.symbol, "buy", price.ask)\n'
        "            except OrderFailed:\n"
        "                breaker.record_failure()\n"
        "            else:\n"
        "                breaker.record_success()\n",
        "            asyncio.create_task(self.place(venue, breaker, price))\n\n"
        "    async def place(self, venue, breaker, price):\n"
        "        try:\n"
        '            await venue.send_order(price.symbol, "buy", price.ask)\n'
        "        except OrderFailed:\n"
        "            breaker.record_failure()\n"
        "        else:\n"
        "            breaker.record_success()\n",
    ),
)

MISTAKES = [
    Mistake(
        "no breaker at all",
        "the breaker opens on repeated failures",
        "no breaker opened",
        (("    def allow(self):\n", "    def allow(self):\n        return True\n"),),
    ),
    Mistake(
        "trading while the breaker is open",
        "no orders while the breaker is open",
        "while its breaker was open",
        (
            (
                "            if not breaker.allow():\n                continue\n",
                "            breaker.allow()\n",
            ),
        ),
    ),
    Mistake(
        "the breaker never half-opens",
        "trading resumes when the exchange recovers",
        "never half-opened",
        ((TO_HALF_OPEN, ""),),
    ),
    Mistake(
        "half-open lets calls through until the threshold",
        "no orders while the breaker is open",
        "half-open let 3 orders",
        (
            (
                '        if self.state == "half_open" or self.failures >= FAILURE_THRESHOLD:\n'
                "            self.opened_at = self.now()\n",
                "        if self.failures >= FAILURE_THRESHOLD:\n"
                "            self.opened_at = self.now()\n"
                "            self.failures = 0\n",
            ),
            ("            self.trial_running = True\n", ""),
        ),
    ),
    Mistake(
        "a single failure opens the breaker",
        "a single failure does not open the breaker",
        "single failure",
        (("FAILURE_THRESHOLD = 3", "FAILURE_THRESHOLD = 1"),),
    ),
    Mistake(
        "the breaker opens after 2 failures in a row",
        "a single failure does not open the breaker",
        "opened after 2 failures in a row",
        (("FAILURE_THRESHOLD = 3", "FAILURE_THRESHOLD = 2"),),
    ),
    Mistake(
        "failures never reset by a success",
        "a single failure does not open the breaker",
        "one or two orders at a time",
        (
            (
                "    def record_success(self):\n        self.failures = 0\n",
                "    def record_success(self):\n",
            ),
        ),
    ),
    Mistake(
        # seen while alpha's and gamma's feeds are quiet and beta fails alone
        "one breaker shared by every exchange",
        "one breaker per exchange",
        "one breaker for all exchanges",
        (
            (
                "self.breakers = {name: Breaker(name, on_transition) for name in exchanges}",
                'shared = Breaker("beta", on_transition)\n'
                "        self.breakers = {name: shared for name in exchanges}",
            ),
        ),
    ),
    Mistake(
        "the move to half-open not logged",
        "every transition is logged",
        "half_open",
        (
            (
                TO_HALF_OPEN,
                TO_HALF_OPEN.replace('self.move("half_open")', 'self.state = "half_open"'),
            ),
        ),
    ),
    Mistake(
        "can_trade() ignores the breaker",
        "can_trade() follows the breaker",
        "can_trade('beta') was True",
        (('        return self.breakers[name].state != "open"', "        return True"),),
    ),
    Mistake(
        "orders sent as tasks, half-open lets every order through while the trial is out",
        "no orders while the breaker is open",
        "before the trial was recorded",
        (*AS_TASKS, ("            if self.trial_running:\n                return False\n", "")),
    ),
    Mistake(
        # trading one order at a time hides it: only the breaker by itself shows it
        "half-open says yes to every allow() while the trial is out",
        "no orders while the breaker is open",
        "said True 2 more time(s) before the trial was recorded",
        (("            if self.trial_running:\n                return False\n", ""),),
    ),
    Mistake(
        # the stale count opens it again at the next failure: one extra order gets through
        "a failed trial closes the breaker",
        "no orders while the breaker is open",
        "a failed trial opens the breaker again",
        (
            (
                '        if self.state == "half_open" or self.failures >= FAILURE_THRESHOLD:\n',
                '        if self.state == "half_open":\n'
                '            self.move("closed")\n'
                "        elif self.failures >= FAILURE_THRESHOLD:\n",
            ),
        ),
    ),
]
