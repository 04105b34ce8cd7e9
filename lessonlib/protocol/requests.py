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


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    id: int
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ping:
    id: int


Request = Subscribe | Unsubscribe | Ping


def encode_request(request: Request) -> str:
    """The request as one JSON text frame (the client's side)."""
    op = {Subscribe: "subscribe", Unsubscribe: "unsubscribe", Ping: "ping"}[type(request)]
    fields: dict[str, Any] = {"op": op, "id": request.id}
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
    if op not in ("subscribe", "unsubscribe", "ping"):
        raise BadRequest(f"unknown op {op!r:.40}", usable_id)
    if "id" not in data:
        raise BadRequest("missing field 'id'")
    if usable_id is None:
        raise BadRequest(f"field 'id' must be an integer, got {request_id!r:.40}")
    if op == "ping":
        return Ping(usable_id)
    symbols = _symbols(data, usable_id)
    if op == "unsubscribe":
        return Unsubscribe(usable_id, symbols)
    return Subscribe(usable_id, symbols, _resume(data, usable_id), _stream(data, usable_id))


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
