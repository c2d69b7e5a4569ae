"""production.rules: open, expected date, late, stuck and today, each as a filter and per row, agreeing."""
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache

from production import rules
from production.models import LineItem, ProductionOrder, StageDuration
from tests.support.factories import (
    LineItemFactory,
    ManufacturerFactory,
    OrganisationFactory,
    ProductionOrderFactory,
    StageFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
STATUSES = ("draft", "confirmed", "complete", "cancelled")
DELIVERY = ("not_received", "receiving", "all_received")
DATES = (None, TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=1))


@pytest.fixture
def every_order(organisation):
    """One order for every status x delivery status x (in-warehouse date, due date) x removed."""
    orders = []
    for n, (status, delivery, in_warehouse, due, removed) in enumerate(
        itertools.product(STATUSES, DELIVERY, DATES, DATES, (False, True))
    ):
        orders.append(ProductionOrderFactory(
            organisation=organisation, uphance_id=700000 + n, status=status, delivery_status=delivery,
            in_warehouse_date=in_warehouse, due_date=due, removed_at=NOW if removed else None,
        ))
    return orders


# --- today ----------------------------------------------------------------------------------------

def test_today_is_the_date_where_the_organisation_is():
    late_evening = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
    assert rules.organisation_today(organisation=OrganisationFactory.build(time_zone="UTC"),
                                    now=late_evening) == dt.date(2026, 3, 10)
    assert rules.organisation_today(organisation=OrganisationFactory.build(time_zone="Europe/Paris"),
                                    now=late_evening) == dt.date(2026, 3, 11)
    assert rules.organisation_today(organisation=OrganisationFactory.build(time_zone="America/Los_Angeles"),
                                    now=dt.datetime(2026, 3, 11, 5, 0, tzinfo=dt.UTC)) == dt.date(2026, 3, 10)
    # An unknown or empty zone is UTC, never an error.
    for zone in ("", "Mars/Olympus", "../etc"):
        assert rules.organisation_today(organisation=OrganisationFactory.build(time_zone=zone),
                                        now=late_evening) == dt.date(2026, 3, 10)


# --- open -----------------------------------------------------------------------------------------

def test_open_means_present_and_not_complete_cancelled_or_all_received(every_order):
    by_rule = {o.pk for o in every_order if rules.order_is_open(o)}
    by_filter = set(rules.orders_open(ProductionOrder.objects.all()).values_list("pk", flat=True))
    assert by_rule == by_filter
    expected = {
        o.pk for o in every_order
        if o.removed_at is None and o.status in ("draft", "confirmed") and o.delivery_status != "all_received"
    }
    assert by_rule == expected
    receiving = next(o for o in every_order if o.delivery_status == "receiving" and o.status == "confirmed"
                     and o.removed_at is None)
    assert rules.order_is_open(receiving) and rules.order_is_receiving(receiving)


def test_open_as_uphances_listing_filters_take_it_is_the_same_rule(every_order):
    for order in every_order:
        if order.removed_at is None:
            by_filter_values = order.status in rules.OPEN_STATUSES and order.delivery_status in rules.OPEN_DELIVERY_STATUSES
            assert rules.order_is_open(order) is by_filter_values


def test_a_line_item_is_open_when_it_and_its_order_are_present_and_the_order_is_open(organisation):
    open_order = ProductionOrderFactory(organisation=organisation)
    closed = ProductionOrderFactory(organisation=organisation, status="complete")
    items = [
        LineItemFactory(order=open_order),
        LineItemFactory(order=open_order, removed_at=NOW),
        LineItemFactory(order=closed),
    ]
    by_filter = set(LineItem.objects.filter(rules.line_item_open_q()).values_list("pk", flat=True))
    assert by_filter == {i.pk for i in items if rules.line_item_is_open(i)} == {items[0].pk}


# --- expected date --------------------------------------------------------------------------------

