"""Whether the production a sales order waits on comes in time for its ship date, and if not, why, in words.

The rules (what `risk_assess` decides for one allocated demand link):
- The ship-by date is the sales order's cancel ship date, else its start ship date: the last
  day it can still ship. A sales order with neither cannot be judged and is never at risk.
- Production that Uphance gives no expected date for (in-warehouse date, else due date) is at
  risk: "No date from Uphance for PO 1307 …", with the stage estimate when there is one.
- Expected after the ship-by date: at risk ("late").
- Ship-by date passed while the production is still not (fully) received: at risk ("overdue").
- Otherwise the stages decide: the days still needed are what is left of the median duration of
  the current stage (after the days already spent in it) plus the median durations of every
  later stage of the organisation's sequence. Medians come from the last completed stage periods
  of each stage (StagePeriod history); a stage with no history counts DEFAULT_STAGE_DAYS. When
  today + days needed is after the ship-by date: at risk ("slow"), e.g. "Sewing at Bolide needs
  about 9 more days; ships by 12 Mar".
- Partly received production (delivery status receiving) has finished its stages for what came
  in: only the dates are judged for the rest, and the reason says "partly received".
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

from production.models import Stage, StagePeriod

DEFAULT_STAGE_DAYS = 7.0
MEDIAN_SAMPLE = 500  # the last completed periods of a stage that make its median

NO_DATE, LATE, OVERDUE, SLOW = "no_date", "late", "overdue", "slow"
SEVERITY = {OVERDUE: 4, LATE: 3, NO_DATE: 2, SLOW: 1, "": 0}


@dataclass(frozen=True)
class StagePlan:
    """The organisation's stage sequence with the median days each stage takes."""

    medians: dict[int, float] = field(default_factory=dict)  # stage id -> median days (history only)
    sequence: tuple[tuple[int, int], ...] = ()  # (position, stage id) in stage order
    names: dict[int, str] = field(default_factory=dict)

    def median(self, stage_id: int) -> float:
        return self.medians.get(stage_id, DEFAULT_STAGE_DAYS)

    def days_left(self, *, stage_id: int | None, stage_status: str, started_at, now: dt.datetime) -> float | None:
        """Days the line item still needs before its stages are done; None when there is nothing to go by."""
        if stage_status == "completed":
            return 0.0
        if stage_id is None or stage_status == "no_stages":
            return None
        position = next((p for p, sid in self.sequence if sid == stage_id), None)
        elapsed = 0.0
        if started_at is not None and stage_status != "not_started":
            elapsed = max(0.0, (now - started_at).total_seconds() / 86400)
        left = max(0.0, self.median(stage_id) - elapsed)
        if position is not None:
            left += sum(self.median(sid) for p, sid in self.sequence if p > position and sid != stage_id)
        return left


def stage_plan_load(*, organisation) -> StagePlan:
    """Median days per stage from the last MEDIAN_SAMPLE completed periods of each stage."""
    stages = list(Stage.objects.filter(organisation=organisation).order_by("position", "name").values_list("pk", "position", "name"))
    medians = {}
    for stage_id, _, _ in stages:
        durations = [
            (end - start).total_seconds() / 86400
            for start, end in StagePeriod.objects.filter(
                organisation=organisation, stage_id=stage_id, start_time__isnull=False, end_time__isnull=False
            )
            .order_by("-end_time")
            .values_list("start_time", "end_time")[:MEDIAN_SAMPLE]
            if end >= start
        ]
        if durations:
            medians[stage_id] = statistics.median(durations)
    return StagePlan(
        medians=medians,
        sequence=tuple((position, pk) for pk, position, _ in stages),
        names={pk: name for pk, _, name in stages},
    )


@dataclass(frozen=True)
class Production:
    """What the risk rules need to know of one production line item and its order."""

    order_number: str
    manufacturer: str
    expected_date: dt.date | None
    delivery_status: str
    stage_status: str
    current_stage_id: int | None
    current_stage_started_at: dt.datetime | None


@dataclass(frozen=True)
class Risk:
    kind: str = ""
    reason: str = ""

    @property
    def at_risk(self) -> bool:
        return bool(self.kind)


def day_month(value: dt.date, *, today: dt.date) -> str:
    """12 Mar (12 Mar 2027 when not this year)."""
    text = f"{value.day} {value:%b}"
    return text if value.year == today.year else f"{text} {value.year}"


def _days(value: float) -> str:
    n = max(1, math.ceil(value - 1e-9))
    return f"about {n} more day{'s' if n != 1 else ''}"


def risk_assess(*, ship_by: dt.date | None, production: Production, plan: StagePlan, today: dt.date,
                now: dt.datetime) -> Risk:
    """At risk or not, and why (see the module docstring for the rules)."""
    if ship_by is None:
        return Risk()
    po = f"PO {production.order_number}"
    at = f" at {production.manufacturer}" if production.manufacturer else ""
    ships = f"{'ships' if ship_by >= today else 'was to ship'} by {day_month(ship_by, today=today)}"
    partial = production.delivery_status == "receiving"
    days_left = None
    stage_words = ""
    if not partial:
        days_left = plan.days_left(
            stage_id=production.current_stage_id, stage_status=production.stage_status,
            started_at=production.current_stage_started_at, now=now,
        )
        stage_name = plan.names.get(production.current_stage_id)
        if days_left and stage_name:
            stage_words = f"{stage_name}{at} needs {_days(days_left)}"
    expected = production.expected_date

    if expected is None:
        # The stage words name the manufacturer already.
        parts = [f"No date from Uphance for {po}{'' if stage_words else at}"]
        if partial:
            parts[0] += " (partly received)"
        if stage_words:
            parts.append(stage_words)
        parts.append(ships)
        return Risk(NO_DATE, "; ".join(parts))
    expected_words = f"expected {day_month(expected, today=today)}"
    if expected > ship_by:
        lead = f"{po}{at} is partly received, the rest {expected_words}" if partial else f"{po}{at} {expected_words}"
        return Risk(LATE, f"{lead}; {ships}")
    if today > ship_by:
        received = "fully received" if partial else "received"
        return Risk(OVERDUE, f"{po}{at} is not {received} yet ({expected_words}); {ships}")
    if days_left is not None and today + dt.timedelta(days=math.ceil(days_left - 1e-9)) > ship_by:
        return Risk(SLOW, f"{stage_words or po + at + ' needs ' + _days(days_left)}; {ships}")
    return Risk()
