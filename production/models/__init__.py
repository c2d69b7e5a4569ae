"""Production models; import them from `production.models` (the sync log lives in `production.sync.models`)."""
from .forecasts import OrderDateChange, ReceivingGap, StageDuration
from .orders import (
    DeliveryStatus,
    ForecastState,
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
    "ForecastState",
    "OrderDateChange",
    "ReceivingGap",
    "StageDuration",
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
