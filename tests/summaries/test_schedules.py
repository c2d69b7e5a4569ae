"""Schedule arithmetic of summaries: local wall-clock times across time zones and DST changes."""
import datetime as dt

import pytest

from summaries.schedules import (
    DISPATCH_TASK,
    DISPATCH_TASK_NAME,
    occurrence_on,
    period_before,
    period_latest,
    period_next,
    summary_dispatch_schedule_ensure,
    zone_get,
)

UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def london_daily(now):
    return period_latest(kind="daily", weekday=None, local_time=dt.time(8, 0), time_zone="Europe/London", now=now)


def test_london_daily_0800_follows_the_march_change():
    # Clocks go forward on Sunday 29 March 2026: 08:00 is 08:00 UTC on Saturday, 07:00 UTC on Sunday.
    assert london_daily(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 28, 8, 0)
    assert london_daily(utc(2026, 3, 29, 6, 59)) == utc(2026, 3, 28, 8, 0)
    assert london_daily(utc(2026, 3, 29, 7, 0)) == utc(2026, 3, 29, 7, 0)
    assert london_daily(utc(2026, 3, 30, 9, 0)) == utc(2026, 3, 30, 7, 0)
    # The day of the change is 23 hours long, and the next send is still 08:00 local.
    nxt = period_next(kind="daily", weekday=None, local_time=dt.time(8), time_zone="Europe/London",
                      now=utc(2026, 3, 28, 8, 0))
    assert nxt == utc(2026, 3, 29, 7, 0)
    assert nxt.astimezone(zone_get("Europe/London")).time() == dt.time(8, 0)


def test_london_daily_0800_follows_the_october_change():
    # Clocks go back on Sunday 25 October 2026: 08:00 is 07:00 UTC on Saturday, 08:00 UTC on Sunday.
    assert london_daily(utc(2026, 10, 24, 7, 30)) == utc(2026, 10, 24, 7, 0)
    assert london_daily(utc(2026, 10, 25, 7, 30)) == utc(2026, 10, 24, 7, 0)
    assert london_daily(utc(2026, 10, 25, 8, 0)) == utc(2026, 10, 25, 8, 0)
    before = period_before(kind="daily", weekday=None, local_time=dt.time(8), time_zone="Europe/London",
                           period=utc(2026, 10, 25, 8, 0))
    assert before == utc(2026, 10, 24, 7, 0)  # 25 hours earlier, one local day


def test_london_daily_is_one_period_per_local_day_across_a_whole_year():
    periods = []
    now = utc(2026, 1, 1, 0, 0)
    while True:
        now = period_next(kind="daily", weekday=None, local_time=dt.time(8), time_zone="Europe/London", now=now)
        if now >= utc(2027, 1, 1):
            break
        periods.append(now)
    local = [p.astimezone(zone_get("Europe/London")) for p in periods]
    assert len(periods) == len({p.date() for p in local}) == 365
    assert {p.time() for p in local} == {dt.time(8, 0)}


def test_times_skipped_or_repeated_by_a_change_happen_exactly_once():
    london = zone_get("Europe/London")
    # 01:30 does not exist on 29 March: it is sent at 02:30 BST (01:30 UTC).
    assert occurrence_on(day=dt.date(2026, 3, 29), local_time=dt.time(1, 30), zone=london) == utc(2026, 3, 29, 1, 30)
    # 01:30 happens twice on 25 October: it is sent the first time (BST).
    assert occurrence_on(day=dt.date(2026, 10, 25), local_time=dt.time(1, 30), zone=london) == utc(2026, 10, 25, 0, 30)
    # And the daily schedule at 01:30 still has one period on each of those days.
    now = utc(2026, 10, 24, 12)
    seen = []
    for _ in range(3):
        now = period_next(kind="daily", weekday=None, local_time=dt.time(1, 30), time_zone="Europe/London", now=now)
        seen.append(now)
    assert seen == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)]


