"""The practice exchange: PROTOCOL.md over real WebSockets, or in memory for virtual time."""

from .console import parse_command, run_command
from .engine import ExchangeCore, ExchangeStats
from .faults import Fault, Garbage
from .market import Market
from .memory import InMemoryExchange, MemoryConnection
from .server import PracticeExchange

__all__ = [
    "ExchangeCore",
    "ExchangeStats",
    "Fault",
    "Garbage",
    "InMemoryExchange",
    "Market",
    "MemoryConnection",
    "PracticeExchange",
    "parse_command",
    "run_command",
]
