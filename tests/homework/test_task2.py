"""Task 2's check: full marks for correct solutions, and each typical mistake named."""

from __future__ import annotations

import pytest
from homework_solutions import Mistake, assert_named, namespace, source

from lessonlib.homework.checks import grade

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


def test_the_reference_solution_gets_full_marks() -> None:
    report = grade("task2", namespace(REFERENCE))
    assert report.points == report.max_points == 10, str(report)


@pytest.mark.parametrize("seed", range(8))
def test_a_differently_built_solution_gets_full_marks_on_any_seed(seed: int) -> None:
    report = grade("task2", namespace(source("task2_alternative")), seed=seed)
    assert report.points == report.max_points, str(report)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_each_mistake_loses_points_with_a_message_that_names_it(mistake: Mistake) -> None:
    assert_named(mistake, grade("task2", namespace(mistake.code(REFERENCE))))
