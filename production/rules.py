"""The one definition of open, expected date, late, stuck and the organisation's today.

The board, its CSV, the timelines, the e-mail summaries, customers' demand risk and the Shipup
push all call these, so they cannot disagree. Each rule comes as a query filter (`*_q`, for
querysets; `prefix` is the path to the production order: "" on ProductionOrder, "order__" on
LineItem) and, where a page judges one row, as a function of that row; both forms sit side by
side here and tests/production/test_rules.py checks that they agree.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from production.models import DeliveryStatus, OrderStatus, StageStatus
from production.selectors import stage_p90s

# --- the organisation's today ----------------------------------------------------------------------

def organisation_zone(organisation) -> zoneinfo.ZoneInfo:
    """The organisation's time zone (UTC when unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(getattr(organisation, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def organisation_today(*, organisation, now: dt.datetime | None = None) -> dt.date:
    """The date it is at `now` where the organisation is: dates (due, in warehouse) are judged by it."""
    return (now or timezone.now()).astimezone(organisation_zone(organisation)).date()


# --- open ------------------------------------------------------------------------------------------
# A production order is open while Uphance still returns it and it can still change: not complete,
# not cancelled, not all received. Partly received ("receiving") orders are open. A line item is
# open when it is still in Uphance and its order is open.

CLOSED_STATUSES = (OrderStatus.COMPLETE, OrderStatus.CANCELLED)
# The same rule as Uphance's listing filters take it (status and delivery-status values).
OPEN_STATUSES = tuple(s.value for s in OrderStatus if s not in CLOSED_STATUSES)
OPEN_DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus if s != DeliveryStatus.ALL_RECEIVED)


def order_present_q(*, prefix: str = "") -> Q:
    """Orders Uphance still returns (removed ones are kept for history, never deleted)."""
    return Q(**{f"{prefix}removed_at__isnull": True})


def order_open_q(*, prefix: str = "") -> Q:
    return (
        order_present_q(prefix=prefix)
        & ~Q(**{f"{prefix}status__in": CLOSED_STATUSES})
        & ~Q(**{f"{prefix}delivery_status": DeliveryStatus.ALL_RECEIVED})
    )


def orders_open(queryset):
    """`queryset` (of ProductionOrder) narrowed to the open orders."""
    return queryset.filter(order_open_q())


def order_is_received(order) -> bool:
    return order.delivery_status == DeliveryStatus.ALL_RECEIVED


def order_is_receiving(order) -> bool:
    """Partly received: some of it is in the warehouse, the rest still to come."""
    return order.delivery_status == DeliveryStatus.RECEIVING


def order_is_open(order) -> bool:
    return order.removed_at is None and order.status not in CLOSED_STATUSES and not order_is_received(order)


def line_item_open_q() -> Q:
    """Line items (of LineItem) still in Uphance whose order is open."""
    return Q(removed_at__isnull=True) & order_open_q(prefix="order__")


def line_item_is_open(item) -> bool:
    return item.removed_at is None and order_is_open(item.order)


# --- expected date ---------------------------------------------------------------------------------
# When production should be in the warehouse: the in-warehouse date, else the due date. Uphance
# often gives neither; then there is no expected date and lateness is unknown (not guessed).

def expected_date(*, in_warehouse_date: dt.date | None, due_date: dt.date | None) -> dt.date | None:
    return in_warehouse_date or due_date


def order_expected_date(order) -> dt.date | None:
    return expected_date(in_warehouse_date=order.in_warehouse_date, due_date=order.due_date)


def expected_date_expression(*, prefix: str = ""):
    """The expected date as a database expression (to order or annotate by)."""
    return Coalesce(f"{prefix}in_warehouse_date", f"{prefix}due_date")


def expected_date_q(*, lookup: str, value, prefix: str = "") -> Q:
    """Orders whose expected date satisfies `lookup` ("lt", "gte", …) against `value`.

    Written without COALESCE so each side can use its date index.
    """
    return Q(**{f"{prefix}in_warehouse_date__{lookup}": value}) | Q(
        **{f"{prefix}in_warehouse_date__isnull": True, f"{prefix}due_date__{lookup}": value}
    )


# --- late ------------------------------------------------------------------------------------------
# Late: the expected date is before today (the organisation's) and the order is neither all
# received nor cancelled. With no expected date, late is unknown (None per row; never in the filter).

