"""A matplotlib Figure that Jupyter shows as a PNG, with or without pyplot's inline backend."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure


class LessonFigure(Figure):
    """A Figure with its own PNG representation, so that a cell's value displays as a picture.

    The lessons' figures are built without pyplot (no global state, no double display); the
    representation below is what makes them show up as images in a notebook.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("layout", "constrained")
        super().__init__(*args, **kwargs)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
