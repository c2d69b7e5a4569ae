"""Production models, one module per concern; import them from `production.models`."""
from .board import SavedView
from .orders import (
    LineItem,
    LineQuantity,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)
from .summaries import OutboxMessage, Summary, SummaryDelivery  # noqa: F401
from .sync import SyncIssue, SyncLock, SyncRun

__all__ = [
    "LineItem",
    "LineQuantity",
    "Manufacturer",
    "ProductionOrder",
    "SavedView",
    "Season",
    "Stage",
    "StagePeriod",
    "SyncIssue",
    "SyncLock",
    "SyncRun",
    "Warehouse",
]
