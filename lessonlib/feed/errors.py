"""What can go wrong between the feed client and an exchange, and how each is treated."""

from __future__ import annotations

import contextlib

from websockets.exceptions import ConnectionClosed, InvalidStatus


class SubscriptionRejected(Exception):
    """The exchange refused a symbol (``code`` is PROTOCOL.md's error code)."""

    def __init__(self, symbol: str, code: str, message: str) -> None:
        super().__init__(f"{symbol}: {code} ({message})")
        self.symbol, self.code, self.message = symbol, code, message


class ConnectionSilent(TimeoutError):
    """No frame at all for several heartbeat intervals: the connection is dead."""


class ProtocolViolation(ConnectionError):
    """The exchange broke the protocol in a way the connection cannot survive."""


class ServerShutdown(ConnectionError):
    """The exchange announced a restart and asked to wait ``reconnect_after`` seconds."""

    def __init__(self, reason: str, reconnect_after: float) -> None:
        super().__init__(f"exchange shutting down ({reason})")
        self.reconnect_after = reconnect_after


class FeedStopped(ConnectionError):
    """The client runs no more: closed by its owner, or it gave up; ``reason`` is the last
    error when it gave up (None when closed), also its ``__cause__``."""

    def __init__(self, name: str, reason: BaseException | None) -> None:
        why = "closed" if reason is None else f"gave up: {type(reason).__name__}: {reason}"
        super().__init__(f"feed client {name} stopped ({why})")
        self.reason = reason


def rate_limited(error: BaseException) -> bool:
    if isinstance(error, InvalidStatus):
        return error.response.status_code == 429
    if isinstance(error, ConnectionClosed):
        return error.rcvd is not None and error.rcvd.code == 1008
    return False


def retry_after(error: BaseException) -> float:
    if isinstance(error, InvalidStatus):
        with contextlib.suppress(TypeError, ValueError):
            return max(0.0, float(error.response.headers.get("Retry-After", 0)))
    return 0.0
