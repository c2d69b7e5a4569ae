"""After a sync that changed data the stage history, then analytics' tables, are brought up to date."""
import pytest
from django.utils import timezone

from analytics.models import AnalyticsBuild, FlowDay, ReceivedOrder, StageCompletion
from production.history.models import StageSpan
from production.sync.signals import production_synced
from tests.support.factories import StagePeriodFactory
from tests.support.history_data import build_history, day, noon

pytestmark = pytest.mark.django_db


def test_a_sync_refreshes_the_history_then_analytics(organisation, django_capture_on_commit_callbacks):
    history = build_history(organisation)
    before = AnalyticsBuild.objects.get(organisation=organisation).started_at
    # The sync saw l1 finish Cutting yesterday and start Sewing; L-open is now received.
    item = history.items["l1"]
    period = item.stage_periods.get(sequence=0)
    period.end_time, period.status, period.is_current = noon(1), "completed", False
    period.save()
    StagePeriodFactory(line_item=item, stage=history.sewing, sequence=1, is_current=True, start_time=noon(1))
    item.current_stage, item.stages_changed_at = history.sewing, timezone.now()
    item.save()
    order = history.orders["L-open"]
    order.delivery_status, order.updated_at, order.last_synced_at = "all_received", noon(0), timezone.now()
    order.save()
    with django_capture_on_commit_callbacks(execute=True):
        production_synced.send(sender=None, organisation=organisation, run=None)
    assert AnalyticsBuild.objects.get(organisation=organisation).started_at > before
    completion = StageCompletion.objects.get(line_item=item)
    assert (completion.tenths, completion.ended_on) == (30, day(1))  # 3 days in Cutting
    spans = list(StageSpan.objects.filter(line_item=item).order_by("first_day").values_list("stage_id", "until"))
    assert spans[-1] == (history.sewing.id, day(0))  # in Sewing from yesterday until received today
    assert ReceivedOrder.objects.filter(order=order, received_on=day(0)).exists()
    sewing_yesterday = FlowDay.objects.get(organisation=organisation, dimension="all", stage=history.sewing, day=day(1))
    assert (sewing_yesterday.line_items, sewing_yesterday.units) == (2, 57)  # a5 and l1


def test_refresh_leaves_other_organisations_alone(organisation, other_organisation, django_capture_on_commit_callbacks):
    build_history(organisation)
    build_history(other_organisation)
    theirs = StageSpan.objects.filter(organisation=other_organisation).count()
    with django_capture_on_commit_callbacks(execute=True):
        production_synced.send(sender=None, organisation=organisation, run=None)
    assert StageSpan.objects.filter(organisation=other_organisation).count() == theirs
