"""A faithful fake of the Uphance API for the demo, tests and benchmarks (needs no Django)."""

from .catalogue import LOGINS, NORTHWIND, SOUTHPAW
from .server import SandboxServer
from .state import SandboxState

__all__ = ["LOGINS", "NORTHWIND", "SOUTHPAW", "SandboxServer", "SandboxState"]
