"""Small scripted scenarios the lessons run in virtual time and then draw, and the setups that
a test and a benchmark share."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Mapping

from .backoff import BackoffPolicy
from .breaker import CircuitBreaker, CircuitOpenError
from .events import Emitter, EventBus, EventLog, EventSink, Kind
from .exchange import InMemoryExchange, run_command
from .feed import FeedStats, PriceFeedClient
from .health import HealthMonitor
from .manager import MultiExchangeManager
from .retry import RetryError, connect_with_retry


async def retry_through_outage(
    policy: BackoffPolicy, outage: float, *, seed: int = 0, source: str = "client"
) -> EventLog:
    """One client retries against a server that is down for ``outage`` seconds.

    Every attempt before the server is back is refused. Returns the client's events, whether
    it got through or gave up. Run it in virtual time: a long outage then takes milliseconds.
    """
    loop = asyncio.get_running_loop()
    back_at = loop.time() + outage

    async def connect() -> str:
        if loop.time() < back_at:
            raise ConnectionRefusedError("the exchange is down")
        return "connected"

    log = EventLog()
    with contextlib.suppress(RetryError):  # giving up is one of the outcomes the lesson shows
        await connect_with_retry(
            connect, policy, rng=random.Random(seed), events=log, source=source
        )
    return log


EVERY_FAULT = (
    "drop",
    "close 1011",
    "refuse 3; drop",
    "ratelimit 1; drop",
    "stall 5",
    "skip 5",
    "garbage",
    "latency 0.5",
    "latency 0",
    "shutdown 3",
    "flaky 0.7; drop",
    "flaky 0",
)
"""A fault of each kind, in the exchange console's words; handshake faults come with a drop,
since they only bite when the client connects again."""


async def feed_through_every_fault(
    *,
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"),
    spacing: float = 6.0,
    seed: int = 0,
    script: tuple[str, ...] = EVERY_FAULT,
) -> tuple[EventLog, FeedStats]:
    """A feed client on the in-memory exchange while a fault of each kind strikes in turn,
    ``spacing`` seconds apart. Returns everything both reported, and the client's counters.

    Run it in virtual time: a couple of simulated minutes take a fraction of a second.
    """
    log = EventLog()
    policy = BackoffPolicy(initial_delay=0.2, max_delay=5.0, max_retries=None, healthy_after=2.0)
    async with InMemoryExchange(
        "exchange", tick_rate=5, heartbeat_interval=1.0, seed=seed, events=log
    ) as exchange:
        client = PriceFeedClient(
            exchange.connect, policy=policy, events=log, name="client", rng=random.Random(seed)
        )
        await client.subscribe(*symbols)

        async def consume() -> None:
            async for _ in client.updates():
                pass

        async with client:
            consumer = asyncio.create_task(consume())
            for line in script:
                await asyncio.sleep(spacing)
                for command in line.split(";"):
                    answer = run_command(exchange, command)
                    if answer.startswith("error"):
                        raise ValueError(f"script step {line!r}: {answer}")
            await asyncio.sleep(spacing)
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
    return log, client.stats


async def calls_through_a_breaker(
    breaker: CircuitBreaker,
    *,
    failure_rate: float = 0.9,
    outage: tuple[float, float] = (20.0, 70.0),
    baseline_failure_rate: float = 0.02,
    duration: float = 120.0,
    interval: float = 1.0,
    seed: int = 0,
) -> EventLog:
    """A bot calls an exchange's API every ``interval`` seconds through ``breaker``.

    During ``outage`` (start, end) a call fails with ``failure_rate``, otherwise with
    ``baseline_failure_rate``. Each call is an event: SUCCESS, FAILURE, or REJECTED when the
    breaker refused it without calling; the breaker's transitions join them on one stream.
    Run it in virtual time.
    """
    if not 0 <= failure_rate <= 1:
        raise ValueError(f"failure_rate must be between 0 and 1, got {failure_rate!r}")
    log = EventLog()
    loop = asyncio.get_running_loop()
    start = loop.time()
    emit = Emitter("bot", log, loop.time)
    breaker.report_to(log, "breaker")
    rng = random.Random(seed)

    async def call_exchange() -> None:
        elapsed = loop.time() - start
        rate = failure_rate if outage[0] <= elapsed < outage[1] else baseline_failure_rate
        await asyncio.sleep(0.05)
        if rng.random() < rate:
            raise ConnectionError("exchange unavailable")

    while loop.time() - start < duration:
        try:
            await breaker.call(call_exchange)
        except CircuitOpenError as refused:
            emit(Kind.REFUSED, remaining=refused.remaining)
        except ConnectionError as error:
            emit(Kind.FAILURE, error=str(error))
        else:
            emit(Kind.SUCCESS)
        await asyncio.sleep(interval)
    return log


async def trading_day(
    *,
    hours: float = 8.0,
    window: float = 900.0,
    seed: int = 0,
) -> tuple[HealthMonitor, EventLog]:
    """A simulated trading day on three in-memory exchanges with different temperaments,
    watched by a `HealthMonitor` over a ``window``-second sliding window.

    - steady: a dropped connection twice a day;
    - choppy: a drop every 20 minutes, and a 30-second stall every 90 minutes;
    - troubled: fine, except for a bad hour in the middle of the day (flaky handshakes,
      a drop every 40 seconds), then fine again.

    Returns the monitor (for its reports and history) and every alert and fault. Run it in
    virtual time; with few ticks and no sockets, a day takes a few seconds.
    """
    log = EventLog()
    monitor = HealthMonitor(window=window, events=log)
    bus = EventBus()
    stop_watching = bus.subscribe(monitor)
    bus.subscribe(lambda e: log(e) if e.kind in (Kind.FAULT, Kind.ALERT) else None)
    policy = BackoffPolicy(initial_delay=1.0, max_delay=60.0, max_retries=None, healthy_after=30)
    names = ("steady", "choppy", "troubled")
    exchanges = [
        InMemoryExchange(
            name, seed=seed, venue_seed=i, tick_rate=0.1, heartbeat_interval=5.0, events=bus
        )
        for i, name in enumerate(names)
    ]
    day = hours * 3600
    async with contextlib.AsyncExitStack() as stack:
        for exchange in exchanges:
            await stack.enter_async_context(exchange)
        steady, choppy, troubled = exchanges
        steady.after(day * 0.3, "drop")
        steady.after(day * 0.7, "drop")
        choppy.every(20 * 60, "drop")
        choppy.every(90 * 60, "stall", 30.0)
        bad_hour = day / 2 - 1800
        troubled.after(bad_hour, "flaky", 0.6)
        for minute in range(0, 60 * 60, 40):
            troubled.after(bad_hour + minute, "drop")
        troubled.after(bad_hour + 3600, "flaky", 0.0)
        loop = asyncio.get_running_loop()
        for exchange in exchanges:
            monitor.watch(exchange.name, loop.time())
            client = PriceFeedClient(
                exchange.connect,
                policy=policy,
                events=bus,
                name=exchange.name,
                rng=random.Random(seed),
            )
            await client.subscribe("BTC/USDT")
            await stack.enter_async_context(client)
            stack.push_async_callback(_drained, asyncio.create_task(_drain(client)))
        for _ in range(int(day // 60)):
            await asyncio.sleep(60)
            monitor.check(loop.time())
        stop_watching()  # the day is over; closing time is not an outage
    return monitor, log


async def _drain(client: PriceFeedClient) -> None:
    async for _ in client.updates():
        pass


async def _drained(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hammering_manager(urls: Mapping[str, str], events: EventSink) -> MultiExchangeManager:
    """A manager over ``urls`` (name to address) whose clients retry every 5-10 ms behind a
    breaker that never opens: a dead address among them is hammered all along, the load the
    isolation test and bench/manager_isolation.py put beside healthy exchanges."""
    manager = MultiExchangeManager(stale_after=30.0, events=events)
    for name, url in urls.items():
        manager.add(
            name,
            url,
            symbols=["BTC/USDT", "ETH/USDT"],
            policy=BackoffPolicy(initial_delay=0.005, max_delay=0.01, max_retries=None),
            breaker=CircuitBreaker(failure_threshold=10**6),  # never stops trying
        )
    return manager
