"""The thundering herd: many clients lose the same server at the same moment.

A server comes back after an outage and can complete only ``capacity`` handshakes in each
``window`` of time; attempts beyond that are refused. Every client reconnects with
`connect_with_retry` and the same policy, in virtual time, and the attempts they make are
read back from the event stream. This is the AWS Architecture Blog's experiment: how much
work (total calls) and how much time (until the last client is back) each jitter costs.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace

from . import validate, vtime
from .backoff import BackoffPolicy, Jitter
from .events import EventLog, Kind
from .retry import connect_with_retry


class ServerBusy(ConnectionRefusedError):
    """The recovering server had no room for this handshake in the current window."""


class RecoveringServer:
    """A server that admits at most ``capacity`` handshakes per ``window`` seconds."""

    def __init__(self, capacity: int, window: float) -> None:
        validate.integer("capacity", capacity, minimum=1)
        validate.positive("window", window)
        self.capacity = capacity
        self.window = window
        self._slot = -1
        self._admitted = 0

    def handshake(self, now: float) -> None:
        """Admit a handshake at loop time ``now``, or raise `ServerBusy`."""
        slot = int(now / self.window)
        if slot != self._slot:
            self._slot, self._admitted = slot, 0
        if self._admitted >= self.capacity:
            raise ServerBusy("server busy")
        self._admitted += 1


@dataclass(frozen=True, slots=True)
class HerdResult:
    """What one strategy cost: every attempt's time, total calls, when the last client got in."""

    jitter: Jitter
    clients: int
    capacity: int
    window: float
    attempt_times: tuple[float, ...]
    finished: float

    @property
    def calls(self) -> int:
        return len(self.attempt_times)


async def run_herd(
    policy: BackoffPolicy,
    *,
    clients: int = 1000,
    capacity: int = 50,
    window: float = 0.1,
    seed: int = 0,
) -> HerdResult:
    """All ``clients`` reconnect at time 0 to a `RecoveringServer`; run it in virtual time."""
    if isinstance(clients, bool) or not isinstance(clients, int) or clients < 1:
        raise ValueError(f"clients must be a positive integer, got {clients!r}")
    loop = asyncio.get_running_loop()
    server = RecoveringServer(capacity, window)
    log = EventLog()
    rng = random.Random(seed)
    start = loop.time()

    async def connect() -> None:
        server.handshake(loop.time() - start)

    await asyncio.gather(
        *(
            connect_with_retry(connect, policy, rng=rng, events=log, source=f"client {i}")
            for i in range(clients)
        )
    )
    attempts = tuple(t - start for t in log.times(Kind.ATTEMPT))
    return HerdResult(
        Jitter(policy.jitter), clients, capacity, window, attempts, loop.time() - start
    )


async def compare_jitter(
    policy: BackoffPolicy | None = None,
    *,
    clients: int = 1000,
    capacity: int = 50,
    window: float = 0.1,
    seed: int = 0,
) -> dict[Jitter, HerdResult]:
    """`run_herd` once per jitter strategy, each in its own virtual-time loop.

    ``policy`` gives the delays (its jitter is replaced in turn); by default it retries
    forever, so that every client gets in and the time to finish is defined.
    """
    base = policy or BackoffPolicy(initial_delay=0.1, max_delay=30.0, max_retries=None)
    results: dict[Jitter, HerdResult] = {}
    for jitter in Jitter:
        scenario = run_herd(
            replace(base, jitter=jitter),
            clients=clients,
            capacity=capacity,
            window=window,
            seed=seed,
        )
        # A pure simulation with no sockets: one idle turn before each clock jump suffices.
        results[jitter] = await vtime.simulate(scenario, noop_cycles=1)
    return results