def test_expected_date_is_the_in_warehouse_date_else_the_due_date(every_order):
    in_warehouse, due = dt.date(2026, 4, 1), dt.date(2026, 3, 1)
    assert rules.expected_date(in_warehouse_date=in_warehouse, due_date=due) == in_warehouse
    assert rules.expected_date(in_warehouse_date=None, due_date=due) == due
    assert rules.expected_date(in_warehouse_date=None, due_date=None) is None
    annotated = dict(
        ProductionOrder.objects.annotate(expected=rules.expected_date_expression()).values_list("pk", "expected")
    )
    assert annotated == {o.pk: rules.order_expected_date(o) for o in every_order}
    for lookup, check in (("lt", lambda d: d < TODAY), ("gte", lambda d: d >= TODAY)):
        matched = set(ProductionOrder.objects.filter(rules.expected_date_q(lookup=lookup, value=TODAY))
                      .values_list("pk", flat=True))
        assert matched == {o.pk for o in every_order if (e := rules.order_expected_date(o)) and check(e)}


# --- late -----------------------------------------------------------------------------------------

def test_late_per_row_and_as_a_filter_agree_and_unknown_dates_are_not_late(every_order):
    late_by_filter = set(
        ProductionOrder.objects.filter(rules.order_late_q(today=TODAY)).values_list("pk", flat=True)
    )
    per_row = {o.pk: rules.order_is_late(o, today=TODAY) for o in every_order}
    assert late_by_filter == {pk for pk, late in per_row.items() if late is True}
    for order in every_order:
        expected = rules.order_expected_date(order)
        if order.delivery_status == "all_received" or order.status == "cancelled":
            assert per_row[order.pk] is False and rules.days_late(order, today=TODAY) == 0
        elif expected is None:
            assert per_row[order.pk] is None  # Uphance gives no date: unknown, not guessed
        else:
            assert per_row[order.pk] is (expected < TODAY)  # due today is not late yet
            assert rules.days_late(order, today=TODAY) == (max(0, (TODAY - expected).days))


def test_late_on_line_items_follows_their_order(organisation):
    late = LineItemFactory(order=ProductionOrderFactory(organisation=organisation, due_date=TODAY - dt.timedelta(days=3)))
    LineItemFactory(order=ProductionOrderFactory(organisation=organisation, due_date=TODAY))
    assert list(LineItem.objects.filter(rules.line_item_late_q(today=TODAY))) == [late]
    assert rules.is_late(status="confirmed", delivery_status="receiving", expected=TODAY - dt.timedelta(days=1),
                         today=TODAY) is True


# --- time in stage and stuck ----------------------------------------------------------------------

def _durations(organisation, stage, rows):
    """Stored durations, as a forecast recompute leaves them: (manufacturer or None, median, p90, samples)."""
    for maker, median, p90, samples in rows:
        StageDuration.objects.create(organisation=organisation, stage=stage, manufacturer=maker, median_days=median,
                                     p90_days=p90, samples=samples)


def test_the_stuck_threshold_is_the_managers_else_the_factorys_p90_else_the_stages_else_a_default(organisation):
    cache.clear()
    bolide, kotka, newcomer = (ManufacturerFactory(organisation=organisation, name=n) for n in ("Bolide", "Kotka", "New"))
    managed = StageFactory(organisation=organisation, stuck_after_days=Decimal("3.5"))
    learned = StageFactory(organisation=organisation)
    quick = StageFactory(organisation=organisation)
    new = StageFactory(organisation=organisation)
    _durations(organisation, managed, [(None, 5, 9, 20), (bolide, 4, 6, 10)])
    _durations(organisation, learned, [(None, 6, 9, 20), (bolide, 4, 6, 10), (kotka, 8, 12, 4)])  # Kotka: too few
    _durations(organisation, quick, [(None, 0.1, 0.2, 6)])  # a p90 under a day still waits a day
    _durations(organisation, new, [(None, 5, 6, 2)])  # too little history
    thresholds = rules.stuck_thresholds(organisation=organisation, stages=[managed, learned, quick, new])

    def of(stage, maker):
        t = thresholds.threshold(stage.id, maker.id if maker else None)
        return t.source, t.days, (t.usual.median_days, t.usual.p90_days)

    assert of(managed, bolide) == ("manager", 3.5, (4, 6))  # the manager wins; the usual range still shows
    assert of(learned, bolide) == ("manufacturer", 6.0, (4, 6))
    assert of(learned, kotka) == of(learned, newcomer) == of(learned, None) == ("stage", 9.0, (6, 9))
    assert of(quick, kotka) == ("stage", 1.0, (0.1, 0.2))
    assert of(new, bolide)[:2] == ("default", rules.STUCK_DEFAULT_DAYS)
    assert thresholds.threshold(new.id, None).p90_days is None and thresholds.threshold(new.id, None).samples == 0
    assert thresholds.threshold(learned.id, bolide.id).label == "p90 at this manufacturer"
    assert thresholds.threshold(StageFactory(organisation=organisation).id, None) is None  # not among the stages
    every = rules.stuck_thresholds(organisation=organisation)
    assert every.days(learned.id, bolide.id) == 6.0 and every.days(managed.id, None) == 3.5


