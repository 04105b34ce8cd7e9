"""The homework: what student code is given (venues, price streams, a connect for the
practice exchange) and the check that grades it: ``check("task1")``."""

from .checks import check
from .venues import OrderFailed, PaperOrders, Venue, connect_to, practice_venue, prices

__all__ = [
    "OrderFailed",
    "PaperOrders",
    "Venue",
    "check",
    "connect_to",
    "practice_venue",
    "prices",
]
