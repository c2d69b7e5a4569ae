"""The one definition of open, expected date, late, stuck and the organisation's today.

The board, its CSV, the timelines, the e-mail summaries, customers' demand risk and the Shipup
push all call these, so they cannot disagree. Each rule comes as a query filter (`*_q`, for
querysets; `prefix` is the path to the production order: "" on ProductionOrder, "order__" on
LineItem) and, where a page judges one row, as a function of that row; both forms sit side by
side here and tests/production/test_rules.py checks that they agree.
"""
from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass

from django.db.models import DateTimeField, Expression, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from production.durations import DEFAULT, DEFAULT_P90_DAYS, Duration, DurationBook, durations_stored
from production.models import DeliveryStatus, OrderStatus, Stage, StageStatus

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
# A line item is stuck when it has been in progress in its current stage longer than its threshold:
# the days a manager set on the stage, else the p90 of that stage at the line item's manufacturer
# (production.durations: its own figures once it has enough periods, else the stage's across every
# factory; at least MIN_STUCK_DAYS), else STUCK_DEFAULT_DAYS while there is too little history to
# know. production.forecasts stores the figures after syncs: judging stuck is a lookup, never
# statistics per request. Days in a stage are never negative: a start Uphance dates after now is
# "starts in N d".

STARTED_STATUSES = (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)
STUCK_DEFAULT_DAYS = DEFAULT_P90_DAYS
MIN_STUCK_DAYS = 1.0
DAY_SECONDS = 86400.0


def has_started(stage_status: str) -> bool:
    """In its current stage (in progress) or done with it: production is under way."""
    return stage_status in STARTED_STATUSES


