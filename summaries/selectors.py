"""Reads for e-mail summaries: which are due, and what one summary says (per stage, moved, stuck, late,
newly predicted late)."""
import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import QueryDict
from django.urls import reverse

from board.forms import board_filters_from_query
from board.selectors.cache import board_version
from board.selectors.filters import BoardFilters, line_items_filtered
from customers.models import SalesOrder
from customers.selectors import sales_orders_at_risk
from integrations.numbers import ascii_int
from production.colours import NEUTRAL, safe_colour, text_colour_for
from production.models import ForecastState, ProductionOrder, Stage, StagePeriod
from production.rules import (
    days_in_stage,
    days_late,
    expected_date_q,
    line_item_late_q,
    line_item_open_q,
    order_expected_date,
    organisation_today,
    stuck_q,
    stuck_thresholds,
)
from summaries.models import OutboxMessage, Summary, SummaryDelivery
from summaries.recipients import summaries_receivable
from summaries.schedules import (
    summary_period_before,
    summary_period_latest,
    summary_period_next,
    zone_get,
)

LIST_LIMIT = 25
DUE_SOON_DAYS = 7


# --- filters: the board's own, so "stuck" and "late" mean the same in the e-mail and on the board

def summary_filters(*, summary) -> QueryDict:
    """The saved view's filters as the board reads them (its URL query string), empty for the org."""
    query = summary.saved_view.query if summary.saved_view_id else ""
    return QueryDict(query.lstrip("?"))


def summary_line_items(*, organisation, filters, now: dt.datetime, thresholds=None):
    """The line items the board shows for `filters` (a query string or QueryDict) at `now`."""
    board_filters = board_filters_from_query(organisation=organisation, query=filters)
    return line_items_filtered(organisation=organisation, filters=board_filters, now=now, thresholds=thresholds)


# --- scheduling reads -------------------------------------------------------------------------

def summaries_due(*, now: dt.datetime) -> list[tuple[Summary, dt.datetime]]:
    """(summary, period) for every switched-on summary of an active member whose latest period has no delivery yet.

    Only the latest period counts: after an outage a summary is sent once, not once per missed tick.
    """
    due = []
    summaries = summaries_receivable(Summary.objects.filter(enabled=True)).select_related(
        "user", "organisation", "saved_view"
    )
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


# --- content ----------------------------------------------------------------------------------

def _chip(stage) -> dict:
    if stage is None:
        return {"name": "No stage yet", "colour": NEUTRAL, "text_colour": text_colour_for(NEUTRAL)}
    colour = safe_colour(stage.colour, NEUTRAL)
    return {"name": stage.name, "colour": colour, "text_colour": text_colour_for(colour)}


def _item_row(item, *, now, today, stage=None, when=None) -> dict:
    order = item.order
    return {
        "product": item.product_name or item.product_identifier or f"Line item {item.uphance_id}",
        "identifier": item.product_identifier,
        "colour": item.colour,
        "po": order.number,
        "url": _site_url("line_item_timeline", item.uphance_id),
        "po_url": _site_url("order_detail", order.uphance_id),
        "manufacturer": order.manufacturer.name if order.manufacturer_id else "",
        "units": item.units,
        "stage": _chip(stage if stage is not None else item.current_stage),
        "days_in_stage": days_in_stage(stage_status=item.stage_status, started_at=item.current_stage_started_at,
                                       now=now)[0],
        "expected": order_expected_date(order),
        "days_late": days_late(order, today=today),
        "when": when,
    }


def _predicted_row(item, *, now, today) -> dict:
    row = _item_row(item, now=now, today=today)
    expected = row["expected"]
    p50, p90 = item.forecast_arrival_p50, item.forecast_arrival_p90
    return {**row, "p50": p50, "p90": p90, "days_after": (p50 - expected).days if p50 and expected else None,
            "since": item.predicted_late_since}


def _at_risk(*, organisation, filters, items) -> tuple[list[dict] | None, int]:
    """(rows, total) of customer orders at risk in the view; rows is None when none are synced.

    A saved view narrows them to orders with at-risk demand on its line items (`items`), and its
    `customer` values (Uphance ids) to those customers.
    """
    if not SalesOrder.objects.filter(organisation=organisation).exists():
        return None, 0  # the customers sync has not brought any sales orders yet
    customers = [n for v in filters.getlist("customer") for part in v.split(",")
                 if (n := ascii_int(part.strip(), minimum=0)) is not None]
    board_keys = [k for k in filters if k not in ("customer", "page", "group")]
    orders = sales_orders_at_risk(organisation=organisation, customers=customers,
                                  line_items=items if board_keys else None)
    total = orders.count()
    rows = []
    for order in list(orders[:LIST_LIMIT]):
        customer = getattr(order, "customer", None)
        rows.append(
            {
                "label": str(order),
                "customer": str(customer) if customer is not None else (getattr(order, "company_name", "") or ""),
                "date": getattr(order, "ship_by", None),
                "reason": getattr(order, "risk_reason", "") or "",
            }
        )
    return rows, total


def summary_board_url(*, summary, extra: dict | None = None) -> str:
    """The board showing what the summary shows (never bare /board/, which opens the default view)."""
    path = reverse("board")
    query = (summary.saved_view.query.lstrip("?") if summary.saved_view_id else "") or BoardFilters().query_string()
    if extra:
        query = "&".join(part for part in (query, urlencode(extra)) if part)
    return f"{settings.SEAMLINE_BASE_URL.rstrip('/')}{path}?{query}"


def _site_url(name: str, uphance_id) -> str:
    path = reverse(name, kwargs={"uphance_id": uphance_id})
    return f"{settings.SEAMLINE_BASE_URL.rstrip('/')}{path}"


