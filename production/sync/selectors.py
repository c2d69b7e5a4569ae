"""Reads for the sync health page: last runs per kind, open issues, freshness, what can be started."""
from django.db.models import Max

from production.sync.models import SyncIssue, SyncRun

from .engine import PRODUCTION_KINDS, sync_kinds

DONE = [SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.PARTIAL]


def sync_runs_latest(*, organisation, per_kind: int = 5) -> list[dict]:
    """For each kind that has run: its latest runs, newest first."""
    rows = []
    kinds = SyncRun.objects.filter(organisation=organisation).values_list("kind", flat=True).distinct()
    order = {k: i for i, k in enumerate(SyncRun.Kind.values)}
    for kind in sorted(set(kinds), key=lambda k: order.get(k, 99)):
        runs = list(SyncRun.objects.filter(organisation=organisation, kind=kind).order_by("-started_at")[:per_kind])
        rows.append({"kind": kind, "label": runs[0].get_kind_display(), "runs": runs, "latest": runs[0]})
    return rows


def sync_runs_active(*, organisation) -> list[SyncRun]:
    return list(
        SyncRun.objects.filter(organisation=organisation, outcome__in=[SyncRun.Outcome.QUEUED, SyncRun.Outcome.RUNNING])
        .order_by("-started_at")[:10]
    )


def sync_issues_open(*, organisation, limit: int = 100) -> tuple[list[SyncIssue], int]:
    issues = SyncIssue.objects.filter(organisation=organisation, resolved_at__isnull=True)
    return list(issues.order_by("-last_seen_at")[:limit]), issues.count()


def data_fresh_at(*, organisation):
    """When production data was last known complete and current: the last finished production pass."""
    return SyncRun.objects.filter(organisation=organisation, kind__in=PRODUCTION_KINDS, outcome__in=DONE).aggregate(
        at=Max("finished_at")
    )["at"]


def sync_startable() -> list[tuple[str, str]]:
    """(kind, label) of every kind config registered: each can be started on its own from /sync/."""
    labels = dict(SyncRun.Kind.choices)
    return [(kind, labels[kind]) for kind in sync_kinds()]
