"""Months as the lists use them ('YYYY-MM'), and the pacing of annual targets over the plan year."""

from __future__ import annotations

import datetime as dt
import math
import re

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import value

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> str:
    """Validate 'YYYY-MM' (also accepts 'YYYY/MM' and 'YYYY-M'); returns the canonical 'YYYY-MM'."""
    m = _MONTH_RE.match(str(text).strip().replace("/", "-"))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UserError(t("targets.month.bad_month", value=text), f"bad month {text!r}")
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def month_start(month: str) -> dt.date:
    y, m = (int(p) for p in parse_month(month).split("-"))
    return dt.date(y, m, 1)


def month_end(month: str) -> dt.date:
    start = month_start(month)
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def add_months(month: str, n: int) -> str:
    start = month_start(month)
    k = start.year * 12 + start.month - 1 + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Months from ``first`` to ``last`` inclusive (empty when last < first)."""
    out, cur = [], parse_month(first)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def month_label(month: str) -> str:
    """'2026年7月（令和8年7月）'."""
    start = month_start(month)
    reiwa = start.year - 2018
    return f"{start.year}年{start.month}月（令和{reiwa}年{start.month}月）"


def pacing_position(month: str) -> tuple[str, int]:
    """(first month of the pacing year containing ``month``, months elapsed including ``month``: 1..12)."""
    start_month = int(value("target_lists.pacing_year_start_month", month_start(month)))
    start = month_start(month)
    k = (start.month - start_month) % 12 + 1
    return add_months(month, -(k - 1)), k


def paced_quota(annual: float, months_elapsed: int, done_before: int) -> int:
    """What this month must add so the year-to-date count reaches ``annual × months_elapsed / 12``.

    Never negative (a month ahead of pace gets 0).
    """
    target_to_date = math.ceil(annual * months_elapsed / 12 - 1e-9)
    return max(0, target_to_date - int(done_before))
