"""The one reconstruction of the board on a past day: stage periods -> day spans, stored and refreshed."""
import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from production.history.models import StageSpan
from production.history.selectors import spans_on
from production.history.services import stage_history_rebuild, stage_history_refresh
from production.history.spans import OPEN_END, PeriodFact, Span, line_item_spans, span_on
from tests.support.factories import (
    LineItemFactory,
    ManufacturerFactory,
    ProductionOrderFactory,
    StageFactory,
    StagePeriodFactory,
)

UTC = zoneinfo.ZoneInfo("UTC")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
D = dt.date


def at(day: int, hour: int = 12, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


CUT, SEW, PACK = 1, 2, 3


def test_a_line_item_moves_through_its_stages_day_by_day():
    periods = [
        PeriodFact(0, CUT, at(1, 10), at(3, 9)),
        PeriodFact(1, SEW, at(3, 12), at(8, 16)),
        PeriodFact(2, PACK, at(10), None),
    ]
    spans = line_item_spans(periods=periods, exists_from=D(2026, 2, 25), closed_on=None, zone=UTC)
    assert spans == [
        Span(None, "not_started", D(2026, 2, 25), D(2026, 3, 1), None),
        Span(CUT, "in_progress", D(2026, 3, 1), D(2026, 3, 3), at(1, 10)),
        Span(SEW, "in_progress", D(2026, 3, 3), D(2026, 3, 8), at(3, 12)),
        Span(SEW, "completed", D(2026, 3, 8), D(2026, 3, 10), at(3, 12)),
        Span(PACK, "in_progress", D(2026, 3, 10), OPEN_END, at(10)),
    ]
    # End of 2 March: cutting; end of 3 March: sewing (cutting ended that morning, sewing began).
    assert span_on(spans, D(2026, 3, 2)).stage_id == CUT
    assert span_on(spans, D(2026, 3, 3)).stage_id == SEW
    assert span_on(spans, D(2026, 3, 9)).state == "completed"
    assert span_on(spans, D(2026, 2, 24)) is None  # the order did not exist yet


def test_the_furthest_started_stage_in_the_list_wins_when_timestamps_disagree():
    # Sewing (second in the list) says it started before Cutting did: Cutting never shows after that.
    periods = [PeriodFact(0, CUT, at(5), at(6)), PeriodFact(1, SEW, at(4), None)]
    spans = line_item_spans(periods=periods, exists_from=D(2026, 3, 1), closed_on=None, zone=UTC)
    assert [(s.stage_id, s.state, s.first_day) for s in spans] == [
        (None, "not_started", D(2026, 3, 1)), (SEW, "in_progress", D(2026, 3, 4)),
    ]


def test_days_are_the_organisations_local_days():
    # 23:30 UTC on 1 March is already 2 March in Paris.
    periods = [PeriodFact(0, CUT, dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), None)]
    assert line_item_spans(periods=periods, exists_from=None, closed_on=None, zone=UTC)[-1].first_day == D(2026, 3, 1)
    assert line_item_spans(periods=periods, exists_from=None, closed_on=None, zone=PARIS)[-1].first_day == D(2026, 3, 2)


def test_a_received_order_leaves_the_board_and_stages_without_start_are_not_started():
    periods = [PeriodFact(0, CUT, at(1), at(2)), PeriodFact(1, SEW, at(2), None), PeriodFact(2, PACK, None, None)]
    spans = line_item_spans(periods=periods, exists_from=D(2026, 3, 1), closed_on=D(2026, 3, 5), zone=UTC)
    assert spans[-1] == Span(SEW, "in_progress", D(2026, 3, 2), D(2026, 3, 5), at(2))
    assert span_on(spans, D(2026, 3, 5)) is None
    never = line_item_spans(periods=[PeriodFact(0, CUT, None, None)], exists_from=D(2026, 3, 1), closed_on=None,
                            zone=UTC)
    assert never == [Span(None, "not_started", D(2026, 3, 1), OPEN_END, None)]
    none = line_item_spans(periods=[], exists_from=D(2026, 3, 1), closed_on=None, zone=UTC, has_stages=False)
    assert none == [Span(None, "no_stages", D(2026, 3, 1), OPEN_END, None)]


