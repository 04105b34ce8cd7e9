"""Interactive ipywidgets panels for the lessons."""

from .backoff_explorer import backoff_explorer
from .breaker_explorer import breaker_explorer
from .fault_panel import fault_panel
from .health_dashboard import HealthDashboard
from .live_book import LiveBookView
from .live_feed import LiveFeedView

__all__ = [
    "HealthDashboard",
    "LiveBookView",
    "LiveFeedView",
    "backoff_explorer",
    "breaker_explorer",
    "fault_panel",
]
