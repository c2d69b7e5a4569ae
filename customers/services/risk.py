"""Whether the production a sales order waits on comes in time for its ship date, and if not, why, in words.

The rules (what `risk_assess` decides for one allocated demand link):
- The ship-by date is the sales order's cancel ship date, else its start ship date: the last
  day it can still ship. A sales order with neither cannot be judged and is never at risk.
- Production that Uphance gives no expected date for (in-warehouse date, else due date) is at
  risk: "No date from Uphance for PO 1307 …", with the forecast when there is one.
- Expected after the ship-by date: at risk ("late").
- Ship-by date passed while the production is still not (fully) received: at risk ("overdue").
- Otherwise the forecast decides, the same one the board's "predicted late" reads
  (production.forecasts, stored on the line item after each sync: from each stage × factory's own
  speed): when the goods are likely (the p50) in the warehouse after the ship-by date, at risk
  ("slow"), e.g. "PO 1307 at Bolide likely in the warehouse 21 Mar (in Sewing); ships by 12 Mar".
  Only the p90 after it is the board's "at risk" forecast, not a customer order at risk: Shipup
  tells customers of a production delay (customers.shipup) from this rule.
- Partly received production (delivery status receiving) has finished its stages for what came
  in: only the dates are judged for the rest, and the reason says "partly received".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NO_DATE, LATE, OVERDUE, SLOW = "no_date", "late", "overdue", "slow"
SEVERITY = {OVERDUE: 4, LATE: 3, NO_DATE: 2, SLOW: 1, "": 0}


@dataclass(frozen=True)
class Production:
    """What the risk rules need to know of one production line item and its order."""

    order_number: str
    manufacturer: str
    expected_date: dt.date | None
    delivery_status: str
    stage_name: str = ""  # the stage it is in now
    forecast_p50: dt.date | None = None  # in the warehouse, median (LineItem.forecast_arrival_p50)
    forecast_p90: dt.date | None = None


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


def risk_assess(*, ship_by: dt.date | None, production: Production, today: dt.date) -> Risk:
    """At risk or not, and why (see the module docstring for the rules)."""
    if ship_by is None:
        return Risk()
    po = f"PO {production.order_number}"
    at = f" at {production.manufacturer}" if production.manufacturer else ""
    ships = f"{'ships' if ship_by >= today else 'was to ship'} by {day_month(ship_by, today=today)}"
    partial = production.delivery_status == "receiving"
    forecast = None if partial else production.forecast_p50
    stage = f" (in {production.stage_name})" if production.stage_name else ""
    likely = f"likely in the warehouse {day_month(forecast, today=today)}{stage}" if forecast else ""
    expected = production.expected_date

    if expected is None:
        parts = [f"No date from Uphance for {po}{at}"]
        if partial:
            parts[0] += " (partly received)"
        if likely:
            parts.append(likely)
        parts.append(ships)
        return Risk(NO_DATE, "; ".join(parts))
    expected_words = f"expected {day_month(expected, today=today)}"
    if expected > ship_by:
        lead = f"{po}{at} is partly received, the rest {expected_words}" if partial else f"{po}{at} {expected_words}"
        return Risk(LATE, f"{lead}; {ships}")
    if today > ship_by:
        received = "fully received" if partial else "received"
        return Risk(OVERDUE, f"{po}{at} is not {received} yet ({expected_words}); {ships}")
    if forecast is not None and forecast > ship_by:
        return Risk(SLOW, f"{po}{at} {likely}; {ships}")
    return Risk()
