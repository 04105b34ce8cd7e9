"""What a check observed, as plain JSON data and back: how a record crosses from the
student's kernel to the grader, which judges it with its own code.

Only the check's own record types are rebuilt (dataclasses of ``lessonlib.homework``); a
value of any other type becomes its plain equivalent (a student's float subclass becomes a
float, an object becomes its ``repr``), so that nothing of the student's code reaches the
judge. An exception becomes a `RecordedError` carrying its one-line explanation."""

from __future__ import annotations

import dataclasses
import importlib
import math
from typing import Any

TYPE, ERROR, TUPLE, PAIRS, SET = "__type__", "__error__", "__tuple__", "__pairs__", "__set__"
MODULES = "lessonlib.homework."
MAX_DEPTH = 40
MAX_ITEMS = 200_000  # values in one record; past it the record is cut and says so


class BadRecord(ValueError):
    """The record is not what the check's own code writes: a sign of tampering."""


class RecordedError(Exception):
    """An exception the student's code raised in the kernel, as the record carried it."""

    def __init__(self, name: str, message: str, explained: str) -> None:
        super().__init__(message)
        self.name = name
        self.explained = explained


def to_plain(value: Any, explain: Any) -> Any:
    """``value`` as JSON-able data; ``explain(error)`` gives an exception's one line."""
    budget = [MAX_ITEMS]
    return _out(value, explain, 0, budget)


def _out(value: Any, explain: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return "…"
    if value is None or type(value) in (bool, str, int):
        return value
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        number = float.__float__(value)
        return number if math.isfinite(number) else {TYPE: "float", "repr": float.__repr__(number)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, BaseException):
        try:
            explained = explain(value)
        except Exception:
            explained = type(value).__name__
        return {ERROR: type(value).__name__, "message": _text(value), "explained": explained}
    kind = type(value)
    if dataclasses.is_dataclass(value) and kind.__module__.startswith(MODULES):
        fields = {
            f.name: _out(getattr(value, f.name), explain, depth + 1, budget)
            for f in dataclasses.fields(kind)
        }
        return {TYPE: f"{kind.__module__}:{kind.__qualname__}", **fields}
    if isinstance(value, tuple):
        return {TUPLE: [_out(v, explain, depth + 1, budget) for v in tuple.__iter__(value)]}
    if isinstance(value, list):
        return [_out(v, explain, depth + 1, budget) for v in list.__iter__(value)]
    if isinstance(value, (set, frozenset)):
        return {SET: [_out(v, explain, depth + 1, budget) for v in set(value)]}
    if isinstance(value, dict):
        items = dict.items(value)
        if all(type(k) is str for k, _ in items):
            return {k: _out(v, explain, depth + 1, budget) for k, v in items}
        return {
            PAIRS: [
                [_out(k, explain, depth + 1, budget), _out(v, explain, depth + 1, budget)]
                for k, v in items
            ]
        }
    return {TYPE: "object", "repr": _text(value, repr)}


def _text(value: Any, how: Any = str) -> str:
    try:
        return str.__str__(how(value))[:500]
    except Exception:
        return f"<{type(value).__name__} that cannot be shown>"


def from_plain(data: Any, depth: int = 0) -> Any:
    """The record rebuilt from plain data; raises `BadRecord` for what no check writes."""
    if depth > MAX_DEPTH + 1:
        raise BadRecord("the record nests deeper than any check's")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [from_plain(v, depth + 1) for v in data]
    if type(data) is not dict:
        raise BadRecord(f"a value of type {type(data).__name__} in the record")
    if TUPLE in data:
        return tuple(from_plain(v, depth + 1) for v in data[TUPLE])
    if SET in data:
        return {_hashable(from_plain(v, depth + 1)) for v in data[SET]}
    if PAIRS in data:
        return {
            _hashable(from_plain(k, depth + 1)): from_plain(v, depth + 1) for k, v in data[PAIRS]
        }
    if ERROR in data:
        return _error(data)
    if TYPE in data:
        return _typed(data, depth)
    return {k: from_plain(v, depth + 1) for k, v in data.items()}


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise BadRecord("an unhashable key in the record") from None
    return value


def _error(data: dict[str, Any]) -> BaseException:
    from .harness import NotReady
    from .sandbox import BlockingCall, Stuck

    name, message = str(data[ERROR]), str(data.get("message", ""))
    known = {
        "BlockingCall": BlockingCall,
        "Stuck": Stuck,
        "NotReady": NotReady,
        "NotImplementedError": NotImplementedError,
    }
    error: BaseException = (
        known[name](message)
        if name in known
        else RecordedError(name, message, str(data.get("explained", name)))
    )
    error.explained = str(data.get("explained", name))  # type: ignore[union-attr]
    return error


def _typed(data: dict[str, Any], depth: int) -> Any:
    name = data[TYPE]
    if name == "float":
        return float(data["repr"])
    if name == "object":
        return f"<{data.get('repr', 'object')}>"
    module_name, _, qualname = str(name).partition(":")
    if not module_name.startswith(MODULES) or "." in qualname:
        raise BadRecord(f"a value of type {name!r}, which no check records")
    module = importlib.import_module(module_name)
    kind = getattr(module, qualname, None)
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise BadRecord(f"a value of type {name!r}, which no check records")
    names = {f.name for f in dataclasses.fields(kind)}
    given = set(data) - {TYPE}
    if given != names:
        raise BadRecord(f"a {qualname} with fields {sorted(given)}, not {sorted(names)}")
    values = {k: from_plain(data[k], depth + 1) for k in names}
    instance = object.__new__(kind)
    for key, value in values.items():
        object.__setattr__(instance, key, value)
    return instance
