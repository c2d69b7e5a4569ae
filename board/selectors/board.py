"""Reads for the board: filtered line items, the stage and manufacturer boards, card slices, CSV rows."""
from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from board.models import SavedView
from production.colours import NEUTRAL, safe_colour, text_colour_for
from production.models import (
    LineItem,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)
from production.models.orders import DeliveryStatus, OrderStatus, StageStatus
from production.sync.models import SyncRun

FIRST_SLICE = 15  # cards in a column when there are no swimlanes
LANE_SLICE = 3  # cards in one swimlane cell
MORE_SLICE = 15  # cards per "show more"
LANES_PER_PAGE = 5
ORDER_SLICE = 6  # order cards in a manufacturer column
STUCK_SAMPLE = 200  # the last N completed periods of a stage make its p90
STUCK_MIN_SAMPLES = 5
STUCK_DEFAULT_DAYS = 14.0
P90_CACHE_SECONDS = 3600
SNAPSHOT_CACHE_SECONDS = 300
DENSE_SCAN_ROWS = 400  # a cell whose index walk would read more rows is fetched by a ranked query

GROUPS = (("stage", "Stages"), ("manufacturer", "Manufacturers"))
SWIMLANES = (("manufacturer", "Manufacturer"), ("season", "Season"), ("none", "None"))
STAGE_STATUSES = (
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("pending", "Pending"),
    ("completed", "Completed"),
    ("no_stages", "No stages"),
)
ORDER_STATUS_OPEN = ""  # the default: open orders (not complete, cancelled or all received)
ORDER_STATUS_ANY = "any"
_ACTIVE = (StageStatus.IN_PROGRESS, StageStatus.COMPLETED)

# Column keys: "not_started", "stage-<id>", "unplaced" (has stages but Uphance names no current
# one), "none" (no stages at all).
NOT_STARTED, UNPLACED, NO_STAGES = "not_started", "unplaced", "none"
SPECIAL_COLUMNS = {NOT_STARTED: "Not started", UNPLACED: "No current stage", NO_STAGES: "No stages"}


# --- filters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFilters:
    """What the board shows; built from the validated query string (see board.forms)."""

    group: str = "stage"
    swimlane: str = "manufacturer"
    q: str = ""
    seasons: tuple[int, ...] = ()
    warehouses: tuple[int, ...] = ()
    stages: tuple[int, ...] = ()
    manufacturers: tuple[int, ...] = ()
    stage_status: str = ""
    delivery_status: str = ""
    order_status: str = ORDER_STATUS_OPEN
    late: bool = False
    stuck: bool = False
    waiting: bool = False  # customers wait on it (sales orders linked by SKU)
    at_risk: bool = False  # a customer order waiting on it is at risk

    def params(self) -> list[tuple[str, str]]:
        """The canonical query parameters: group and swimlane always, the rest when set."""
        out = [("group", self.group), ("swimlane", self.swimlane)]
        out += [("q", self.q)] if self.q else []
        for name, values in (
            ("season", self.seasons), ("warehouse", self.warehouses), ("stage", self.stages),
            ("manufacturer", self.manufacturers),
        ):
            out += [(name, str(v)) for v in values]
        for name, value in (
            ("stage_status", self.stage_status), ("delivery_status", self.delivery_status),
            ("status", self.order_status),
        ):
            out += [(name, value)] if value else []
        out += [("late", "1")] if self.late else []
        out += [("stuck", "1")] if self.stuck else []
        out += [("waiting", "1")] if self.waiting else []
        out += [("at_risk", "1")] if self.at_risk else []
        return out

    def query_string(self, **extra) -> str:
        params = self.params() + [(k, str(v)) for k, v in extra.items() if v is not None]
        return urlencode(params)

    @property
    def is_filtered(self) -> bool:
        return self.params()[2:] != []


@dataclass
class BoardOptions:
    """The organisation's stages, seasons, manufacturers and warehouses (filter choices, labels)."""

    stages: list[Stage]
    seasons: list[Season]
    manufacturers: list[Manufacturer]
    warehouses: list[Warehouse]

    @property
    def stage_by_id(self) -> dict[int, Stage]:
        return {s.id: s for s in self.stages}

    @property
    def season_names(self) -> dict[int, str]:
        return {s.id: str(s) for s in self.seasons}

    @property
    def manufacturer_names(self) -> dict[int, str]:
        return {m.id: m.name for m in self.manufacturers}


def board_options(*, organisation) -> BoardOptions:
    return BoardOptions(
        stages=list(Stage.objects.filter(organisation=organisation).order_by("position", "name")),
        seasons=list(Season.objects.filter(organisation=organisation).only("id", "uphance_id", "name")),
        manufacturers=list(Manufacturer.objects.filter(organisation=organisation).only("id", "name").order_by("name")),
        warehouses=list(Warehouse.objects.filter(organisation=organisation).only("id", "name").order_by("name")),
    )


