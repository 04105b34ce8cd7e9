"""Which of lessonlib's own solutions a student's methods actually call: names read from the
code's syntax tree and resolved through the notebook's globals, so that a comment, a string
or a class of the student's own that happens to share a name never counts."""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterable, Mapping
from typing import Any


def library_names_used(
    classes: Iterable[Any], namespace: Mapping[str, Any], solutions: Iterable[str]
) -> set[str]:
    """The entries of ``solutions`` (a class name such as ``Backoff`` or a module such as
    ``lessonlib.health``) that the methods of ``classes`` refer to."""
    used: set[str] = set()
    wanted = tuple(solutions)
    for cls in classes:
        for member in vars(cls).values() if isinstance(cls, type) else ():
            for function in _functions(member):
                used |= {n for q in _qualified_names(function, namespace) for n in _hits(q, wanted)}
    return used


def _functions(member: Any) -> list[Any]:
    if isinstance(member, property):
        return [f for f in (member.fget, member.fset) if f is not None]
    if isinstance(member, staticmethod | classmethod):
        return [member.__func__]
    return [member] if inspect.isfunction(member) else []


def _qualified_names(function: Any, namespace: Mapping[str, Any]) -> set[str]:
    """Every dotted name the function's code reads, resolved to where it comes from."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    local: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                local[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    local[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    local[root] = root
    found = set(local.values())
    for node in ast.walk(tree):
        dotted = _dotted(node)
        if dotted is None:
            continue
        root, _, rest = dotted.partition(".")
        origin = local.get(root) or _origin(namespace.get(root))
        if origin is not None:
            found.add(f"{origin}.{rest}" if rest else origin)
    return found


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _origin(value: Any) -> str | None:
    """Where a global comes from: a module's name, or a class's or function's module and name."""
    if isinstance(value, types.ModuleType):
        return value.__name__
    module = getattr(value, "__module__", None)
    name = getattr(value, "__qualname__", None)
    if isinstance(module, str) and isinstance(name, str):
        return f"{module}.{name}"
    return None


def _hits(qualified: str, solutions: tuple[str, ...]) -> set[str]:
    if not qualified.startswith("lessonlib"):
        return set()
    hits = set()
    for solution in solutions:
        if "." in solution:
            if qualified == solution or qualified.startswith(solution + "."):
                hits.add(solution)
        elif solution in qualified.split("."):
            hits.add(solution)
    return hits
