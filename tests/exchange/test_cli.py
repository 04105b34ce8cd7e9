"""``python -m lessonlib.exchange`` as an instructor uses it: banner, typed faults, Ctrl+C."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from lessonlib.exchange.__main__ import exposure_warning


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lessonlib.exchange", "--port", "0", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline()


def test_the_banner_a_typed_drop_and_a_clean_stop_on_ctrl_c() -> None:
    process = start("--tick-rate", "50", "--fault", "flaky 0")
    try:
        banner = [read_line(process) for _ in range(4)]
        assert banner[0].startswith("Reconnect Lab practice exchange listening on ws://127.0.0.1:")
        assert "BTC/USDT" in banner[1] and "help" in banner[3]
        assert read_line(process).startswith("ok: flaky 0")
        url = re.search(r"ws://\S+", banner[0]).group(0)  # type: ignore[union-attr]

        async def dropped_by_a_typed_command() -> int | None:
            async with connect(url) as connection:
                await connection.recv()  # welcome
                assert process.stdin is not None
                process.stdin.write("drop\n")
                process.stdin.flush()
                with pytest.raises(ConnectionClosedError) as closed:
                    async with asyncio.timeout(10):
                        while True:
                            await connection.recv()
                return closed.value.rcvd.code if closed.value.rcvd else 1006

        assert asyncio.run(dropped_by_a_typed_command()) == 1006
        assert read_line(process).strip() == "ok: drop (1 connections)"
        process.stdin.write("refuse lots\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        assert read_line(process).strip() == "error: refuse: count must be a number, got 'lots'"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "goodbye" in out


def test_a_bad_option_is_named_and_exits_2() -> None:
    process = start("--tick-rate", "-5")
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "tick_rate must be greater than 0, got -5.0" in err


def test_a_bad_fault_at_start_is_named_and_nothing_is_served() -> None:
    process = start("--fault", "every 10 dorp")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--fault 'every 10 dorp'" in err and "dorp" in err
    assert "listening" not in out


def test_help_shows_every_default() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lessonlib.exchange", "--help"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0
    for default in ("127.0.0.1", "8765", "10.0", "1.0", "BTC/USDT"):
        assert f"default: {default}" in done.stdout.replace("\n", " ").replace("  ", " ")


def test_a_port_in_use_suggests_port_0() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "lessonlib.exchange", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert f"port {port} is in use" in err and "--port 0" in err


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("127.0.0.2", False),
        ("0.0.0.0", True),
        ("::", True),
        ("", True),
        ("192.168.1.20", True),
        ("lab.local", True),
    ],
)
def test_an_address_other_machines_reach_is_warned_about(host: str, warned: bool) -> None:
    warning = exposure_warning(host)
    assert (warning is not None) == warned
    if warning:
        assert "reachable from the network" in warning
