"""One line item's forecast: the stage under way counts, stages add up, late versus at risk."""
import datetime as dt

import pytest

from production.forecasts.distributions import LogNormal, cumulative
from production.forecasts.history import Duration, DurationBook, History, Routes
from production.forecasts.predict import (
    Position,
    forecast_state,
    line_forecast,
    order_arrival,
    position_at,
    position_now,
)

CUTTING, SEWING, WASHING, PACKING = 1, 2, 3, 4
BOLIDE = 7
NOW = 20_000.0
ROUTES = Routes(History(lines={}, orders={}, periods={}, sequence=[CUTTING, SEWING, WASHING, PACKING]))
BOOK = DurationBook({
    (CUTTING, BOLIDE): Duration(2.0, 4.0, 40), (SEWING, BOLIDE): Duration(6.0, 10.0, 40),
    (WASHING, BOLIDE): Duration(1.0, 2.0, 40), (PACKING, BOLIDE): Duration(1.0, 1.5, 40),
})


def forecast(position):
    return line_forecast(position, product_id=None, manufacturer_id=BOLIDE, as_of=NOW, book=BOOK, routes=ROUTES)


def sewing_since(days):
    return Position(SEWING, NOW - days, (CUTTING,), NOW - days, False)


def test_a_stage_past_its_median_is_forecast_from_the_conditional_remainder():
    fresh, past_median, far_past = (forecast(sewing_since(d)).stages[0] for d in (0.0, 8.0, 20.0))
    assert fresh[1] - NOW == pytest.approx(6.0, rel=0.01)
    # Eight days in, the naive "median minus elapsed" would say it ended two days ago.
    assert past_median[1] > NOW and past_median[2] > past_median[1]
    assert 0.5 < past_median[1] - NOW < 6.0
    remaining = LogNormal.fit(6.0, 10.0).remainder(8.0)
    assert past_median[1] - NOW == pytest.approx(remaining[0])
    assert far_past[1] > NOW  # however stuck, it is not done yet


def test_forecast_dates_grow_with_every_remaining_stage():
    result = forecast(sewing_since(2.0))
    assert [s[0] for s in result.stages] == [SEWING, WASHING, PACKING]
    p50s = [s[1] for s in result.stages]
    p90s = [s[2] for s in result.stages]
    assert p50s == sorted(p50s) and len(set(p50s)) == 3
    assert p90s == sorted(p90s) and all(p90 >= p50 for p50, p90 in zip(p50s, p90s, strict=True))
    assert (result.done_p50, result.done_p90) == (p50s[-1], p90s[-1])
    earlier = forecast(Position(CUTTING, NOW - 1, (), None, False))
    assert earlier.done_p50 > result.done_p50 and earlier.done_p90 > result.done_p90


def test_cumulative_sums_never_decrease_even_after_a_very_spread_stage():
    parts = [LogNormal.fit(10, 11), LogNormal.fit(0.05, 5.0), LogNormal.fit(1, 2)]
    sums = cumulative(parts)
    assert [s[0] for s in sums] == sorted(s[0] for s in sums)
    assert [s[1] for s in sums] == sorted(s[1] for s in sums)


def test_a_stage_dated_in_the_future_starts_then_and_one_not_started_starts_now():
    later = forecast(Position(SEWING, NOW + 3, (CUTTING,), NOW - 1, False))
    assert later.stages[0][1] == pytest.approx(NOW + 3 + 6.0, rel=0.01)
    pending = forecast(Position(CUTTING, None, (), None, False))
    assert pending.stages[0][1] == pytest.approx(NOW + 2.0, rel=0.01)


def test_completed_line_items_are_done_when_their_last_stage_ended():
    done = forecast(Position(None, None, (CUTTING, SEWING, PACKING), NOW - 2, True))
    assert (done.done_p50, done.done_p90, done.stages) == (NOW - 2, NOW - 2, ())


def test_positions_from_periods_now_and_as_they_stood_earlier():
    periods = [(0, CUTTING, NOW - 10, NOW - 8, False), (1, SEWING, NOW - 8, None, True)]
    assert position_now(periods, completed=False) == Position(SEWING, NOW - 8, (CUTTING,), NOW - 8, False)
    assert position_at(periods, NOW - 9) == Position(CUTTING, NOW - 10, (), None, False)
    assert position_at(periods, NOW - 11) == Position(CUTTING, None, (), None, False)
    assert position_now([], completed=False) is None


def test_an_order_arrives_after_its_slowest_line_item_plus_the_receiving_gap():
    gap = Duration(3.0, 6.0, 20)
    fast = forecast(Position(PACKING, NOW, (CUTTING, SEWING, WASHING), NOW, False))
    slow = forecast(sewing_since(1.0))
    arrival = order_arrival([fast, slow], as_of=NOW, gap=gap, arrived_at=None)
    assert arrival[0] > slow.done_p50 + 2.5 and arrival[1] > slow.done_p90 and arrival[1] > arrival[0]
    done = forecast(Position(None, None, (PACKING,), NOW - 1, True))
    waiting = order_arrival([done], as_of=NOW, gap=gap, arrived_at=None)
    assert NOW < waiting[0] < NOW + 3.0  # a day of the gap has gone by already
    assert order_arrival([done], as_of=NOW, gap=gap, arrived_at=NOW - 0.5) == (NOW - 0.5, NOW - 0.5)
    assert order_arrival([], as_of=NOW, gap=gap, arrived_at=None) is None


def test_predicted_late_when_the_median_arrival_is_after_the_date_at_risk_when_only_the_p90_is():
    due = dt.date(2026, 3, 20)
    assert forecast_state(arrival_p50=dt.date(2026, 3, 21), arrival_p90=dt.date(2026, 3, 25), expected=due) == "predicted_late"
    assert forecast_state(arrival_p50=dt.date(2026, 3, 19), arrival_p90=dt.date(2026, 3, 22), expected=due) == "at_risk"
    assert forecast_state(arrival_p50=dt.date(2026, 3, 15), arrival_p90=dt.date(2026, 3, 20), expected=due) == "on_track"
    assert forecast_state(arrival_p50=dt.date(2026, 3, 15), arrival_p90=dt.date(2026, 3, 20), expected=None) == ""