def test_a_stage_started_and_done_the_same_day_shows_as_done():
    periods = [PeriodFact(0, CUT, at(1, 8), at(1, 17))]
    spans = line_item_spans(periods=periods, exists_from=D(2026, 3, 1), closed_on=None, zone=UTC)
    assert spans == [Span(CUT, "completed", D(2026, 3, 1), OPEN_END, at(1, 8))]


@pytest.fixture
def history(db, organisation):
    """Two line items of one order, each with a known stage history (UTC days)."""
    organisation.time_zone = "UTC"
    organisation.save()
    cutting = StageFactory(organisation=organisation, name="Cutting", position=0)
    sewing = StageFactory(organisation=organisation, name="Sewing", position=1)
    maker = ManufacturerFactory(organisation=organisation, name="Kotka Knits")
    order = ProductionOrderFactory(organisation=organisation, manufacturer=maker, created_at=at(1, 9))
    moving = LineItemFactory(order=order, units=10, has_stages=True, stage_status="in_progress",
                             current_stage=sewing, current_stage_started_at=at(4))
    StagePeriodFactory(line_item=moving, stage=cutting, sequence=0, is_current=False, start_time=at(2),
                       end_time=at(4, 8), status="completed")
    StagePeriodFactory(line_item=moving, stage=sewing, sequence=1, is_current=True, start_time=at(4), end_time=None)
    waiting = LineItemFactory(order=order, units=5, has_stages=True, stage_status="not_started")
    StagePeriodFactory(line_item=waiting, stage=cutting, sequence=0, is_current=True, start_time=None,
                       status="not_started")
    return {"organisation": organisation, "order": order, "moving": moving, "waiting": waiting,
            "cutting": cutting, "sewing": sewing, "maker": maker}


def test_rebuild_stores_the_spans_with_the_order_facts(history):
    build = stage_history_rebuild(organisation=history["organisation"])
    assert build.line_items == 2 and build.spans == 4
    org = history["organisation"]
    on_3rd = {s.line_item_id: (s.stage_id, s.state) for s in spans_on(organisation=org, day=D(2026, 3, 3))}
    assert on_3rd == {history["moving"].id: (history["cutting"].id, "in_progress"),
                      history["waiting"].id: (None, "not_started")}
    on_4th = spans_on(organisation=org, day=D(2026, 3, 4)).get(line_item=history["moving"])
    assert (on_4th.stage_id, on_4th.units, on_4th.manufacturer_id) == (history["sewing"].id, 10, history["maker"].id)
    assert not spans_on(organisation=org, day=D(2026, 2, 28)).exists()


def test_refresh_rewrites_what_a_sync_changed_and_nothing_else(history, other_organisation):
    org = history["organisation"]
    stage_history_rebuild(organisation=org)
    untouched = StageSpan.objects.get(line_item=history["waiting"]).pk
    # A sync saw the order received on 6 March (Uphance updated it then).
    order = history["order"]
    order.delivery_status, order.updated_at, order.last_synced_at = "all_received", at(6), timezone.now()
    order.save()
    moving = history["moving"]
    moving.stages_changed_at = timezone.now()
    moving.save()
    other = LineItemFactory(order=ProductionOrderFactory(organisation=other_organisation))
    stage_history_refresh(organisation=org)
    assert not spans_on(organisation=org, day=D(2026, 3, 6)).exists()
    assert spans_on(organisation=org, day=D(2026, 3, 5)).count() == 2
    assert not StageSpan.objects.filter(line_item=other).exists()
    assert StageSpan.objects.filter(line_item=history["waiting"]).first().pk != untouched  # its order changed


def test_the_daily_counts_are_the_spans_counted(organisation):
    from django.db.models import Count, Sum

    from production.history.models import StageDay
    from tests.support.history_data import build_history
    from tests.support.history_data import day as ago

    build_history(organisation)
    for n in range(0, 60, 3):
        on = ago(n)
        spans = {(r["stage_id"], r["state"], r["manufacturer_id"]): (r["n"], r["u"]) for r in spans_on(
            organisation=organisation, day=on).values("stage_id", "state", "manufacturer_id").annotate(
            n=Count("id"), u=Sum("units"))}
        days = {(r.stage_id, r.state, r.manufacturer_id): (r.line_items, r.units)
                for r in StageDay.objects.filter(organisation=organisation, day=on)}
        assert days == spans, on
