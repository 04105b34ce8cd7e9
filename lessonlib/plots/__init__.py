"""Figures for the lessons; each returns a matplotlib Figure built from events or policies."""

from .book import books_against, depth_chart
from .breaker import breaker_timeline
from .exchanges import consolidated_quotes, exchanges_timeline
from .feed import feed_timeline
from .health import health_dashboard
from .retry import backoff_timeline, herd_histogram, jitter_strategies

__all__ = [
    "backoff_timeline",
    "books_against",
    "breaker_timeline",
    "consolidated_quotes",
    "depth_chart",
    "exchanges_timeline",
    "feed_timeline",
    "health_dashboard",
    "herd_histogram",
    "jitter_strategies",
]
