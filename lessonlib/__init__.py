"""Reconnect Lab's library: what the lessons call to keep a market-data connection alive.

The pure decisions (backoff, classification, parsing) live in small modules with no I/O;
thin asyncio drivers carry them out; every component reports to one stream of events.
"""

from .backoff import Backoff, BackoffPolicy, Jitter
from .events import Event, EventBus, EventLog, Kind
from .retry import RetryError, connect_with_retry, is_transient, keep_connected, retry_on

__all__ = [
    "Backoff",
    "BackoffPolicy",
    "Event",
    "EventBus",
    "EventLog",
    "Jitter",
    "Kind",
    "RetryError",
    "connect_with_retry",
    "is_transient",
    "keep_connected",
    "retry_on",
]
