"""The homework's "try it live" cells: whatever the student's run() does, `run_for` comes back,
says what the code did, and leaves the notebook's event loop free meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from lessonlib.exchange import PracticeExchange
from lessonlib.homework.live import run_for

SPINS = """
async def run():
    while True:
        pass
"""
SWALLOWS = """
import asyncio

async def run():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
"""
RAISES = """
import asyncio

async def run():
    await asyncio.sleep(0.1)
    raise ValueError("bad frame")
"""
RUNS = """
import asyncio

async def run():
    await asyncio.sleep(3600)
"""


def student(code: str):
    namespace: dict = {}
    exec(compile(code, "<live cell>", "exec"), namespace)
    return namespace["run"]


async def _live(code: str) -> tuple[bool, int]:
    """run_for on ``code`` with the exchange dropped midway; the notebook loop's own ticks."""
    exchange = PracticeExchange(port=0)
    await exchange.start()
    ticks = 0

    async def notebook_loop() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(notebook_loop())
    try:
        running = await run_for(0.5, student(code)(), faults=[(0.2, exchange.drop)])
    finally:
        ticker.cancel()
        await exchange.stop()
    return running, ticks


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (SPINS, "run() never awaited"),
        (SWALLOWS, "run() did not stop when cancelled"),
    ],
    ids=["spins", "swallows cancellation"],
)
def test_a_run_that_would_freeze_the_notebook_is_stopped_and_named(
    code: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, ticks = asyncio.run(_live(code))
    out = capsys.readouterr().out
    assert said in out
    assert "could not be stopped" not in out
    assert ticks > 0  # the notebook's own loop kept running beside it


def test_a_run_that_raises_is_reported_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    running, _ = asyncio.run(_live(RAISES))
    assert not running
    assert "run() ended early: ValueError: bad frame" in capsys.readouterr().out


def test_a_run_that_keeps_running_is_cancelled_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    running, _ = asyncio.run(_live(RUNS))
    assert running
    assert capsys.readouterr().out == ""


LEAVES_OPEN = """
import websockets

URL = None
WELCOMED = []
CLIENTS = []  # held by the notebook, as a student's client object in a global is

async def run():
    connection = await websockets.connect(URL)
    CLIENTS.append(connection)
    WELCOMED.append(await connection.recv())  # the exchange has the session now
    # returns without closing the connection
"""


def test_a_connection_left_open_by_run_is_cut_when_it_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The exchange sees the connection end as soon as run_for returns, not when a close
    timeout runs out (or never, since run()'s loop is closed with the socket in it)."""

    async def scenario() -> list[str]:
        exchange = PracticeExchange(port=0)
        await exchange.start()
        try:
            namespace: dict = {}
            exec(compile(LEAVES_OPEN, "<live cell>", "exec"), namespace)
            namespace["URL"] = exchange.url
            assert not await run_for(60, namespace["run"]())
            async with asyncio.timeout(10):  # a guard: the session ends at once, or never
                while exchange.sessions:
                    await asyncio.sleep(0.01)
            return namespace["WELCOMED"]
        finally:
            await exchange.stop()

    welcomed = asyncio.run(scenario())
    assert len(welcomed) == 1 and '"welcome"' in welcomed[0]
    assert "run() ended early: it returned" in capsys.readouterr().out
