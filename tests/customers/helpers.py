"""Helpers of the customers tests: does a stored value mean exactly what the payload said?"""
import datetime as dt
from decimal import Decimal, InvalidOperation


def _instant(text):
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def same(stored, raw) -> bool:
    """`stored` (a column or a JSON value Seamline wrote) means exactly what `raw` (the payload) says."""
    if raw is None:
        return stored is None
    if isinstance(raw, bool):
        return stored is raw
    if isinstance(raw, int):
        return stored == raw and not isinstance(stored, bool)
    if isinstance(raw, float):
        return stored is not None and Decimal(str(stored)) == Decimal(str(raw))
    if isinstance(raw, str):
        if isinstance(stored, dt.datetime):
            return stored == _instant(raw)
        if isinstance(stored, dt.date):
            return stored == dt.date.fromisoformat(raw)
        if isinstance(stored, Decimal):
            return stored == Decimal(raw)
        if stored == raw:
            return True
        if isinstance(stored, str):  # inside JSON: "355.18" vs "355.180", "…000Z" vs "…Z"
            try:
                return Decimal(stored) == Decimal(raw)
            except InvalidOperation:
                pass
            return _instant(stored) is not None and _instant(stored) == _instant(raw)
        return False
    if isinstance(raw, dict):
        return isinstance(stored, dict) and set(stored) == set(raw) and all(same(stored[k], raw[k]) for k in raw)
    if isinstance(raw, list):
        return isinstance(stored, list) and len(stored) == len(raw) and all(map(same, stored, raw))
    raise AssertionError(f"unexpected {raw!r}")


