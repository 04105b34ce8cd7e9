"""Interactive ipywidgets panels for the lessons."""

from .backoff_explorer import backoff_explorer

__all__ = ["backoff_explorer"]
