"""A Markdown cell as the paragraphs a translator works on: blocks between blank lines, with
a fenced code block kept whole."""

from __future__ import annotations

import re

FENCE = re.compile(r"^\s*(```|~~~)")


def blocks(source: str) -> list[str]:
    """The cell's blocks in order: paragraphs, lists, tables, headings, fenced code."""
    found: list[str] = []
    current: list[str] = []
    fenced = False
    for line in source.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and not line.strip() and not FENCE.match(line):
            if current:
                found.append("\n".join(current))
                current = []
            continue
        current.append(line.rstrip())
    if current:
        found.append("\n".join(current))
    return found


def has_words(block: str) -> bool:
    """True when the block has text to translate (not a rule such as ``---``)."""
    return any(character.isalpha() for character in block)


def join(translated: list[str]) -> str:
    """The cell again, from its (translated) blocks."""
    return "\n\n".join(translated)
