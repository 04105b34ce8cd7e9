"""Correct solutions in styles unlike the references, each as an edit to a reference: every
one must get full marks. The checks judge what the task states, not how the code is built."""

from __future__ import annotations

from dataclasses import dataclass

from homework_solutions import edited, source
from task3_mistakes import AS_TASKS


@dataclass(frozen=True)
class Variant:
    """A correct solution: ``task``'s reference with ``edits``."""

    task: str
    name: str
    edits: tuple[tuple[str, str], ...]

    def code(self) -> str:
        return edited(source(f"{self.task}_reference"), *self.edits)

    def __str__(self) -> str:
        return f"{self.task}: {self.name}"


TASK1_CLOCK = (
    "        loop = asyncio.get_running_loop()\n",
    "",
)
VARIANTS = [
    Variant(
        "task1",
        "the tightest cap the task allows: from 0.1 s, x1.5, capped at 0.5 s",
        (
            ("INITIAL_DELAY = 0.5", "INITIAL_DELAY = 0.1"),
            ("MULTIPLIER = 2.0", "MULTIPLIER = 1.5"),
            ("MAX_DELAY = 30.0", "MAX_DELAY = 0.5"),
        ),
    ),
    Variant(
        "task1",
        "a healthy spell counted from the first price",
        (
            ("            opened = loop.time()\n", "            self.opened = None\n"),
            (
                "            if loop.time() - opened >= HEALTHY_AFTER:",
                "            up = loop.time() - (self.opened or loop.time())\n"
                "            if up >= HEALTHY_AFTER:",
            ),
            (
                "                self.on_price(message)",
                "                if self.opened is None:\n"
                "                    self.opened = asyncio.get_running_loop().time()\n"
                "                self.on_price(message)",
            ),
        ),
    ),
    Variant(
        "task1",
        "the clock is time.time()",
        (
            ("import json\n", "import json\nimport time\n"),
            TASK1_CLOCK,
            ("            opened = loop.time()", "            opened = time.time()"),
            ("            if loop.time() - opened", "            if time.time() - opened"),
        ),
    ),
    Variant(
        "task1",
        "the clock imported as `from time import monotonic`",
        (
            ("import json\n", "import json\nfrom time import monotonic\n"),
            TASK1_CLOCK,
            ("            opened = loop.time()", "            opened = monotonic()"),
            ("            if loop.time() - opened", "            if monotonic() - opened"),
        ),
    ),
    Variant(
        "task1",
        "'connected' logged when the welcome frame arrives",
        (
            ('            self.log_state("connected")\n            opened', "            opened"),
            (
                '            if message.get("type") in',
                '            if message.get("type") == "welcome":\n'
                '                self.log_state("connected")\n'
                '            if message.get("type") in',
            ),
        ),
    ),
    Variant(
        "task2",
        "subscribe() awaits the exchange's answer",
        (
            (
                "        self.next_id = 0\n",
                "        self.next_id = 0\n        self.answered = {}\n",
            ),
            (
                '        self.wanted.add(symbol)\n        await self.send("subscribe", [symbol])\n',
                "        self.wanted.add(symbol)\n"
                "        answer = asyncio.get_running_loop().create_future()\n"
                "        self.answered[symbol] = answer\n"
                '        await self.send("subscribe", [symbol])\n'
                "        if self.ws is not None:\n"
                "            with contextlib.suppress(TimeoutError):\n"
                "                async with asyncio.timeout(1.0):\n"
                "                    await answer\n",
            ),
            (
                '            kind = message.get("type")\n',
                '            kind = message.get("type")\n'
                '            waiting = self.answered.pop(message.get("symbol"), None)\n'
                '            if kind in ("subscribed", "error") and waiting '
                "and not waiting.done():\n"
                "                waiting.set_result(kind)\n",
            ),
        ),
    ),
    Variant(
        "task3",
        "the clock imported as `from time import monotonic`",
        (
            ("import asyncio\n", "import asyncio\nfrom time import monotonic\n"),
            ("        return asyncio.get_running_loop().time()", "        return monotonic()"),
        ),
    ),
    Variant(
        "task3",
        "the clock is time.time()",
        (
            ("import asyncio\n", "import asyncio\nimport time\n"),
            ("        return asyncio.get_running_loop().time()", "        return time.time()"),
        ),
    ),
    Variant("task3", "each order sent as a task of its own", AS_TASKS),
    Variant(
        "task3",
        "the widest bounds the task allows: 10 failures, 60 s open",
        (
            ("FAILURE_THRESHOLD = 3", "FAILURE_THRESHOLD = 10"),
            ("RESET_TIMEOUT = 10.0", "RESET_TIMEOUT = 60.0"),
        ),
    ),
    Variant(
        "task3",
        "settings looked up by the exchange's name",
        (
            (
                "FAILURE_THRESHOLD = 3\n",
                'FAILURES = {"alpha": 3, "beta": 4, "gamma": 5}\nFAILURE_THRESHOLD = 3\n',
            ),
            (
                "        self.failures += 1\n",
                "        self.failures += 1\n        limit = FAILURES[self.name]\n",
            ),
            ("self.failures >= FAILURE_THRESHOLD:", "self.failures >= limit:"),
        ),
    ),
    Variant(
        "task4",
        "metrics rounded for display (seconds and percent to one decimal)",
        (
            (
                '            result[name] = {\n                "uptime": uptime,',
                '            result[name] = {\n                "uptime": round(uptime, 1),',
            ),
            (
                '                "reliability": self.reliability(name, at),',
                '                "reliability": round(self.reliability(name, at), 1),',
            ),
            (
                "        return self.exchanges[exchange].uptime(at)",
                "        return round(self.exchanges[exchange].uptime(at), 1)",
            ),
        ),
    ),
]
