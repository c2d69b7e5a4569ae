"""Production models; import them from `production.models` (the sync log lives in `production.sync.models`)."""
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

__all__ = [
    "DeliveryStatus",
    "OrderStatus",
    "StageStatus",
    "LineItem",
    "LineQuantity",
    "Manufacturer",
    "ProductionOrder",
    "Season",
    "Stage",
    "StagePeriod",
    "Warehouse",
]
