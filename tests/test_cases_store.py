"""The case view on the small synthetic ward: cross-checked against a plain per-household computation."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb.cases import BASE_COLUMNS, LAW_COLUMNS, case_view, charge_state
from kokuho_nb.law.calendar import shift_due_date
from kokuho_nb.months import current_fiscal_year
from kokuho_nb.store import Store
from kokuho_nb.store.tables import Ledger


@pytest.fixture(scope="module")
def ledger(small_store: Path) -> Ledger:
    return Store(small_store).load()


@pytest.fixture(scope="module")
def view(ledger: Ledger) -> pd.DataFrame:
    return case_view(ledger, ledger.as_of)


def test_one_row_per_household_and_consistent_totals(ledger: Ledger, view: pd.DataFrame) -> None:
    assert len(view) == len(ledger.households)
    assert view["household_id"].is_unique
    assert set(BASE_COLUMNS + LAW_COLUMNS) <= set(view.columns)
    amounts = ["current_overdue", "current_not_due", "carried_unpaid", "total_arrears", "total_unpaid",
               "overpaid"]
    assert (view[amounts] >= 0).all().all()
    assert (view["total_arrears"] == view["current_overdue"] + view["carried_unpaid"]).all()
    assert (view["total_unpaid"] == view["total_arrears"] + view["current_not_due"]).all()
    assert ((view["stage"] == "滞納中～後期") == (view["carried_unpaid"] > 0)).all()
    assert ((view["stage"] == "完納") == (view["total_unpaid"] == 0)).all()
    assert (view["focus"] == ((view["total_arrears"] > 0) & (view["total_arrears"] < 500_000)
                              & ~view["low_income"])).all()
    # a realistic ward has households in each of the plan's stages (完納 needs nothing left to pay this year)
    assert {"未納段階", "滞納初期", "滞納中～後期"} <= set(view["stage"]) <= {"未納段階", "滞納初期", "滞納中～後期", "完納"}
    assert view["officer_code"].notna().mean() > 0.9


def test_matches_a_plain_computation_for_sampled_households(ledger: Ledger, view: pd.DataFrame) -> None:
    as_of = ledger.as_of
    ts = pd.Timestamp(as_of)
    current_year = current_fiscal_year(as_of)
    by_id = view.set_index("household_id")
    in_arrears = by_id.index[by_id["total_arrears"] > 0].tolist()
    sample = random.Random(3).sample(in_arrears, 40) + random.Random(4).sample(by_id.index.tolist(), 40)
    charges = ledger.charges[ledger.charges["household_id"].isin(sample)]
    payments = ledger.payments[ledger.payments["household_id"].isin(sample)]
    paid_by_key: dict[tuple, int] = {}
    for pay in payments.itertuples():
        if pay.paid_date <= ts:
            key = (pay.household_id, pay.fiscal_year, pay.instalment)
            paid_by_key[key] = paid_by_key.get(key, 0) + pay.amount
    for hid in sample:
        current_overdue = carried = not_due = 0
        for row in charges[charges["household_id"] == hid].itertuples():
            paid = paid_by_key.get((hid, row.fiscal_year, row.instalment), 0)
            unpaid = max(row.amount - paid - (row.written_off or 0), 0)
            if shift_due_date(row.due_date.date()) >= as_of:
                not_due += unpaid
            elif row.fiscal_year >= current_year:
                current_overdue += unpaid
            else:
                carried += unpaid
        got = by_id.loc[hid]
        assert (got.current_overdue, got.carried_unpaid, got.current_not_due) == (current_overdue, carried,
                                                                                  not_due), hid


def test_payments_and_ledger_paid_agree_on_the_snapshot_date(ledger: Ledger, view: pd.DataFrame) -> None:
    """On the snapshot's date, deriving from 収納.csv and from 調定.csv's 収納額 must give the same view."""
    without_payments = replace(ledger, payments=ledger.payments.iloc[0:0])
    other = case_view(without_payments, ledger.as_of, with_law=False)
    columns = ["household_id", "current_overdue", "current_not_due", "carried_unpaid", "overpaid", "stage"]
    pd.testing.assert_frame_equal(view[columns], other[columns])


def test_earlier_years_only_shrink_over_time(ledger: Ledger) -> None:
    """Between two dates, what a household owes for earlier years can only fall (payments, write-offs)."""
    def owed(day: date) -> pd.Series:
        state = charge_state(ledger, day)
        return state[state["fiscal_year"] < 2026].groupby("household_id")["unpaid"].sum()

    then, now = owed(date(2026, 6, 1)), owed(ledger.as_of)
    assert now.sum() < then.sum(), "some arrears were paid between June and the snapshot date"
    assert (now.reindex(then.index, fill_value=0) <= then).all()


def test_load_case_view_from_the_store(small_store: Path, ledger: Ledger, view: pd.DataFrame) -> None:
    from kokuho_nb.cases import load_case_view

    pd.testing.assert_frame_equal(load_case_view(Store(small_store)), view)
    later = load_case_view(Store(small_store), date(2026, 12, 15), with_law=False)  # the latest snapshot, viewed later
    assert len(later) == len(view)
    assert later["total_arrears"].sum() > view["total_arrears"].sum(), "December's instalment fell due"
