"""Collection statistics on a tiny hand-built ledger whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kokuho_nb import stats
from kokuho_nb.store.tables import Ledger


def _ts(s: str | None) -> pd.Timestamp:
    return pd.Timestamp(s) if s else pd.NaT


def tiny_ledger(as_of: dt.date = dt.date(2025, 7, 31)) -> Ledger:
    households = pd.DataFrame({
        "household_id": ["A", "B", "C"],
        "whereabouts_unknown": pd.array([False, True, None], dtype="boolean"),
        "income_class": ["軽減なし", "軽減7割", "未申告"],
    })
    # (household, fy, instalment, due, amount, written_off, demand)
    rows = [
        ("A", 2023, 1, "2023-06-30", 10_000, 0, "2023-07-20"),
        ("A", 2024, 1, "2024-07-01", 20_000, 0, "2024-07-19"),
        ("A", 2024, 2, "2024-07-31", 5_000, 0, None),
        ("B", 2021, 2, "2021-07-31", 5_000, 5_000, "2021-08-20"),
        ("B", 2022, 1, "2022-06-30", 30_000, 30_000, "2022-07-20"),
        ("B", 2024, 1, "2024-07-01", 8_000, 0, "2024-07-19"),
        ("C", 2021, 1, "2021-06-30", 9_000, 9_000, "2021-07-20"),
        ("C", 2023, 2, "2023-07-31", 12_000, 0, "2023-08-18"),
    ]
    charges = pd.DataFrame(rows, columns=["household_id", "fiscal_year", "instalment", "due_date", "amount",
                                          "written_off", "demand_sent_date"])
    charges["due_date"] = pd.to_datetime(charges["due_date"])
    charges["demand_sent_date"] = pd.to_datetime(charges["demand_sent_date"])
    charges["paid"] = 0
    charges["last_paid_date"] = pd.NaT
    payments = pd.DataFrame([
        ("A", 2023, 1, "2023-07-10", 4_000),   # FY2023 現年
        ("A", 2023, 1, "2024-08-01", 6_000),   # FY2024 滞繰
        ("A", 2024, 1, "2025-05-20", 20_000),  # closing period: FY2024 現年
        ("A", 2024, 2, "2024-08-01", 7_000),   # over-payment of 2,000 (過誤納): capped
        ("C", 2023, 2, "2024-05-10", 2_000),   # closing period of FY2023
        ("C", 2023, 2, "2025-06-05", 3_000),   # FY2025: outside FY2024
        ("Z", 2024, 1, "2024-08-01", 99_999),  # no such charge: ignored
    ], columns=["household_id", "fiscal_year", "instalment", "paid_date", "amount"])
    payments["paid_date"] = pd.to_datetime(payments["paid_date"])
    dispositions = pd.DataFrame([
        ("B", "不納欠損", "2023-03-31", 5_000),
        ("B", "不納欠損", "2024-12-25", 30_000),
        ("C", "不納欠損", "2023-09-30", 9_000),
        ("C", "差押", "2024-01-10", 50_000),
    ], columns=["household_id", "kind", "start_date", "amount"])
    dispositions["start_date"] = pd.to_datetime(dispositions["start_date"])
    dispositions["amount"] = dispositions["amount"].astype("Int64")
    return Ledger(households=households, charges=charges, payments=payments, dispositions=dispositions,
                  as_of=as_of)


def part(charged: int, collected: int, written_off: int, outstanding: int) -> dict:
    return {"charged": charged, "collected": collected, "written_off": written_off, "outstanding": outstanding,
            "rate": pytest.approx(100.0 * collected / charged)}


def test_fy2024_current_carried_total() -> None:
    s = stats.collection_stats(tiny_ledger(), 2024)
    assert s["year_end"] == "2025-05-31" and s["complete"]
    # 現年: 20,000 (paid in the closing period) + 5,000 (over-paid, capped) of 33,000; B's 8,000 unpaid
    assert s["current"] == part(33_000, 25_000, 0, 8_000)
    # 滞繰: A 6,000 + B 30,000 + C 10,000 carried in on 2024-06-01 (C's FY2021 was written off before);
    # A pays 6,000, B's 30,000 is written off on 2024-12-25; C's June 2025 payment is next year's
    assert s["carried"] == part(46_000, 6_000, 30_000, 10_000)
    assert s["total"] == part(79_000, 31_000, 30_000, 18_000)


def test_fy2023_and_the_year_end_carries_into_the_next_year() -> None:
    s23 = stats.collection_stats(tiny_ledger(), 2023)
    assert s23["current"] == part(22_000, 6_000, 0, 16_000)
    # B 2021/2 was written off on 2023-03-31 (before FY2023's carried balance is taken): not carried;
    # C 2021/1 was written off on 2023-09-30: carried in, then written off in the year
    assert s23["carried"] == part(39_000, 0, 9_000, 30_000)
    s24 = stats.collection_stats(tiny_ledger(), 2024)
    assert s23["total"]["outstanding"] == s24["carried"]["charged"] == 46_000


def test_whereabouts_unknown_switch_leaves_their_charges_out() -> None:
    s = stats.collection_stats(tiny_ledger(), 2024, exclude_whereabouts_unknown=True)
    assert s["exclude_whereabouts_unknown"] is True
    assert s["current"] == part(25_000, 25_000, 0, 0)
    assert s["carried"] == part(16_000, 6_000, 0, 10_000)
    assert s["total"] == part(41_000, 31_000, 0, 10_000)


def test_writeoffs_are_dated_oldest_first_from_the_records() -> None:
    led = tiny_ledger()
    dates = stats.writeoff_dates(led)
    ch = led.charges
    by_key = {(ch.loc[i, "household_id"], ch.loc[i, "fiscal_year"]): d for i, d in dates.items()}
    assert by_key[("B", 2021)] == pd.Timestamp("2023-03-31")
    assert by_key[("B", 2022)] == pd.Timestamp("2024-12-25")
    assert by_key[("C", 2021)] == pd.Timestamp("2023-09-30")


def test_writeoff_without_a_record_is_dated_by_limitation_but_not_after_as_of() -> None:
    led = tiny_ledger(as_of=dt.date(2023, 12, 31))
    led.dispositions = led.dispositions[led.dispositions["household_id"] != "B"]
    dates = stats.writeoff_dates(led)
    ch = led.charges
    by_key = {(ch.loc[i, "household_id"], ch.loc[i, "fiscal_year"]): d for i, d in dates.items()}
    # 督促状 2021-08-20 -> limitation counted from the next day, two years: 2023-08-21
    assert by_key[("B", 2021)] == pd.Timestamp("2023-08-21")
    # 督促状 2022-07-20 -> 2024-07-21, but the ledger is as of 2023-12-31
    assert by_key[("B", 2022)] == pd.Timestamp("2023-12-31")


def test_incomplete_year_is_flagged() -> None:
    s = stats.collection_stats(tiny_ledger(as_of=dt.date(2025, 1, 31)), 2024)
    assert s["complete"] is False


def test_monthly_series_month_ends_and_values() -> None:
    led = tiny_ledger(as_of=dt.date(2025, 5, 31))
    series = stats.monthly_series(led, 2024)
    assert list(series["month_end"].dt.date) == stats.month_ends(2024)
    aug = series.set_index("month_end").loc[pd.Timestamp("2024-08-31")]
    assert aug["current_charged"] == 33_000 and aug["current_collected"] == 5_000
    assert aug["carried_collected"] == 6_000 and aug["carried_written_off"] == 0
    dec = series.set_index("month_end").loc[pd.Timestamp("2024-12-31")]
    assert dec["carried_written_off"] == 30_000
    last = series.iloc[-1]
    year = stats.collection_stats(led, 2024)
    assert last["total_outstanding"] == year["total"]["outstanding"]
    assert last["total_rate"] == pytest.approx(year["total"]["rate"])
    # only month ends up to the ledger's date
    assert len(stats.monthly_series(tiny_ledger(as_of=dt.date(2024, 9, 15)), 2024)) == 3


def test_arrears_by_household() -> None:
    led = tiny_ledger()
    arrears = stats.arrears_by_household(led, dt.date(2025, 5, 31), 2024)
    # A: everything paid; B: 8,000 (FY2022 written off); C: 10,000
    assert arrears.to_dict() == {"B": 8_000, "C": 10_000}
    before = stats.arrears_by_household(led, dt.date(2024, 6, 30), 2023)
    assert before.to_dict() == {"A": 6_000, "B": 30_000, "C": 10_000}
