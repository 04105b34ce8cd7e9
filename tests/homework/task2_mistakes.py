"""Task 2: the mistakes students really make, each as an edit to the reference solution."""

from __future__ import annotations

from homework_solutions import Mistake, source

REFERENCE = source("task2_reference")

SEND_ALL = '                await self.send("subscribe", sorted(self.wanted))\n'
REJECT = """\
                self.wanted.discard(message["symbol"])
                self.on_rejected(message["symbol"], message.get("code"))
"""
SEND = """\
        if self.ws is None or not symbols:
            return
        self.next_id += 1
        request = {"op": op, "id": self.next_id, "symbols": symbols}
        with contextlib.suppress(Exception):  # the connection is going; a reconnect restores
            await self.ws.send(json.dumps(request))
"""

FIRST_ONLY = "                if self.first:\n    {}                    self.first = False\n"

MISTAKES = [
    Mistake(
        "subscriptions never restored",
        "restores every subscription after each reconnect",
        "missing",
        (
            ("        self.next_id = 0\n", "        self.next_id = 0\n        self.first = True\n"),
            (
                SEND_ALL,
                FIRST_ONLY.format(SEND_ALL),
            ),
        ),
    ),
    Mistake(
        "subscriptions restored twice",
        "restores each subscription once",
        "restored twice",
        (
            (
                SEND_ALL,
                SEND_ALL
                + "                for pair in sorted(self.wanted):\n"
                + '                    await self.send("subscribe", [pair])\n',
            ),
        ),
    ),
    Mistake(
        "a rejected symbol retried forever",
        "a rejected subscription is dropped, not retried",
        "retried",
        ((REJECT, REJECT.splitlines(keepends=True)[1]),),
    ),
    Mistake(
        "a rejection not reported",
        "a rejected subscription is reported",
        "never called",
        ((REJECT, REJECT.splitlines(keepends=True)[0]),),
    ),
    Mistake(
        "an error message ends the connection",
        "the other subscriptions are unharmed",
        "cost the others their connection",
        ((REJECT, REJECT + '                raise RuntimeError(message["message"])\n'),),
    ),
    Mistake(
        "unsubscribe() leaves the pair in the list",
        "unsubscribe() removes a pair for good",
        "still lists it",
        (("        self.wanted.discard(symbol)\n        await", "        await"),),
    ),
    Mistake(
        "subscribe() waits for the next connection",
        "subscribe() while connected takes effect at once",
        "sent nothing",
        (
            (
                '        self.wanted.add(symbol)\n        await self.send("subscribe", [symbol])\n',
                "        self.wanted.add(symbol)\n",
            ),
        ),
    ),
    Mistake(
        "subscribe() while disconnected raises",
        "a pair added while disconnected is subscribed on reconnecting",
        "raised",
        (
            (
                SEND,
                """\
        self.next_id += 1
        request = {"op": op, "id": self.next_id, "symbols": symbols}
        await self.ws.send(json.dumps(request))
""",
            ),
        ),
    ),
]

MISTAKES += [
    Mistake(
        "unsubscribe() while disconnected ignored",
        "unsubscribe() removes a pair for good",
        "while disconnected was ignored",
        (
            (
                "    async def unsubscribe(self, symbol):\n",
                "    async def unsubscribe(self, symbol):\n        if self.ws is None:\n"
                "            return\n",
            ),
        ),
    ),
]
