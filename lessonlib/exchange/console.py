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

from ..i18n import Text, tr
from .engine import ExchangeCore
from .faults import CLOSE_CODES, Garbage, attempts, command_words

# command: (argument names with their converters, how many are required, what it does)
_Spec = tuple[tuple[tuple[str, Callable[[str], object]], ...], int, Text]
COMMANDS: dict[str, _Spec] = {
    "drop": ((), 0, Text("end every connection with no close frame (client sees 1006)")),
    "close": (
        (("code", int),),
        0,
        Text("close every connection cleanly, code {codes}", codes=CLOSE_CODES),
    ),
    "refuse": ((("count", int),), 0, Text("answer the next N connection attempts with HTTP 503")),
    "ratelimit": (
        (("count", int), ("retry_after", float)),
        0,
        Text("answer the next N connection attempts with HTTP 429"),
    ),
    "stall": ((("seconds", float),), 1, Text("send nothing at all for S seconds")),
    "skip": ((("count", int),), 0, Text("leave the next N tickers of each symbol out (seq gap)")),
    "garbage": (
        (("kind", str),),
        0,
        Text("send a malformed frame ({kinds})", kinds=", ".join(g.value for g in Garbage)),
    ),
    "latency": ((("seconds", float),), 1, Text("delay every frame by S seconds (0: off)")),
    "shutdown": (
        (("reconnect_after", float),),
        0,
        Text("announce a restart, close with 1012, refuse for S seconds"),
    ),
    "flaky": (
        (("probability", float),),
        1,
        Text("fail each connection attempt with probability P"),
    ),
    "heal": ((), 0, Text("clear every fault and schedule")),
}
SCHEDULES = {
    "every": Text("every S <command>: repeat a fault"),
    "after": Text("after S <command>: once"),
}


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
        raise ValueError(tr("empty command; type help for the list"))
    name, rest = words[0].lower(), words[1:]
    if name in ("status", "help"):
        return Command(name)
    if name in SCHEDULES:
        if len(rest) < 2:
            raise ValueError(
                tr("{name} needs seconds and a command, e.g. '{name} 10 drop'", name=name)
            )
        seconds = _convert(name, "seconds", float, rest[0])
        inner = parse_command(" ".join(rest[1:]))
        if inner.name in ("status", "help") or inner.every or inner.after:
            raise ValueError(tr("{name} takes a fault, got {got!r}", name=name, got=inner.name))
        return Command(inner.name, inner.args, **{name: seconds})
    if name not in COMMANDS:
        raise ValueError(tr("unknown command {name!r}; type help for the list", name=name))
    params, required, _ = COMMANDS[name]
    if not required <= len(rest) <= len(params):
        wanted = " ".join(f"<{p}>" if i < required else f"[{p}]" for i, (p, _) in enumerate(params))
        raise ValueError(tr("usage: {command}", command=f"{name} {wanted}".rstrip()))
    args = tuple(
        _convert(name, p, kind, word) for (p, kind), word in zip(params, rest, strict=False)
    )
    return Command(name, args)


def _convert(command: str, name: str, kind: Callable[[str], object], word: str) -> object:
    try:
        return kind(word)
    except ValueError:
        raise ValueError(
            tr(
                "{command}: {name} must be a number, got {word!r}",
                command=command,
                name=name,
                word=word,
            )
        ) from None


def help_text() -> str:
    lines = [f"  {name:<10} {spec[2]}" for name, spec in COMMANDS.items()]
    lines += [f"  {name:<10} {text}" for name, text in SCHEDULES.items()]
    lines += [
        "  status     "
        + tr("connections, handshakes, active faults and schedules, seq per symbol"),
        tr(
            "refuse, ratelimit and flaky act on new connection attempts only; connected "
            "clients\nare not affected until they reconnect (drop makes them)."
        ),
    ]
    return "\n".join([tr("commands:"), *lines])


_HANDSHAKE_FAULTS = ("refuse", "ratelimit", "flaky")


