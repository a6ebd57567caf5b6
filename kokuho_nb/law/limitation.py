"""時効 (limitation) of an instalment of 国民健康保険料, and its renewal (時効の更新).

- The right to collect expires 2 years (国民健康保険法110条1項) counted from the day after the (business-day
  shifted) due date; the period ends as 民法143条 counts it. :func:`limitation_date` returns the **last day**
  of the period (時効完成日): the claim is extinguished at the end of that day.
- Renewals, applied in date order, each only if it happens after the due date and before the current period
  has ended (an expired public claim cannot be revived):
  * 督促 (110条2項): only the first demand notice counts; the new period counts from
    ``demand_sent_date + demand_restart_days`` (1: the day after sending; the ledger has no arrival date,
    so this is the earliest — safe — expiry);
  * 差押 (民法148条) and 分納誓約 as an acknowledgement (承認, 民法152条): the new period counts from the
    day after the event;
  * a partial payment as an acknowledgement only when ``partial_payment_renews`` is set (default off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kokuho_nb.law._params import lp as parameter
from kokuho_nb.law.calendar import _as_date, add_months_minpo, shift_due_date

ONE_DAY = dt.timedelta(days=1)
RENEWAL_KINDS = ("demand", "seizure", "pledge", "payment")
_SWITCH = {
    "demand": "law.limitation.demand_renews",
    "seizure": "law.limitation.seizure_renews",
    "pledge": "law.limitation.pledge_renews",
    "payment": "law.limitation.partial_payment_renews",
}


@dataclass(frozen=True)
class Renewal:
    date: dt.date
    kind: str = "pledge"


@dataclass
class LimitationResult:
    due_shifted: dt.date
    start: dt.date  # first day counted of the running period
    date: dt.date  # last day of the running period (時効完成日)
    applied: list[Renewal] = field(default_factory=list)
    ignored: list[tuple[Renewal, str]] = field(default_factory=list)


def period_years(when: dt.date) -> int:
    return int(parameter("law.limitation.period_years").at(when))


def warning_months(when: dt.date) -> int:
    return int(parameter("law.limitation.warning_months").at(when))


def renewal_enabled(kind: str, when: dt.date) -> bool:
    return bool(parameter(_SWITCH[kind]).at(when))


def restart_offset(kind: str, when: dt.date) -> int:
    """Days from the event to the first day of the new period."""
    if kind == "demand":
        return int(parameter("law.limitation.demand_restart_days").at(when))
    return 1


def _to_renewal(item: Any) -> Renewal:
    if isinstance(item, Renewal):
        return item
    if isinstance(item, dt.date):
        return Renewal(_as_date(item), "pledge")
    day, kind = item
    day = _as_date(day)
    if kind not in RENEWAL_KINDS:
        raise ValueError(f"unknown renewal kind {kind!r}")
    return Renewal(day, kind)


def limitation_detail(due: dt.date, renewals: Iterable[Any] = ()) -> LimitationResult:
    """The running limitation period of an instalment due (nominally) on ``due``, after ``renewals``."""
    due_shifted = shift_due_date(_as_date(due))
    start = due_shifted + ONE_DAY
    years = period_years(start)
    res = LimitationResult(due_shifted, start, add_months_minpo(start, 12 * years))
    demand_seen = False
    for ren in sorted((_to_renewal(x) for x in renewals), key=lambda r: (r.date, r.kind)):
        if not renewal_enabled(ren.kind, ren.date):
            res.ignored.append((ren, "disabled"))
            continue
        if ren.kind == "demand":
            if demand_seen:
                res.ignored.append((ren, "second demand"))
                continue
            demand_seen = True
        if ren.date <= due_shifted:
            res.ignored.append((ren, "before the claim was due"))
            continue
        if ren.date > res.date:
            res.ignored.append((ren, "after the limitation had completed"))
            continue
        new_start = ren.date + dt.timedelta(days=restart_offset(ren.kind, ren.date))
        new_end = add_months_minpo(new_start, 12 * period_years(new_start))
        if new_end > res.date:
            res.start, res.date = new_start, new_end
        res.applied.append(ren)
    return res


def limitation_date(due: dt.date, renewals: Iterable[Any] = ()) -> dt.date:
    """The last day of the limitation period (時効完成日) of an instalment; see the module docstring.

    ``renewals``: :class:`Renewal`, ``(date, kind)`` pairs (kind: demand / seizure / pledge / payment) or
    bare dates (acknowledgements).
    """
    return limitation_detail(due, renewals).date


def expires_within(limit: dt.date, as_of: dt.date, months: int | None = None) -> bool:
    """True when ``limit`` is on or after ``as_of`` and within ``months`` (parameter) of it."""
    months = warning_months(as_of) if months is None else months
    horizon = add_months_minpo(as_of + ONE_DAY, months)
    return as_of <= limit <= horizon


def warning_horizon(as_of: dt.date, months: int | None = None) -> dt.date:
    """The last day of the warning window that starts the day after ``as_of``."""
    months = warning_months(as_of) if months is None else months
    return add_months_minpo(as_of + ONE_DAY, months)


__all__ = [
    "Renewal",
    "LimitationResult",
    "limitation_date",
    "limitation_detail",
    "expires_within",
    "warning_horizon",
]
