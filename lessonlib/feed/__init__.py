"""The price-feed client and what it hands its consumer."""

from .client import FeedStats, PriceFeedClient
from .errors import ConnectionSilent, ServerShutdown, SubscriptionRejected
from .state import (
    Closed,
    Connected,
    Connecting,
    ConnectionState,
    Disconnected,
    PriceUpdate,
    Reconnecting,
)
from .transport import Connection, Connector

__all__ = [
    "Closed",
    "Connected",
    "Connecting",
    "Connection",
    "ConnectionSilent",
    "ConnectionState",
    "Connector",
    "Disconnected",
    "FeedStats",
    "PriceFeedClient",
    "PriceUpdate",
    "Reconnecting",
    "ServerShutdown",
    "SubscriptionRejected",
]
