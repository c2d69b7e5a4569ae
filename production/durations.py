"""How long a stage takes, as every reader takes it: the stage × manufacturer's own figures, else the stage's, else a default.

production.forecasts learns the figures from the stage history after syncs and stores them
(StageDuration: median and p90 days per stage × manufacturer, manufacturer empty = every factory,
with the number of completed periods they come from). Readers apply the fallbacks here, the one
place they are spelled: a pair with fewer than MIN_SAMPLES periods falls back to the stage across
every factory, a stage with fewer to DEFAULT_MEDIAN_DAYS / DEFAULT_P90_DAYS. The forecasts build on
it (production.forecasts.history) and so does the stuck rule (production.rules), which is why it
sits below both.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from production.models import StageDuration

CACHE_SECONDS = 3600

MIN_SAMPLES = 5
DEFAULT_MEDIAN_DAYS = 7.0
DEFAULT_P90_DAYS = 14.0

MANUFACTURER, STAGE, DEFAULT = "manufacturer", "stage", "default"


@dataclass(frozen=True, slots=True)
class Duration:
    median_days: float
    p90_days: float
    samples: int
    source: str = MANUFACTURER  # manufacturer | stage | default: where the figures come from


DEFAULT_DURATION = Duration(DEFAULT_MEDIAN_DAYS, DEFAULT_P90_DAYS, 0, DEFAULT)


class DurationBook:
    """Stage durations with the fallbacks: the manufacturer's own, else the stage's, else the default."""

    def __init__(self, fitted: dict[tuple[int, int | None], Duration]):
        self.fitted = fitted
        self._resolved: dict[tuple[int, int | None], Duration] = {}

    def duration(self, stage_id: int, manufacturer_id: int | None) -> Duration:
        key = (stage_id, manufacturer_id)
        found = self._resolved.get(key)
        if found is None:
            own = self.fitted.get(key) if manufacturer_id is not None else None
            stage = self.fitted.get((stage_id, None))
            if own is not None and own.samples >= MIN_SAMPLES:
                found = own
            elif stage is not None and stage.samples >= MIN_SAMPLES:
                found = stage
            else:
                found = DEFAULT_DURATION
            self._resolved[key] = found
        return found

    def own_pairs(self) -> list[tuple[int, int]]:
        """(stage id, manufacturer id) of every pair with enough periods of its own."""
        return sorted(k for k, d in self.fitted.items() if k[1] is not None and d.samples >= MIN_SAMPLES)


def durations_stored(*, organisation, version=None) -> dict[tuple[int, int | None], Duration]:
    """The organisation's stored figures, {(stage id, manufacturer id or None): Duration} (one query).

    `version` (the board's data version, which moves with every sync that changed data and every
    forecast recompute) keys a cached copy; None reads the table.
    """
    if version is not None:
        key = f"seamline:durations:{organisation.pk}:{version}"
        found = cache.get(key)
        if found is None:
            found = durations_stored(organisation=organisation)
            cache.set(key, found, CACHE_SECONDS)
        return found
    return {
        (stage_id, manufacturer_id): Duration(median, p90, samples, MANUFACTURER if manufacturer_id else STAGE)
        for stage_id, manufacturer_id, median, p90, samples in StageDuration.objects.filter(
            organisation=organisation
        ).values_list("stage_id", "manufacturer_id", "median_days", "p90_days", "samples")
    }
