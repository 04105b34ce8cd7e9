"""The price-feed client and what it hands its consumer."""

from .client import (
    Connection,
    ConnectionSilent,
    FeedStats,
    PriceFeedClient,
    ServerShutdown,
    SubscriptionRejected,
)
from .state import (
    Closed,
    Connected,
    Connecting,
    ConnectionState,
    Disconnected,
    PriceUpdate,
    Reconnecting,
)

__all__ = [
    "Closed",
    "Connected",
    "Connecting",
    "Connection",
    "ConnectionSilent",
    "ConnectionState",
    "Disconnected",
    "FeedStats",
    "PriceFeedClient",
    "PriceUpdate",
    "Reconnecting",
    "ServerShutdown",
    "SubscriptionRejected",
]
