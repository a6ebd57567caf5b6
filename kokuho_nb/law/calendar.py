"""The ward office's calendar and period arithmetic as 民法 counts it.

- Business days: not a weekly closed day (Saturday, Sunday), not a Japanese public holidays (``jpholiday``),
  not a year-end closed day (Dec 29 – Jan 3). All three are parameters in ``parameters/law/calendar.yaml``.
- A due date (納期限) on a closed day moves to the next business day (地方自治法4条の2第4項).
- Periods (民法140–143): a period counted from ``start`` (the first day counted, e.g. the day after the due
  date) lasting ``months`` ends on the day before the day corresponding to ``start`` in the last month; if that
  month has no such day, on its last day.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Callable
from functools import lru_cache

import jpholiday
import numpy as np
import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.law._params import key as params_key
from kokuho_nb.law._params import lp as parameter

ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=64)
def _closed_days_of_year(year: int, params_key: str) -> frozenset[dt.date]:
    """Every non-business day of ``year`` (cached per parameters folder)."""
    del params_key  # part of the cache key only
    ref = dt.date(year, 7, 1)
    weekly = set(parameter("law.calendar.weekly_closed_days").at(ref))
    md = set(parameter("law.calendar.closed_days").at(ref))
    holidays = bool(parameter("law.calendar.public_holidays").at(ref))
    out: set[dt.date] = set()
    if holidays:  # one query per year: jpholiday's per-day check is slow
        out.update(day for day, _name in jpholiday.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day.weekday() in weekly or f"{day.month:02d}-{day.day:02d}" in md:
            out.add(day)
        day += ONE_DAY
    return frozenset(out)


def closed_days(year: int) -> frozenset[dt.date]:
    return _closed_days_of_year(year, params_key())


@lru_cache(maxsize=8192)
def _is_public_holiday(day: dt.date) -> bool:
    return bool(jpholiday.is_holiday(day))


@lru_cache(maxsize=64)
def _rules(year: int, params_key: str) -> tuple[frozenset[int], frozenset[str], bool]:
    del params_key
    ref = dt.date(year, 7, 1)
    return (
        frozenset(parameter("law.calendar.weekly_closed_days").at(ref)),
        frozenset(parameter("law.calendar.closed_days").at(ref)),
        bool(parameter("law.calendar.public_holidays").at(ref)),
    )


def is_business_day(day: dt.date) -> bool:
    """True when the ward office is open on ``day`` (checked lazily: jpholiday is slow per year)."""
    d = _as_date(day)
    weekly, md, holidays = _rules(d.year, params_key())
    if d.weekday() in weekly or f"{d.month:02d}-{d.day:02d}" in md:
        return False
    return not (holidays and _is_public_holiday(d))


def next_business_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a business day, else the next business day (the due-date shift)."""
    d = _as_date(day)
    while not is_business_day(d):
        d += ONE_DAY
    return d


def shift_due_date(due: dt.date) -> dt.date:
    """The legal due date: the nominal one moved to the next business day when the parameter says so."""
    due = _as_date(due)
    if not parameter("law.calendar.due_date_shift").at(due):
        return due
    return next_business_day(due)


def closed_day_reason(day: dt.date) -> str | None:
    """Why ``day`` is closed, in Japanese (祝日名, 土曜日, 年末年始), or None when it is a business day."""
    d = _as_date(day)
    if is_business_day(d):
        return None
    name = jpholiday.is_holiday_name(d)
    if name and bool(parameter("law.calendar.public_holidays").at(d)):
        return str(name)
    if f"{d.month:02d}-{d.day:02d}" in set(parameter("law.calendar.closed_days").at(d)):
        return t("law.calendar.year_end")
    return t({5: "law.calendar.saturday", 6: "law.calendar.sunday"}.get(d.weekday(), "law.calendar.closed"))


def _as_date(day: dt.date) -> dt.date:
    if isinstance(day, pd.Timestamp):
        return day.date()
    if isinstance(day, dt.datetime):
        return day.date()
    return day


def add_months_minpo(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months whose first counted day is ``start`` (民法143条).

    The period ends on the day before the day corresponding to ``start`` in the last month; when that
    month has no corresponding day, on that month's last day. ``start`` is the first day counted (for
    "納期限の翌日から3月" pass the day after the due date).
    """
    start = _as_date(start)
    if months <= 0:
        raise ValueError("months must be positive")
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = _cal.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - ONE_DAY


def period_end(start: dt.date, *, months: int = 0, years: int = 0) -> dt.date:
    """:func:`add_months_minpo` for a period given in months and/or years."""
    return add_months_minpo(start, months + 12 * years)


def add_months_minpo_vec(starts: pd.Series | np.ndarray, months: int) -> pd.Series:
    """Vectorised :func:`add_months_minpo` over datetime64 values (NaT stays NaT); a RangeIndex Series."""
    a = np.asarray(starts, dtype="datetime64[ns]")
    nat = np.isnat(a)
    d = a.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    tm = m + np.timedelta64(months, "M")
    first = tm.astype("datetime64[D]")
    dim = ((tm + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    corr = first + (np.minimum(day, dim) - 1).astype("timedelta64[D]")
    res = np.where(day > dim, corr, corr - np.timedelta64(1, "D")).astype("datetime64[ns]")
    res[nat] = np.datetime64("NaT")
    return pd.Series(res)


def _map_unique(values: pd.Series | np.ndarray, func: Callable[[dt.date], dt.date]) -> np.ndarray:
    a = np.asarray(values, dtype="datetime64[ns]")
    if not len(a):
        return a
    codes, uniq = pd.factorize(a)  # hashing, not sorting: a few hundred distinct dates in millions of rows
    mapped = np.array([np.datetime64(func(u.astype("datetime64[D]").item())) for u in np.asarray(uniq)]
                      + [np.datetime64("NaT")], dtype="datetime64[ns]")
    return mapped[codes]  # code -1 (NaT) takes the last entry


def shift_due_dates_vec(dues: pd.Series) -> pd.Series:
    """Vectorised :func:`shift_due_date` (one scalar computation per distinct date), same index."""
    idx = dues.index if isinstance(dues, pd.Series) else None
    return pd.Series(_map_unique(dues, shift_due_date), index=idx)
