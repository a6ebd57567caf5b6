"""Months and the kinds of year (kokuho_nb.months): parsed once, moved by whole months, labelled for staff."""

from __future__ import annotations

import datetime as dt

import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.months import (
    Month,
    activity_year,
    current_fiscal_year,
    fiscal_year_of,
    paced_quota,
    pacing_position,
    year_end,
)


def test_parse_forms_and_bad_months() -> None:
    assert str(Month.parse("2026-07")) == "2026-07"
    assert str(Month.parse("2026/07")) == "2026-07"
    assert str(Month.parse("2026-7")) == "2026-07"
    assert Month.parse(dt.date(2026, 7, 31)) == Month(2026, 7)
    assert Month.parse(Month(2026, 7)) == Month(2026, 7)
    for bad in ("2026-13", "2026-00", "R8-07", "", "202607x"):
        with pytest.raises(UserError) as exc:
            Month.parse(bad)
        assert bad in exc.value.message and "YYYY-MM" in exc.value.message


def test_start_end_arithmetic_and_range() -> None:
    assert Month.parse("2026-02").end.day == 28 and Month.parse("2028-02").end.day == 29
    assert Month.parse("2026-11").start == dt.date(2026, 11, 1)
    assert str(Month.parse("2026-11") + 2) == "2027-01"
    assert str(Month.parse("2026-01") - 1) == "2025-12"
    assert Month.parse("2027-01") - Month.parse("2026-06") == 7
    assert [str(m) for m in Month.range("2026-06", "2026-09")] == ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert Month.range("2026-09", "2026-06") == []
    assert Month(2026, 6) < Month(2026, 7) < Month(2027, 1)
    assert f"{Month(2026, 6)}" == "2026-06"


def test_labels() -> None:
    assert Month.parse("2026-07").label() == "2026年7月（令和8年7月）"
    assert Month.parse("2026-11").wareki() == "令和8年11月"
    assert Month.parse("2019-05").wareki() == "令和元年5月"


def test_pacing_year_runs_june_to_may() -> None:
    assert pacing_position("2026-06") == (Month(2026, 6), 1)
    assert pacing_position("2027-03") == (Month(2026, 6), 10)
    assert pacing_position("2027-05") == (Month(2026, 6), 12)
    assert pacing_position("2026-05") == (Month(2025, 6), 12)


def test_paced_quota_reaches_annual_target_and_never_goes_negative() -> None:
    assert paced_quota(30_000, 1, 0) == 2_500
    assert paced_quota(2_000, 1, 0) == 167
    assert paced_quota(2_000, 2, 167) == 167
    assert paced_quota(3_000, 12, 2_900) == 100
    assert paced_quota(3_000, 3, 900) == 0  # ahead of pace
    # a year of monthly quotas, each fully done, sums to the annual target exactly
    done = 0
    for k in range(1, 13):
        done += paced_quota(2_000, k, done)
    assert done == 2_000


def test_the_years() -> None:
    assert fiscal_year_of(dt.date(2025, 3, 31)) == 2024 and fiscal_year_of(dt.date(2025, 4, 1)) == 2025
    assert current_fiscal_year(dt.date(2025, 5, 31)) == 2024 and current_fiscal_year(dt.date(2025, 6, 1)) == 2025
    assert year_end(2024) == dt.date(2025, 5, 31)
    assert activity_year(dt.date(2026, 11, 26)) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert activity_year(dt.date(2027, 3, 1)) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