def order_late_q(*, today: dt.date, prefix: str = "") -> Q:
    return (
        ~Q(**{f"{prefix}delivery_status": DeliveryStatus.ALL_RECEIVED})
        & ~Q(**{f"{prefix}status": OrderStatus.CANCELLED})
        & expected_date_q(lookup="lt", value=today, prefix=prefix)
    )


def line_item_late_q(*, today: dt.date) -> Q:
    return order_late_q(today=today, prefix="order__")


def is_late(*, status: str, delivery_status: str, expected: dt.date | None, today: dt.date) -> bool | None:
    """True/False, or None when Uphance gives no date to judge by (for rows read as plain values)."""
    if delivery_status == DeliveryStatus.ALL_RECEIVED or status == OrderStatus.CANCELLED:
        return False
    if expected is None:
        return None
    return expected < today


def order_is_late(order, *, today: dt.date) -> bool | None:
    return is_late(status=order.status, delivery_status=order.delivery_status,
                   expected=order_expected_date(order), today=today)


def days_late(order, *, today: dt.date) -> int:
    """Days past the expected date of a late order; 0 when it is not late (or cannot be judged)."""
    return (today - order_expected_date(order)).days if order_is_late(order, today=today) else 0


# --- time in stage and stuck -----------------------------------------------------------------------
# A line item is stuck when it has been in progress in its current stage longer than the stage's
# threshold: the days a manager set on the stage, else the p90 of the stage's last completed
# periods (at least a day), else STUCK_DEFAULT_DAYS while there is too little history to know.

STARTED_STATUSES = (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)
STUCK_DEFAULT_DAYS = 14.0


def has_started(stage_status: str) -> bool:
    """In its current stage (in progress) or done with it: production is under way."""
    return stage_status in STARTED_STATUSES


def days_in_stage(*, stage_status: str, started_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole days since the current stage started, for a stage that has started; else None."""
    return (now - started_at).days if started_at and has_started(stage_status) else None


@dataclass(frozen=True)
class StuckThreshold:
    days: float
    source: str  # "manager", "p90" or "default"
    p90_days: float | None
    samples: int

    @property
    def label(self) -> str:
        return {"manager": "set by a manager", "p90": "p90 of past durations"}.get(self.source, "default")


def stuck_thresholds(*, organisation, stages, version: int | None = None) -> dict[int, StuckThreshold]:
    """{stage id: after how many days a card in that stage is stuck} for `stages`.

    `version` keys the cached p90s (the board's data version: pass it wherever the board's cache
    is in play); None reads the history afresh.
    """
    p90s = stage_p90s(organisation=organisation, stages=stages, version=version)
    out = {}
    for stage in stages:
        p90_days, samples = p90s.get(stage.id, (None, 0))
        if stage.stuck_after_days is not None:
            out[stage.id] = StuckThreshold(float(stage.stuck_after_days), "manager", p90_days, samples)
        elif p90_days is not None:
            out[stage.id] = StuckThreshold(max(1.0, p90_days), "p90", p90_days, samples)
        else:
            out[stage.id] = StuckThreshold(STUCK_DEFAULT_DAYS, "default", None, samples)
    return out


def stuck_q(*, thresholds: dict[int, StuckThreshold], now: dt.datetime) -> Q:
    """Line items stuck at `now` (of LineItem)."""
    q = Q(pk__in=[])
    for stage_id, threshold in thresholds.items():
        q |= Q(current_stage_id=stage_id, current_stage_started_at__lt=now - dt.timedelta(days=threshold.days))
    return Q(stage_status=StageStatus.IN_PROGRESS) & q


def is_stuck(*, stage_status: str, started_at: dt.datetime | None, threshold: StuckThreshold | None,
             now: dt.datetime) -> bool:
    return bool(
        stage_status == StageStatus.IN_PROGRESS and started_at and threshold
        and (now - started_at).total_seconds() > threshold.days * 86400
    )


def line_item_is_stuck(item, *, thresholds: dict[int, StuckThreshold], now: dt.datetime) -> bool:
    return is_stuck(stage_status=item.stage_status, started_at=item.current_stage_started_at,
                    threshold=thresholds.get(item.current_stage_id), now=now)
