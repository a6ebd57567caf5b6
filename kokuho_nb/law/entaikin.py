"""延滞金 (late charge) of one instalment (期別), as the Tokyo special wards charge it on 国保料.

Rules (every figure a parameter in ``parameters/law/entaikin.yaml``):

- the nominal due date moves to the next business day (:func:`kokuho_nb.law.calendar.shift_due_date`);
- days are counted from the day after that due date to ``until`` (the day of full payment, or the as-of
  date for an accrued charge) — the payment day itself counts;
- the lower rate applies until ``switch_months`` months have passed (民法143条: the period ends the day
  before the day corresponding to its first day; 3 months for 国保料, 1 for a tax), the higher rate after;
- each calendar year's days are charged at that calendar year's rates, per 365 days even in leap years;
- the base is the unpaid amount, reduced from the day after each partial payment; a base under ¥2,000
  gives nothing, otherwise it is rounded down to ¥1,000;
- days under 執行停止 (``suspensions``, inclusive date ranges) are waived;
- the exact total (fractions, no intermediate rounding) is rounded down to ¥100; under ¥1,000 is nothing;
- instalments of fiscal years before the first year charged (FY2026 for this ward) carry nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from kokuho_nb.era import fiscal_year_label
from kokuho_nb.era import to_wareki as _to_wareki
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.law._params import key as params_key
from kokuho_nb.law._params import lp as parameter
from kokuho_nb.law.calendar import _as_date, add_months_minpo, closed_day_reason, shift_due_date

KINDS = ("premium", "tax")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A run of days with one rate and one base. ``amount`` is exact (before any rounding)."""

    start: dt.date
    end: dt.date
    days: int
    year: int
    rate_kind: str  # "lower" | "higher"
    rate: Fraction
    base: int
    amount: Fraction
    unpaid: int = 0  # the unpaid amount before rounding to the base unit

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "year": self.year,
            "rate_kind": self.rate_kind,
            "rate": float(self.rate),
            "rate_percent": _percent(self.rate),
            "base": self.base,
            "unpaid": self.unpaid,
            "amount": float(self.amount),
            "amount_exact": f"{self.amount.numerator}/{self.amount.denominator}",
        }

    def __getitem__(self, key: str) -> Any:  # dict-style access for notebooks
        return getattr(self, key)


@dataclass
class EntaikinResult:
    amount: int
    kind: str
    due: dt.date
    due_shifted: dt.date
    until: dt.date
    fiscal_year: int
    charged: bool
    lower_end: dt.date | None = None
    periods: list[Period] = field(default_factory=list)
    payments: list[tuple[dt.date, int]] = field(default_factory=list)
    suspended_days: int = 0
    exact: Fraction = Fraction(0)
    total: int = 0
    days_per_year: int = 365
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return sum(p.days for p in self.periods)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entaikin": self.total,
            "amount": self.amount,
            "kind": self.kind,
            "fiscal_year": self.fiscal_year,
            "charged": self.charged,
            "due": self.due.isoformat(),
            "due_shifted": self.due_shifted.isoformat(),
            "until": self.until.isoformat(),
            "lower_rate_last_day": self.lower_end.isoformat() if self.lower_end else None,
            "payments": [{"date": d.isoformat(), "amount": a} for d, a in self.payments],
            "suspended_days": self.suspended_days,
            "exact": float(self.exact),
            "exact_fraction": f"{self.exact.numerator}/{self.exact.denominator}",
            "periods": [p.to_dict() for p in self.periods],
            "notes": list(self.notes),
        }


def _percent(rate: Fraction) -> str:
    text = f"{float(rate * 100):.3f}".rstrip("0").rstrip(".")
    return text


def to_wareki(day: dt.date) -> str:
    """和暦 for display; ISO for dates before the supported eras (never fails)."""
    try:
        return _to_wareki(day)
    except ValueError:
        return day.isoformat()


def format_exact(value: Fraction, places: int = 2) -> str:
    """An exact amount truncated (never rounded up) to ``places`` decimals, with thousands separators."""
    scaled = int(value * 10**places)
    whole, frac = divmod(scaled, 10**places)
    return f"{whole:,}.{frac:0{places}d}"


def _fraction(value: Any) -> Fraction:
    return Fraction(str(value))


@lru_cache(maxsize=512)
def _rate_cached(year: int, rate_kind: str, params_key: str) -> Fraction:
    del params_key
    name = "law.entaikin.rate_lower" if rate_kind == "lower" else "law.entaikin.rate_higher"
    when = dt.date(year, 1, 1)
    which = t(f"law.rate_kind.{rate_kind}")
    try:
        rate = _fraction(parameter(name).at(when))
    except UserError as exc:
        raise UserError(
            t("law.errors.missing_rate", year=year, which=which),
            f"no {rate_kind} 延滞金 rate for calendar year {year} in parameters/law/entaikin.yaml",
        ) from exc
    cap = _fraction(parameter(f"{name}_cap").at(when))
    if rate < 0 or rate > cap:
        raise UserError(
            t("law.errors.rate_above_cap", year=year, rate=float(rate), cap=float(cap)),
            f"rate {rate} for {year} outside [0, {cap}]",
        )
    return rate


