"""Days in stage never go negative: a stage Uphance dates in the future reads "starts in N d"."""
import datetime as dt

from production.forecasts import days_in_stage

NOW = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)


def test_days_in_stage_count_whole_days_since_the_start():
    assert days_in_stage(NOW - dt.timedelta(days=6, hours=22), NOW) == (6, False)
    assert days_in_stage(NOW - dt.timedelta(minutes=5), NOW) == (0, False)


def test_a_start_in_the_future_is_days_until_it_starts_never_negative():
    assert days_in_stage(NOW + dt.timedelta(hours=3), NOW) == (1, True)
    assert days_in_stage(NOW + dt.timedelta(days=2, hours=1), NOW) == (3, True)
    assert days_in_stage(None, NOW) == (None, False)