def test_stuck_per_row_and_as_a_filter_agree(organisation):
    bolide, kotka = ManufacturerFactory(organisation=organisation), ManufacturerFactory(organisation=organisation)
    stage = StageFactory(organisation=organisation, stuck_after_days=10)
    other = StageFactory(organisation=organisation)
    _durations(organisation, other, [(None, 1, 2, 30), (bolide, 4, 9, 8), (kotka, 1, 1.5, 3)])
    thresholds = rules.stuck_thresholds(organisation=organisation, stages=[stage, other])
    orders = {maker: ProductionOrderFactory(organisation=organisation, manufacturer=maker) for maker in (bolide, kotka, None)}
    items = [
        LineItemFactory(order=orders[maker], current_stage=current, stage_status=status, has_stages=True,
                        current_stage_started_at=NOW - dt.timedelta(days=days) if days is not None else None)
        for maker, current, status, days in itertools.product(
            (bolide, kotka, None), (stage, other), ("in_progress", "completed", "not_started"),
            (None, -2, 1, 3, 9, 9.01, 10, 10.01, 30),
        )
    ]
    by_filter = set(LineItem.objects.filter(rules.stuck_q(thresholds=thresholds, now=NOW)).values_list("pk", flat=True))
    by_row = {i.pk for i in items if rules.line_item_is_stuck(i, thresholds=thresholds, now=NOW)}
    assert by_filter == by_row
    stuck = {(i.order.manufacturer, i.current_stage_id, round((NOW - i.current_stage_started_at).total_seconds() / 86400, 2))
             for i in items if i.pk in by_row}
    # Only in-progress items, strictly past their threshold: the manager's 10 days in `stage`
    # everywhere; in `other` Bolide's own 9, else the stage's 2 (Kotka has too few periods of its own).
    expected = {(m, stage.id, d) for m in (bolide, kotka, None) for d in (10.01, 30.0)}
    expected |= {(bolide, other.id, d) for d in (9.01, 10.0, 10.01, 30.0)}
    expected |= {(m, other.id, d) for m in (kotka, None) for d in (3.0, 9.0, 9.01, 10.0, 10.01, 30.0)}
    assert stuck == expected


def test_days_in_stage_count_only_once_a_stage_has_started_and_are_never_negative():
    started = NOW - dt.timedelta(days=6, hours=22)
    assert rules.days_in_stage(stage_status="in_progress", started_at=started, now=NOW) == (6, False)
    assert rules.days_in_stage(stage_status="completed", started_at=started, now=NOW) == (6, False)
    assert rules.days_in_stage(started_at=NOW - dt.timedelta(minutes=5), now=NOW) == (0, False)
    assert rules.days_in_stage(stage_status="not_started", started_at=started, now=NOW) == (None, False)
    assert rules.days_in_stage(stage_status="in_progress", started_at=None, now=NOW) == (None, False)
    # A start Uphance dates ahead: days until it starts, rounded up ("starts in 1 d", never 0 or -1).
    assert rules.days_in_stage(started_at=NOW + dt.timedelta(hours=3), now=NOW) == (1, True)
    assert rules.days_in_stage(started_at=NOW + dt.timedelta(days=2, hours=1), now=NOW) == (3, True)
    assert rules.has_started("completed") and not rules.has_started("no_stages")
