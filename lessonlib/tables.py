"""Small tables that show as HTML in a notebook and as aligned text in a terminal."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any


class Table:
    """Rows of named values. ``highlight`` marks rows (by index) to stand out, e.g. alerts."""

    def __init__(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        title: str = "",
        highlight: Sequence[int] = (),
    ) -> None:
        self.rows = [dict(row) for row in rows]
        self.columns = list(dict.fromkeys(key for row in self.rows for key in row))
        self.title = title
        self.highlight = frozenset(highlight)

    def _cells(self, row: Mapping[str, Any]) -> list[str]:
        return [_format(row.get(column, "")) for column in self.columns]

    def __str__(self) -> str:
        body = [self.columns, *(self._cells(row) for row in self.rows)]
        widths = [max(len(line[i]) for line in body) for i in range(len(self.columns))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in body
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.title] if self.title else []) + lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th{_CELL}>{html.escape(c)}</th>" for c in self.columns)
        rows = []
        for index, row in enumerate(self.rows):
            style = ' style="background:#fde2e1"' if index in self.highlight else ""
            cells = "".join(
                f"<td{_CELL if _is_text(v) else _NUMBER}>{html.escape(c)}</td>"
                for v, c in zip(
                    (row.get(k, "") for k in self.columns), self._cells(row), strict=True
                )
            )
            rows.append(f"<tr{style}>{cells}</tr>")
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return (
            f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def __repr__(self) -> str:
        return str(self)


_CELL = ' style="padding:2px 10px;text-align:left"'
_NUMBER = ' style="padding:2px 10px;text-align:right;font-variant-numeric:tabular-nums"'


def _is_text(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
