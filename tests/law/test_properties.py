"""Property-based tests of the 延滞金 rules (hypothesis), and unit tests of the calendar and limitation."""

from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokuho_nb.errors import UserError
from kokuho_nb.law.calendar import add_months_minpo, add_months_minpo_vec, shift_due_date
from kokuho_nb.law.entaikin import compute
from kokuho_nb.law.limitation import expires_within, limitation_detail, warning_horizon
from kokuho_nb.params import REPO_ROOT
from kokuho_nb.params import refresh as clear_cache

D0 = dt.date(2025, 4, 1)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

days = st.integers(min_value=0, max_value=500)
amounts = st.integers(min_value=0, max_value=20_000_000)


@st.composite
def instalment(draw):
    amount = draw(amounts)
    due = D0 + dt.timedelta(days=draw(st.integers(0, 420)))
    n = draw(st.integers(0, 3))
    offsets = sorted(draw(st.lists(st.integers(-20, 200), min_size=n, max_size=n)))
    payments = [(due + dt.timedelta(days=o), draw(st.integers(1, max(amount, 1)))) for o in offsets]
    n_s = draw(st.integers(0, 2))
    susp = []
    for _ in range(n_s):
        s = due + dt.timedelta(days=draw(st.integers(-30, 300)))
        susp.append((s, s + dt.timedelta(days=draw(st.integers(0, 90)))))
    return amount, due, payments, susp


def _until(due: dt.date, payments, extra: int) -> dt.date:
    last = max([due] + [d for d, _ in payments])
    return min(last + dt.timedelta(days=extra), dt.date(2026, 12, 31))


@SETTINGS
@given(instalment(), days, days, st.sampled_from(["premium", "tax"]))
def test_later_payment_never_costs_less(inst, extra1, extra2, kind) -> None:
    amount, due, payments, susp = inst
    u1 = _until(due, payments, min(extra1, extra2))
    u2 = _until(due, payments, max(extra1, extra2))
    if any(d > u1 for d, _ in payments):
        return
    kw = dict(payments=payments, suspensions=susp, kind=kind, first_charged_fiscal_year=2025)
    r1 = compute(amount, due, u1, **kw)
    r2 = compute(amount, due, u2, **kw)
    assert r1.exact <= r2.exact
    assert r1.total <= r2.total


@SETTINGS
@given(instalment(), days, st.sampled_from(["premium", "tax"]))
def test_never_exceeds_the_cap_rates(inst, extra, kind) -> None:
    amount, due, payments, susp = inst
    until = _until(due, payments, extra)
    if any(d > until for d, _ in payments):
        return
    res = compute(amount, due, until, payments=payments, suspensions=susp, kind=kind,
                  first_charged_fiscal_year=2025)
    for p in res.periods:
        cap = Fraction("0.073") if p.rate_kind == "lower" else Fraction("0.146")
        assert p.rate <= cap
        assert p.base <= amount
    late_days = max((until - shift_due_date(due)).days, 0)
    lower_days = sum(p.days for p in res.periods if p.rate_kind == "lower")
    higher_days = sum(p.days for p in res.periods if p.rate_kind == "higher")
    assert lower_days + higher_days + res.suspended_days <= late_days
    bound = Fraction(amount) * (Fraction("0.073") * lower_days + Fraction("0.146") * higher_days) / 365
    assert res.exact <= bound
    assert res.total <= amount * Fraction("0.146") * late_days / 365
    assert res.total % 100 == 0 and (res.total == 0 or res.total >= 1000)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=2027, max_value=2035), st.integers(min_value=1, max_value=300))
def test_future_year_without_rate_is_named(year, day_of_year) -> None:
    until = dt.date(year, 1, 1) + dt.timedelta(days=day_of_year)
    with pytest.raises(UserError, match="2027年"):
        compute(500_000, dt.date(2026, 10, 30), until)


