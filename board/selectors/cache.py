"""The board's cache: what it reads changes only when a sync writes, so snapshots are keyed by the data version."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Q

from production.sync.models import SyncRun

SNAPSHOT_CACHE_SECONDS = 300


def board_version(*, organisation) -> int:
    """Id of the organisation's most recent finished sync run that changed data (0 before the first).

    Runs that found nothing new (most polls) leave the version, and so the cached board, as it is.
    """
    run_id = (
        SyncRun.objects.filter(organisation=organisation, finished_at__isnull=False)
        .filter(Q(created__gt=0) | Q(updated__gt=0) | Q(removed__gt=0))
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    return run_id or 0


def snapshot_key(kind: str, *, organisation, version: int, today: dt.date, filters,
                 thresholds: dict | None, extra: str = "") -> str:
    """The cache key of one snapshot: organisation, data version, day, the board's filters (a
    BoardFilters) and, for the stuck filter, the thresholds it was computed with."""
    signature = [kind, str(organisation.pk), str(version), str(today), filters.query_string(), extra]
    if filters.stuck and thresholds:
        if hasattr(thresholds, "signature"):  # thresholds that say themselves what they depend on
            signature.append(thresholds.signature())
        else:
            signature.append(",".join(f"{k}:{v.days}" for k, v in sorted(thresholds.items())))
    return "seamline:board:" + hashlib.sha1("|".join(signature).encode()).hexdigest()


def cached(key: str, compute):
    """What the board reads only changes when a sync writes: keep it per organisation, finished sync
    run, filters and day. The timeout bounds what the stuck filter (which moves with time) misses."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, SNAPSHOT_CACHE_SECONDS)
    return value