def rate_for(year: int, rate_kind: str) -> Fraction:
    """The 延滞金 rate (per year, exact) for the days of calendar ``year``; UserError naming the year if absent."""
    return _rate_cached(year, rate_kind, params_key())


@lru_cache(maxsize=512)
def _has_rates_cached(year: int, params_key: str) -> bool:
    del params_key
    when = dt.date(year, 1, 1)
    for name in ("law.entaikin.rate_lower", "law.entaikin.rate_higher"):
        param = parameter(name)
        if when < param.first_date:
            return False
        try:
            param.at(when)
        except UserError:  # a null value: the year's rate is not published / not entered yet
            return False
    return True


def has_rates(year: int) -> bool:
    """True when both 延滞金 rates (lower and higher) of calendar ``year`` are in the parameters."""
    return _has_rates_cached(year, params_key())


@dataclass(frozen=True)
class RateGap:
    """The first calendar year (up to an as-of date) whose 延滞金 rate is missing, and the last day before it."""

    year: int
    through: dt.date  # December 31 of the year before: the last day 延滞金 can be accrued to

    def notice(self) -> str:
        """One Japanese sentence for staff (``law.rate_gap.notice``)."""
        return t("law.rate_gap.notice", year=self.year, through=f"{self.through.year}年{self.through.month}月"
                 f"{self.through.day}日")


def rate_gap(as_of: dt.date, kind: str = "premium") -> RateGap | None:
    """The rate gap that stops accrued 延滞金 short of ``as_of`` (None when every year that can carry 延滞金,
    from the first fiscal year charged up to ``as_of``'s year, has both rates).

    Only the case view (:func:`kokuho_nb.law.caseview.law_columns`) degrades to the gap; explicit calculations
    (:func:`compute`, ``kokuho-nb entaikin``) still refuse with :func:`rate_for`'s message naming the year.
    """
    as_of = _as_date(as_of)
    first = first_fiscal_year(kind, as_of)
    if first is None:
        return None
    for year in range(first, as_of.year + 1):
        if not has_rates(year):
            return RateGap(year, dt.date(year - 1, 12, 31))
    return None


@dataclass(frozen=True)
class Rules:
    """The parameter values that apply to one computation."""

    switch_months: int
    days_per_year: int
    min_base: int
    base_unit: int
    result_unit: int
    min_result: int
    partial_reduces: bool
    suspension_waived: bool


def rules(kind: str, when: dt.date) -> Rules:
    if kind not in KINDS:
        raise UserError(t("law.errors.bad_kind", kind=kind), f"unknown kind {kind!r}")

    def p(name: str) -> Any:
        return parameter(f"law.entaikin.{name}").at(when)

    return Rules(
        switch_months=int(p(f"switch_months.{kind}")),
        days_per_year=int(p("days_per_year")),
        min_base=int(p("min_base")),
        base_unit=int(p("base_unit")),
        result_unit=int(p("result_unit")),
        min_result=int(p("min_result")),
        partial_reduces=bool(p("partial_payment_reduces_base")),
        suspension_waived=bool(p("suspension_waived")),
    )


def first_fiscal_year(kind: str, when: dt.date) -> int | None:
    """The first fiscal year charged, per the rule in force on ``when`` (None: no 延滞金 rule in force yet)."""
    param = parameter(f"law.entaikin.first_fiscal_year.{kind}")
    if when < param.first_date:
        return None
    return int(param.at(when))


def fiscal_year_of_due(due: dt.date) -> int:
    """The fiscal year an instalment belongs to, from its nominal due date (April–December: that year)."""
    return due.year if due.month >= 4 else due.year - 1


def base_of(remaining: int, r: Rules) -> int:
    """The base for a run of days: nothing under the minimum, else rounded down to the unit."""
    if remaining < r.min_base:
        return 0
    return remaining // r.base_unit * r.base_unit


