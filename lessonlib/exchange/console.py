"""Fault commands as an instructor types them into the exchange's terminal.

    drop | close 1011 | refuse 3 | ratelimit 2 | stall 5 | skip 10 | garbage | latency 0.2
    shutdown 2 | flaky 0.3 | every 10 drop | after 5 refuse 3 | heal | status | help

`parse_command` checks a line and says precisely what is wrong with a bad one;
`run_command` carries it out on a running exchange and returns the line to print
(`execute` does the same but raises ValueError for a bad line). Handshake faults (refuse,
ratelimit, flaky) bite at the next connection attempt, so their replies say that connected
clients are not affected; `status` lists what is in force now and what is scheduled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .engine import ExchangeCore
from .faults import CLOSE_CODES, Garbage, attempts, command_words

# command: (argument names with their converters, how many are required, what it does)
_Spec = tuple[tuple[tuple[str, Callable[[str], object]], ...], int, str]
COMMANDS: dict[str, _Spec] = {
    "drop": ((), 0, "end every connection with no close frame (client sees 1006)"),
    "close": ((("code", int),), 0, f"close every connection cleanly, code {CLOSE_CODES}"),
    "refuse": ((("count", int),), 0, "answer the next N connection attempts with HTTP 503"),
    "ratelimit": (
        (("count", int), ("retry_after", float)),
        0,
        "answer the next N connection attempts with HTTP 429",
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
    "flaky": ((("probability", float),), 1, "fail each connection attempt with probability P"),
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
    lines += [
        "  status     connections, handshakes, active faults and schedules, seq per symbol",
        "refuse, ratelimit and flaky act on new connection attempts only; connected clients",
        "are not affected until they reconnect (drop makes them).",
    ]
    return "\n".join(["commands:", *lines])


_HANDSHAKE_FAULTS = ("refuse", "ratelimit", "flaky")
_CONNECTED_NOTE = "connected clients are not affected"


def run_command(exchange: ExchangeCore, line: str) -> str:
    """Carry out one command line; returns what to print (an error message for a bad one)."""
    try:
        return execute(exchange, line)
    except ValueError as error:
        return f"error: {error}"


def execute(exchange: ExchangeCore, line: str) -> str:
    """Carry out one command line; returns what to print. ValueError for a bad line."""
    command = parse_command(line)
    if command.name == "help":
        return help_text()
    if command.name == "status":
        return format_status(exchange)
    words = command_words(command.name, command.args)
    if command.every is not None or command.after is not None:
        if command.every is not None:
            exchange.every(command.every, command.name, *command.args)
            reply = f"scheduled: {command.name} every {command.every:g} s"
        else:
            exchange.after(command.after, command.name, *command.args)
            reply = f"scheduled: {command.name} in {command.after:g} s"
        if command.name in _HANDSHAKE_FAULTS:
            reply += f" (it acts on new connection attempts only; {_CONNECTED_NOTE})"
        return reply
    result = exchange.actions()[command.name](*command.args)
    if command.name in _HANDSHAKE_FAULTS:
        return f"ok: {words}; {_handshake_note(exchange, command.name)}"
    detail = f" ({result} connections)" if isinstance(result, int) else ""
    return f"ok: {line.strip()}{detail}"


def _handshake_note(exchange: ExchangeCore, name: str) -> str:
    """What a handshake fault just set up does, and that it leaves open connections alone."""
    faults = exchange.faults
    if name == "refuse":
        if faults.refuse_next == 0:
            return "no connection attempts are to be refused"
        effect = f"the next {attempts(faults.refuse_next)} will be refused (HTTP 503)"
    elif name == "ratelimit":
        if faults.rate_limit_next == 0:
            return "no connection attempts are to be rate-limited"
        effect = (
            f"the next {attempts(faults.rate_limit_next)} will get HTTP 429 "
            f"(Retry-After {faults.retry_after:g} s)"
        )
        if faults.refuse_next:
            effect += f", after the {faults.refuse_next} refusals pending"
    else:
        if faults.flaky == 0:
            return "connection attempts no longer fail at random"
        effect = f"each connection attempt will fail with probability {faults.flaky:g} (HTTP 503)"
    connected = exchange.stats.connections_open
    return (
        f"{effect}; {_CONNECTED_NOTE} ({connected} connected now) — use drop to make them reconnect"
    )


def active_faults(exchange: ExchangeCore) -> list[str]:
    """The faults in force on a running ``exchange`` now, and its console's schedules."""
    now = exchange.now()
    found = exchange.faults.active(now)
    if (refusing := exchange.refusing_for()) > 0:
        found.append(f"shutdown: every connection attempt refused for {refusing:.1f} s more")
    for schedule in exchange.schedules():
        due = f"{max(0.0, schedule.due - now):.1f} s"
        if schedule.every is not None:
            found.append(f"every {schedule.every:g} s: {schedule.command} (next in {due})")
        else:
            found.append(f"in {due}: {schedule.command}")
    return found


def format_status(exchange: ExchangeCore) -> str:
    stats = exchange.stats
    active = active_faults(exchange)
    faults = ", ".join(f"{k} {v}" for k, v in stats.faults_injected.items()) or "none"
    seqs = ", ".join(f"{k} {v}" for k, v in stats.seq.items())
    return "\n".join(
        [
            f"connections {stats.connections_open}; handshakes accepted "
            f"{stats.handshakes_accepted}, refused {stats.handshakes_refused}; frames sent "
            f"{stats.frames_sent}; bad requests {stats.bad_requests}",
            "active faults:" + ("".join(f"\n  {a}" for a in active) if active else " none"),
            f"faults injected: {faults}",
            f"seq: {seqs}",
        ]
    )
