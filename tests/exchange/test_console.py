"""The exchange's console replies: what a typed fault does, and what `status` says is in force."""

from __future__ import annotations

import asyncio

from lessonlib import vtime
from lessonlib.exchange import InMemoryExchange
from lessonlib.exchange.console import run_command


def replies(*lines: str, advance: float = 0.0) -> list[str]:
    """Type ``lines`` into a running in-memory exchange's console, ``advance`` virtual
    seconds apart."""

    async def scenario() -> list[str]:
        async with InMemoryExchange() as exchange:
            out = []
            for line in lines:
                out.append(run_command(exchange, line))
                await asyncio.sleep(advance)
            return out

    return vtime.run(scenario())


def test_status_lists_pending_refusals_and_schedules_with_when_they_run() -> None:
    *_, status = replies("refuse 3", "every 10 drop", "after 5 ratelimit 2 1.5", "status")
    active = status.split("active faults:")[1].split("faults injected:")[0]
    assert "refuse: the next 3 connection attempts refused (HTTP 503)" in active
    assert "every 10 s: drop (next in 10.0 s)" in active
    assert "in 5.0 s: ratelimit 2 1.5" in active


def test_a_schedule_that_ran_once_is_gone_and_heal_clears_everything() -> None:
    out = replies(
        "after 0.01 drop", "every 0.02 stall 0.5", "status", "heal", "status", advance=0.05
    )
    assert "after" not in out[2] and "in 0.0 s: drop" not in out[2]
    assert "every 0.02 s: stall 0.5" in out[2]
    assert out[4].split("active faults:")[1].startswith(" none")


def test_handshake_faults_say_connected_clients_are_not_affected() -> None:
    refuse, ratelimit, flaky, off = replies("refuse 2", "ratelimit 1 3", "flaky 0.5", "flaky 0")
    assert "the next 2 connection attempts will be refused (HTTP 503)" in refuse
    assert "the next connection attempt will get HTTP 429 (Retry-After 3 s)" in ratelimit
    assert "after the 2 refusals pending" in ratelimit
    for reply in (refuse, ratelimit, flaky):
        assert "connected clients are not affected" in reply and "drop" in reply
    assert off.endswith("connection attempts no longer fail at random")


def test_a_shutdown_window_shows_in_status_until_it_ends() -> None:
    _, during, after = replies("shutdown 0.2", "status", "status", advance=0.15)
    assert "shutdown: every connection attempt refused for" in during
    assert "shutdown" not in after.split("active faults:")[1].split("faults injected")[0]
