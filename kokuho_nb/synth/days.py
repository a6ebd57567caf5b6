"""Dates as integer day numbers (days since 1970-01-01) for vectorised generation, and the ward calendar.

The business-day shift follows the law calendar's parameters (``parameters/law/calendar.yaml``: weekends,
国民の祝日 via ``jpholiday``, Dec 29 – Jan 3) through a lookup table, so shifting a million due dates is one
``take``. The table covers 2016–2029, every date the generator produces; a day outside it is returned unshifted.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
from functools import lru_cache
from pathlib import Path

import jpholiday
import numpy as np

from kokuho_nb.params import parameter

EPOCH = dt.date(1970, 1, 1)
NEVER = np.int32(2_000_000)  # a day number after any date we generate ("not happened")
TABLE_FIRST = dt.date(2016, 1, 1)
TABLE_LAST = dt.date(2029, 12, 31)


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def date_of(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def year_end_day(fiscal_year: int) -> int:
    """年度末 (May 31 after the year) as a day number."""
    return day(dt.date(fiscal_year + 1, 5, 31))


def month_end_day(year: int, month: int) -> int:
    if month == 12:
        return day(dt.date(year + 1, 1, 1)) - 1
    return day(dt.date(year, month + 1, 1)) - 1


def _jpholiday_version() -> str:
    try:
        return importlib.metadata.version("jpholiday")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kokuho-nb"
    return base / f"closed-days-{_jpholiday_version()}-{TABLE_FIRST.year}-{TABLE_LAST.year}.json"


def _closed_days() -> set[dt.date]:
    """Every day the ward office is closed in the table range, from the law calendar's parameters
    (``parameters/law/calendar.yaml``) and ``jpholiday``. Holidays are cached on disk because ``jpholiday``
    needs several seconds for fifteen years."""

    cache = _cache_file()
    holidays: set[dt.date] | None = None
    try:
        holidays = {dt.date.fromisoformat(x) for x in json.loads(cache.read_text(encoding="utf-8"))}
    except (OSError, ValueError):
        holidays = None
    if holidays is None:
        holidays = {d for d, _name in jpholiday.between(TABLE_FIRST, TABLE_LAST)}
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(sorted(d.isoformat() for d in holidays)), encoding="utf-8")
            tmp.replace(cache)
        except OSError:  # pragma: no cover - a read-only home is fine, just slower next time
            pass
    ref = dt.date(2024, 7, 1)
    weekly = set(parameter("law.calendar.weekly_closed_days").at(ref))
    month_days = set(parameter("law.calendar.closed_days").at(ref))
    use_holidays = bool(parameter("law.calendar.public_holidays").at(ref))
    out = set(holidays) if use_holidays else set()
    d = TABLE_FIRST
    while d <= TABLE_LAST:
        if d.weekday() in weekly or f"{d.month:02d}-{d.day:02d}" in month_days:
            out.add(d)
        d += dt.timedelta(days=1)
    return out


@lru_cache(maxsize=1)
def _next_business_table() -> np.ndarray:
    closed = _closed_days()
    first, last = day(TABLE_FIRST), day(TABLE_LAST)
    n = last - first + 1
    nxt = np.empty(n, dtype=np.int32)
    following = first + n  # beyond the table: treat as open
    for i in range(n - 1, -1, -1):
        if (TABLE_FIRST + dt.timedelta(days=i)) not in closed:
            following = first + i
        nxt[i] = following
    return nxt


def next_business(days: np.ndarray | int) -> np.ndarray:
    """The day itself when the ward office is open, else the next open day (vectorised)."""
    table = _next_business_table()
    arr = np.asarray(days, dtype=np.int64)
    rel = arr - day(TABLE_FIRST)
    inside = (rel >= 0) & (rel < len(table))
    out = table[np.clip(rel, 0, len(table) - 1)].astype(np.int64)
    return np.where(inside, out, arr).astype(np.int32)


def to_datetime64(days: np.ndarray) -> np.ndarray:
    """Day numbers to ``datetime64[ns]``; :data:`NEVER` becomes NaT."""
    arr = np.asarray(days, dtype=np.int64)
    out = arr.astype("datetime64[D]").astype("datetime64[ns]")
    out[arr >= NEVER] = np.datetime64("NaT")
    return out
