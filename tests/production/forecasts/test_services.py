"""Recomputing and storing forecasts: durations, the gap, line items' dates and states, after syncs."""
import datetime as dt

import pytest
from django.utils import timezone

from production.forecasts.selectors import line_item_projected_stages, receiving_gap, stage_duration
from production.forecasts.services import forecasts_recompute
from production.forecasts.signals import forecasts_recomputed
from production.models import LineItem, StageDuration
from production.rules import stuck_thresholds
from production.sync.signals import production_synced
from tests.support.factories import ManufacturerFactory, ProductionOrderFactory, StageFactory
from tests.support.production_data import staged_line_item

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def shop(organisation):
    stages = [StageFactory(organisation=organisation, name=n, position=k) for k, n in enumerate(("Cutting", "Sewing", "Packing"))]
    bolide = ManufacturerFactory(organisation=organisation, name="Bolide")
    kotka = ManufacturerFactory(organisation=organisation, name="Kotka")
    cutting, sewing, packing = stages
    # History: Bolide sews in about 4 days, Kotka in about 12; cutting 1 day, packing 1 day.
    for k, (maker, sewing_days) in enumerate([(bolide, d) for d in (3, 4, 4, 4, 5, 6)] + [(kotka, d) for d in (10, 12, 12, 13, 15)]):
        order = ProductionOrderFactory(organisation=organisation, manufacturer=maker, status="complete",
                                       delivery_status="all_received", arrived_at=NOW - dt.timedelta(days=20 + k))
        staged_line_item(order=order, stage=packing, status="completed", days_in_stage=None,
                         now=NOW - dt.timedelta(days=23 + k), past=[(cutting, 1), (sewing, sewing_days)])
        last = order.line_items.get().stage_periods.get(stage=packing)
        last.start_time, last.end_time, last.is_current, last.status = (
            NOW - dt.timedelta(days=23 + k), NOW - dt.timedelta(days=22 + k), True, "completed")
        last.save()
    return organisation, stages, bolide, kotka


def open_item(organisation, stage, maker, *, days_in_stage, due_in_days, past=()):
    order = ProductionOrderFactory(organisation=organisation, manufacturer=maker,
                                   due_date=timezone.localdate() + dt.timedelta(days=due_in_days))
    return staged_line_item(order=order, stage=stage, days_in_stage=days_in_stage, past=past, now=NOW)


def test_durations_are_stored_per_stage_and_manufacturer_with_the_fallbacks(shop):
    organisation, (cutting, sewing, packing), bolide, kotka = shop
    newcomer = ManufacturerFactory(organisation=organisation, name="Newcomer")
    run = forecasts_recompute(organisation=organisation, now=NOW)
    assert run.durations == StageDuration.objects.filter(organisation=organisation).count() > 0
    assert stage_duration(stage=sewing, manufacturer=bolide).median_days == pytest.approx(4)
    assert stage_duration(stage=sewing, manufacturer=kotka).samples == 5
    fallback = stage_duration(stage=sewing, manufacturer=newcomer)
    assert fallback.source == "stage" and fallback.samples == 11
    # Stuck judges each factory by its own speed (production.rules reads what the recompute stored).
    thresholds = stuck_thresholds(organisation=organisation)
    assert thresholds.days(sewing.pk, bolide.pk) < thresholds.days(sewing.pk, kotka.pk)
    assert thresholds.days(sewing.pk, kotka.pk) == stage_duration(stage=sewing, manufacturer=kotka).p90_days
    sewing.stuck_after_days = 8
    sewing.save()
    thresholds = stuck_thresholds(organisation=organisation)
    assert thresholds.days(sewing.pk, bolide.pk) == thresholds.days(sewing.pk, kotka.pk) == 8.0
    gap = receiving_gap(organisation=organisation)
    assert gap.samples == 11 and gap.median_days == pytest.approx(2, abs=0.01)


def test_open_line_items_get_dates_and_predicted_late_or_at_risk(shop):
    organisation, (cutting, sewing, packing), bolide, kotka = shop
    on_time = open_item(organisation, sewing, bolide, days_in_stage=1, due_in_days=30, past=[(cutting, 1)])
    late = open_item(organisation, sewing, kotka, days_in_stage=1, due_in_days=5, past=[(cutting, 1)])
    run = forecasts_recompute(organisation=organisation, now=NOW)
    assert run.line_items == 2 and run.changed == 2 and run.predicted_late == 1
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.forecast_state == "on_track" and late.forecast_state == "predicted_late"
    assert late.predicted_late_since == NOW and on_time.predicted_late_since is None
    assert on_time.forecast_done_p50 <= on_time.forecast_done_p90 <= on_time.forecast_arrival_p90
    assert on_time.forecast_done_p50 < late.forecast_done_p50  # Kotka sews slower
    assert [s.stage_id for s in line_item_projected_stages(late)] == [sewing.pk, packing.pk]
    assert late.forecast_stages[-1]["p50"] == late.forecast_done_p50.isoformat()
    # Tighten the on-time order's date until only its p90 is after it: at risk.
    order = on_time.order
    order.due_date = on_time.forecast_arrival_p50 + dt.timedelta(days=0)
    order.save()
    forecasts_recompute(organisation=organisation, now=NOW)
    on_time.refresh_from_db()
    assert on_time.forecast_state == "at_risk"


def test_a_second_recompute_writes_nothing_and_keeps_when_it_became_late(shop):
    organisation, (cutting, sewing, packing), bolide, kotka = shop
    late = open_item(organisation, sewing, kotka, days_in_stage=1, due_in_days=3, past=[(cutting, 1)])
    sent = []
    forecasts_recomputed.connect(lambda sender, **kw: sent.append(kw["run"].changed), weak=False, dispatch_uid="t")
    try:
        forecasts_recompute(organisation=organisation, now=NOW)
        again = forecasts_recompute(organisation=organisation, now=NOW + dt.timedelta(minutes=5))
    finally:
        forecasts_recomputed.disconnect(dispatch_uid="t")
    assert again.changed == 0 and sent == [1]  # told once: the second changed nothing
    late.refresh_from_db()
    assert late.predicted_late_since == NOW
    order = late.order
    order.delivery_status = "all_received"
    order.save()
    assert forecasts_recompute(organisation=organisation, now=NOW).changed == 1
    late.refresh_from_db()
    assert (late.forecast_state, late.forecast_arrival_p50, late.predicted_late_since, late.forecast_stages) == ("", None, None, [])


def test_a_sync_that_changed_something_recomputes_the_forecasts(shop, django_capture_on_commit_callbacks):
    organisation, (cutting, sewing, packing), bolide, kotka = shop
    item = open_item(organisation, sewing, bolide, days_in_stage=1, due_in_days=30)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        production_synced.send(sender=None, organisation=organisation, run=None)
    assert callbacks
    assert LineItem.objects.get(pk=item.pk).forecast_state == "on_track"
