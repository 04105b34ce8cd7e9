"""The consolidated quote: prices judged by the exchange's timestamp, venues held out until
their resume catches up, and never a crossed or locked quote from venues that cannot cross."""

from __future__ import annotations

import asyncio
import heapq
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonlib import vtime
from lessonlib.backoff import BackoffPolicy
from lessonlib.breaker import CircuitBreaker
from lessonlib.consolidation import VenueClock, VenuePrice, VenueQuotes, consolidate
from lessonlib.events import EventLog, Kind
from lessonlib.exchange import InMemoryExchange
from lessonlib.manager import MultiExchangeManager

TICK = 0.05  # seconds between two ticks of the common price
HALF_SPREAD = 4.0
NOISE = 0.4 * HALF_SPREAD  # how far a venue strays from the common price: same tick, no cross


def test_a_venue_clock_places_prices_by_their_stamp_not_their_arrival() -> None:
    clock = VenueClock()  # the venue's clock runs 100 s ahead of ours; delivery takes 10 ms
    assert clock.place(ts=100.0, arrival=0.010) == pytest.approx(0.010)
    assert clock.place(ts=100.5, arrival=0.520) == pytest.approx(0.510)  # 10 ms late: older
    # replayed after a reconnect: stamped 0.6 s in, arriving at 2.0, it is 1.39 s old on arrival
    assert clock.place(ts=100.6, arrival=2.0) == pytest.approx(0.610)
    clock.reset()  # a restarted venue with another clock is measured afresh
    assert clock.place(ts=7.0, arrival=3.0) == pytest.approx(3.0)


def test_a_venue_is_held_out_from_a_reconnect_until_a_live_price_arrives() -> None:
    venue = VenueQuotes()
    venue.connected()
    venue.record("BTC/USDT", 99.0, 101.0, ts=10.0, arrival=10.0, replayed=False)
    venue.connected()  # dropped and reconnected: the price before the drop no longer counts
    assert venue.price("BTC/USDT") == VenuePrice(99.0, 101.0, 10.0, before_reconnect=True)
    replayed = venue.record("BTC/USDT", 98.0, 100.0, ts=10.5, arrival=11.0, replayed=True)
    assert not replayed.current and replayed.at == pytest.approx(10.5)
    live = venue.record("BTC/USDT", 97.0, 99.0, ts=11.0, arrival=11.0, replayed=False)
    assert live.current and venue.newest() == live


def test_of_two_venues_that_cross_the_one_with_the_older_price_is_left_out() -> None:
    prices = {
        "moved": VenuePrice(105.0, 107.0, at=9.9),
        "behind": VenuePrice(100.0, 102.0, at=9.5),  # its ask is below "moved"'s bid
        "level": VenuePrice(104.0, 108.0, at=9.8),
    }
    quote = consolidate("X", prices, now=10.0, stale_after=1.0)
    assert quote is not None
    assert (quote.bid, quote.bid_exchange, quote.ask, quote.ask_exchange) == (
        105.0,
        "moved",
        107.0,
        "moved",
    )
    assert quote.left_out == ("behind",)
    assert consolidate("X", prices, now=10.0, stale_after=0.05) is None  # all too old


# -- a simulated market: venues on one price path, with drops, restarts and stalls ---------


@dataclass(frozen=True)
class Outage:
    start: int  # the tick it begins at
    ticks: int  # how long it lasts
    kind: str  # "resume": drop and resume; "restart": a new run, a snapshot; "stall": silence


@dataclass
class Venue:
    phase: float  # when in each tick period the venue ticks
    latency: float  # its fastest delivery
    skew: float  # its clock minus ours
    outages: list[Outage] = field(default_factory=list)


venue_strategy = st.builds(
    Venue,
    phase=st.floats(0.0, TICK * 0.99),
    latency=st.floats(0.0005, 0.03),
    skew=st.floats(-100.0, 100.0),
    outages=st.lists(
        st.builds(
            Outage,
            start=st.integers(1, 50),
            ticks=st.integers(1, 25),
            kind=st.sampled_from(["resume", "restart", "stall"]),
        ),
        max_size=3,
    ),
)


def deliveries(venue: Venue, mids: list[float], rng: random.Random) -> list[tuple]:
    """(arrival, kind, details) of everything the venue's feed reports, in arrival order."""
    down: dict[int, Outage] = {}
    for outage in venue.outages:
        for tick in range(outage.start, min(outage.start + outage.ticks, len(mids))):
            down.setdefault(tick, outage)
    skew, out = venue.skew, []
    stamp = [k * TICK + venue.phase for k in range(len(mids))]
    venue_mids = [mid + rng.uniform(-NOISE, NOISE) for mid in mids]
    quotes = [(mid - HALF_SPREAD, mid + HALF_SPREAD) for mid in venue_mids]
    out.append((0.0, "connected", {}))
    missed: list[int] = []
    for k in range(len(mids)):
        jitter = rng.uniform(0.0, 0.005)
        if k in down:
            missed.append(k)
            continue
        if missed:  # back: what the outage cost, delivered now
            outage = down[missed[0]]
            back = stamp[k] - TICK / 2
            if outage.kind != "stall":
                out.append((back, "connected", {}))
            arrival = back + venue.latency
            if outage.kind == "resume":
                for m in missed:
                    out.append((arrival, "price", dict(tick=m, ts=stamp[m] + skew, replayed=True)))
            elif outage.kind == "restart":
                skew = venue.skew + rng.uniform(-5.0, 5.0)
                out.append((back, "restarted", {}))
                out.append(
                    (arrival, "price", dict(tick=missed[-1], ts=back + skew, replayed=False))
                )
            else:  # a stall ends: the silent ticks were skipped by the exchange
                pass
            missed = []
        arrival = stamp[k] + venue.latency + jitter
        out.append((arrival, "price", dict(tick=k, ts=stamp[k] + skew, replayed=False)))
    return [
        (
            arrival,
            kind,
            dict(details, quote=quotes[details["tick"]]) if kind == "price" else details,
        )
        for arrival, kind, details in out
    ]


