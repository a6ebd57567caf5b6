"""The fiscal calendar: 年度 (April–March) and its closing period (出納整理期間, to May 31)."""

from __future__ import annotations

import datetime as dt


def fiscal_year_of(day: dt.date) -> int:
    """The 年度 a date falls in: April–March (2025-03-31 -> 2024)."""
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year(as_of: dt.date) -> int:
    """The 年度 whose charges count as 現年分 on ``as_of``.

    Until the closing period ends (May 31), the year just ended is still 現年分; from June 1 its unpaid
    amounts are carried over (滞納繰越分) and the new year's 当初賦課 makes it current.
    """
    return as_of.year if as_of.month >= 6 else as_of.year - 1


def year_end(fiscal_year: int) -> dt.date:
    """年度末 as the plan uses it: the end of the closing period, May 31 after the year (FY2024 -> 2025-05-31)."""
    return dt.date(fiscal_year + 1, 5, 31)


def fiscal_year_start(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year, 4, 1)
