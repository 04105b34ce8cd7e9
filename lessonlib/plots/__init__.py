"""Figures for the lessons; each returns a matplotlib Figure built from events or policies."""

from .feed import feed_timeline
from .retry import backoff_timeline, herd_histogram, jitter_strategies

__all__ = ["backoff_timeline", "feed_timeline", "herd_histogram", "jitter_strategies"]