def summary_content(*, summary, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime) -> dict:
    """Everything one summary e-mail shows, as plain values (templates only format them)."""
    organisation = summary.organisation
    # Dates are judged in the organisation's today, as on the board the e-mail links to; the
    # heading shows the date where the reader is.
    today = organisation_today(organisation=organisation, now=now)
    local_today = now.astimezone(zone_get(summary.time_zone)).date()
    filters = summary_filters(summary=summary)
    stages = list(Stage.objects.filter(organisation=organisation))
    thresholds = stuck_thresholds(organisation=organisation, stages=stages,
                                  version=board_version(organisation=organisation))
    items = summary_line_items(organisation=organisation, filters=filters, now=now, thresholds=thresholds)
    item_ids = items.values("id")
    related = ("order", "order__manufacturer", "current_stage")

    # Cards and units per stage, in stage order; stages with nothing still show (as zero).
    per_stage = {
        row["current_stage"]: row
        for row in items.order_by().values("current_stage").annotate(cards=Count("id"), units=Sum("units"))
    }
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

    # Stuck and late exactly as the board flags them (production.rules).
    stuck_qs = (
        items.filter(stuck_q(thresholds=thresholds, now=now)).select_related(*related)
        .order_by("current_stage_started_at", "id")
    )
    late_qs = items.filter(line_item_late_q(today=today)).select_related(*related).order_by(
        "order__in_warehouse_date", "order__due_date", "order_id", "id"
    )
    open_items = items.filter(line_item_open_q())
    # Newly predicted late: the forecast (recomputed after syncs) turned late since the last summary.
    predicted_qs = items.filter(
        forecast_state=ForecastState.PREDICTED_LATE, predicted_late_since__gte=window_start,
        predicted_late_since__lt=window_end,
    ).select_related(*related).order_by("forecast_arrival_p50", "order_id", "id")

    # Open orders expected in the next days.
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due_q = expected_date_q(lookup="gte", value=today) & expected_date_q(lookup="lte", value=horizon)
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
            "po_url": _site_url("order_detail", order.uphance_id),
            "manufacturer": order.manufacturer.name if order.manufacturer_id else "",
            "expected": order_expected_date(order),
            "days_left": (order_expected_date(order) - today).days,
            "cards": order.view_cards,
            "units": order.view_units or 0,
        }
        for order in due_orders_qs[:LIST_LIMIT]
    ]

    at_risk, at_risk_count = _at_risk(organisation=organisation, filters=filters, items=items)
    totals = items.aggregate(cards=Count("id"), units=Sum("units"))
    stuck_count = stuck_qs.count()
    late_count = late_qs.count()
    due_count = due_orders_qs.count()
    predicted_count = predicted_qs.count()

    return {
        "summary": summary,
        "organisation": organisation,
        "scope": summary.scope_name,
        "now": now,
        "today": local_today,
        "time_zone": summary.time_zone,
        "window_start": window_start,
        "window_end": window_end,
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
        "predicted_late": [_predicted_row(i, now=now, today=today) for i in predicted_qs[:LIST_LIMIT]],
        "predicted_late_count": predicted_count,
        "due_soon": due_orders,
        "due_soon_count": due_count,
        "due_soon_days": DUE_SOON_DAYS,
        "at_risk": at_risk,
        "at_risk_count": at_risk_count,
        **{f"{name}_more": max(0, count - LIST_LIMIT) for name, count in (
            ("entered", entered_count), ("completed", completed_count), ("stuck", stuck_count),
            ("late", late_count), ("predicted_late", predicted_count), ("due_soon", due_count),
            ("at_risk", at_risk_count),
        )},
        "board_url": summary_board_url(summary=summary),
        "stuck_url": summary_board_url(summary=summary, extra={"stuck": 1}),
        "late_url": summary_board_url(summary=summary, extra={"late": 1}),
        "predicted_late_url": summary_board_url(summary=summary, extra={"forecast": ForecastState.PREDICTED_LATE}),
    }



# --- pages ------------------------------------------------------------------------------------

def summaries_for_user(*, user, organisation, now: dt.datetime) -> list[dict]:
    """The user's summaries in the organisation, each with its next send and latest delivery."""
    rows = []
    for summary in Summary.objects.filter(user=user, organisation=organisation).select_related("saved_view"):
        latest = summary.deliveries.order_by("-created_at", "-id").first()
        # A failure stays in view until an e-mail has gone out after it.
        problem = (
            summary.deliveries.filter(status__in=[SummaryDelivery.Status.FAILED, SummaryDelivery.Status.GAVE_UP])
            .exclude(error="")
            .order_by("-created_at", "-id")
            .first()
        )
        if problem is not None and (
            problem == latest
            or summary.deliveries.filter(status=SummaryDelivery.Status.SENT, created_at__gt=problem.created_at).exists()
        ):
            problem = None
        rows.append(
            {
                "summary": summary,
                "next_at": summary_period_next(summary=summary, now=now) if summary.enabled else None,
                "latest": latest,
                "problem": problem,
                "board_url": summary_board_url(summary=summary),
            }
        )
    return rows


def outbox_messages_visible(*, user, membership):
    """Outbox messages a user may read: those for their account, about their current organisation
    (or about none, such as a password reset) and, for its admins, every message about the
    organisation (summaries to its members). Never by address: addresses are not unique."""
    organisation = membership.organisation if membership is not None else None
    visible = Q(user=user) & (Q(organisation__isnull=True) | Q(organisation=organisation))
    if membership is not None and membership.is_admin:
        visible |= Q(organisation=organisation)
    return OutboxMessage.objects.filter(visible)
