"""Schedule arithmetic for summaries (local wall-clock times across DST) and their beat entry."""
import datetime as dt
import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = dt.UTC
DAILY = "daily"
WEEKLY = "weekly"

DISPATCH_TASK_NAME = "Dispatch due e-mail summaries"
DISPATCH_TASK = "production.tasks.summaries.summaries_dispatch_task"


def zone_get(name: str) -> ZoneInfo:
    """The zone called `name`, or UTC when the name is unknown (a stored name never breaks a send)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


def time_zone_names() -> list[str]:
    return sorted(name for name in available_timezones() if not name.startswith(("posix/", "right/")))


def occurrence_on(*, day: dt.date, local_time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of `local_time` on `day` in `zone`.

    A wall-clock time skipped by a spring-forward change is sent at the same distance after the
    change (01:30 London on the March change is 02:30 BST); a time that happens twice in autumn
    is sent the first time (fold=0). Either way each local date has exactly one instant.
    """
    naive = dt.datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _occurs_on(kind: str, weekday: int | None, day: dt.date) -> bool:
    return kind != WEEKLY or weekday is None or day.weekday() == weekday


def period_latest(*, kind: str, weekday: int | None, local_time: dt.time, time_zone: str, now: dt.datetime):
    """The most recent scheduled instant at or before `now` (UTC), or None if there is none yet."""
    zone = zone_get(time_zone)
    today = now.astimezone(zone).date()
    for back in range(9):
        day = today - dt.timedelta(days=back)
        if not _occurs_on(kind, weekday, day):
            continue
        instant = occurrence_on(day=day, local_time=local_time, zone=zone)
        if instant <= now:
            return instant
    return None


def period_next(*, kind: str, weekday: int | None, local_time: dt.time, time_zone: str, now: dt.datetime):
    """The first scheduled instant strictly after `now` (UTC)."""
    zone = zone_get(time_zone)
    today = now.astimezone(zone).date()
    for ahead in range(9):
        day = today + dt.timedelta(days=ahead)
        if not _occurs_on(kind, weekday, day):
            continue
        instant = occurrence_on(day=day, local_time=local_time, zone=zone)
        if instant > now:
            return instant
    raise AssertionError("a daily or weekly schedule always occurs within 8 days")


def period_before(*, kind: str, weekday: int | None, local_time: dt.time, time_zone: str, period: dt.datetime):
    """The scheduled instant before `period` (one local day or week earlier, whatever DST did)."""
    return period_latest(
        kind=kind, weekday=weekday, local_time=local_time, time_zone=time_zone,
        now=period - dt.timedelta(microseconds=1),
    )


def summary_period_latest(*, summary, now: dt.datetime):
    return period_latest(
        kind=summary.kind, weekday=summary.weekday, local_time=summary.local_time,
        time_zone=summary.time_zone, now=now,
    )


def summary_period_next(*, summary, now: dt.datetime):
    return period_next(
        kind=summary.kind, weekday=summary.weekday, local_time=summary.local_time,
        time_zone=summary.time_zone, now=now,
    )


def summary_period_before(*, summary, period: dt.datetime):
    return period_before(
        kind=summary.kind, weekday=summary.weekday, local_time=summary.local_time,
        time_zone=summary.time_zone, period=period,
    )


def summary_dispatch_schedule_ensure():
    """Create or update the django-celery-beat entry that runs the dispatcher every minute.

    Idempotent (safe from a post_migrate hook). Ticks expire after 55 s so a worker that was down
    does not work through a backlog of them: the dispatcher sends only the latest due period anyway.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval = (
        IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.MINUTES).order_by("id").first()
        or IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=DISPATCH_TASK_NAME,
        defaults={
            "task": DISPATCH_TASK,
            "interval": interval,
            "crontab": None,
            "solar": None,
            "clocked": None,
            "args": "[]",
            "kwargs": json.dumps({}),
            "enabled": True,
            "one_off": False,
            "expire_seconds": 55,
            "description": "Sends the e-mail summaries that are due (summaries.tasks).",
        },
    )
    return task
