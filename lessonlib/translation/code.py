"""What a reader sees in a code cell: its comments (translated into the Russian notebook's
source) and the messages it passes to ``tr`` (translated when the cell runs); and the code
itself, token by token, which must be the same in both languages."""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass

WIDTH = 100  # the repository's line length
CALLS = ("tr", "Text")  # lessonlib.i18n's: their first argument is an English message
MACHINE = ("noqa", "type:", "fmt:", "pragma", "!")  # comments for tools, not for readers


@dataclass(frozen=True, slots=True)
class CommentBlock:
    """Comment lines read as one message: consecutive whole-line comments at one column, or
    one comment after code on its line."""

    rows: tuple[int, ...]  # 1-based lines of the source
    column: int
    own_line: bool
    message: str


def comment_blocks(source: str) -> list[CommentBlock]:
    """The comments of ``source`` a reader sees, grouped into messages."""
    found: list[CommentBlock] = []
    lines = source.splitlines()
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        if run:
            text = " ".join(part for _, _, part in run)
            found.append(CommentBlock(tuple(r for r, _, _ in run), run[0][1], True, text))
            run.clear()

    for token in _tokens(source):
        if token.type != tokenize.COMMENT:
            if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT):
                flush()
            continue
        row, column = token.start
        text = token.string[1:].strip()
        own_line = not lines[row - 1][:column].strip()
        if not text or not any(c.isalpha() for c in text) or text.startswith(MACHINE):
            flush()
            continue
        if not own_line:
            flush()
            found.append(CommentBlock((row,), column, False, text))
            continue
        if run and (run[-1][0] != row - 1 or run[-1][1] != column):
            flush()
        run.append((row, column, text))
    flush()
    return found


def translate_comments(source: str, translate: Callable[[str], str]) -> str:
    """``source`` with each comment block replaced by ``translate(message)``; a block on
    lines of its own is wrapped to the line length at its indentation."""
    lines = source.splitlines()
    replaced: dict[int, list[str]] = {}
    for block in comment_blocks(source):
        text = translate(block.message)
        if text == block.message:
            continue
        if block.own_line:
            indent = " " * block.column
            width = max(40, WIDTH - block.column - 2)
            wrapped = textwrap.wrap(text, width, break_long_words=False) or [""]
            replaced[block.rows[0]] = [f"{indent}# {line}" for line in wrapped]
            for row in block.rows[1:]:
                replaced[row] = []
        else:
            row = block.rows[0]
            code = lines[row - 1][: block.column]
            replaced[row] = [f"{code}# {text}"]
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        out.extend(replaced.get(number, [line]))
    ending = "\n" if source.endswith("\n") else ""
    return "\n".join(out) + ending


def messages_called(source: str, calls: Iterable[str] = CALLS) -> list[tuple[int, str]]:
    """The English messages ``source`` passes to ``tr(...)`` or ``Text(...)``, in order,
    each with its line.

    Raises ValueError for a call whose message is not one plain string: an f-string or a
    variable cannot be looked up in a catalog."""
    names = set(calls)
    tree = compile(source, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in names:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise ValueError(
                f"line {node.lineno}: {name}() needs its message as one plain string "
                f"(fill in values with keywords: {name}('... {{n}} ...', n=n)), "
                f"got {ast.unparse(first)}"
            )
        found.append((node.lineno, node.col_offset, first.value))
    return [(line, message) for line, _, message in sorted(found)]


def code_tokens(source: str) -> list[tuple[str, str]]:
    """The code of ``source`` without its comments and blank lines: what must not differ."""
    skipped = (tokenize.COMMENT, tokenize.NL)
    return [(tokenize.tok_name[t.type], t.string) for t in _tokens(source) if t.type not in skipped]


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))