def run_command(exchange: ExchangeCore, line: str) -> str:
    """Carry out one command line; returns what to print (an error message for a bad one)."""
    try:
        return execute(exchange, line)
    except ValueError as error:
        return tr("error: {error}", error=error)


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
            reply = tr(
                "scheduled: {command} every {every:g} s", command=command.name, every=command.every
            )
        else:
            exchange.after(command.after, command.name, *command.args)
            reply = tr(
                "scheduled: {command} in {after:g} s", command=command.name, after=command.after
            )
        if command.name in _HANDSHAKE_FAULTS:
            reply += tr(
                " (it acts on new connection attempts only; connected clients are not affected)"
            )
        return reply
    result = exchange.actions()[command.name](*command.args)
    if command.name in _HANDSHAKE_FAULTS:
        return tr(
            "ok: {command}; {note}", command=words, note=_handshake_note(exchange, command.name)
        )
    if isinstance(result, int):
        return tr("ok: {command} ({count} connections)", command=line.strip(), count=result)
    return tr("ok: {command}", command=line.strip())


def _handshake_note(exchange: ExchangeCore, name: str) -> str:
    """What a handshake fault just set up does, and that it leaves open connections alone."""
    faults = exchange.faults
    if name == "refuse":
        if faults.refuse_next == 0:
            return tr("no connection attempts are to be refused")
        effect = tr(
            "the next {attempts} will be refused (HTTP 503)",
            attempts=attempts(faults.refuse_next),
        )
    elif name == "ratelimit":
        if faults.rate_limit_next == 0:
            return tr("no connection attempts are to be rate-limited")
        effect = tr(
            "the next {attempts} will get HTTP 429 (Retry-After {after:g} s)",
            attempts=attempts(faults.rate_limit_next),
            after=faults.retry_after,
        )
        if faults.refuse_next:
            effect += tr(", after the {count} refusals pending", count=faults.refuse_next)
    else:
        if faults.flaky == 0:
            return tr("connection attempts no longer fail at random")
        effect = tr(
            "each connection attempt will fail with probability {p:g} (HTTP 503)", p=faults.flaky
        )
    return tr(
        "{effect}; connected clients are not affected ({count} connected now) — use drop to "
        "make them reconnect",
        effect=effect,
        count=exchange.stats.connections_open,
    )


def active_faults(exchange: ExchangeCore) -> list[str]:
    """The faults in force on a running ``exchange`` now, and its console's schedules."""
    now = exchange.now()
    found = exchange.faults.active(now)
    if (refusing := exchange.refusing_for()) > 0:
        found.append(
            tr("shutdown: every connection attempt refused for {left:.1f} s more", left=refusing)
        )
    for schedule in exchange.schedules():
        due = max(0.0, schedule.due - now)
        if schedule.every is not None:
            found.append(
                tr(
                    "every {every:g} s: {command} (next in {due:.1f} s)",
                    every=schedule.every,
                    command=schedule.command,
                    due=due,
                )
            )
        else:
            found.append(tr("in {due:.1f} s: {command}", due=due, command=schedule.command))
    return found


def format_status(exchange: ExchangeCore) -> str:
    stats = exchange.stats
    active = active_faults(exchange)
    none = tr("none")
    faults = ", ".join(f"{k} {v}" for k, v in stats.faults_injected.items()) or none
    seqs = ", ".join(f"{k} {v}" for k, v in stats.seq.items())
    return "\n".join(
        [
            tr(
                "connections {open}; handshakes accepted {accepted}, refused {refused}; frames "
                "sent {sent}; bad requests {bad}",
                open=stats.connections_open,
                accepted=stats.handshakes_accepted,
                refused=stats.handshakes_refused,
                sent=stats.frames_sent,
                bad=stats.bad_requests,
            ),
            tr("active faults:") + ("".join(f"\n  {a}" for a in active) if active else " " + none),
            tr("faults injected: {faults}", faults=faults),
            f"seq: {seqs}",
        ]
    )
