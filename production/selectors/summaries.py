"""Reads for e-mail summaries: which are due, and what one summary says (per stage, moved, stuck, late)."""
import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from production.colours import NEUTRAL, safe_colour, text_colour_for
from production.models import (
    LineItem,
    OutboxMessage,
    ProductionOrder,
    Stage,
    StagePeriod,
    Summary,
    SummaryDelivery,
)
from production.services.schedules import (
    summary_period_before,
    summary_period_latest,
    summary_period_next,
    zone_get,
)

LIST_LIMIT = 25
DUE_SOON_DAYS = 7
STUCK_DEFAULT_DAYS = 14
STUCK_SAMPLE = 200
STUCK_MIN_SAMPLES = 5
OPEN_ORDER_STATUSES_EXCLUDED = ("complete", "cancelled")

# Filters of the board's query string this module understands when the board's own filter
# function is not available (same names as the board's URL parameters).
_MULTI_KEYS = ("season", "warehouse", "stage", "stage_status", "delivery_status", "status", "manufacturer")


# --- filters: reuse the board's when it exists -------------------------------------------------

def summary_filters(*, summary) -> QueryDict:
    """The saved view's filters as the board reads them (its URL query string), empty for the org."""
    query = summary.saved_view.query if summary.saved_view_id else ""
    return QueryDict(query.lstrip("?"))


def _board_filter():
    """The board's `line_items_filtered(organisation=, filters=)` if the board module provides it."""
    try:
        from production.selectors import board
    except ImportError:
        return None
    return getattr(board, "line_items_filtered", None)


def _values(filters, key) -> list[str]:
    if hasattr(filters, "getlist"):
        raw = filters.getlist(key)
    else:
        value = filters.get(key)
        raw = value if isinstance(value, (list, tuple)) else ([] if value in (None, "") else [value])
    out = []
    for value in raw:
        out.extend(part for part in str(value).split(",") if part.strip())
    return [v.strip() for v in out]


def _id_or_name(field: str, values: list[str]) -> Q:
    ids = [int(v) for v in values if v.isdigit()]
    names = [v for v in values if not v.isdigit()]
    q = Q(pk__in=[])
    if ids:
        q |= Q(**{f"{field}_id__in": ids})
    if names:
        q |= Q(**{f"{field}__name__in": names})
    return q


def line_items_filtered_minimal(*, organisation, filters):
    """A small compatible subset of the board's filters (ids or names; comma lists allowed)."""
    items = LineItem.objects.filter(
        organisation=organisation, removed_at__isnull=True, order__removed_at__isnull=True
    )
    for key in ("season", "manufacturer"):
        if values := _values(filters, key):
            items = items.filter(_id_or_name(f"order__{key}", values))
    if values := _values(filters, "warehouse"):
        items = items.filter(_id_or_name("warehouse", values))
    if values := _values(filters, "stage"):
        items = items.filter(_id_or_name("current_stage", values))
    if values := _values(filters, "stage_status"):
        items = items.filter(stage_status__in=values)
    if values := _values(filters, "delivery_status"):
        items = items.filter(order__delivery_status__in=values)
    if values := _values(filters, "status"):
        items = items.filter(order__status__in=values)
    if not _values(filters, "status") and not _values(filters, "delivery_status"):
        items = items.exclude(order__status__in=OPEN_ORDER_STATUSES_EXCLUDED).exclude(
            order__delivery_status="all_received"
        )
    if q := (_values(filters, "q") or [""])[0]:
        items = items.filter(
            Q(product_name__icontains=q) | Q(product_identifier__icontains=q) | Q(colour__icontains=q)
            | Q(order__number__icontains=q) | Q(order__manufacturer__name__icontains=q)
        )
    return items


def summary_line_items(*, organisation, filters):
    board_filter = _board_filter()
    if board_filter is not None:
        try:
            return board_filter(organisation=organisation, filters=filters)
        except TypeError:
            pass
    return line_items_filtered_minimal(organisation=organisation, filters=filters)


# --- scheduling reads -------------------------------------------------------------------------

