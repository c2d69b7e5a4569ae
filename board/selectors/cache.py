"""The board's cache: what it reads changes only when a sync or a forecast recompute writes, so snapshots
are keyed by the data version."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Q

from production.forecasts.selectors import forecasts_computed_at
from production.sync.models import SyncRun

SNAPSHOT_CACHE_SECONDS = 300


def board_version(*, organisation) -> str:
    """The board's data version: "<sync run>.<forecasts>" ("0.0" before either).

    <sync run> is the id of the organisation's most recent finished sync run that changed data;
    runs that found nothing new (most polls) leave it, and so the cached board, as it is.
    <forecasts> is when the forecasts were last recomputed (after such a sync, once the forecasts
    are written: predicted late, at risk and stuck by the factory's speed change then).
    """
    run_id = (
        SyncRun.objects.filter(organisation=organisation, finished_at__isnull=False)
        .filter(Q(created__gt=0) | Q(updated__gt=0) | Q(removed__gt=0))
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    computed_at = forecasts_computed_at(organisation=organisation)
    return f"{run_id or 0}.{round(computed_at.timestamp() * 1_000_000) if computed_at else 0}"


def snapshot_key(kind: str, *, organisation, version: str, today: dt.date, filters,
                 thresholds=None, extra: str = "") -> str:
    """The cache key of one snapshot: organisation, data version, day, the board's filters (a
    BoardFilters) and, for the stuck filter, what the thresholds depend on beyond the data version
    (production.rules.StuckThresholds: managers' settings)."""
    signature = [kind, str(organisation.pk), str(version), str(today), filters.query_string(), extra]
    if filters.stuck and thresholds:
        signature.append(thresholds.signature())
    return "seamline:board:" + hashlib.sha1("|".join(signature).encode()).hexdigest()


def cached(key: str, compute):
    """What the board reads only changes when a sync writes: keep it per organisation, finished sync
    run, filters and day. The timeout bounds what the stuck filter (which moves with time) misses."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, SNAPSHOT_CACHE_SECONDS)
    return value
