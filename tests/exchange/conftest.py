"""Every exchange scenario runs against the WebSocket server and the in-memory twin."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["websocket", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param
