"""Client requests of PROTOCOL.md: parsed and checked on the exchange's side, built on the client's.

`parse_request` never raises anything but `BadRequest`, whatever text arrives, so that an
exchange can answer every malformed request with a ``bad_request`` error and stay up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_SYMBOLS_PER_REQUEST = 100
MAX_BOOK_DEPTH = 1000
TICKER, BOOK = "ticker", "book"
CHANNELS = (TICKER, BOOK)


class BadRequest(ValueError):
    """A request the exchange cannot serve; ``id`` is the request's, when it had a usable one."""

    def __init__(self, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Subscribe:
    id: int
    symbols: tuple[str, ...]
    resume: Mapping[str, int] = field(default_factory=dict)
    stream: str | None = None  # the stream the resume points came from
    channel: str = TICKER  # any string: the exchange answers `unknown_channel` for others


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    id: int
    symbols: tuple[str, ...]
    channel: str = TICKER


@dataclass(frozen=True, slots=True)
class BookSnapshotRequest:
    """Ask for the top ``depth`` levels (1 to 1,000) of ``symbol``'s book."""

    id: int
    symbol: str
    depth: int


@dataclass(frozen=True, slots=True)
class Ping:
    id: int


Request = Subscribe | Unsubscribe | Ping | BookSnapshotRequest


def encode_request(request: Request) -> str:
    """The request as one JSON text frame (the client's side)."""
    if isinstance(request, BookSnapshotRequest):
        fields: dict[str, Any] = {"op": "book_snapshot", "id": request.id}
        fields.update(symbol=request.symbol, depth=request.depth)
        return json.dumps(fields, separators=(",", ":"))
    op = {Subscribe: "subscribe", Unsubscribe: "unsubscribe", Ping: "ping"}[type(request)]
    fields = {"op": op, "id": request.id}
    if not isinstance(request, Ping) and request.channel != TICKER:
        fields["channel"] = request.channel
    if not isinstance(request, Ping):
        fields["symbols"] = list(request.symbols)
    if isinstance(request, Subscribe) and request.resume:
        fields["resume"] = dict(request.resume)
    if isinstance(request, Subscribe) and request.stream is not None:
        fields["stream"] = request.stream
    return json.dumps(fields, separators=(",", ":"))


def parse_request(frame: str) -> Request:
    """One client text frame as a typed request, or `BadRequest` saying what is wrong."""
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        raise BadRequest("not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(f"not a JSON object but {_json_type(data)}")
    request_id = data.get("id")
    usable_id = request_id if _is_int(request_id) else None
    op = data.get("op")
    if "op" not in data:
        raise BadRequest("missing field 'op'", usable_id)
    if op not in ("subscribe", "unsubscribe", "ping", "book_snapshot"):
        raise BadRequest(f"unknown op {op!r:.40}", usable_id)
    if "id" not in data:
        raise BadRequest("missing field 'id'")
    if usable_id is None:
        raise BadRequest(f"field 'id' must be an integer, got {request_id!r:.40}")
    if op == "ping":
        return Ping(usable_id)
    if op == "book_snapshot":
        return BookSnapshotRequest(usable_id, _symbol(data, usable_id), _depth(data, usable_id))
    symbols = _symbols(data, usable_id)
    channel = _channel(data, usable_id)
    if op == "unsubscribe":
        return Unsubscribe(usable_id, symbols, channel)
    resume, stream = _resume(data, usable_id), _stream(data, usable_id)
    return Subscribe(usable_id, symbols, resume, stream, channel)


def _channel(data: dict[str, Any], request_id: int) -> str:
    channel = data.get("channel", TICKER)
    if not isinstance(channel, str) or not channel:
        raise BadRequest(f"field 'channel' must be a string, got {channel!r:.40}", request_id)
    return channel


def _symbol(data: dict[str, Any], request_id: int) -> str:
    if "symbol" not in data:
        raise BadRequest("missing field 'symbol'", request_id)
    symbol = data["symbol"]
    if not isinstance(symbol, str) or not symbol:
        raise BadRequest(
            f"field 'symbol' must be a non-empty string, got {symbol!r:.40}", request_id
        )
    return symbol


def _depth(data: dict[str, Any], request_id: int) -> int:
    if "depth" not in data:
        raise BadRequest("missing field 'depth'", request_id)
    depth = data["depth"]
    if not _is_int(depth) or not 1 <= depth <= MAX_BOOK_DEPTH:
        raise BadRequest(
            f"field 'depth' must be an integer from 1 to {MAX_BOOK_DEPTH}, got {depth!r:.40}",
            request_id,
        )
    return depth


def _symbols(data: dict[str, Any], request_id: int) -> tuple[str, ...]:
    if "symbols" not in data:
        raise BadRequest("missing field 'symbols'", request_id)
    symbols = data["symbols"]
    if not isinstance(symbols, list) or not symbols:
        raise BadRequest("field 'symbols' must be a non-empty list of strings", request_id)
    if len(symbols) > MAX_SYMBOLS_PER_REQUEST:
        raise BadRequest(
            f"field 'symbols' has {len(symbols)} entries; at most "
            f"{MAX_SYMBOLS_PER_REQUEST} per request",
            request_id,
        )
    if not all(isinstance(s, str) and s for s in symbols):
        raise BadRequest("field 'symbols' must contain non-empty strings only", request_id)
    return tuple(dict.fromkeys(symbols))  # the same symbol twice is asked for once


def _resume(data: dict[str, Any], request_id: int) -> dict[str, int]:
    resume = data.get("resume", {})
    if not isinstance(resume, dict):
        raise BadRequest("field 'resume' must be an object of symbol to seq", request_id)
    for symbol, seq in resume.items():
        if not _is_int(seq) or seq < 0:
            raise BadRequest(
                f"field 'resume' must map symbols to non-negative integers; "
                f"{symbol!r:.40} maps to {seq!r:.40}",
                request_id,
            )
    return resume


def _stream(data: dict[str, Any], request_id: int) -> str | None:
    stream = data.get("stream")
    if stream is not None and not isinstance(stream, str):
        raise BadRequest(f"field 'stream' must be a string, got {stream!r:.40}", request_id)
    return stream


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
    return names.get(type(value), "a number")
