"""Server frames of PROTOCOL.md as typed messages, checked field by field, both ways.

`encode` turns a message into its compact JSON frame (the exchange's side);
`parse_server_frame` turns one text frame back into a message or raises `MalformedFrame`
saying what is wrong (the client's side): a client counts and reports such frames, it never
crashes on them.

The frames that make up nearly all the traffic (tickers, snapshots, heartbeats) are msgspec
structs, decoded and checked in one pass by a typed decoder. A frame that decoder does not
accept goes through the field-by-field parser, which accepts exactly the same frames and says
precisely what is wrong with any other.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec


class MalformedFrame(ValueError):
    """A frame that is not valid JSON, or not a message of the protocol."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """The first frame; ``stream`` names the run of sequence numbers (new at every start)."""

    exchange: str
    stream: str
    symbols: tuple[str, ...]
    heartbeat_interval: float


@dataclass(frozen=True, slots=True)
class Subscribed:
    id: int
    symbol: str
    seq: int


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    id: int
    symbol: str


# What the fast decoder checks, as `_Fields` below checks it: non-empty strings,
# non-negative integers, finite numbers (positive for prices).
_Name = Annotated[str, msgspec.Meta(min_length=1)]
_Seq = Annotated[int, msgspec.Meta(ge=0)]
_Price = Annotated[float, msgspec.Meta(gt=0, le=sys.float_info.max)]
_Time = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]


class _PriceFrame(msgspec.Struct, frozen=True, tag_field="type"):
    symbol: _Name
    seq: _Seq
    bid: _Price
    ask: _Price
    ts: _Time

    def __post_init__(self) -> None:
        if self.bid > self.ask:
            raise ValueError(f"bid {self.bid} is above ask {self.ask}")


class Snapshot(_PriceFrame, frozen=True, tag="snapshot"):
    """The current price of a symbol, sent on a fresh subscription."""


class Ticker(_PriceFrame, frozen=True, tag="ticker"):
    """A live price update."""


class Heartbeat(msgspec.Struct, frozen=True, tag="heartbeat", tag_field="type"):
    ts: _Time


@dataclass(frozen=True, slots=True)
class BookSubscribed:
    """A book subscription's answer: ``update_id`` is the symbol's latest change."""

    id: int
    channel: str
    symbol: str
    update_id: int


@dataclass(frozen=True, slots=True)
class BookUnsubscribed:
    id: int
    channel: str
    symbol: str


BookLevel = tuple[str, str]  # [price, quantity] as decimal strings


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """Changes ``first``..``last`` of a symbol's book; ``checksum`` is of the book after them."""

    symbol: str
    first: int
    last: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    checksum: int
    ts: float


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """The top levels of a symbol's book as of change ``last`` (the answer to a request)."""

    id: int
    symbol: str
    last: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


@dataclass(frozen=True, slots=True)
class Pong:
    id: int


@dataclass(frozen=True, slots=True)
class Error:
    id: int | None
    code: str
    message: str
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class Shutdown:
    reason: str
    reconnect_after: float


def encode(message: ServerMessage) -> str:
    """The message as one compact JSON text frame, ``type`` first as in PROTOCOL.md."""
    fields = {"type": _TYPES[type(message)]}
    names = getattr(message, "__struct_fields__", None) or message.__dataclass_fields__
    for name in names:
        value = getattr(message, name)
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        if value is not None or name == "id":
            fields[name] = value
    return json.dumps(fields, separators=(",", ":"))


ServerMessage = (
    Welcome
    | Subscribed
    | Unsubscribed
    | Snapshot
    | Ticker
    | Heartbeat
    | Pong
    | Error
    | Shutdown
    | BookSubscribed
    | BookUnsubscribed
    | BookUpdate
    | BookSnapshot
)


_fast_decoder = msgspec.json.Decoder(Ticker | Snapshot | Heartbeat)


def parse_server_frame(frame: str | bytes) -> ServerMessage:
    """One server frame as a typed message; `MalformedFrame` if it is not one."""
    if isinstance(frame, bytes):
        raise MalformedFrame("binary frame; the protocol sends text frames only")
    try:
        return _fast_decoder.decode(frame)
    except msgspec.DecodeError:  # another type, or not valid: the precise parser says which
        return parse_precisely(frame)