def test_sydney_weekly_monday_0700_across_the_april_change():
    # Sydney leaves daylight time (+11 -> +10) on Sunday 5 April 2026.
    def latest(now):
        return period_latest(kind="weekly", weekday=0, local_time=dt.time(7), time_zone="Australia/Sydney", now=now)

    assert latest(utc(2026, 4, 1, 0, 0)) == utc(2026, 3, 29, 20, 0)  # Mon 30 Mar 07:00 AEDT
    assert latest(utc(2026, 4, 5, 20, 59)) == utc(2026, 3, 29, 20, 0)
    assert latest(utc(2026, 4, 5, 21, 0)) == utc(2026, 4, 5, 21, 0)  # Mon 6 Apr 07:00 AEST
    nxt = period_next(kind="weekly", weekday=0, local_time=dt.time(7), time_zone="Australia/Sydney",
                      now=utc(2026, 3, 29, 20, 0))
    assert nxt - utc(2026, 3, 29, 20, 0) == dt.timedelta(days=7, hours=1)


def test_sydney_weekly_sunday_in_the_october_gap():
    # 02:30 does not exist in Sydney on Sunday 4 October 2026 (02:00 AEST -> 03:00 AEDT).
    nxt = period_next(kind="weekly", weekday=6, local_time=dt.time(2, 30), time_zone="Australia/Sydney",
                      now=utc(2026, 10, 1))
    assert nxt == utc(2026, 10, 3, 16, 30)  # 03:30 AEDT, once
    following = period_next(kind="weekly", weekday=6, local_time=dt.time(2, 30), time_zone="Australia/Sydney", now=nxt)
    assert following == utc(2026, 10, 10, 15, 30)  # Sun 11 Oct 02:30 AEDT


def test_new_york_daily_and_weekly():
    # New York starts daylight time on Sunday 8 March 2026.
    daily = {"kind": "daily", "weekday": None, "local_time": dt.time(17, 30), "time_zone": "America/New_York"}
    assert period_latest(**daily, now=utc(2026, 3, 8, 0, 0)) == utc(2026, 3, 7, 22, 30)
    assert period_latest(**daily, now=utc(2026, 3, 8, 21, 30)) == utc(2026, 3, 8, 21, 30)
    # Weekly on Friday, asked on a Wednesday: last Friday.
    weekly = {"kind": "weekly", "weekday": 4, "local_time": dt.time(16), "time_zone": "America/New_York"}
    assert period_latest(**weekly, now=utc(2026, 11, 4, 12)) == utc(2026, 10, 30, 20, 0)
    assert period_next(**weekly, now=utc(2026, 11, 4, 12)) == utc(2026, 11, 6, 21, 0)  # EST after 1 Nov


def test_a_period_is_due_exactly_at_its_instant_and_an_unknown_zone_means_utc():
    assert london_daily(utc(2026, 6, 1, 7, 0)) == utc(2026, 6, 1, 7, 0)
    assert london_daily(utc(2026, 6, 1, 6, 59, 59)) == utc(2026, 5, 31, 7, 0)
    assert period_latest(kind="daily", weekday=None, local_time=dt.time(8), time_zone="Mars/Olympus",
                         now=utc(2026, 6, 1, 9)) == utc(2026, 6, 1, 8)


@pytest.mark.django_db
def test_dispatch_schedule_ensure_is_idempotent():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from config.celery import app

    first = summary_dispatch_schedule_ensure()
    second = summary_dispatch_schedule_ensure()
    assert first.pk == second.pk
    assert PeriodicTask.objects.filter(name=DISPATCH_TASK_NAME).count() == 1
    assert IntervalSchedule.objects.filter(every=1, period="minutes").count() == 1
    assert second.task == DISPATCH_TASK and second.enabled and second.interval.every == 1
    app.loader.import_default_modules()
    assert DISPATCH_TASK in app.tasks
