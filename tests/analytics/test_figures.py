"""Scorecards, days per stage, flow and forecast accuracy of the known history, worked out by hand."""
import datetime as dt

import pytest

from analytics.forms import AnalyticsFilterForm
from analytics.selectors.common import percentile, percentile_counted
from analytics.selectors.durations import stage_durations
from analytics.selectors.flow import cumulative_flow, weekly_throughput, wip_aging
from analytics.selectors.forecasts import forecast_accuracy
from analytics.selectors.scorecards import manufacturer_scorecards, manufacturer_trends
from board.selectors.filters import board_options
from tests.support.history_data import day, noon

pytestmark = pytest.mark.django_db


def _filters(history, query=""):
    from django.http import QueryDict

    form = AnalyticsFilterForm(QueryDict(query), options=board_options(organisation=history.organisation),
                               today=day(0))
    form.is_valid()
    return form.filters()


def test_percentiles_interpolate_between_closest_ranks():
    assert percentile([1, 2, 3, 10], 0.5) == 2.5
    assert percentile([1, 2, 3, 10], 0.9) == pytest.approx(7.9)
    assert percentile_counted([(1, 1), (2, 1), (3, 1), (10, 1)], 0.9) == pytest.approx(7.9)
    assert percentile_counted([(5, 3)], 0.5) == 5
    assert percentile([], 0.5) is None


def test_scorecards_of_the_known_history(history):
    """Adine (4 POs received in 90 days): late by 0, 3, -2 (early) and 5 days against the in-warehouse
    (else due) date -> on time 2 of 4 = 50 %; against the original dates (A1's due date was 5 days
    earlier at first) 1 of 4 = 25 %; days late sorted -2, 0, 3, 5: median 1.5, p90 3 + 0.7 x 2 = 4.4;
    slips 5, 0, 0, 0: median 0. Kotka: 2 POs (0 and 2 days late), not ranked. Lone: none in the window,
    7 units in progress, shown unranked."""
    cards = manufacturer_scorecards(organisation=history.organisation, filters=_filters(history),
                                    options=board_options(organisation=history.organisation))
    by_name = {c.name: c for c in cards.rows}
    assert [c.name for c in cards.rows] == ["Adine Undone", "Kotka Knits", "Lone Loom"]
    adine, kotka, lone = by_name["Adine Undone"], by_name["Kotka Knits"], by_name["Lone Loom"]
    assert adine.rank == 1 and not kotka.ranked and not lone.ranked
    assert adine.figures.received == 4
    assert adine.figures.on_time_pct == 50.0
    assert adine.figures.on_time_original_pct == 25.0
    assert adine.figures.median_days_late == 1.5
    assert adine.figures.p90_days_late == pytest.approx(4.4)
    assert adine.figures.median_slip_days == 0
    assert (kotka.figures.received, kotka.figures.on_time_pct, kotka.figures.median_days_late) == (2, 50.0, 1.0)
    assert kotka.figures.p90_days_late == pytest.approx(1.8)
    assert (lone.figures.received, lone.units_in_progress) == (0, 7)
    assert adine.units_in_progress == 50  # a5 in Sewing; its not-started sibling is not in progress
    # Days per stage next to the organisation's: Adine's Cutting 2, 4, 6 -> median 4, p90 5.6;
    # every factory's 1, 2, 3, 4, 6 -> median 3, p90 5.2 (the 10-minute click-through is no duration).
    cutting = next(s for s in adine.stages if s.stage == "Cutting")
    assert (cutting.median, cutting.p90, cutting.count) == (4.0, pytest.approx(5.6), 3)
    assert (cutting.org_median, cutting.org_p90) == (3.0, pytest.approx(5.2))
    assert cutting.slower
    assert cards.organisation_figures.received == 6 and cards.organisation_figures.on_time_pct == 50.0
    # Forecast accuracy of its lines: errors 2 and 2 days.
    assert adine.forecast == {"line_items": 2, "mae_days": 2.0, "in_range_pct": 50.0}


def test_a_longer_window_takes_older_orders(history):
    cards = manufacturer_scorecards(organisation=history.organisation, filters=_filters(history, "window=365"),
                                    options=board_options(organisation=history.organisation))
    by_name = {c.name: c for c in cards.rows}
    assert by_name["Adine Undone"].figures.received == 5
    assert by_name["Lone Loom"].figures.received == 1
    explicit = _filters(history, f"from={day(130).isoformat()}&to={day(100).isoformat()}")
    cards = manufacturer_scorecards(organisation=history.organisation, filters=explicit,
                                    options=board_options(organisation=history.organisation))
    assert [(c.name, c.figures.received) for c in cards.rows if c.figures.received] == [("Adine Undone", 1)]


