"""What the grader runs in a submission's kernel after the student's cells: the check's
scenario on the scenario seed the grader hands over, its record displayed as plain data in an
output of a type of its own. The grader judges that record with its own code (see
`lessonlib.grade`); nothing here decides a point.

Before and after the scenario the kernel is looked over for the usual ways of bending a check
(functions of the check, of asyncio, of the clock or of builtins replaced by code of the
notebook, a trace hook); what is seen travels with the record and costs the grade."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIME = "application/vnd.reconnect-lab.record+json"
# Leaves first, so that each module picks up fresh copies of what it imports. Not `venues`:
# the student's code holds its classes (an `except OrderFailed` must keep matching).
FRESH = ("sandbox", "report", "harness", "plain", "network", "timeline", "borrowed", "far_object")
FRESH += ("task1", "task2", "task3", "task4", "checks", "lockstep", "far_connection", "far_client")
WATCHED = ("builtins", "asyncio", "time", "importlib", "json", "inspect", "random", "math")
WATCHED += ("threading", "gc", "looptime", "IPython.display", "IPython.core.display_functions")


def record(
    task: str, seed: int | None, token: str, namespace: dict[str, Any], link: int | None = None
) -> None:
    """Run ``task``'s scenario on ``seed`` against ``namespace`` and display the record; or,
    when the grader holds the scenario (``link``, a port on this machine's loopback), play
    the student's code against it there, and display only what the audit saw."""
    from IPython.display import display

    seen_before = sorted(tampering())
    if seen_before:  # already bent: the scenario would judge nothing, and could hang
        display({MIME: {"token": token, "observation": {}, "tampering": seen_before}}, raw=True)
        return
    modules = [importlib.import_module(f"lessonlib.homework.{name}") for name in FRESH]
    for module in modules:
        importlib.reload(module)
    if link is not None:
        observation = _play_held(task, token, namespace, link)
    else:
        observation = modules[FRESH.index("checks")].observe(task, namespace, seed)
    seen = sorted(set(seen_before) | set(tampering()))
    display({MIME: {"token": token, "observation": observation, "tampering": seen}}, raw=True)


def tampering() -> Iterator[str]:
    """What in the kernel was replaced by code that is neither Python's nor the course's."""
    trusted = _trusted_roots()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        yield "a trace or profile hook was set (sys.settrace / sys.setprofile)"
    names = [
        n for n in list(sys.modules) if n in WATCHED or n.startswith(("lessonlib", "asyncio."))
    ]
    for name in names:
        module = sys.modules.get(name)
        if not isinstance(module, types.ModuleType):
            yield f"sys.modules[{name!r}] was replaced by a {type(module).__name__}"
            continue
        origin = getattr(module, "__file__", None)
        if origin and not _inside(origin, trusted):
            yield f"sys.modules[{name!r}] was replaced by a module from {origin}"
            continue
        for attribute, value in list(vars(module).items()):
            where = _defined_in(value)
            if where is not None and not _inside(where, trusted):
                yield f"{name}.{attribute} was replaced by code from {_short(where)}"


def _defined_in(value: Any) -> str | None:
    """The file a function (or a class's functions) was compiled from, if Python code."""
    function = getattr(value, "__func__", value)
    code = getattr(function, "__code__", None)
    if isinstance(code, types.CodeType):
        return code.co_filename
    if isinstance(value, type):
        for member in list(vars(value).values()):
            inner = getattr(getattr(member, "__func__", member), "__code__", None)
            # dataclasses and named tuples make their methods from "<string>"
            if isinstance(inner, types.CodeType) and inner.co_filename != "<string>":
                return inner.co_filename
    return None


def _trusted_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).parents[1])}
    roots |= {p for p in sys.path if "site-packages" in p}
    return [str(Path(r).resolve()) for r in roots if r]


def _inside(filename: str, roots: list[str]) -> bool:
    if filename.startswith("<frozen "):
        return True
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return any(resolved == r or resolved.startswith(r.rstrip("/") + "/") for r in roots)


def _short(filename: str) -> str:
    return filename if len(filename) < 80 else "…" + filename[-77:]


def _play_held(task: str, token: str, namespace: dict[str, Any], port: int) -> dict[str, Any]:
    import socket

    from . import far_client, lockstep

    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    link = lockstep.Link(connection)
    try:
        played = far_client.play(link, token, namespace)
    finally:
        link.close()
    return {"task": task, "held": True, "not_ready": played.get("not_ready")}