@given(
    venues=st.lists(venue_strategy, min_size=2, max_size=4),
    moves=st.lists(st.floats(-6 * HALF_SPREAD, 6 * HALF_SPREAD), min_size=60, max_size=60),
    stale_after=st.floats(0.02, 1.0),
    seed=st.integers(0, 2**16),
)
def test_the_consolidated_quote_is_never_crossed_from_venues_that_cannot_cross(
    venues: list[Venue], moves: list[float], stale_after: float, seed: int
) -> None:
    """Venues follow one price path, each within 0.4 of a half-spread of it, so two prices of
    the same tick never cross; but each ticks at its own moment, drops and resumes (its missed
    ticks replayed late), restarts with another clock, or stalls. Sampled every 7 ms, the
    consolidated quote is never crossed or locked, uses only live, fresh prices, never leaves
    out the venue with the newest price, and leaves out nobody while all are on one tick."""
    rng = random.Random(seed)
    mids = [42_000.0]
    for move in moves[1:]:
        mids.append(mids[-1] + move)
    names = [f"v{i}" for i in range(len(venues))]
    feed = [
        (arrival, order, name, kind, details)
        for name, venue in zip(names, venues, strict=True)
        for order, (arrival, kind, details) in enumerate(deliveries(venue, mids, rng))
    ]
    heapq.heapify(feed)
    books = {name: VenueQuotes() for name in names}
    tick_of: dict[str, int] = {}
    now, end = 0.0, len(mids) * TICK
    while now < end:
        while feed and feed[0][0] <= now:
            _, _, name, kind, details = heapq.heappop(feed)
            if kind == "connected":
                books[name].connected()
            elif kind == "restarted":
                books[name].restarted()
            else:
                bid, ask = details["quote"]
                books[name].record(
                    "X", bid, ask, ts=details["ts"], arrival=now, replayed=details["replayed"]
                )
                tick_of[name] = details["tick"]
        prices = {n: p for n, book in books.items() if (p := book.price("X")) is not None}
        quote = consolidate("X", prices, now=now, stale_after=stale_after)
        usable = {n: p for n, p in prices.items() if p.current and now - p.at <= stale_after}
        if quote is None:
            assert not usable
        else:
            assert quote.bid < quote.ask  # never crossed, never locked
            for side in (quote.bid_exchange, quote.ask_exchange):
                assert side in usable and side not in quote.left_out
            newest = max(p.at for p in usable.values())
            if sum(p.at == newest for p in usable.values()) == 1:
                assert all(usable[n].at < newest for n in quote.left_out)
            if len({tick_of[n] for n in usable}) == 1:
                assert quote.left_out == ()
        now += 0.007


# -- the manager over real feed clients, in virtual time -----------------------------------


def test_the_manager_never_offers_a_crossed_quote_through_drops_and_a_restart() -> None:
    """Three in-memory venues on one price path, each ticking at its own moment and 20 ms away;
    one drops every 0.7 s (its missed tickers replayed on resume), one restarts (a new stream).
    Sampled every 10 ms of virtual time, the consolidated quote is never crossed or locked."""

    async def scenario() -> tuple[list, EventLog]:
        events = EventLog()
        a, b, c = (
            InMemoryExchange(n, seed=7, venue_seed=i, tick_rate=20, events=events)
            for i, n in enumerate("abc")
        )
        manager = MultiExchangeManager(stale_after=1.0, events=events)
        for exchange in (a, b, c):
            await exchange.start()
            exchange.latency(0.02)
            await asyncio.sleep(0.017)  # each venue ticks at its own moment
            manager.add(
                exchange.name,
                exchange.connect,
                symbols=["BTC/USDT"],
                policy=BackoffPolicy(initial_delay=0.05, max_delay=0.2, max_retries=None),
                breaker=CircuitBreaker(failure_threshold=3, reset_timeout=0.3),
            )
        b.every(0.7, "drop")
        samples = []
        async with manager:
            for i in range(800):
                if i == 300:
                    await c.stop()
                if i == 350:
                    await c.start()
                    c.latency(0.02)
                samples.append(manager.quote("BTC/USDT"))
                await asyncio.sleep(0.01)
        for exchange in (a, b, c):
            await exchange.stop()
        return samples, events

    samples, events = vtime.run(scenario())
    quotes = [q for q in samples if q is not None]
    assert len(quotes) > 700
    assert [q for q in quotes if q.bid >= q.ask] == []
    assert any(e["replayed"] for e in events.where(Kind.UPDATE, source="b"))  # resumes replayed
    assert events.where(Kind.STREAM, source="c")  # the restart was seen as one
