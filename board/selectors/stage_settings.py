"""What the stage settings page shows beside each stage: its usual duration, and how many factories have their own."""
from __future__ import annotations

from dataclasses import dataclass

from production.durations import Duration, DurationBook, durations_stored


@dataclass(frozen=True)
class StageUsual:
    """A stage's usual duration at every factory, and the manufacturers judged by their own p90 there."""

    usual: Duration  # source "stage", or "default" while there is too little history
    own_factories: int


def stages_usual(*, organisation, stages, version=None) -> dict[int, StageUsual]:
    book = DurationBook(durations_stored(organisation=organisation, version=version))
    own = [stage_id for stage_id, _maker in book.own_pairs()]
    return {stage.id: StageUsual(book.duration(stage.id, None), own.count(stage.id)) for stage in stages}
