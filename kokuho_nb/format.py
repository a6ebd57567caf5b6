"""How figures read to staff: yen, 億円, percentages (the unit stated in the name) and 和暦 dates.

A percentage comes in two units, named so that nobody multiplies by 100 twice:

- :func:`percent` takes **percentage points** (``78.38`` → ``78.38%``): 収納率 and the plan's rates;
- :func:`share` takes a **ratio** 0–1 (``0.163`` → ``16.30%``): contact rates, shares of a list.

Missing values (None, NaN, NA) read as ``—``; zero is never used for "no data".

>>> yen(1234567), oku(3_600_000_000), percent(78.38), share(0.163), share(None)
('1,234,567円', '36.00億円', '78.38%', '16.30%', '—')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kokuho_nb.era import to_wareki, to_wareki_short

DASH = "—"


def missing(value: Any) -> bool:
    """None, NaN, pandas NA / NaT: a value that is not there."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT (and pandas NA raises TypeError)
    except TypeError:
        return True


def yen(amount: Any) -> str:
    """``1,234,567円`` (``—`` when missing or not a number)."""
    if missing(amount):
        return DASH
    try:
        return f"{int(amount):,}円"
    except (TypeError, ValueError):
        return DASH


def oku(amount: Any) -> str:
    """Yen as 億円 with two decimals (``3600000000`` -> ``36.00億円``)."""
    if missing(amount):
        return DASH
    return f"{float(amount) / 1e8:,.2f}億円"


def percent(points: Any, digits: int = 2) -> str:
    """A value in percentage points (``78.38`` -> ``78.38%``)."""
    if missing(points):
        return DASH
    try:
        value = float(points)
    except (TypeError, ValueError):
        return DASH
    return DASH if math.isnan(value) else f"{value:.{digits}f}%"


def share(ratio: Any, digits: int = 2) -> str:
    """A ratio 0–1 as a percentage (``0.163`` -> ``16.30%``)."""
    if missing(ratio):
        return DASH
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        return DASH
    return DASH if math.isnan(value) else f"{value * 100:.{digits}f}%"


def wareki(day: dt.date | None, *, short: bool = False) -> str:
    """``令和8年7月31日`` (``R8.7.31`` with ``short``); ``—`` when missing."""
    if day is None or missing(day):
        return DASH
    if isinstance(day, dt.datetime):
        day = day.date()
    return to_wareki_short(day) if short else to_wareki(day)
