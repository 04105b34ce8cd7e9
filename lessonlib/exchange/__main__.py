"""``python -m lessonlib.exchange``: the practice exchange in a terminal, faults typed live."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import ipaddress
import signal
import sys
import threading

from .. import i18n
from ..i18n import tr
from .console import execute, parse_command, run_command
from .market import STARTING_PRICES
from .server import PracticeExchange


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessonlib.exchange",
        description="Run Reconnect Lab's practice exchange: a WebSocket server that breaks "
        "on command. Type fault commands (help lists them) while it runs.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (loopback: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--tick-rate", type=float, default=10.0, help="tickers/s per symbol")
    parser.add_argument("--seed", type=int, default=0, help="seed of the price walk")
    parser.add_argument(
        "--heartbeat-interval", type=float, default=1.0, help="seconds between heartbeats"
    )
    parser.add_argument(
        "--symbols", default=",".join(STARTING_PRICES), help="comma-separated symbols"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="COMMAND",
        help='a fault command to run at start, e.g. "every 10 drop" (repeatable)',
    )
    parser.add_argument(
        "--lang",
        default=None,
        help="language of the console's help and replies: en or ru "
        "(default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG; English unless Russian)",
    )
    args = parser.parse_args(argv)
    try:
        i18n.use(args.lang if args.lang is not None else i18n.from_environment())
    except ValueError as error:
        parser.error(f"--lang: {error}")
    for command in args.fault:  # a typo here must stop the start, not serve without it
        try:
            parse_command(command)
        except ValueError as error:
            parser.error(f"--fault {command!r}: {error}")
    return args


def exposure_warning(host: str) -> str | None:
    """A warning when ``host`` makes the exchange reachable from other machines."""
    if host == "localhost":
        return None
    if not host:
        return _EXPOSED.format(host="every interface")
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:  # a host name: it may resolve to anything
        pass
    return _EXPOSED.format(host=host)


_EXPOSED = (
    "warning: listening on {host}: the practice exchange is then reachable from the network, "
    "with no authentication; use --host 127.0.0.1 unless other machines must connect"
)


def banner(exchange: PracticeExchange) -> str:
    return "\n".join(
        [
            tr("Reconnect Lab practice exchange listening on {url}", url=exchange.url),
            tr("symbols: {symbols}", symbols=", ".join(exchange.market.symbols)),
            tr(
                "{rate:g} tickers/s per symbol, heartbeat every {heartbeat:g} s",
                rate=exchange.tick_rate,
                heartbeat=exchange.heartbeat_interval,
            ),
            tr("Type a fault command and press Enter (help lists them). Ctrl+C stops."),
        ]
    )


async def serve(args: argparse.Namespace) -> None:
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    exchange = PracticeExchange(
        args.host,
        args.port,
        symbols=symbols,
        tick_rate=args.tick_rate,
        seed=args.seed,
        heartbeat_interval=args.heartbeat_interval,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with exchange:
        print(banner(exchange), flush=True)
        for command in args.fault:
            print(execute(exchange, command), flush=True)
        console = asyncio.create_task(read_commands(exchange))
        await stop.wait()
        console.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await console
    print(tr("practice exchange stopped; goodbye"), flush=True)


async def read_commands(exchange: PracticeExchange) -> None:
    """Carry out the fault commands typed on standard input; when it closes, keep serving.

    Lines are read on a daemon thread, so that a terminal nobody types into never holds up
    the exchange's exit.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="exchange console", daemon=True).start()
    while line := await lines.get():
        if line.strip():
            print(run_command(exchange, line), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if warning := exposure_warning(args.host):
        print(warning, file=sys.stderr, flush=True)
    try:
        asyncio.run(serve(args))
    except ValueError as error:  # a bad option value: say which, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        hint = ""
        if error.errno == errno.EADDRINUSE:
            hint = (
                f"\nport {args.port} is in use (another exchange still running?): stop it, "
                "or pass --port 0 for any free port (the banner prints which)"
            )
        print(f"error: cannot listen on {args.host}:{args.port}: {error}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
