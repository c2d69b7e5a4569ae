"""Days in a stage as people read them: never negative; a start Uphance dates ahead is "starts in N d"."""
from __future__ import annotations

import datetime as dt
import math

DAY = 86400.0


def days_in_stage(start: dt.datetime | None, now: dt.datetime) -> tuple[int | None, bool]:
    """(whole days in the stage, False), or (whole days until it starts, True) for a start after `now`.

    Elapsed days round down ("in Sewing for 6 days" after 6.9 days); days until a future start
    round up, so a start later today reads "starts in 1 d", never "starts in 0 d". No start: (None, False).
    """
    if start is None:
        return None, False
    seconds = (now - start).total_seconds()
    if seconds >= 0:
        return int(seconds // DAY), False
    return max(1, math.ceil(-seconds / DAY)), True
