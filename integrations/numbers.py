"""The one way Seamline reads an integer from text it did not write (query strings, API ids, webhooks).

`"²".isdigit()` is true and `int("²")` raises; `int("١٢")` is 12 (Arabic-Indic digits). Only ASCII
digits, an optional leading minus where allowed, and a value inside the given bounds are accepted.
"""
from __future__ import annotations

import re

_DIGITS = re.compile(r"-?[0-9]+\Z")
BIGINT_MAX = 2**63 - 1  # the largest id a BigIntegerField holds on SQLite and PostgreSQL


def ascii_int(value, *, minimum: int | None = None, maximum: int | None = BIGINT_MAX) -> int | None:
    """`value` as an int when it is one (an int, or a string of ASCII digits) inside the bounds, else None.

    Booleans, floats, "1e3", "Infinity", "²", " 12", "+12" and out-of-range values all give None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and len(value) <= 40 and _DIGITS.match(value):
        number = int(value)
    else:
        return None
    if minimum is not None and number < minimum:
        return None
    if maximum is not None and number > maximum:
        return None
    return number


def is_ascii_int(value, **bounds) -> bool:
    return ascii_int(value, **bounds) is not None
