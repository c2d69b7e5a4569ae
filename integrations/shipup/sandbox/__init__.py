"""Local Shipup sandbox: a faithful fake of `/v2/orders` for demos and tests."""
from .server import Received, ShipupSandboxServer, ShipupSandboxState
from .validation import validate_order

__all__ = ["Received", "ShipupSandboxServer", "ShipupSandboxState", "validate_order"]
