"""Stage durations per stage × manufacturer: samples, clicked-through periods, the fallbacks."""
import pytest

from production.durations import DEFAULT_DURATION, MANUFACTURER, STAGE
from production.forecasts.history import (
    DurationSamples,
    GapSamples,
    History,
    LineRow,
    OrderRow,
    Routes,
)

CUTTING, SEWING, PACKING = 1, 2, 3
FAST, SLOW, NEW = 10, 20, 30
T = 20_000.0  # float days since the epoch


def history(items, *, arrivals=None):
    """items: (manufacturer, [(stage, start, end), ...]) per line item, one order each."""
    lines, orders, periods = {}, {}, {}
    for k, (manufacturer, stages) in enumerate(items, start=1):
        orders[k] = OrderRow(k, manufacturer, None, None, (arrivals or {}).get(k), True)
        lines[k] = LineRow(k, k, 500 + k % 3, "completed", False)
        periods[k] = [(seq, stage, start, end, False) for seq, (stage, start, end) in enumerate(stages)]
    return History(lines=lines, orders=orders, periods=periods, sequence=[CUTTING, SEWING, PACKING])


def sewing_at(manufacturer, days, n, *, end=T - 10):
    return [(manufacturer, [(SEWING, end - d, end)]) for d in [days] * n]


def test_a_manufacturer_with_enough_samples_has_its_own_median_and_p90():
    items = [(FAST, [(SEWING, T - 10 - d, T - 10)]) for d in (2, 3, 3, 4, 4, 5, 9)]
    items += sewing_at(SLOW, 10, 6)
    book = DurationSamples(history(items)).book(T)
    fast = book.duration(SEWING, FAST)
    assert (fast.source, fast.samples, fast.median_days) == (MANUFACTURER, 7, 4)
    assert 5 < fast.p90_days < 9
    assert book.duration(SEWING, SLOW).median_days == pytest.approx(10)


def test_too_few_samples_fall_back_to_the_stage_across_factories_then_to_the_default():
    items = sewing_at(FAST, 3, 6) + sewing_at(NEW, 12, 4)
    book = DurationSamples(history(items)).book(T)
    new = book.duration(SEWING, NEW)
    assert new.source == STAGE and new.samples == 10 and new.median_days == pytest.approx(3)
    assert book.duration(CUTTING, FAST) == DEFAULT_DURATION  # no cutting history anywhere
    assert book.duration(SEWING, None).source == STAGE


def test_clicked_through_periods_and_times_that_disagree_with_the_stage_order_are_not_durations():
    clicked = [(FAST, [(CUTTING, T - 20, T - 20 + 3 / 86400), (SEWING, T - 20 + 7 / 86400, T - 15)])] * 6
    swapped = [(SLOW, [(CUTTING, T - 10, T - 8), (SEWING, T - 30, T - 12)])] * 6  # Cutting dated after Sewing
    book = DurationSamples(history(clicked + swapped)).book(T)
    assert book.duration(CUTTING, FAST) == DEFAULT_DURATION
    assert book.duration(SEWING, FAST).median_days == pytest.approx(5, abs=0.01)
    assert book.duration(SEWING, SLOW).source == STAGE  # its six periods were left out


def test_only_periods_known_by_then_inside_the_window_count():
    items = sewing_at(FAST, 2, 6, end=T - 400) + sewing_at(FAST, 6, 6, end=T - 5) + sewing_at(FAST, 20, 6, end=T + 5)
    samples = DurationSamples(history(items))
    assert samples.book(T).duration(SEWING, FAST).median_days == pytest.approx(6)
    assert samples.book(T - 390).duration(SEWING, FAST).median_days == pytest.approx(2)


def test_the_receiving_gap_is_learned_from_orders_that_arrived():
    items = [(FAST, [(PACKING, T - 30, T - 20)])] * 8
    arrivals = {k: T - 20 + 2 + k * 0.1 for k in range(1, 9)}
    arrivals[1] = T - 25  # arrived before its stages were closed: data entered late, not a gap
    gap = GapSamples(history(items, arrivals=arrivals)).gap(T)
    assert gap.samples == 7 and gap.median_days == pytest.approx(2.5)
    assert GapSamples(history(items)).gap(T).source == "default"


def test_routes_follow_the_product_else_the_stage_sequence():
    items = [(FAST, [(CUTTING, T - 30, T - 25), (PACKING, T - 25, T - 20)])]  # product 501 skips Sewing
    routes = Routes(history(items))
    assert routes.ahead(product_id=501, anchor=CUTTING, passed=set(), as_of=T, include_anchor=False) == [PACKING]
    assert routes.ahead(product_id=999, anchor=CUTTING, passed=set(), as_of=T, include_anchor=False) == [SEWING, PACKING]
    assert routes.ahead(product_id=501, anchor=CUTTING, passed=set(), as_of=T - 22, include_anchor=True) == [
        CUTTING, SEWING, PACKING,
    ]