def summaries_due(*, now: dt.datetime) -> list[tuple[Summary, dt.datetime]]:
    """(summary, period) for every switched-on summary whose latest period has no delivery yet.

    Only the latest period counts: after an outage a summary is sent once, not once per missed tick.
    """
    due = []
    summaries = Summary.objects.filter(enabled=True).select_related("user", "organisation")
    claimed = {
        (summary_id, period)
        for summary_id, period in SummaryDelivery.objects.filter(
            trigger=SummaryDelivery.Trigger.SCHEDULE, period_start__gte=now - dt.timedelta(days=8)
        ).values_list("summary_id", "period_start")
    }
    for summary in summaries:
        period = summary_period_latest(summary=summary, now=now)
        if period is None or period < summary.schedule_changed_at:
            continue
        if (summary.id, period) not in claimed:
            due.append((summary, period))
    return due


def summary_window(*, summary, period_start: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """What 'moved since the previous summary' covers.

    Scheduled windows tile: from the end of the last scheduled summary that went out to this
    period's instant, so a late or retried send neither skips nor repeats a move. "Send me one now"
    covers the same start up to now and does not shift the scheduled windows.
    """
    end = period_start or now
    previous = (
        SummaryDelivery.objects.filter(
            summary=summary, trigger=SummaryDelivery.Trigger.SCHEDULE, status=SummaryDelivery.Status.SENT,
            window_end__lt=end,
        )
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )
    if previous is None:
        if period_start is not None:
            previous = summary_period_before(summary=summary, period=period_start)
        if previous is None:
            previous = end - dt.timedelta(days=7 if summary.kind == Summary.Kind.WEEKLY else 1)
    return previous, end


def summary_deliveries_recent(*, summary, limit: int = 5):
    return list(summary.deliveries.all()[:limit])


# --- content ----------------------------------------------------------------------------------

def _chip(stage) -> dict:
    if stage is None:
        return {"name": "No stage yet", "colour": NEUTRAL, "text_colour": text_colour_for(NEUTRAL)}
    colour = safe_colour(stage.colour, NEUTRAL)
    return {"name": stage.name, "colour": colour, "text_colour": text_colour_for(colour)}


def _item_row(item, *, now, today, stage=None, when=None) -> dict:
    order = item.order
    expected = order.in_warehouse_date or order.due_date
    started = item.current_stage_started_at
    return {
        "product": item.product_name or item.product_identifier or f"Line item {item.uphance_id}",
        "identifier": item.product_identifier,
        "colour": item.colour,
        "po": order.number,
        "manufacturer": order.manufacturer.name if order.manufacturer_id else "",
        "units": item.units,
        "stage": _chip(stage if stage is not None else item.current_stage),
        "days_in_stage": (now - started).days if started else None,
        "expected": expected,
        "days_late": (today - expected).days if expected and expected < today else 0,
        "when": when,
    }


def stage_stuck_days(*, stage) -> float:
    """After how many days a card is stuck in `stage`: the stage's setting, else the p90 of the
    durations of its last completed periods, else a default."""
    if stage.stuck_after_days is not None:
        return float(stage.stuck_after_days)
    durations = sorted(
        (end - start).total_seconds() / 86400
        for start, end in StagePeriod.objects.filter(
            stage=stage, start_time__isnull=False, end_time__isnull=False
        )
        .order_by("-end_time")
        .values_list("start_time", "end_time")[:STUCK_SAMPLE]
        if end >= start
    )
    if len(durations) < STUCK_MIN_SAMPLES:
        return float(STUCK_DEFAULT_DAYS)
    index = min(len(durations) - 1, round(0.9 * (len(durations) - 1)))
    return max(1.0, durations[index])


def _at_risk(*, organisation, filters):
    try:
        from customers.selectors import sales_orders_at_risk
    except ImportError:
        return None
    rows = []
    for order in list(sales_orders_at_risk(organisation=organisation, filters=filters))[:LIST_LIMIT]:
        customer = getattr(order, "customer", None)
        rows.append(
            {
                "label": str(order),
                "customer": str(customer) if customer is not None else "",
                "date": next(
                    (
                        getattr(order, name)
                        for name in ("ship_end", "ship_by", "ship_date", "ship_start", "due_date")
                        if getattr(order, name, None)
                    ),
                    None,
                ),
            }
        )
    return rows


def summary_board_url(*, summary, extra: dict | None = None) -> str:
    try:
        path = reverse("board")
    except NoReverseMatch:
        path = "/board/"
    query = summary.saved_view.query.lstrip("?") if summary.saved_view_id else ""
    if extra:
        query = "&".join(part for part in (query, urlencode(extra)) if part)
    return f"{settings.SEAMLINE_BASE_URL.rstrip('/')}{path}{'?' + query if query else ''}"


def summary_content(*, summary, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime) -> dict:
    """Everything one summary e-mail shows, as plain values (templates only format them)."""
    organisation = summary.organisation
    zone = zone_get(summary.time_zone)
    today = now.astimezone(zone).date()
    filters = summary_filters(summary=summary)
    items = summary_line_items(organisation=organisation, filters=filters)
    item_ids = items.values("id")
    related = ("order", "order__manufacturer", "current_stage")

    # Cards and units per stage, in stage order; stages with nothing still show (as zero).
    per_stage = {
        row["current_stage"]: row
        for row in items.order_by().values("current_stage").annotate(cards=Count("id"), units=Sum("units"))
    }
    stages = list(Stage.objects.filter(organisation=organisation))
    stage_rows = [
        {
            **_chip(stage),
            "cards": per_stage.get(stage.id, {}).get("cards", 0),
            "units": per_stage.get(stage.id, {}).get("units") or 0,
        }
        for stage in stages
    ]
    if None in per_stage:
        stage_rows.append({**_chip(None), "cards": per_stage[None]["cards"], "units": per_stage[None]["units"] or 0})
    max_cards = max([row["cards"] for row in stage_rows] + [1])
    for row in stage_rows:
        row["bar_percent"] = round(100 * row["cards"] / max_cards)

    # What moved: periods that began or ended in the window (or that Seamline first learned of in
    # it, when Uphance gives no time), within the view.
    periods = StagePeriod.objects.filter(organisation=organisation, line_item_id__in=item_ids).select_related(
        "stage", "line_item", "line_item__order", "line_item__order__manufacturer", "line_item__current_stage"
    )
    lookback = window_start - (window_end - window_start)
    entered_q = Q(start_time__gte=window_start, start_time__lt=window_end) | Q(
        # Started a little before the window but synced only during it: still news.
        first_seen_at__gte=window_start, first_seen_at__lt=window_end,
        start_time__gte=lookback, start_time__lt=window_start,
    ) | Q(start_time__isnull=True, first_seen_at__gte=window_start, first_seen_at__lt=window_end)
    completed_q = Q(end_time__gte=window_start, end_time__lt=window_end) | Q(
        end_time__isnull=True, status="completed", changed_at__gte=window_start, changed_at__lt=window_end
    )
    entered_qs = periods.filter(entered_q).order_by("-start_time", "-first_seen_at")
    completed_qs = periods.filter(completed_q).order_by("-end_time", "-changed_at")

    def moved_rows(qs, when_field):
        return [
            _item_row(
                p.line_item, now=now, today=today, stage=p.stage,
                when=getattr(p, when_field) or p.first_seen_at,
            )
            for p in qs[:LIST_LIMIT]
        ]

    entered_count = entered_qs.count()
    completed_count = completed_qs.count()

    # Stuck: in the current stage for longer than the stage's threshold.
    stuck_q = Q(pk__in=[])
    for stage in stages:
        stuck_q |= Q(current_stage=stage, current_stage_started_at__lt=now - dt.timedelta(days=stage_stuck_days(stage=stage)))
    stuck_qs = (
        items.filter(stuck_q).exclude(stage_status="completed").select_related(*related)
        .order_by("current_stage_started_at")
    )

    # Late: the order should be in the warehouse by now (in-warehouse date, else due date).
    late_q = Q(order__in_warehouse_date__lt=today) | Q(order__in_warehouse_date__isnull=True, order__due_date__lt=today)
    open_items = items.exclude(order__status__in=OPEN_ORDER_STATUSES_EXCLUDED).exclude(
        order__delivery_status="all_received"
    )
    late_qs = open_items.filter(late_q).select_related(*related).order_by("order__due_date", "order_id", "id")

    # Orders due in the next days (by the same expected date).
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due_q = Q(in_warehouse_date__gte=today, in_warehouse_date__lte=horizon) | Q(
        in_warehouse_date__isnull=True, due_date__gte=today, due_date__lte=horizon
    )
    due_orders_qs = (
        ProductionOrder.objects.filter(due_q, id__in=open_items.values("order_id"))
        .select_related("manufacturer")
        .annotate(
            view_cards=Count("line_items", filter=Q(line_items__id__in=item_ids)),
            view_units=Sum("line_items__units", filter=Q(line_items__id__in=item_ids)),
        )
        .order_by("due_date", "number")
    )
    due_orders = [
        {
            "po": order.number,
            "manufacturer": order.manufacturer.name if order.manufacturer_id else "",
            "expected": order.in_warehouse_date or order.due_date,
            "days_left": ((order.in_warehouse_date or order.due_date) - today).days,
            "cards": order.view_cards,
            "units": order.view_units or 0,
        }
        for order in due_orders_qs[:LIST_LIMIT]
    ]

    at_risk = _at_risk(organisation=organisation, filters=filters)
    totals = items.aggregate(cards=Count("id"), units=Sum("units"))
    stuck_count = stuck_qs.count()
    late_count = late_qs.count()
    due_count = due_orders_qs.count()

    return {
        "summary": summary,
        "organisation": organisation,
        "scope": summary.scope_name,
        "now": now,
        "today": today,
        "time_zone": summary.time_zone,
        "window_start": window_start.astimezone(zone),
        "window_end": window_end.astimezone(zone),
        "totals": {"cards": totals["cards"], "units": totals["units"] or 0},
        "stages": stage_rows,
        "entered": moved_rows(entered_qs, "start_time"),
        "entered_count": entered_count,
        "completed": moved_rows(completed_qs, "end_time"),
        "completed_count": completed_count,
        "stuck": [_item_row(i, now=now, today=today) for i in stuck_qs[:LIST_LIMIT]],
        "stuck_count": stuck_count,
        "late": [_item_row(i, now=now, today=today) for i in late_qs[:LIST_LIMIT]],
        "late_count": late_count,
        "due_soon": due_orders,
        "due_soon_count": due_count,
        "due_soon_days": DUE_SOON_DAYS,
        "at_risk": at_risk,
        **{f"{name}_more": max(0, count - LIST_LIMIT) for name, count in (
            ("entered", entered_count), ("completed", completed_count), ("stuck", stuck_count),
            ("late", late_count), ("due_soon", due_count),
        )},
        "board_url": summary_board_url(summary=summary),
    }



# --- pages ------------------------------------------------------------------------------------

def summaries_for_user(*, user, organisation, now: dt.datetime) -> list[dict]:
    """The user's summaries in the organisation, each with its next send and latest delivery."""
    rows = []
    for summary in Summary.objects.filter(user=user, organisation=organisation).select_related("saved_view"):
        zone = zone_get(summary.time_zone)
        latest = summary.deliveries.order_by("-created_at", "-id").first()
        rows.append(
            {
                "summary": summary,
                "next_at": summary_period_next(summary=summary, now=now).astimezone(zone) if summary.enabled else None,
                "latest": latest,
                "board_url": summary_board_url(summary=summary),
            }
        )
    return rows


def outbox_messages_visible(*, user, membership):
    """Outbox messages a user may read: those sent to them and, for an organisation's admins, the
    messages about that organisation (summaries to its members). Password resets stay private."""
    visible = Q(pk__in=[])
    if user.email:
        visible |= Q(recipient__iexact=user.email)
    if membership is not None and membership.is_admin:
        visible |= Q(organisation=membership.organisation)
    return OutboxMessage.objects.filter(visible)