def round_total(exact: Fraction, r: Rules) -> int:
    total = int(exact // r.result_unit) * r.result_unit
    return 0 if total < r.min_result else total


def _norm_payments(payments: Iterable[Any]) -> list[tuple[dt.date, int]]:
    out: list[tuple[dt.date, int]] = []
    for item in payments:
        if isinstance(item, dict):
            day, amount = item.get("date"), item.get("amount")
        else:
            day, amount = item
        day = dt.date.fromisoformat(day) if isinstance(day, str) else _as_date(day)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise UserError(t("law.errors.payment_amount", amount=amount), f"bad payment amount {amount!r}")
        out.append((day, amount))
    out.sort()
    return out


def compute(
    amount: int,
    due: dt.date,
    until: dt.date,
    *,
    payments: Iterable[Any] = (),
    fiscal_year: int | None = None,
    suspensions: Sequence[tuple[dt.date, dt.date]] = (),
    kind: str = "premium",
    first_charged_fiscal_year: int | None = None,
) -> EntaikinResult:
    """The 延滞金 of one instalment of ``amount`` yen due (nominally) on ``due``, as of ``until``.

    ``payments``: partial payments ``(date, yen)`` made on or before ``until``; ``until`` is the day of
    full payment (or the as-of date). ``suspensions``: inclusive ``(start, end)`` ranges of 執行停止.
    ``first_charged_fiscal_year`` overrides the parameter (what-if for a ward that began earlier).
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise UserError(t("law.errors.negative_amount", amount=amount), f"bad amount {amount!r}")
    due, until = _as_date(due), _as_date(until)
    pays = _norm_payments(payments)
    for day, _ in pays:
        if day > until:
            raise UserError(
                t("law.errors.payment_after_until", date=to_wareki(day), until=to_wareki(until)),
                f"payment on {day} after until {until}",
            )
    susp = []
    for start, end in suspensions:
        start, end = _as_date(start), _as_date(end)
        if start > end:
            raise UserError(t("law.errors.suspension_order", start=start, end=end), "suspension start > end")
        susp.append((start, end))

    fy = fiscal_year if fiscal_year is not None else fiscal_year_of_due(due)
    due_shifted = shift_due_date(due)
    r = rules(kind, max(until, due_shifted))
    result = EntaikinResult(
        amount=amount, kind=kind, due=due, due_shifted=due_shifted, until=until, fiscal_year=fy,
        charged=True, payments=pays, days_per_year=r.days_per_year,
    )
    if due_shifted != due:
        result.notes.append(
            t("law.notes.due_shifted", nominal=to_wareki(due), reason=closed_day_reason(due) or t("law.calendar.closed"),
              shifted=to_wareki(due_shifted))
        )
    first = first_charged_fiscal_year
    if first is None:
        first = first_fiscal_year(kind, max(until, due_shifted))
    if first is None or fy < first:
        result.charged = False
        first_label = fiscal_year_label(first) if first is not None else t("law.notes.not_in_force")
        result.notes.append(t("law.notes.not_charged_fy", fy_label=fiscal_year_label(fy), first_label=first_label))
        return result
    start = due_shifted + ONE_DAY
    result.lower_end = add_months_minpo(start, r.switch_months)
    if amount < r.min_base:
        result.notes.append(t("law.notes.below_min_amount", amount=amount, min_base=r.min_base))
        return result
    if until < start:
        result.notes.append(t("law.notes.paid_on_time", due=to_wareki(due_shifted)))
        return result
    result.notes.append(
        t("law.notes.switch", months=r.switch_months, lower_end=to_wareki(result.lower_end),
          higher_start=to_wareki(result.lower_end + ONE_DAY))
    )

    # Breakpoints: every day on which the rate, the year, the base or the suspension state may change.
    stop = until + ONE_DAY
    points = {start, stop, result.lower_end + ONE_DAY}
    points.update(dt.date(y, 1, 1) for y in range(start.year + 1, until.year + 1))
    points.update(day + ONE_DAY for day, _ in pays)
    if r.suspension_waived:
        for s, e in susp:
            points.update((s, e + ONE_DAY))
    bounds = sorted(p for p in points if start <= p <= stop)

    periods: list[Period] = []
    below_min_days = 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        last = b - ONE_DAY
        days = (b - a).days
        if r.suspension_waived and any(s <= a <= e for s, e in susp):
            result.suspended_days += days
            continue
        paid_before = sum(x for day, x in pays if day < a) if r.partial_reduces else 0
        remaining = max(amount - paid_before, 0)
        base = base_of(remaining, r)
        if base == 0:
            if remaining > 0:
                below_min_days += days
            continue
        rate_kind = "lower" if a <= result.lower_end else "higher"
        rate = rate_for(a.year, rate_kind)
        exact = Fraction(base) * rate * days / r.days_per_year
        prev = periods[-1] if periods else None
        if (
            prev is not None and prev.end + ONE_DAY == a and prev.rate_kind == rate_kind
            and prev.year == a.year and prev.base == base and prev.unpaid == remaining
        ):
            periods[-1] = Period(prev.start, last, prev.days + days, prev.year, rate_kind, rate, base,
                                 prev.amount + exact, remaining)
        else:
            periods.append(Period(a, last, days, a.year, rate_kind, rate, base, exact, remaining))
    result.periods = periods
    result.exact = sum((p.amount for p in periods), Fraction(0))
    result.total = round_total(result.exact, r)
    if below_min_days:
        result.notes.append(t("law.notes.base_below_min", min_base=r.min_base, days=below_min_days))
    if result.suspended_days:
        result.notes.append(t("law.notes.suspension", days=result.suspended_days))
    exact_text = format_exact(result.exact)
    if result.total == 0 and result.exact > 0:
        result.notes.append(t("law.notes.result_below_min", exact=exact_text, min_result=r.min_result))
    elif result.total:
        result.notes.append(t("law.notes.rounding", exact=exact_text, unit=r.result_unit, total=result.total))
    elif not periods:
        result.notes.append(t("law.notes.no_days"))
    return result
