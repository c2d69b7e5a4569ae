"""Production models, one module per concern; import them from `production.models`."""
from .board import SavedView
from .orders import (
    DeliveryStatus,
    LineItem,
    LineQuantity,
    Manufacturer,
    OrderStatus,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    StageStatus,
    Warehouse,
)
from .summaries import OutboxMessage, Summary, SummaryDelivery  # noqa: F401
from .sync import SyncIssue, SyncLock, SyncRun

__all__ = [
    "DeliveryStatus",
    "OrderStatus",
    "StageStatus",
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
