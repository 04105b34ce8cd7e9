"""Fault commands as an instructor types them into the exchange's terminal.

    drop | close 1011 | refuse 3 | ratelimit 2 | stall 5 | skip 10 | garbage | latency 0.2
    shutdown 2 | flaky 0.3 | every 10 drop | after 5 refuse 3 | heal | status | help

`parse_command` checks a line and says precisely what is wrong with a bad one;
`run_command` carries it out on a running exchange and returns the line to print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .engine import ExchangeCore
from .faults import CLOSE_CODES, Garbage

# command: (argument names with their converters, how many are required, what it does)
_Spec = tuple[tuple[tuple[str, Callable[[str], object]], ...], int, str]
COMMANDS: dict[str, _Spec] = {
    "drop": ((), 0, "end every connection with no close frame (client sees 1006)"),
    "close": ((("code", int),), 0, f"close every connection cleanly, code {CLOSE_CODES}"),
    "refuse": ((("count", int),), 0, "answer the next N handshakes with HTTP 503"),
    "ratelimit": (
        (("count", int), ("retry_after", float)),
        0,
        "answer the next N handshakes with HTTP 429",
    ),
    "stall": ((("seconds", float),), 1, "send nothing at all for S seconds"),
    "skip": ((("count", int),), 0, "leave the next N tickers of each symbol out (seq gap)"),
    "garbage": (
        (("kind", str),),
        0,
        f"send a malformed frame ({', '.join(g.value for g in Garbage)})",
    ),
    "latency": ((("seconds", float),), 1, "delay every frame by S seconds (0: off)"),
    "shutdown": (
        (("reconnect_after", float),),
        0,
        "announce a restart, close with 1012, refuse for S seconds",
    ),
    "flaky": ((("probability", float),), 1, "fail each handshake with probability P"),
    "heal": ((), 0, "clear every fault and schedule"),
}
SCHEDULES = {"every": "every S <command>: repeat a fault", "after": "after S <command>: once"}


@dataclass(frozen=True, slots=True)
class Command:
    """A checked command: a fault (or heal, status, help) with its arguments."""

    name: str
    args: tuple[object, ...] = ()
    every: float | None = None
    after: float | None = None


def parse_command(line: str) -> Command:
    """The command on ``line``; ValueError naming the problem for anything else."""
    words = line.split()
    if not words:
        raise ValueError("empty command; type help for the list")
    name, rest = words[0].lower(), words[1:]
    if name in ("status", "help"):
        return Command(name)
    if name in SCHEDULES:
        if len(rest) < 2:
            raise ValueError(f"{name} needs seconds and a command, e.g. '{name} 10 drop'")
        seconds = _convert(name, "seconds", float, rest[0])
        inner = parse_command(" ".join(rest[1:]))
        if inner.name in ("status", "help") or inner.every or inner.after:
            raise ValueError(f"{name} takes a fault, got {inner.name!r}")
        return Command(inner.name, inner.args, **{name: seconds})
    if name not in COMMANDS:
        raise ValueError(f"unknown command {name!r}; type help for the list")
    params, required, _ = COMMANDS[name]
    if not required <= len(rest) <= len(params):
        wanted = " ".join(f"<{p}>" if i < required else f"[{p}]" for i, (p, _) in enumerate(params))
        raise ValueError(f"usage: {name} {wanted}".rstrip())
    args = tuple(
        _convert(name, p, kind, word) for (p, kind), word in zip(params, rest, strict=False)
    )
    return Command(name, args)


def _convert(command: str, name: str, kind: Callable[[str], object], word: str) -> object:
    try:
        return kind(word)
    except ValueError:
        raise ValueError(f"{command}: {name} must be a number, got {word!r}") from None


def help_text() -> str:
    lines = [f"  {name:<10} {spec[2]}" for name, spec in COMMANDS.items()]
    lines += [f"  {name:<10} {text}" for name, text in SCHEDULES.items()]
    lines += ["  status     connections, handshakes, faults, seq per symbol"]
    return "\n".join(["commands:", *lines])


def run_command(exchange: ExchangeCore, line: str) -> str:
    """Carry out one command line; returns what to print (an error message for a bad one)."""
    try:
        command = parse_command(line)
        if command.name == "help":
            return help_text()
        if command.name == "status":
            return format_status(exchange)
        if command.every is not None:
            exchange.every(command.every, command.name, *command.args)
            return f"scheduled: {command.name} every {command.every:g} s"
        if command.after is not None:
            exchange.after(command.after, command.name, *command.args)
            return f"scheduled: {command.name} in {command.after:g} s"
        result = exchange.actions()[command.name](*command.args)
    except ValueError as error:
        return f"error: {error}"
    detail = f" ({result} connections)" if isinstance(result, int) else ""
    return f"ok: {line.strip()}{detail}"


def format_status(exchange: ExchangeCore) -> str:
    stats = exchange.stats
    faults = ", ".join(f"{k} {v}" for k, v in stats.faults_injected.items()) or "none"
    seqs = ", ".join(f"{k} {v}" for k, v in stats.seq.items())
    return (
        f"connections {stats.connections_open}; handshakes accepted "
        f"{stats.handshakes_accepted}, refused {stats.handshakes_refused}; frames sent "
        f"{stats.frames_sent}; bad requests {stats.bad_requests}\n"
        f"faults: {faults}\nseq: {seqs}"
    )