@pytest.fixture
def params_without_year(tmp_path, monkeypatch):
    """A copy of parameters/law where one calendar year's rates are removed."""

    def make(year: int) -> None:
        dst = tmp_path / f"p{year}" / "law"
        shutil.copytree(REPO_ROOT / "parameters" / "law", dst)
        path = dst / "entaikin.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name in ("rate_lower", "rate_higher"):
            values = data[name]["values"]
            keep = None
            for start in sorted(values):
                if start <= dt.date(year + 1, 1, 1):
                    keep = values[start]
            values[dt.date(year, 1, 1)] = {"value": None}
            values.setdefault(dt.date(year + 1, 1, 1), keep)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("KOKUHO_PARAMETERS", str(Path(dst).parent))
        clear_cache()

    yield make
    monkeypatch.delenv("KOKUHO_PARAMETERS", raising=False)
    clear_cache()


@pytest.mark.parametrize("year", [2015, 2019, 2022, 2025])
def test_missing_rate_year_raises_naming_that_year(params_without_year, year) -> None:
    params_without_year(year)
    due = dt.date(year - 1, 10, 30)
    # A period wholly before the missing year still computes.
    assert compute(1_000_000, due, dt.date(year - 1, 12, 31), first_charged_fiscal_year=2000).total > 0
    with pytest.raises(UserError, match=f"{year}年"):
        compute(1_000_000, due, dt.date(year, 3, 1), first_charged_fiscal_year=2000)


def test_suspension_over_every_late_day_waives_everything() -> None:
    res = compute(1_000_000, dt.date(2026, 7, 31), dt.date(2026, 12, 31),
                  suspensions=[(dt.date(2026, 7, 1), dt.date(2027, 1, 31))])
    assert res.total == 0 and res.periods == [] and res.suspended_days == 153


def test_bad_inputs_are_user_errors() -> None:
    with pytest.raises(UserError, match="一部納付の日"):
        compute(10_000, dt.date(2026, 7, 31), dt.date(2026, 8, 31), payments=[(dt.date(2026, 9, 1), 100)])
    with pytest.raises(UserError, match="金額"):
        compute(-1, dt.date(2026, 7, 31), dt.date(2026, 8, 31))
    with pytest.raises(UserError, match="種類"):
        compute(10_000, dt.date(2026, 7, 31), dt.date(2026, 8, 31), kind="fee")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.date(2026, 8, 1), 3, dt.date(2026, 10, 31)),
        (dt.date(2026, 8, 31), 3, dt.date(2026, 11, 30)),  # no Nov 31: last day of November
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),  # no Feb 30
        (dt.date(2027, 11, 30), 3, dt.date(2028, 2, 29)),  # leap February, no Feb 30
        (dt.date(2027, 11, 29), 3, dt.date(2028, 2, 28)),  # Feb 29 exists: the day before it
        (dt.date(2026, 5, 1), 1, dt.date(2026, 5, 31)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 2, 29), 24, dt.date(2030, 2, 28)),
    ],
)
def test_add_months_minpo(start, months, end) -> None:
    assert add_months_minpo(start, months) == end


def test_vectorised_period_end_matches_scalar() -> None:
    starts = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(0, 2000, 3)]
    for months in (1, 3, 24, 36):
        got = add_months_minpo_vec(pd.Series(pd.to_datetime(starts)), months)
        assert [x.date() for x in got] == [add_months_minpo(s, months) for s in starts]


def test_expiring_window() -> None:
    as_of = dt.date(2026, 11, 26)
    horizon = warning_horizon(as_of, 6)
    assert horizon == dt.date(2027, 5, 26)
    assert expires_within(dt.date(2026, 11, 26), as_of, 6)
    assert expires_within(horizon, as_of, 6)
    assert not expires_within(horizon + dt.timedelta(days=1), as_of, 6)
    assert not expires_within(dt.date(2026, 11, 25), as_of, 6)


def test_limitation_detail_records_what_was_ignored() -> None:
    det = limitation_detail(dt.date(2024, 6, 30), [(dt.date(2026, 7, 2), "pledge")])
    assert det.date == dt.date(2026, 7, 1)
    assert det.applied == [] and det.ignored[0][1] == "after the limitation had completed"
