"""Figures for the lessons; each returns a matplotlib Figure built from events or policies."""

from .retry import backoff_timeline, herd_histogram, jitter_strategies

__all__ = ["backoff_timeline", "herd_histogram", "jitter_strategies"]
