"""Where the client tasks (1 and 2) play: an in-memory exchange, the check's network in front
of it, the student's ``run()`` as a task, and what all three leave on the record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..exchange.memory import InMemoryExchange
from ..i18n import tr
from .harness import Ending, StudentTask
from .network import Attempt, Network, Wire


@dataclass(slots=True)
class ClientRecord:
    """What a client scenario saw on the wire and of the student's task."""

    attempts: list[Attempt] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)
    ending: Ending | None = None
    flooded_at: float | None = None
    ignored_cancel: bool = False
    end: float = 0.0


class Stage:
    """``async with Stage(seed, seen) as stage:`` starts the exchange; `play` starts the
    student's client; leaving, however the script ends, stops both and writes the record into
    ``seen``. A client that floods the network is stopped at once."""

    def __init__(self, seed: int, seen: ClientRecord) -> None:
        self.exchange = InMemoryExchange("practice", tick_rate=2.0, seed=seed)
        self.network = Network(self.exchange, self._stop_student)
        self.student: StudentTask | None = None
        self.seen = seen

    async def __aenter__(self) -> Stage:
        await self.exchange.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.seen.end = self.network.now()
        if self.student is not None:
            await self.student.stop()
        await self.exchange.stop()
        self._record()

    def play(self, run: Callable[[], Awaitable[Any]]) -> None:
        self.student = StudentTask(run)
        self.student.start()

    def _stop_student(self) -> None:
        if self.student is not None:
            self.student.stop_now()

    def _record(self) -> None:
        seen = self.seen
        seen.attempts = list(self.network.attempts)
        seen.wires = list(self.network.wires)
        if self.student is not None:
            seen.ending = self.student.ending
            seen.ignored_cancel = self.student.ignored_cancel
        seen.flooded_at = self.network.flooded_at


def client_root_cause(seen: ClientRecord) -> str | None:
    """What went wrong first for a client, when one cause fails several sub-checks."""
    if seen.ending is not None and seen.ending.at < seen.end:
        return tr(
            "{ending}, so it missed everything after that",
            ending=seen.ending.describe(),
        )
    if seen.flooded_at is not None:
        return tr(
            "a busy loop: {count:,} connection attempts by {at:.1f} s, so the check stopped it",
            count=len(seen.attempts),
            at=seen.flooded_at,
        )
    lost = next((w for w in seen.wires if w.ended_at is not None), None)
    if lost is not None and lost.ended_at is not None:
        later = [a for a in seen.attempts if a.at >= lost.ended_at]
        if not later:
            return tr(
                "your client never reconnected: its connection ended at {at:.1f} s and it made "
                "no new attempt, so every later part of the scenario found it gone",
                at=lost.ended_at,
            )
    return None