def organisation_zone(organisation) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organisation.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def organisation_today(*, organisation, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(organisation_zone(organisation)).date()


# --- stuck thresholds --------------------------------------------------------------------------

@dataclass(frozen=True)
class StuckThreshold:
    days: float
    source: str  # "manager", "p90" or "default"
    p90_days: float | None
    samples: int

    @property
    def label(self) -> str:
        return {"manager": "set by a manager", "p90": "p90 of past durations"}.get(self.source, "default")


def board_version(*, organisation) -> int:
    """Id of the organisation's most recent finished sync run that changed data (0 before the first).

    Runs that found nothing new (most polls) leave the version, and so the cached board, as it is.
    """
    run_id = (
        SyncRun.objects.filter(organisation=organisation, finished_at__isnull=False)
        .filter(Q(created__gt=0) | Q(updated__gt=0) | Q(removed__gt=0))
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    return run_id or 0


def _p90(durations: list[float]) -> float | None:
    if len(durations) < STUCK_MIN_SAMPLES:
        return None
    durations = sorted(durations)
    return durations[min(len(durations) - 1, round(0.9 * (len(durations) - 1)))]


def stage_p90s(*, organisation, stages: list[Stage], version: int) -> dict[int, tuple[float | None, int]]:
    """{stage id: (p90 days or None, samples)} of the last completed periods of every stage.

    Cached per organisation and sync run: a new finished sync changes `version` and so the key.
    """
    key = f"seamline:board:p90:{organisation.pk}:{version}:{','.join(str(s.id) for s in stages)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    # The stage's most recently recorded periods (newest ids: walking the primary key backwards is
    # cheap; sorting every period of the stage by end time is not), finished ones kept in Python.
    parts = [
        StagePeriod.objects.filter(organisation=organisation, stage_id=stage.id)
        .order_by("-id").values_list("id")[: STUCK_SAMPLE * 2]
        for stage in stages
    ]
    ids = union_ids(parts)
    durations: dict[int, list[float]] = defaultdict(list)
    if ids:
        rows = StagePeriod.objects.filter(id__in=ids, is_current=False, start_time__isnull=False, end_time__isnull=False)
        for stage_id, start, end in rows.order_by("-id").values_list("stage_id", "start_time", "end_time"):
            if end >= start and len(durations[stage_id]) < STUCK_SAMPLE:
                durations[stage_id].append((end - start).total_seconds() / 86400)
    result = {s.id: (_p90(durations[s.id]), len(durations[s.id])) for s in stages}
    cache.set(key, result, P90_CACHE_SECONDS)
    return result


def stuck_thresholds(*, organisation, stages: list[Stage], version: int | None = None) -> dict[int, StuckThreshold]:
    """After how many days a card is stuck in each stage: the manager's setting, else the p90 of
    the stage's last completed periods, else a default (too little history to know)."""
    if version is None:
        version = board_version(organisation=organisation)
    p90s = stage_p90s(organisation=organisation, stages=stages, version=version)
    out = {}
    for stage in stages:
        p90, samples = p90s.get(stage.id, (None, 0))
        if stage.stuck_after_days is not None:
            out[stage.id] = StuckThreshold(float(stage.stuck_after_days), "manager", p90, samples)
        elif p90 is not None:
            out[stage.id] = StuckThreshold(max(1.0, p90), "p90", p90, samples)
        else:
            out[stage.id] = StuckThreshold(STUCK_DEFAULT_DAYS, "default", None, samples)
    return out


# --- the filtered line items -------------------------------------------------------------------

def late_q(*, today: dt.date, prefix: str = "order__") -> Q:
    """Orders that should be in the warehouse by now (in-warehouse date, else due date) and are not."""
    p = prefix
    return (
        ~Q(**{f"{p}delivery_status": DeliveryStatus.ALL_RECEIVED})
        & ~Q(**{f"{p}status": OrderStatus.CANCELLED})
        & (Q(**{f"{p}in_warehouse_date__lt": today}) | Q(**{f"{p}in_warehouse_date__isnull": True, f"{p}due_date__lt": today}))
    )


def stuck_q(*, thresholds: dict[int, StuckThreshold], now: dt.datetime) -> Q:
    q = Q(pk__in=[])
    for stage_id, threshold in thresholds.items():
        q |= Q(current_stage_id=stage_id, current_stage_started_at__lt=now - dt.timedelta(days=threshold.days))
    return Q(stage_status=StageStatus.IN_PROGRESS) & q


def order_filters_q(*, filters: BoardFilters, today: dt.date, prefix: str = "order__") -> Q:
    """The filters that concern the production order (so a board of orders can use them too)."""
    p = prefix
    q = Q(**{f"{p}removed_at__isnull": True})
    if filters.seasons:
        q &= Q(**{f"{p}season_id__in": filters.seasons})
    if filters.manufacturers:
        q &= Q(**{f"{p}manufacturer_id__in": filters.manufacturers})
    if filters.delivery_status:
        q &= Q(**{f"{p}delivery_status": filters.delivery_status})
    if filters.order_status == ORDER_STATUS_OPEN:
        if not filters.delivery_status:
            q &= ~Q(**{f"{p}status__in": [OrderStatus.COMPLETE, OrderStatus.CANCELLED]}) & ~Q(
                **{f"{p}delivery_status": DeliveryStatus.ALL_RECEIVED}
            )
    elif filters.order_status != ORDER_STATUS_ANY:
        q &= Q(**{f"{p}status": filters.order_status})
    if filters.late:
        q &= late_q(today=today, prefix=p)
    return q


def item_filters_q(
    *, organisation, filters: BoardFilters, now: dt.datetime, thresholds: dict[int, StuckThreshold] | None = None
) -> Q:
    """The filters that concern the line item itself (free text also matches its order)."""
    q = Q()
    if filters.warehouses:
        q &= Q(warehouse_id__in=filters.warehouses)
    if filters.stages:
        q &= Q(current_stage_id__in=filters.stages)
    if filters.stage_status == "pending":
        q &= Q(stage_status__in=[StageStatus.NOT_STARTED, StageStatus.IN_PROGRESS])
    elif filters.stage_status:
        q &= Q(stage_status=filters.stage_status)
    if filters.stuck:
        if thresholds is None:
            stages = list(Stage.objects.filter(organisation=organisation))
            thresholds = stuck_thresholds(organisation=organisation, stages=stages)
        q &= stuck_q(thresholds=thresholds, now=now)
    if filters.q:
        q &= _text_q(organisation=organisation, text=filters.q)
    if filters.waiting or filters.at_risk:
        # Customer demand lives in the customers app (it builds on production, not the reverse).
        from customers.selectors import (
            line_items_with_customers_at_risk,
            line_items_with_waiting_customers,
        )

        if filters.waiting:
            q &= Q(id__in=line_items_with_waiting_customers(organisation=organisation))
        if filters.at_risk:
            q &= Q(id__in=line_items_with_customers_at_risk(organisation=organisation))
    return q


def line_items_filtered(
    *, organisation, filters, now: dt.datetime | None = None, thresholds: dict[int, StuckThreshold] | None = None
) -> QuerySet[LineItem]:
    """The organisation's present line items that the board's filters select.

    `filters` is a BoardFilters, or a query string / QueryDict as the board's URL carries it
    (invalid values are dropped).
    """
    if not isinstance(filters, BoardFilters):
        filters = board_filters_from_query(organisation=organisation, query=filters)
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    return LineItem.objects.filter(organisation=organisation, removed_at__isnull=True).filter(
        order_filters_q(filters=filters, today=today),
        item_filters_q(organisation=organisation, filters=filters, now=now, thresholds=thresholds),
    )


def _text_q(*, organisation, text: str) -> Q:
    makers = Manufacturer.objects.filter(organisation=organisation, name__icontains=text).values("id")
    q = (
        Q(product_name__icontains=text)
        | Q(product_identifier__icontains=text)
        | Q(colour__icontains=text)
        | Q(order__number__icontains=text)
        | Q(order__manufacturer_id__in=makers)
    )
    if text.isdigit():
        q |= Q(uphance_id=int(text)) | Q(order__uphance_id=int(text))
    return q


def board_filters_from_query(*, organisation, query) -> BoardFilters:
    from django.http import QueryDict

    from board.forms import BoardFilterForm  # the form owns validation of the query string

    if isinstance(query, str):
        query = QueryDict(query.lstrip("?"))
    form = BoardFilterForm(query, options=board_options(organisation=organisation))
    form.is_valid()
    return form.filters()


# --- cards -------------------------------------------------------------------------------------

# Common colour words in product colour names -> a swatch. Values are ours (validated anyway).
_COLOUR_WORDS = {
    "black": "#111111", "white": "#ffffff", "ivory": "#fffff0", "cream": "#f5f0dc", "ecru": "#e8e0c8",
    "beige": "#e3d5b8", "sand": "#d8c8a8", "stone": "#c2b8a3", "camel": "#c19a6b", "tan": "#d2b48c",
    "khaki": "#b9a97a", "brown": "#7b4a2d", "chocolate": "#5a3825", "grey": "#9ca3af", "gray": "#9ca3af",
    "charcoal": "#36454f", "silver": "#c0c0c0", "navy": "#1f2a44", "blue": "#2563eb", "denim": "#3b5b8c",
    "indigo": "#3f3d99", "sky": "#87ceeb", "teal": "#0f766e", "green": "#15803d", "olive": "#6b7235",
    "mint": "#a7f3d0", "sage": "#a3b18a", "khaki-green": "#6b6b3a", "yellow": "#facc15", "mustard": "#d4a017",
    "gold": "#d4af37", "orange": "#f97316", "rust": "#b7410e", "red": "#dc2626", "burgundy": "#7f1d1d",
    "maroon": "#800000", "wine": "#722f37", "pink": "#f9a8d4", "rose": "#e8a3b0", "blush": "#f4c2c2",
    "coral": "#ff7f50", "purple": "#7e22ce", "lilac": "#c8a2c8", "lavender": "#d8c8f0", "plum": "#6e2a5e",
}


def colour_swatch(name: str) -> str:
    """A hex colour for a product colour name ("Navy Blue" -> navy), or "" when we cannot tell."""
    direct = safe_colour(name)
    if direct:
        return direct
    for word in (name or "").lower().replace("/", " ").replace("-", " ").split():
        if word in _COLOUR_WORDS:
            return safe_colour(_COLOUR_WORDS[word])
    return ""


def safe_image_url(url) -> str:
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 1000:
        return url
    return ""


@dataclass
class Card:
    """A line item as the board shows it."""

    id: int
    uphance_id: int
    product_name: str
    product_identifier: str
    colour_name: str
    swatch: str
    image_url: str
    order_uphance_id: int
    po_number: str
    manufacturer: str
    season: str
    units: int
    stage: Stage | None
    stage_status: str
    started_at: dt.datetime | None
    days_in_stage: int | None
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    stuck: bool
    stuck_after_days: float | None
    column_key: str
    manufacturer_id: int | None
    season_id: int | None
    waiting_units: int = 0  # customer units (open sales orders) waiting on this line item

    @property
    def stage_done(self) -> bool:
        return self.stage_status == StageStatus.COMPLETED

    # Labels formatted here with strftime: the template `date` filter costs more than the card.
    @property
    def started_label(self) -> str:
        return self.started_at.strftime("%-d %b %Y") if self.started_at else ""

    @property
    def expected_label(self) -> str:
        return self.expected_date.strftime("%-d %b %Y") if self.expected_date else ""

    @property
    def stage_name(self) -> str:
        return self.stage.name if self.stage else ""


CARD_FIELDS = (
    "id", "uphance_id", "product_name", "product_identifier", "colour", "units", "cover_image",
    "variation_images", "current_stage_id", "stage_status", "current_stage_started_at", "order_id",
    "order__uphance_id", "order__number", "order__manufacturer_id", "order__season_id", "order__due_date",
    "order__in_warehouse_date", "order__delivery_status", "order__status",
)


def column_key_of(current_stage_id: int | None, stage_status: str) -> str:
    if stage_status == StageStatus.NO_STAGES:
        return NO_STAGES
    if stage_status == StageStatus.NOT_STARTED:
        return NOT_STARTED
    if current_stage_id is None:
        return UNPLACED
    return f"stage-{current_stage_id}"


def _stage_like(key: str) -> bool:
    return key.startswith("stage-") or key == UNPLACED


def column_parts(key: str) -> list[Q]:
    """A column as conditions that each read ONE range of an index, in the column's card order:
    a stage's cards in progress (longest in the stage first), then those whose stage is done."""
    if key == NO_STAGES:
        return [Q(stage_status=StageStatus.NO_STAGES)]
    if key == NOT_STARTED:
        return [Q(stage_status=StageStatus.NOT_STARTED)]
    stage_q = Q(current_stage__isnull=True) if key == UNPLACED else Q(current_stage_id=int(key.removeprefix("stage-")))
    return [stage_q & Q(stage_status=StageStatus.IN_PROGRESS), stage_q & Q(stage_status=StageStatus.COMPLETED)]


def _part_ordering(key: str) -> list[str]:
    # Plain ascending columns so the database walks the board index instead of sorting.
    return ["current_stage_started_at", "id"] if _stage_like(key) else ["id"]


def _card_sort_key(key: str):
    """The same order as the SQL, NULL start times where the database puts them."""
    nulls_largest = connection.features.nulls_order_largest
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    rank = {StageStatus.IN_PROGRESS: 0, StageStatus.COMPLETED: 1}
    if _stage_like(key):
        return lambda c: (
            rank.get(c.stage_status, 2),
            (c.started_at is None) if nulls_largest else (c.started_at is not None),
            c.started_at or epoch,
            c.id,
        )
    return lambda c: c.id


class _Context:
    """What every card needs to judge itself: now, today, stages, thresholds, names."""

    def __init__(self, *, organisation, options: BoardOptions, thresholds, now):
        self.organisation = organisation
        self.now = now
        self.today = organisation_today(organisation=organisation, now=now)
        self.stage_by_id = options.stage_by_id
        self.manufacturer_names = options.manufacturer_names
        self.season_names = options.season_names
        self.thresholds = thresholds


def _card(item: LineItem, ctx: _Context) -> Card:
    order = item.order
    stage = ctx.stage_by_id.get(item.current_stage_id)
    started = item.current_stage_started_at
    active = item.stage_status in _ACTIVE
    days = (ctx.now - started).days if started and active else None
    threshold = ctx.thresholds.get(item.current_stage_id)
    stuck = bool(
        item.stage_status == StageStatus.IN_PROGRESS and started and threshold
        and (ctx.now - started).total_seconds() > threshold.days * 86400
    )
    late = order.is_late(ctx.today)
    expected = order.expected_date
    variation_images = item.variation_images if isinstance(item.variation_images, list) else []
    image = safe_image_url(item.cover_image) or next((u for u in variation_images[:3] if safe_image_url(u)), "")
    return Card(
        id=item.id,
        uphance_id=item.uphance_id,
        product_name=item.product_name or f"Line item {item.uphance_id}",
        product_identifier=item.product_identifier,
        colour_name=item.colour,
        swatch=colour_swatch(item.colour),
        image_url=image,
        order_uphance_id=order.uphance_id,
        po_number=order.number,
        manufacturer=ctx.manufacturer_names.get(order.manufacturer_id, ""),
        season=ctx.season_names.get(order.season_id, ""),
        units=item.units,
        stage=stage,
        stage_status=item.stage_status,
        started_at=started,
        days_in_stage=days,
        expected_date=expected,
        late=late,
        days_late=(ctx.today - expected).days if late else 0,
        stuck=stuck,
        stuck_after_days=round(threshold.days, 1) if threshold else None,
        column_key=column_key_of(item.current_stage_id, item.stage_status),
        manufacturer_id=order.manufacturer_id,
        season_id=order.season_id,
    )


def union_ids(querysets: list[QuerySet]) -> list[int]:
    """Run several sliced `values_list("id")` querysets as ONE `UNION ALL` statement.

    Django cannot slice the parts of a union on SQLite, so the parts are compiled here and wrapped
    as sub-selects, which both SQLite and PostgreSQL accept.
    """
    if not querysets:
        return []
    db = querysets[0].db
    parts, params = [], []
    for i, qs in enumerate(querysets):
        sql, part_params = qs.query.get_compiler(using=db).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS part{i}")
        params.extend(part_params)
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


def _cards_by_ids(ids: list[int], ctx: _Context) -> list[Card]:
    if not ids:
        return []
    from customers.selectors import waiting_units_by_line_item

    items = LineItem.objects.filter(id__in=ids).select_related("order").only(*CARD_FIELDS)
    cards = [_card(item, ctx) for item in items]
    waiting = waiting_units_by_line_item(organisation=ctx.organisation, line_item_ids=[c.id for c in cards])
    for card in cards:
        card.waiting_units = waiting.get(card.id, 0)
    return cards


# --- the stage board ---------------------------------------------------------------------------

@dataclass
class Column:
    key: str
    label: str
    colour: str
    text_colour: str
    count: int = 0
    units: int = 0
    stage: Stage | None = None
    muted: bool = False


@dataclass
class Cell:
    column: Column
    lane_key: str
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass
class Lane:
    key: str
    label: str
    count: int
    units: int
    cells: list[Cell] = field(default_factory=list)
    value: int | None = None


@dataclass
class StageBoard:
    columns: list[Column]
    lanes: list[Lane]
    lanes_total: int
    lane_offset: int
    next_lane_offset: int | None
    count: int
    units: int
    thresholds: dict[int, StuckThreshold]

    @property
    def lanes_remaining(self) -> int:
        return max(0, self.lanes_total - (self.next_lane_offset or self.lanes_total))


def _lane_field(swimlane: str) -> str | None:
    return {"manufacturer": "order__manufacturer_id", "season": "order__season_id"}.get(swimlane)


def lane_key_of(swimlane: str, value) -> str:
    if swimlane == "none":
        return "all"
    return f"{swimlane[0]}-{value if value is not None else 'none'}"


def lane_q(swimlane: str, key: str) -> Q:
    """The condition of one lane key ("m-12", "s-none", "all")."""
    field_name = _lane_field(swimlane)
    if field_name is None or key == "all":
        return Q()
    value = key.split("-", 1)[1]
    return Q(**{f"{field_name}__isnull": True}) if value == "none" else Q(**{field_name: int(value)})


def _snapshot_key(kind: str, *, organisation, version: int, today: dt.date, filters: BoardFilters,
                  thresholds: dict | None, extra: str = "") -> str:
    signature = [kind, str(organisation.pk), str(version), str(today), filters.query_string(), extra]
    if filters.stuck and thresholds:
        signature.append(",".join(f"{k}:{v.days}" for k, v in sorted(thresholds.items())))
    return "seamline:board:" + hashlib.sha1("|".join(signature).encode()).hexdigest()


def _cached(key: str, compute):
    """What the board reads only changes when a sync writes: keep it per organisation, finished sync
    run, filters and day. The timeout bounds what the stuck filter (which moves with time) misses."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, SNAPSHOT_CACHE_SECONDS)
    return value


def _cell_counts(*, organisation, items: QuerySet, filters: BoardFilters, lane_field: str | None, version: int,
                 today: dt.date, thresholds: dict | None) -> dict:
    """{(lane value, current stage id, stage status): (cards, units)}: ONE grouped aggregate query."""

    def compute():
        group = ["current_stage_id", "stage_status"] + ([lane_field] if lane_field else [])
        counts = {}
        for row in items.order_by().values(*group).annotate(n=Count("id"), u=Sum("units")):
            lane = row[lane_field] if lane_field else None
            counts[(lane, row["current_stage_id"], row["stage_status"])] = (row["n"], row["u"] or 0)
        return counts

    key = _snapshot_key("counts", organisation=organisation, version=version, today=today, filters=filters,
                        thresholds=thresholds, extra=str(lane_field))
    return _cached(key, compute)


def board_columns(
    *, organisation, filters: BoardFilters, options: BoardOptions, items: QuerySet | None = None,
    lane_field: str | None = None, version: int | None = None, now: dt.datetime | None = None,
    thresholds: dict | None = None,
) -> tuple[list[Column], dict]:
    """The board's columns in stage order with their card counts and units (one aggregate).

    Also returns {(lane value, column key): {stage status: cards}} and {(lane, column key): units}.
    """
    now = now or timezone.now()
    if items is None:
        items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    if version is None:
        version = board_version(organisation=organisation)
    counts = _cell_counts(
        organisation=organisation, items=items, filters=filters, lane_field=lane_field, version=version,
        today=organisation_today(organisation=organisation, now=now), thresholds=thresholds,
    )
    per_cell: dict = defaultdict(dict)
    totals: dict = defaultdict(lambda: [0, 0])
    for (lane, stage_id, status), (n, u) in counts.items():
        key = column_key_of(stage_id, status)
        per_cell[(lane, key)][status] = per_cell[(lane, key)].get(status, 0) + n
        per_cell[(lane, key)]["units"] = per_cell[(lane, key)].get("units", 0) + u
        totals[key][0] += n
        totals[key][1] += u
    light = "#e5e7eb"
    columns = [Column(NOT_STARTED, "Not started", light, text_colour_for(light))]
    for stage in options.stages:
        colour = stage.safe_colour
        columns.append(Column(f"stage-{stage.id}", stage.name, colour, text_colour_for(colour), stage=stage))
    if totals.get(UNPLACED):
        columns.append(Column(UNPLACED, "No current stage", light, text_colour_for(light)))
    columns.append(Column(NO_STAGES, "No stages", "#f3f4f6", text_colour_for("#f3f4f6"), muted=True))
    for column in columns:
        column.count, column.units = totals.get(column.key, (0, 0))
    return columns, per_cell


def _cell_parts(items: QuerySet, *, key: str, lane_condition: Q, statuses: dict, offset: int, limit: int) -> list:
    """Sliced id querysets that together give cards [offset, offset + limit) of one cell."""
    parts = []
    for condition in column_parts(key):
        status = condition.children[-1][1]
        available = statuses.get(status, 0)
        if offset >= available:
            offset -= available
            continue
        take = min(limit, available - offset)
        parts.append(
            items.filter(condition, lane_condition).order_by(*_part_ordering(key)).values_list("id")[offset : offset + take]
        )
        limit -= take
        offset = 0
        if limit <= 0:
            break
    return parts


def _range_sizes(*, organisation, version: int) -> dict:
    """{(current stage id, stage status): line items} of the whole organisation: how long each range
    of the board index is, whatever the filters (cached per sync)."""

    def compute():
        rows = (
            LineItem.objects.filter(organisation=organisation, removed_at__isnull=True)
            .order_by().values_list("current_stage_id", "stage_status").annotate(n=Count("id"))
        )
        return {(stage_id, status): n for stage_id, status, n in rows}

    key = f"seamline:board:ranges:{organisation.pk}:{version}"
    return _cached(key, compute)


def _scan_estimate(key: str, statuses: dict, ranges: dict, limit: int) -> float:
    """Rows an index walk of one cell reads before it has `limit` cards (or knows there are none)."""
    rows, need = 0.0, limit
    for condition in column_parts(key):
        status = condition.children[-1][1]
        found = statuses.get(status, 0)
        if not found or need <= 0:
            continue
        if key.startswith("stage-"):
            length = ranges.get((int(key.removeprefix("stage-")), status), 0)
        elif key == UNPLACED:
            length = ranges.get((None, status), 0)
        else:  # one status over every stage
            length = sum(n for (_stage, st), n in ranges.items() if st == status)
        take = min(need, found)
        rows += length if found <= need else take * length / found
        need -= take
    return rows


def _ranked_part(items: QuerySet, *, conditions: list[Q], lane_field: str | None, limit: int) -> QuerySet:
    """The first `limit` cards of each (lane, stage, status) among `conditions`, by a row number: for
    cells so sparse that walking the index in card order would read thousands of rows."""
    condition = Q(pk__in=[])
    for each in conditions:
        condition |= each
    partition = ([F(lane_field)] if lane_field else []) + [F("current_stage_id"), F("stage_status")]
    return (
        items.filter(condition)
        .annotate(board_rank=Window(RowNumber(), partition_by=partition,
                                    order_by=[F("current_stage_started_at").asc(), F("id").asc()]))
        .filter(board_rank__lte=limit)
        .values_list("id")
    )


def _column_q(key: str) -> Q:
    condition = Q(pk__in=[])
    for part in column_parts(key):
        condition |= part
    return condition


def stage_board(
    *, organisation, filters: BoardFilters, options: BoardOptions, now: dt.datetime | None = None,
    version: int | None = None, lane_offset: int = 0,
) -> StageBoard:
    """Columns (one aggregate), then the first cards of every visible cell (two queries)."""
    now = now or timezone.now()
    if version is None:
        version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    with_lanes = filters.swimlane != "none"
    columns, per_cell = board_columns(
        organisation=organisation, filters=filters, options=options, items=items,
        lane_field=_lane_field(filters.swimlane), version=version, now=now, thresholds=thresholds,
    )

    # Lanes: every lane value with cards, by name ("none" last).
    lane_totals: dict = defaultdict(lambda: [0, 0])
    for (lane, _key), statuses in per_cell.items():
        lane_totals[lane][0] += sum(n for status, n in statuses.items() if status != "units")
        lane_totals[lane][1] += statuses.get("units", 0)
    names = options.manufacturer_names if filters.swimlane == "manufacturer" else options.season_names
    none_label = {"manufacturer": "No manufacturer", "season": "No season"}.get(filters.swimlane, "All")
    lane_values = sorted(lane_totals, key=lambda v: (v is None, (names.get(v) or "").lower(), v or 0))
    if not with_lanes:
        lane_values = [None]
    lanes_total = len(lane_values)
    visible = lane_values[lane_offset : lane_offset + LANES_PER_PAGE] if with_lanes else lane_values
    limit = LANE_SLICE if with_lanes else FIRST_SLICE

    lanes = []
    for value in visible:
        key = lane_key_of(filters.swimlane, value)
        label = none_label if value is None else names.get(value, f"#{value}")
        totals = lane_totals.get(value, [0, 0])
        lane = Lane(key=key, label=label, count=totals[0], units=totals[1], value=value)
        for column in columns:
            statuses = per_cell.get((value, column.key), {})
            count = sum(n for status, n in statuses.items() if status != "units")
            lane.cells.append(Cell(column=column, lane_key=key, count=count))
        lanes.append(lane)

    def visible_ids() -> list[int]:
        # Dense cells: walk the board index in card order, a few rows each. Sparse cells (a small
        # manufacturer, a narrow search): one ranked query over just their rows. One statement.
        ranges = _range_sizes(organisation=organisation, version=version)
        parts, sparse = [], []
        for lane in lanes:
            condition = lane_q(filters.swimlane, lane.key)
            for cell in lane.cells:
                if not cell.count:
                    continue
                statuses = per_cell[(lane.value, cell.column.key)]
                if _scan_estimate(cell.column.key, statuses, ranges, limit) <= DENSE_SCAN_ROWS:
                    parts += _cell_parts(items, key=cell.column.key, lane_condition=condition, statuses=statuses,
                                         offset=0, limit=limit)
                else:
                    sparse.append(condition & _column_q(cell.column.key))
        if sparse:
            parts.append(_ranked_part(items, conditions=sparse, lane_field=_lane_field(filters.swimlane), limit=limit))
        return union_ids(parts)

    ctx = _Context(organisation=organisation, options=options, thresholds=thresholds, now=now)
    ids_key = _snapshot_key("cells", organisation=organisation, version=version, today=ctx.today, filters=filters,
                            thresholds=thresholds, extra=str(lane_offset))
    cards = _cards_by_ids(_cached(ids_key, visible_ids), ctx)
    field_name = {"manufacturer": "manufacturer_id", "season": "season_id"}.get(filters.swimlane)
    by_cell = defaultdict(list)
    for card in cards:
        lane_value = getattr(card, field_name) if field_name else None
        by_cell[(lane_key_of(filters.swimlane, lane_value), card.column_key)].append(card)
    for lane in lanes:
        for cell in lane.cells:
            cards_here = sorted(by_cell.get((lane.key, cell.column.key), []), key=_card_sort_key(cell.column.key))
            cell.cards = cards_here[:limit]

    next_offset = lane_offset + LANES_PER_PAGE
    return StageBoard(
        columns=columns,
        lanes=lanes,
        lanes_total=lanes_total,
        lane_offset=lane_offset,
        next_lane_offset=next_offset if with_lanes and next_offset < lanes_total else None,
        count=sum(c.count for c in columns),
        units=sum(c.units for c in columns),
        thresholds=thresholds,
    )


@dataclass
class CardSlice:
    column: Column
    lane_key: str
    lane_label: str
    cards: list
    offset: int
    next_offset: int | None
    count: int


def board_cell_cards(
    *, organisation, filters: BoardFilters, options: BoardOptions, column_key: str, lane_key: str,
    offset: int, limit: int = MORE_SLICE, now: dt.datetime | None = None,
) -> CardSlice | None:
    """The next cards of one column (or one swimlane cell of it): "show more". None if unknown."""
    now = now or timezone.now()
    if filters.group == "manufacturer":
        return manufacturer_column_orders(
            organisation=organisation, filters=filters, options=options, column_key=column_key,
            offset=offset, limit=limit, now=now,
        )
    columns = {f"stage-{s.id}": s for s in options.stages}
    if column_key not in columns and column_key not in (NOT_STARTED, UNPLACED, NO_STAGES):
        return None
    try:
        lane_condition = lane_q(filters.swimlane, lane_key)
    except (ValueError, IndexError):
        return None
    version = board_version(organisation=organisation)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages, version=version)
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    _columns, per_cell = board_columns(
        organisation=organisation, filters=filters, options=options, items=items,
        lane_field=_lane_field(filters.swimlane), version=version, now=now, thresholds=thresholds,
    )
    lane_value = None
    if lane_key != "all" and filters.swimlane != "none":
        raw = lane_key.split("-", 1)[1]
        lane_value = None if raw == "none" else int(raw)
    statuses = per_cell.get((lane_value, column_key), {})
    count = sum(n for status, n in statuses.items() if status != "units")
    parts = _cell_parts(items, key=column_key, lane_condition=lane_condition, statuses=statuses, offset=offset,
                        limit=limit)
    ctx = _Context(organisation=organisation, options=options, thresholds=thresholds, now=now)
    cards = sorted(_cards_by_ids(union_ids(parts), ctx), key=_card_sort_key(column_key))
    has_more = offset + len(cards) < count
    stage = columns.get(column_key)
    label = stage.name if stage else SPECIAL_COLUMNS[column_key]
    colour = stage.safe_colour if stage else "#e5e7eb"
    column = Column(column_key, label, colour, text_colour_for(colour), stage=stage)
    return CardSlice(
        column=column, lane_key=lane_key, lane_label=_lane_label(filters.swimlane, lane_key, options),
        cards=cards, offset=offset, next_offset=offset + len(cards) if has_more else None, count=len(cards),
    )


def _lane_label(swimlane: str, key: str, options: BoardOptions) -> str:
    if swimlane == "none" or key == "all":
        return ""
    value = key.split("-", 1)[1]
    if swimlane == "manufacturer":
        return "No manufacturer" if value == "none" else options.manufacturer_names.get(int(value), "")
    return "No season" if value == "none" else options.season_names.get(int(value), "")


# --- the manufacturer board --------------------------------------------------------------------

@dataclass
class Segment:
    label: str
    colour: str
    units: int
    items: int
    percent: float


@dataclass
class OrderCard:
    id: int
    uphance_id: int
    number: str
    season: str
    manufacturer: str
    expected_date: dt.date | None
    late: bool | None
    days_late: int
    items: int
    units: int
    segments: list[Segment]
    least_advanced: str
    least_advanced_colour: str
    status: str
    delivery_status: str

    @property
    def expected_label(self) -> str:
        return self.expected_date.strftime("%-d %b %Y") if self.expected_date else ""


@dataclass
class ManufacturerColumn:
    key: str
    label: str
    orders: int
    items: int
    units: int
    cards: list[OrderCard] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.orders - len(self.cards)


@dataclass
class ManufacturerBoard:
    columns: list[ManufacturerColumn]
    orders: int
    count: int
    units: int
    stages: list[Stage]


def _expected_date():
    return Coalesce("in_warehouse_date", "due_date")


def _orders_matching(*, organisation, filters: BoardFilters, now: dt.datetime, today: dt.date,
                     thresholds: dict | None) -> QuerySet[ProductionOrder]:
    """Orders the filters select: theirs, with at least one present line item the filters select."""
    lines = LineItem.objects.filter(order_id=OuterRef("pk"), removed_at__isnull=True).filter(
        item_filters_q(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    )
    return ProductionOrder.objects.filter(organisation=organisation).filter(
        order_filters_q(filters=filters, today=today, prefix=""), Exists(lines)
    )


def _manufacturer_q(key: str) -> Q:
    value = key.split("-", 1)[1]
    return Q(manufacturer__isnull=True) if value == "none" else Q(manufacturer_id=int(value))


def manufacturer_board(
    *, organisation, filters: BoardFilters, options: BoardOptions, now: dt.datetime | None = None,
) -> ManufacturerBoard:
    """A column per manufacturer, a card per production order (most urgent first)."""
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    version = board_version(organisation=organisation)
    thresholds = (
        stuck_thresholds(organisation=organisation, stages=options.stages, version=version) if filters.stuck else None
    )
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)

    def counts():
        return list(
            items.order_by().values_list("order__manufacturer_id").annotate(
                orders=Count("order_id", distinct=True), n=Count("id"), u=Sum("units")
            )
        )

    def first_orders():
        # The first orders of every manufacturer in one statement: a row number per manufacturer.
        ranked = _orders_matching(
            organisation=organisation, filters=filters, now=now, today=today, thresholds=thresholds
        ).annotate(
            rank=Window(
                RowNumber(), partition_by=[F("manufacturer_id")],
                order_by=[_expected_date().asc(nulls_last=True), F("uphance_id").asc()],
            )
        )
        return list(ranked.filter(rank__lte=ORDER_SLICE).values_list("id", flat=True))

    snapshot = {"organisation": organisation, "version": version, "today": today, "filters": filters,
                "thresholds": thresholds}
    names = options.manufacturer_names
    columns = sorted(
        (
            ManufacturerColumn(
                key=f"m-{maker_id or 'none'}", label=names.get(maker_id, "No manufacturer"),
                orders=n_orders, items=n, units=u or 0,
            )
            for maker_id, n_orders, n, u in _cached(_snapshot_key("maker-counts", **snapshot), counts)
        ),
        key=lambda c: (c.key == "m-none", c.label.lower()),
    )
    cards = _order_cards(_cached(_snapshot_key("maker-orders", **snapshot), first_orders), options=options, today=today)
    by_column = defaultdict(list)
    for card in cards:
        by_column[card._key].append(card)
    for column in columns:
        column.cards = sorted(by_column.get(column.key, []), key=_order_sort_key)
    return ManufacturerBoard(
        columns=columns, orders=sum(c.orders for c in columns), count=sum(c.items for c in columns),
        units=sum(c.units for c in columns), stages=options.stages,
    )


def _order_sort_key(card: OrderCard):
    return (card.expected_date is None, card.expected_date or dt.date.max, card.uphance_id)


def manufacturer_column_orders(
    *, organisation, filters: BoardFilters, options: BoardOptions, column_key: str, offset: int,
    limit: int = MORE_SLICE, now: dt.datetime | None = None,
) -> CardSlice | None:
    if not column_key.startswith("m-"):
        return None
    value = column_key[2:]
    if value != "none" and not value.isdigit():
        return None
    now = now or timezone.now()
    today = organisation_today(organisation=organisation, now=now)
    thresholds = stuck_thresholds(organisation=organisation, stages=options.stages) if filters.stuck else None
    orders = (
        _orders_matching(organisation=organisation, filters=filters, now=now, today=today, thresholds=thresholds)
        .filter(_manufacturer_q(column_key))
        .order_by(_expected_date().asc(nulls_last=True), "uphance_id")
    )
    ids = list(orders.values_list("id", flat=True)[offset : offset + limit + 1])
    cards = sorted(_order_cards(ids[:limit], options=options, today=today), key=_order_sort_key)
    label = "No manufacturer" if value == "none" else options.manufacturer_names.get(int(value), "")
    column = Column(column_key, label, NEUTRAL, text_colour_for(NEUTRAL))
    return CardSlice(
        column=column, lane_key="all", lane_label="", cards=cards, offset=offset,
        next_offset=offset + limit if len(ids) > limit else None, count=len(cards),
    )


def _order_cards(ids: list[int], *, options: BoardOptions, today: dt.date) -> list[OrderCard]:
    if not ids:
        return []
    orders = ProductionOrder.objects.filter(id__in=ids).only(
        "id", "uphance_id", "number", "season_id", "manufacturer_id", "due_date", "in_warehouse_date",
        "status", "status_raw", "delivery_status", "delivery_status_raw",
    )
    lines = defaultdict(list)
    for row in LineItem.objects.filter(order_id__in=ids, removed_at__isnull=True).values_list(
        "order_id", "current_stage_id", "stage_status", "units"
    ):
        lines[row[0]].append(row[1:])
    stage_by_id = options.stage_by_id
    rank = {f"stage-{s.id}": i + 1 for i, s in enumerate(options.stages)}
    rank.update({NOT_STARTED: 0, UNPLACED: len(options.stages) + 1, NO_STAGES: len(options.stages) + 2})
    cards = []
    for order in orders:
        per_key: dict = defaultdict(lambda: [0, 0])
        for stage_id, status, units in lines.get(order.id, []):
            key = column_key_of(stage_id, status)
            per_key[key][0] += 1
            per_key[key][1] += units or 0
        total_units = sum(u for _, u in per_key.values())
        total_items = sum(n for n, _ in per_key.values())
        segments = []
        for key in sorted(per_key, key=lambda k: rank.get(k, 99)):
            n, u = per_key[key]
            stage = stage_by_id.get(int(key[6:])) if key.startswith("stage-") else None
            label = stage.name if stage else SPECIAL_COLUMNS[key]
            colour = stage.safe_colour if stage else ("#d1d5db" if key == NOT_STARTED else "#f3f4f6")
            weight = (u / total_units) if total_units else (n / total_items)
            segments.append(Segment(label=label, colour=colour, units=u, items=n, percent=round(100 * weight, 2)))
        staged = [s for s in segments if s.label != "No stages"]
        least = staged[0] if staged else None
        late = order.is_late(today)
        expected = order.expected_date
        card = OrderCard(
            id=order.id, uphance_id=order.uphance_id, number=order.number,
            season=options.season_names.get(order.season_id, ""),
            manufacturer=options.manufacturer_names.get(order.manufacturer_id, ""),
            expected_date=expected, late=late, days_late=(today - expected).days if late else 0,
            items=total_items, units=total_units, segments=segments,
            least_advanced=least.label if least else "No stages",
            least_advanced_colour=least.colour if least else "#f3f4f6",
            status=order.status_raw or order.get_status_display(),
            delivery_status=order.delivery_status_raw or order.get_delivery_status_display(),
        )
        card._key = f"m-{order.manufacturer_id or 'none'}"
        cards.append(card)
    return cards


# --- export ------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "PO number", "Order id", "Manufacturer", "Season", "Order status", "Delivery status", "Due date",
    "In warehouse date", "Line item id", "Product", "Identifier", "Colour", "Warehouse", "Units",
    "Stage status", "Current stage", "Stage started at", "Days in stage", "Late", "Stuck",
]


def board_export_rows(*, organisation, filters: BoardFilters, now: dt.datetime | None = None) -> Iterator[list]:
    """Every line item of the filtered board with its stage data, a row at a time (streamed)."""
    now = now or timezone.now()
    zone = organisation_zone(organisation)
    today = now.astimezone(zone).date()
    stages = list(Stage.objects.filter(organisation=organisation))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages)
    stage_names = {s.id: s.name for s in stages}
    items = line_items_filtered(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    rows = items.order_by("order__uphance_id", "uphance_id").values_list(
        "order__number", "order__uphance_id", "order__manufacturer__name", "order__season__name",
        "order__status_raw", "order__delivery_status_raw", "order__due_date", "order__in_warehouse_date",
        "uphance_id", "product_name", "product_identifier", "colour", "warehouse__name", "units",
        "stage_status", "current_stage_id", "current_stage_started_at", "order__delivery_status", "order__status",
    )
    yield EXPORT_HEADER
    for (number, order_id, manufacturer, season, status_raw, delivery_raw, due, in_warehouse, item_id, product,
         identifier, colour, warehouse, units, stage_status, stage_id, started, delivery, status) in rows.iterator(
        chunk_size=2000
    ):
        expected = in_warehouse or due
        if delivery == DeliveryStatus.ALL_RECEIVED or status == OrderStatus.CANCELLED:
            late = "no"
        elif expected is None:
            late = "no date"
        else:
            late = "yes" if expected < today else "no"
        active = stage_status in _ACTIVE
        threshold = thresholds.get(stage_id)
        stuck = bool(
            stage_status == StageStatus.IN_PROGRESS and started and threshold
            and (now - started).total_seconds() > threshold.days * 86400
        )
        yield [
            number, order_id, manufacturer or "", season or "", status_raw, delivery_raw,
            due.isoformat() if due else "", in_warehouse.isoformat() if in_warehouse else "", item_id, product,
            identifier, colour, warehouse or "", units, stage_status, stage_names.get(stage_id, ""),
            started.astimezone(zone).isoformat(timespec="minutes") if started else "",
            (now - started).days if started and active else "", late, "yes" if stuck else "no",
        ]


# --- saved views -------------------------------------------------------------------------------

def saved_views_for(*, organisation, user) -> list[SavedView]:
    return list(SavedView.objects.filter(organisation=organisation, user=user).order_by("name"))


def board_warm(*, organisation) -> int:
    """Fill the cache for the boards people open first: the default board and every saved default view.

    Run after a sync that changed data, so the first person to open the board after it does not
    wait for the aggregate over every line item. Returns how many boards were computed.
    """
    from board.models import SavedView

    options = board_options(organisation=organisation)
    queries = {""} | set(
        SavedView.objects.filter(organisation=organisation, is_default=True).values_list("query", flat=True)
    )
    warmed = 0
    for query in queries:
        filters = board_filters_from_query(organisation=organisation, query=query)
        if filters.group == "stage":
            stage_board(organisation=organisation, filters=filters, options=options)
            warmed += 1
    return warmed