def days_in_stage(*, started_at: dt.datetime | None, now: dt.datetime,
                  stage_status: str = StageStatus.IN_PROGRESS) -> tuple[int | None, bool]:
    """(whole days in the current stage, False), or (whole days until it starts, True) for a start after `now`.

    Elapsed days round down ("in Sewing for 6 days" after 6.9 days); days until a future start
    round up, so a start later today reads "starts in 1 d", never "starts in 0 d" or "-1 d in
    stage". A stage not started, or no start time: (None, False).
    """
    if started_at is None or not has_started(stage_status):
        return None, False
    seconds = (now - started_at).total_seconds()
    if seconds >= 0:
        return int(seconds // DAY_SECONDS), False
    return max(1, math.ceil(-seconds / DAY_SECONDS)), True


@dataclass(frozen=True)
class StuckThreshold:
    """After how many days a card is stuck, where that comes from, and the stage's usual duration there."""

    days: float
    source: str  # "manager", "manufacturer" (the pair's p90), "stage" (across factories) or "default"
    usual: Duration  # the stage's median and p90 at the manufacturer (production.durations)

    @property
    def p90_days(self) -> float | None:
        return None if self.usual.source == DEFAULT else self.usual.p90_days

    @property
    def samples(self) -> int:
        return self.usual.samples

    @property
    def label(self) -> str:
        return {
            "manager": "set by a manager", "manufacturer": "p90 at this manufacturer",
            "stage": "p90 of the stage at every factory",
        }.get(self.source, "default")


@dataclass(frozen=True)
class StuckThresholds:
    """The stuck thresholds of an organisation's stages, per stage × manufacturer (a lookup)."""

    book: DurationBook
    manager: dict[int, float]  # stage id -> the days a manager set
    stage_ids: tuple[int, ...]

    def threshold(self, stage_id: int | None, manufacturer_id: int | None) -> StuckThreshold | None:
        """None for a stage these thresholds do not cover (nothing there is stuck)."""
        if stage_id not in self.stage_ids:
            return None
        usual = self.book.duration(stage_id, manufacturer_id)
        if stage_id in self.manager:
            return StuckThreshold(self.manager[stage_id], "manager", usual)
        if usual.source == DEFAULT:
            return StuckThreshold(STUCK_DEFAULT_DAYS, "default", usual)
        return StuckThreshold(max(MIN_STUCK_DAYS, usual.p90_days), usual.source, usual)

    def days(self, stage_id: int | None, manufacturer_id: int | None) -> float | None:
        threshold = self.threshold(stage_id, manufacturer_id)
        return threshold.days if threshold else None

    def own_pairs(self) -> list[tuple[int, int, float]]:
        """(stage id, manufacturer id, days) where a manufacturer's own p90 decides (not the stage's)."""
        return [
            (stage_id, manufacturer_id, self.days(stage_id, manufacturer_id))
            for stage_id, manufacturer_id in self.book.own_pairs()
            if stage_id in self.stage_ids and stage_id not in self.manager
        ]

    def signature(self) -> str:
        """What the thresholds depend on beyond the stored durations (for cache keys): managers' settings."""
        return ",".join(f"{k}:{v}" for k, v in sorted(self.manager.items())) + f"|{','.join(map(str, self.stage_ids))}"


def stuck_thresholds(*, organisation, stages=None, version=None) -> StuckThresholds:
    """The stuck thresholds of `stages` (default: every stage of the organisation).

    `version` (board.selectors.cache.board_version: it moves with syncs and forecast recomputes)
    keys the cached durations; None reads them afresh.
    """
    if stages is None:
        stages = Stage.objects.filter(organisation=organisation)
    stages = list(stages)
    manager = {s.id: float(s.stuck_after_days) for s in stages if s.stuck_after_days is not None}
    book = DurationBook(durations_stored(organisation=organisation, version=version))
    return StuckThresholds(book, manager, tuple(s.id for s in stages))


class StuckCutoff(Expression):
    """A line item's stuck cut-off (now minus its threshold) by its stage, then its manufacturer, as SQL:
    CASE stage WHEN … THEN (CASE manufacturer WHEN … THEN … ELSE the stage's END) … END.

    One expression over two columns (the line item's stage and its copy of the order's manufacturer,
    production.order_copy: no join), its cut-offs parameters: resolving it is two column lookups where a
    Case of When(Q) clauses resolved a filter per stage × manufacturer (~20 ms a board with a hundred).
    """

    output_field = DateTimeField()

    def __init__(self, *, across: dict[int, dt.datetime], own: dict[int, dict[int, dt.datetime]],
                 stage=None, maker=None):
        super().__init__(output_field=DateTimeField())
        self.across, self.own = across, own
        self.stage = stage if stage is not None else F("current_stage_id")
        self.maker = maker if maker is not None else F("order_manufacturer_id")

    def get_source_expressions(self):
        return [self.stage, self.maker]

    def set_source_expressions(self, exprs):
        self.stage, self.maker = exprs

    def as_sql(self, compiler, connection, **extra):
        stage_sql, stage_params = compiler.compile(self.stage)
        maker_sql, maker_params = compiler.compile(self.maker)
        field = self.output_field
        sql, params = ["CASE"], []
        for stage_id, across in self.across.items():
            cut = field.get_db_prep_value(across, connection)
            pairs = self.own.get(stage_id)
            if not pairs:
                sql.append(f"WHEN {stage_sql} = %s THEN %s")
                params += [*stage_params, stage_id, cut]
                continue
            whens = " ".join(f"WHEN {maker_sql} = %s THEN %s" for _ in pairs)
            sql.append(f"WHEN {stage_sql} = %s THEN (CASE {whens} ELSE %s END)")
            params += [*stage_params, stage_id]
            for maker_id, cutoff in pairs.items():
                params += [*maker_params, maker_id, field.get_db_prep_value(cutoff, connection)]
            params.append(cut)
        sql.append("ELSE NULL END")
        return "(" + " ".join(sql) + ")", params


def stuck_q(*, thresholds: StuckThresholds, now: dt.datetime) -> Q:
    """Line items stuck at `now` (of LineItem): in progress, started before their cut-off (StuckCutoff)."""
    own: dict[int, dict[int, dt.datetime]] = {}
    for stage_id, manufacturer_id, days in thresholds.own_pairs():
        own.setdefault(stage_id, {})[manufacturer_id] = now - dt.timedelta(days=days)
    across = {stage_id: now - dt.timedelta(days=thresholds.days(stage_id, None)) for stage_id in thresholds.stage_ids}
    if not across:
        return Q(pk__in=[])
    return Q(stage_status=StageStatus.IN_PROGRESS, current_stage_started_at__lt=StuckCutoff(across=across, own=own))


def is_stuck(*, stage_status: str, started_at: dt.datetime | None, threshold: StuckThreshold | None,
             now: dt.datetime) -> bool:
    return bool(
        stage_status == StageStatus.IN_PROGRESS and started_at and threshold
        and (now - started_at).total_seconds() > threshold.days * 86400
    )


def line_item_is_stuck(item, *, thresholds: StuckThresholds, now: dt.datetime) -> bool:
    """`item.order` is read for its manufacturer (load it with the item)."""
    return is_stuck(stage_status=item.stage_status, started_at=item.current_stage_started_at,
                    threshold=thresholds.threshold(item.current_stage_id, item.order.manufacturer_id), now=now)