def parse_precisely(frame: str) -> ServerMessage:
    """The field-by-field parser: any text frame, with a precise `MalformedFrame`."""
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError) as error:
        raise MalformedFrame(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedFrame(f"not a JSON object but {type(data).__name__}")
    kind = data.get("type")
    parse = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parse is None:
        raise MalformedFrame(f"unknown type {kind!r}")
    return parse(_Fields(data, kind))


class _Fields:
    """Typed access to a frame's fields, raising `MalformedFrame` naming the field."""

    def __init__(self, data: dict[str, Any], kind: str) -> None:
        self.data, self.kind = data, kind

    def _get(self, name: str, optional: bool) -> Any:
        if name not in self.data:
            if optional:
                return None
            raise MalformedFrame(f"{self.kind}: missing field {name!r}")
        return self.data[name]

    def _bad(self, name: str, wanted: str) -> MalformedFrame:
        return MalformedFrame(
            f"{self.kind}: field {name!r} must be {wanted}, got {self.data[name]!r:.60}"
        )

    def int(self, name: str, *, optional: bool = False, signed: bool = False) -> int:
        value = self._get(name, optional)
        if value is None and optional:
            return None  # type: ignore[return-value]
        if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and not signed):
            raise self._bad(name, "an integer" if signed else "a non-negative integer")
        return value

    def float(self, name: str, *, positive: bool = False) -> float:
        value = self._get(name, False)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._bad(name, "a number")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise self._bad(name, "a finite, positive number" if positive else "finite and >= 0")
        return float(value)

    def str(self, name: str, *, optional: bool = False) -> str:
        value = self._get(name, optional)
        if value is None and optional:
            return None  # type: ignore[return-value]
        if not isinstance(value, str) or not value:
            raise self._bad(name, "a non-empty string")
        return value

    def levels(self, name: str) -> tuple[BookLevel, ...]:
        value = self._get(name, False)
        if not isinstance(value, list):
            raise self._bad(name, "a list of [price, quantity] pairs")
        levels = []
        for level in value:
            if (
                not isinstance(level, list)
                or len(level) != 2
                or not _is_decimal(level[0], positive=True)
                or not _is_decimal(level[1], positive=False)
            ):
                raise self._bad(name, "a list of [price, quantity] decimal strings")
            levels.append((level[0], level[1]))
        return tuple(levels)

    def symbols(self, name: str) -> tuple[str, ...]:
        value = self._get(name, False)
        if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
            raise self._bad(name, "a list of symbols")
        return tuple(value)


def _price(f: _Fields, cls: type[Snapshot] | type[Ticker]) -> Snapshot | Ticker:
    bid, ask = f.float("bid", positive=True), f.float("ask", positive=True)
    if bid > ask:
        raise MalformedFrame(f"{f.kind}: bid {bid} is above ask {ask}")
    return cls(f.str("symbol"), f.int("seq"), bid, ask, f.float("ts"))


_DECIMAL = re.compile(r"\d+(\.\d+)?")


def _is_decimal(value: object, *, positive: bool) -> bool:
    """A plain decimal string (digits, an optional fraction); a price must not be zero."""
    if not isinstance(value, str) or len(value) > 40 or not _DECIMAL.fullmatch(value):
        return False
    return not positive or value.strip("0.") != ""


def _subscribed(f: _Fields) -> Subscribed | BookSubscribed:
    channel = f.str("channel", optional=True)
    if channel == "book":
        return BookSubscribed(
            f.int("id", signed=True), channel, f.str("symbol"), f.int("update_id")
        )
    return Subscribed(f.int("id", signed=True), f.str("symbol"), f.int("seq"))


def _unsubscribed(f: _Fields) -> Unsubscribed | BookUnsubscribed:
    channel = f.str("channel", optional=True)
    if channel == "book":
        return BookUnsubscribed(f.int("id", signed=True), channel, f.str("symbol"))
    return Unsubscribed(f.int("id", signed=True), f.str("symbol"))


def _book_update(f: _Fields) -> BookUpdate:
    first, last = f.int("first"), f.int("last")
    if first > last:
        raise MalformedFrame(f"book_update: first {first} is after last {last}")
    checksum = f.int("checksum")
    if checksum > 0xFFFFFFFF:
        raise MalformedFrame(f"book_update: checksum {checksum} is not a CRC-32")
    bids, asks = f.levels("bids"), f.levels("asks")
    return BookUpdate(f.str("symbol"), first, last, bids, asks, checksum, f.float("ts"))


_TYPES: dict[type, str] = {
    Welcome: "welcome",
    Subscribed: "subscribed",
    Unsubscribed: "unsubscribed",
    Snapshot: "snapshot",
    Ticker: "ticker",
    Heartbeat: "heartbeat",
    Pong: "pong",
    Error: "error",
    Shutdown: "shutdown",
    BookSubscribed: "subscribed",
    BookUnsubscribed: "unsubscribed",
    BookUpdate: "book_update",
    BookSnapshot: "book_snapshot",
}

_PARSERS = {
    "welcome": lambda f: Welcome(
        f.str("exchange"),
        f.str("stream"),
        f.symbols("symbols"),
        f.float("heartbeat_interval", positive=True),
    ),
    "subscribed": _subscribed,
    "unsubscribed": _unsubscribed,
    "book_update": _book_update,
    "book_snapshot": lambda f: BookSnapshot(
        f.int("id", signed=True), f.str("symbol"), f.int("last"), f.levels("bids"), f.levels("asks")
    ),
    "snapshot": lambda f: _price(f, Snapshot),
    "ticker": lambda f: _price(f, Ticker),
    "heartbeat": lambda f: Heartbeat(f.float("ts")),
    "pong": lambda f: Pong(f.int("id", signed=True)),
    "error": lambda f: Error(
        f.int("id", optional=True, signed=True),
        f.str("code"),
        f.str("message", optional=True) or "",
        f.str("symbol", optional=True),
    ),
    "shutdown": lambda f: Shutdown(f.str("reason"), f.float("reconnect_after")),
}
