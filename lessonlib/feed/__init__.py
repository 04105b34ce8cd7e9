"""The price-feed client and what it hands its consumer."""

from .client import (
    Connection,
    ConnectionSilent,
    Connector,
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
    "Connector",
    "Disconnected",
    "FeedStats",
    "PriceFeedClient",
    "PriceUpdate",
    "Reconnecting",
    "ServerShutdown",
    "SubscriptionRejected",
]
