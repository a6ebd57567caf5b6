"""Time as the section counts it: a calendar :class:`Month`, and the four kinds of year, each named once.

A :class:`Month` is parsed once at the boundary (a CLI argument, a notebook parameter, a page's selector) and
handed down as a value: ``Month.parse("2026-11")``, ``m.start``, ``m.end``, ``m + 1``, ``m.label()``.
``str(m)`` is ``'YYYY-MM'``, the form stored in the case-work database and used in file names.

The years:

- **fiscal year** (年度), April–March: :func:`fiscal_year_of`; its 年度末 as the plan counts it is the end of the
  closing period, May 31 (:func:`year_end`);
- **現年** (the year whose charges are current), June–May: :func:`current_fiscal_year` — until the closing
  period ends the year just ended is still 現年分;
- **the activity year** the meeting pack counts 差押・執行停止 and the other activity targets in
  (``parameters/meeting.yaml`` ``activity_year_start_month``): :func:`activity_year`;
- **the pacing year** the annual targets are paced over month by month (``parameters/target_lists.yaml``
  ``pacing_year_start_month``, the plan year June–May): :func:`pacing_position`.

>>> m = Month.parse("2026-11")
>>> str(m + 2), m.start.isoformat(), m.end.isoformat()
('2027-01', '2026-11-01', '2026-11-30')
>>> m.label(), m.wareki()
('2026年11月（令和8年11月）', '令和8年11月')
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from kokuho_nb.era import to_wareki
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import load_yaml, value

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month. Frozen and ordered; ``m + n`` moves by ``n`` months, ``a - b`` counts months."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise UserError(t("targets.month.bad_month", value=f"{self.year}-{self.month}"),
                            f"bad month {self.year}-{self.month}")

    @classmethod
    def parse(cls, value: Month | str | dt.date) -> Month:
        """``'YYYY-MM'`` (also ``'YYYY/MM'``, ``'YYYY-M'``), a :class:`Month`, or the month of a date.

        A text that is not a month raises :class:`UserError` with a Japanese message.
        """
        if isinstance(value, Month):
            return value
        if isinstance(value, dt.date):
            return cls(value.year, value.month)
        m = _MONTH_RE.match(str(value).strip().replace("/", "-"))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise UserError(t("targets.month.bad_month", value=value), f"bad month {value!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def range(cls, first: Month | str, last: Month | str) -> list[Month]:
        """Months from ``first`` to ``last`` inclusive (empty when ``last`` is before ``first``)."""
        a, b = cls.parse(first), cls.parse(last)
        return [a + i for i in range(max(b - a + 1, 0))]

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __add__(self, n: int) -> Month:
        k = self.year * 12 + self.month - 1 + int(n)
        return Month(k // 12, k % 12 + 1)

    def __sub__(self, other: Month | int) -> Any:
        if isinstance(other, Month):
            return (self.year * 12 + self.month) - (other.year * 12 + other.month)
        return self + (-int(other))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self) -> str:
        """``2026年7月（令和8年7月）`` (lists, summaries, messages)."""
        return f"{self.year}年{self.month}月（令和{self.year - 2018}年{self.month}月）"

    def wareki(self) -> str:
        """``令和8年11月`` (the meeting pack)."""
        text = to_wareki(self.start)
        return text[: text.index("月") + 1]


# --- the years ----------------------------------------------------------------------------------------------


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


def _year_from(day: dt.date, start_month: int) -> tuple[dt.date, dt.date]:
    year = day.year if day.month >= start_month else day.year - 1
    start = dt.date(year, start_month, 1)
    return start, (Month.of(start) + 11).end


def activity_year(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The activity year (first and last day) containing ``as_of``."""
    from_month = int(load_yaml("meeting.yaml")["activity_year_start_month"]["value"])
    return _year_from(as_of, from_month)


def pacing_position(month: Month | str) -> tuple[Month, int]:
    """(first month of the pacing year containing ``month``, months elapsed including ``month``: 1..12)."""
    m = Month.parse(month)
    start_month = int(value("target_lists.pacing_year_start_month", m.start))
    k = (m.month - start_month) % 12 + 1
    return m - (k - 1), k


def paced_quota(annual: float, months_elapsed: int, done_before: int) -> int:
    """What this month must add so the year-to-date count reaches ``annual × months_elapsed / 12``.

    Never negative (a month ahead of pace gets 0).
    """
    target_to_date = math.ceil(annual * months_elapsed / 12 - 1e-9)
    return max(0, target_to_date - int(done_before))

