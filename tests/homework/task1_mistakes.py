"""Task 1: the mistakes students really make, each as an edit to the reference solution."""

from __future__ import annotations

from homework_solutions import Mistake, source

REFERENCE = source("task1_reference")

# A cap of 60 s with jitter drawn from `random`: whether the reconnect after the long outage
# comes late depends on the draws (a wrong solution whose points the draws could change).
JITTER_FROM_RANDOM = (
    REFERENCE.replace("MAX_DELAY = 30.0", "MAX_DELAY = 60.0")
    .replace("import json\n", "import json\nimport random\n")
    .replace("await asyncio.sleep(delay)", "await asyncio.sleep(delay * random.uniform(0.8, 1))")
)

RETRY_WAIT = """\
                await asyncio.sleep(delay)
                delay = min(delay * MULTIPLIER, MAX_DELAY)
                continue"""

MISTAKES = [
    Mistake(
        "no cap",
        "the waits are capped at 30 s",
        "no cap",
        ((RETRY_WAIT, RETRY_WAIT.replace("min(delay * MULTIPLIER, MAX_DELAY)", "delay * 2")),),
    ),
    Mistake(
        "cap above 30 s",
        "the waits are capped at 30 s",
        "cap above 30 s",
        (("MAX_DELAY = 30.0", "MAX_DELAY = 60.0"),),
    ),
    Mistake(
        "backoff never reset after a healthy spell",
        "backoff reset after a healthy spell",
        "not reset",
        (("                delay = INITIAL_DELAY\n", "                pass\n"),),
    ),
    Mistake(
        "a fixed delay",
        "the waits grow exponentially",
        "fixed delay",
        (("MULTIPLIER = 2.0", "MULTIPLIER = 1.0"), ("INITIAL_DELAY = 0.5", "INITIAL_DELAY = 5.0")),
    ),
    Mistake(
        "a busy loop with no sleep",
        "waits between attempts",
        "busy loop",
        ((RETRY_WAIT, RETRY_WAIT.replace("await asyncio.sleep(delay)", "pass")),),
    ),
    Mistake(
        "time.sleep instead of asyncio.sleep",
        "waits between attempts",
        "time.sleep",
        (
            ("import json\n", "import json\nimport time\n"),
            (RETRY_WAIT, RETRY_WAIT.replace("await asyncio.sleep(delay)", "time.sleep(delay)")),
        ),
    ),
    Mistake(
        "gives up after ten attempts",
        "keeps trying through a long outage",
        "gave up",
        (
            (
                "        while True:\n            self.log_state",
                "        for _ in range(10):\n            self.log_state",
            ),
        ),
    ),
    Mistake(
        "stops when the exchange closes cleanly",
        "reconnects after a clean close",
        "clean close",
        (
            (
                "                await self.stream(ws)\n",
                "                await self.stream(ws)\n                return\n",
            ),
            (
                """\
        while True:
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())""",
                """\
        async for raw in ws:
            message = json.loads(raw)""",
            ),
        ),
    ),
    Mistake(
        "no silence detection",
        "notices a silent connection",
        "dead connection",
        (
            (
                """\
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())""",
                """\
            message = json.loads(await ws.recv())""",
            ),
        ),
    ),
    Mistake(
        "failed attempts not logged",
        "logs every change of connection state",
        "'disconnected'",
        (
            (
                '            except Exception:\n                self.log_state("disconnected")\n',
                "            except Exception:\n",
            ),
        ),
    ),
    Mistake(
        "the raw text passed on",
        "connects and passes prices on",
        "json.loads",
        (("self.on_price(message)", "self.on_price(json.dumps(message))"),),
    ),
]

MISTAKES += [
    Mistake(
        "backoff reset on every handshake",
        "no reset on a handshake alone",
        "backoff reset on every handshake",
        (
            (
                '            self.log_state("connected")\n',
                '            self.log_state("connected")\n            delay = INITIAL_DELAY\n',
            ),
        ),
    ),
    Mistake(
        "starts at 5 s and grows ×1.2",
        "the waits grow exponentially",
        "the first wait is too long",
        (("INITIAL_DELAY = 0.5", "INITIAL_DELAY = 5.0"), ("MULTIPLIER = 2.0", "MULTIPLIER = 1.2")),
    ),
    Mistake(
        "grows ×1.2",
        "the waits grow exponentially",
        "×1.20 the one before",
        (("MULTIPLIER = 2.0", "MULTIPLIER = 1.2"),),
    ),
    Mistake(
        "a silence limit of 12 s",
        "notices a silent connection",
        "dead connection",
        (("SILENCE = 5.0", "SILENCE = 12.0"),),
    ),
    Mistake(
        "snapshots dropped",
        "connects and passes prices on",
        "snapshot",
        (
            (
                'if message.get("type") in ("snapshot", "ticker"):',
                'if message.get("type") == "ticker":',
            ),
        ),
    ),
    Mistake(
        "run() swallows CancelledError",
        "stops when cancelled",
        "caught asyncio.CancelledError",
        (
            (
                "                await asyncio.sleep(delay)\n                delay = min(",
                "                try:\n                    await asyncio.sleep(delay)\n"
                "                except BaseException:\n                    pass\n"
                "                delay = min(",
            ),
            (
                "            except Exception:\n                pass\n",
                "            except BaseException:\n                pass\n",
            ),
        ),
    ),
    Mistake(
        "waits that grow by adding 2 s, not by multiplying",
        "the waits grow exponentially",
        "that is linear",
        (
            (
                "                delay = min(delay * MULTIPLIER, MAX_DELAY)\n",
                "                delay = min(delay + MULTIPLIER, MAX_DELAY)\n",
            ),
        ),
    ),
    Mistake(
        "linear growth after a lost connection (the flapping exchange shows it)",
        "the waits grow exponentially",
        "that is linear",
        (
            (
                "            await asyncio.sleep(delay)\n"
                "            delay = min(delay * MULTIPLIER",
                "            await asyncio.sleep(delay)\n"
                "            delay = min(delay + MULTIPLIER",
            ),
        ),
    ),
    Mistake(
        "the wait stops growing after the first failure",
        "the waits grow exponentially",
        "a fixed delay",
        (
            (
                "                delay = min(delay * MULTIPLIER, MAX_DELAY)\n",
                "                delay = min(delay % MULTIPLIER, MAX_DELAY)\n",
            ),
        ),
    ),
]

MISTAKES += [
    Mistake(
        "a healthy spell counted from 15 s",
        "backoff reset after a healthy spell",
        "not reset",
        (("HEALTHY_AFTER = 10.0", "HEALTHY_AFTER = 15.0"),),
    ),
    Mistake(
        "a healthy spell counted from 5 s",
        "backoff reset after a healthy spell",
        "a healthy spell is a connection up 10 s or more",
        (("HEALTHY_AFTER = 10.0", "HEALTHY_AFTER = 5.0"),),
    ),
    Mistake(
        "a connection given up after 3 s of quiet",
        "notices a silent connection",
        "it gave up a live connection",
        (("SILENCE = 5.0", "SILENCE = 3.0"),),
    ),
]