def test_filters_narrow_the_scorecards(history):
    options = board_options(organisation=history.organisation)
    by_season = manufacturer_scorecards(organisation=history.organisation,
                                        filters=_filters(history, f"season={history.ss26.id}"), options=options)
    assert [(c.name, c.figures.received) for c in by_season.rows if c.figures.received] == [("Adine Undone", 1)]
    porto = manufacturer_scorecards(organisation=history.organisation,
                                    filters=_filters(history, f"warehouse={history.w2.id}"), options=options)
    received = {c.name: c.figures.received for c in porto.rows}
    assert received["Adine Undone"] == 1 and received["Kotka Knits"] == 1  # A2 and K1 hold Porto lines


def test_stage_durations_per_stage_and_manufacturer(history):
    """Sewing: 5 and 10 days at Adine (median 7.5, p90 9.5), 8 at Kotka; every factory 5, 8, 10:
    median 8, p90 9.6."""
    result = stage_durations(organisation=history.organisation, filters=_filters(history),
                             options=board_options(organisation=history.organisation), with_manufacturers=True)
    rows = list(result.csv_rows())
    assert rows[0] == ["stage", "manufacturer", "completed_periods", "median_days", "p90_days"]
    assert rows[1:] == [
        ["Cutting", "", 5, "3.0", "5.2"],
        ["Cutting", "Adine Undone", 3, "4.0", "5.6"],
        ["Cutting", "Kotka Knits", 2, "2.0", "2.8"],
        ["Sewing", "", 3, "8.0", "9.6"],
        ["Sewing", "Adine Undone", 2, "7.5", "9.5"],
        ["Sewing", "Kotka Knits", 1, "8.0", "8.0"],
    ]
    chart = result.chart()
    assert chart["stages"][0]["box"] == [1.0, 2.0, 3.0, 4.0, 6.0]
    assert chart["stages"][1]["colour"] == "#973094"


def test_cumulative_flow_counts_each_day_from_the_stage_history(history):
    """End of T-50: a3 in Cutting (30 u) and k2's Cutting done (6 u). T-45: a3 only (k2's PO received
    T-48). T-38: a2 cutting (20 u). T-33: a2 in Sewing. T-30: a1 and a2 in Sewing (30 u)."""
    flow = cumulative_flow(organisation=history.organisation, filters=_filters(history),
                           options=board_options(organisation=history.organisation))
    at = {d: i for i, d in enumerate(flow.days)}
    cut, sew = history.cutting.id, history.sewing.id

    def on(days_ago):
        i = at[day(days_ago)]
        return (flow.items[cut][i], flow.units[cut][i]), (flow.items[sew][i], flow.units[sew][i])

    assert on(50) == ((2, 36), (0, 0))
    assert on(45) == ((1, 30), (0, 0))
    assert on(38) == ((1, 20), (0, 0))
    assert on(33) == ((0, 0), (1, 20))
    assert on(30) == ((0, 0), (2, 30))
    assert on(0) == ((1, 7), (1, 50))  # today: l1 in Cutting, a5 in Sewing
    rows = list(flow.csv_rows())
    assert rows[0] == ["date", "stage", "line_items", "units"]
    assert [day(30).isoformat(), "Sewing", 2, 30] in rows
    chart = flow.chart()
    assert chart["stages"][1]["line_items"][at[day(30)]] == 2  # the chart draws the CSV's numbers


def test_flow_with_two_dimensions_counts_from_the_spans_with_the_same_result(history):
    both = _filters(history, f"manufacturer={history.adine.id}&warehouse={history.w2.id}")
    flow = cumulative_flow(organisation=history.organisation, filters=both,
                           options=board_options(organisation=history.organisation))
    assert flow.source == "spans"
    i = flow.days.index(day(30))
    assert flow.items[history.sewing.id][i] == 1 and flow.units[history.sewing.id][i] == 20  # a2 only


def test_weekly_throughput_counts_click_throughs_as_completed(history):
    result = weekly_throughput(organisation=history.organisation, filters=_filters(history),
                               options=board_options(organisation=history.organisation))
    assert sum(result.items[history.cutting.id]) == 6  # a1 a2 a3 a4 k1 k2
    assert sum(result.units[history.cutting.id]) == 10 + 20 + 30 + 40 + 5 + 6
    assert sum(result.items[history.sewing.id]) == 3


def test_wip_aging_dots_and_p90_lines(history):
    """Open and in progress: l1 4 days in Cutting, a5 2 days in Sewing. The usual time of a stage is
    that of the last 365 days (the forecasts' StageDuration when it exists): Cutting 1, 2, 3, 4, 5
    (A-old's), 6 -> median 3.5, p90 5.5: l1 is not past it today, it is in two days."""
    aging = wip_aging(organisation=history.organisation, filters=_filters(history),
                      options=board_options(organisation=history.organisation), now=noon(0))
    stages = {s.stage.name: s for s in aging.stages}
    assert (stages["Cutting"].open, stages["Cutting"].p50, stages["Cutting"].p90) == (1, 3.5, pytest.approx(5.5))
    assert stages["Sewing"].open == 1 and stages["Sewing"].past_p90 == 0
    assert sorted(round(d.days, 1) for d in aging.dots) == [2.0, 4.0]
    later = wip_aging(organisation=history.organisation, filters=_filters(history),
                      options=board_options(organisation=history.organisation), now=noon(-2))
    cutting = next(s for s in later.stages if s.stage.name == "Cutting")
    assert cutting.past_p90 == 1  # six days in Cutting now: past its p90
    dot = next(d for d in later.dots if d.past_p90)
    assert later.chart()["dots"][[d.uphance_id for d in later.dots].index(dot.uphance_id)][3] == (
        f"/line-items/{history.items['l1'].uphance_id}/"
    )


def test_forecast_accuracy_against_the_baselines(history):
    """a1: p50 T-22, p90 T-18, arrived T-20: 2 days late, inside the range; PO date exact; 7 days for
    each of 2 stages from T-35 = T-21: 1 day. a2: p50 T-26, p90 T-25, arrived T-24: 2 days, above
    p90; PO date T-27: 3; 7 days from T-40: T-33: 9."""
    result = forecast_accuracy(organisation=history.organisation, filters=_filters(history))
    a = result.overall
    assert (a.line_items, a.forecast_mae, a.due_date_mae, a.fixed_mae) == (2, 2.0, 1.5, 5.0)
    assert (a.below_p50, a.in_range, a.above_p90) == (0.0, 50.0, 50.0)
    assert sum(w.accuracy.line_items for w in result.weeks) == 2


def test_manufacturer_trends_bucket_by_week(history):
    trends = manufacturer_trends(organisation=history.organisation, filters=_filters(history),
                                 options=board_options(organisation=history.organisation), manufacturer=history.adine)
    assert trends.bucket == "week"
    assert sum(b.figures.received for b in trends.buckets) == 4
    week = next(b for b in trends.buckets if b.first <= day(20) <= b.last)
    assert week.figures.on_time_pct == 100.0  # A1 arrived on its date
    assert sum(b.completed for b in trends.buckets) == 6  # a1 ×2, a2 ×2, a3, a4's click-through


def test_window_and_range_validation():
    from django.http import QueryDict

    class Options:
        seasons = warehouses = stages = manufacturers = []

    today = dt.date(2026, 3, 31)

    def form(q):
        f = AnalyticsFilterForm(QueryDict(q), options=Options(), today=today)
        f.is_valid()
        return f

    f = form("")
    assert (f.filters().first, f.filters().last, f.filters().window) == (dt.date(2026, 1, 1), today, 90)
    assert form("window=180").filters().days == 180
    ranged = form("from=2026-02-01&to=2026-02-28").filters()
    assert (ranged.first, ranged.last, ranged.window) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28), None)
    for bad in ("window=7", "from=2026-02-30&to=2026-03-01", "from=2026-03-01", "from=2026-03-05&to=2026-03-01",
                "from=2000-01-01&to=2026-01-01", "season=abc"):
        f = form(bad)
        assert f.problems, bad
        assert f.filters().days in (90, 1) or f.filters().window == 90, bad


def test_the_counted_standard_window_and_the_same_dates_give_the_same_figures(history):
    options = board_options(organisation=history.organisation)
    counted = stage_durations(organisation=history.organisation, filters=_filters(history, "window=90"),
                              options=options, with_manufacturers=True)
    same_days = _filters(history, f"from={day(89).isoformat()}&to={day(0).isoformat()}")
    assert same_days.window is None
    live = stage_durations(organisation=history.organisation, filters=same_days, options=options,
                           with_manufacturers=True)
    assert list(counted.csv_rows()) == list(live.csv_rows())


def test_the_forecasts_learned_durations_are_the_usual_time_when_they_exist(history):
    from production.models import StageDuration

    StageDuration.objects.create(organisation=history.organisation, stage=history.cutting, manufacturer=None,
                                 samples=40, median_days=2.0, p90_days=3.0)
    aging = wip_aging(organisation=history.organisation, filters=_filters(history),
                      options=board_options(organisation=history.organisation), now=noon(0))
    cutting = next(s for s in aging.stages if s.stage.name == "Cutting")
    assert (cutting.p50, cutting.p90, cutting.past_p90) == (2.0, 3.0, 1)


def test_throughput_and_flow_agree_whichever_table_counts_them(history):
    """One dimension: the daily flow counts; two at once: the completions and spans themselves."""
    options = board_options(organisation=history.organisation)
    one = _filters(history, f"manufacturer={history.adine.id}")
    two = _filters(history, f"manufacturer={history.adine.id}&warehouse={history.w1.id}&warehouse={history.w2.id}")
    a = weekly_throughput(organisation=history.organisation, filters=one, options=options)
    b = weekly_throughput(organisation=history.organisation, filters=two, options=options)
    assert a.items == b.items and a.units == b.units and sum(a.items[history.cutting.id]) == 4
    assert list(cumulative_flow(organisation=history.organisation, filters=one, options=options).csv_rows()) == list(
        cumulative_flow(organisation=history.organisation, filters=two, options=options).csv_rows())
