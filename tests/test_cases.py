"""The derived case view on hand-built ledgers with known answers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kokuho_nb import cases
from kokuho_nb.cases import case_view, charge_state
from kokuho_nb.errors import UserError
from kokuho_nb.params import REPO_ROOT
from kokuho_nb.store.tables import Ledger

AS_OF = date(2026, 11, 26)  # a Thursday; 現年分 = FY2026


def _households(rows: list[dict]) -> pd.DataFrame:
    base = {"name_kana": "テスト", "area": "A01", "income_class": "軽減なし", "nationality": "日本",
            "language": "日本語", "has_phone": True, "direct_debit": False, "status": "加入中",
            "employee_pension": False, "whereabouts_unknown": False}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for col in ("has_phone", "direct_debit", "employee_pension", "whereabouts_unknown"):
        frame[col] = frame[col].astype("boolean")
    return frame


def _charges(rows: list[tuple]) -> pd.DataFrame:
    """rows: (household, fiscal_year, instalment, due, amount, paid, written_off, demand_sent)."""
    frame = pd.DataFrame(rows, columns=["household_id", "fiscal_year", "instalment", "due_date", "amount", "paid",
                                        "written_off", "demand_sent_date"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["demand_sent_date"] = pd.to_datetime(frame["demand_sent_date"])
    frame["last_paid_date"] = pd.NaT
    for col in ("fiscal_year", "instalment", "amount", "paid", "written_off"):
        frame[col] = frame[col].astype("int64")
    return frame


def _payments(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["household_id", "fiscal_year", "instalment", "paid_date", "amount"])
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    for col in ("fiscal_year", "instalment", "amount"):
        frame[col] = frame[col].astype("int64")
    return frame


STAFF = pd.DataFrame([
    {"officer_code": "K01", "name": "係長 花子", "team": "1係", "role": "係長", "areas": "A01;A02"},
    {"officer_code": "T02", "name": "徴収 二郎", "team": "1係", "role": "徴収吏員", "areas": "A02"},
    {"officer_code": "T01", "name": "徴収 一郎", "team": "1係", "role": "徴収吏員", "areas": "A01; A03"},
])


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    hh = _households([
        {"household_id": "H01"},                                   # 完納
        {"household_id": "H02"},                                   # 未納段階: overdue within the 督促 period
        {"household_id": "H03", "area": "A02"},                    # 滞納初期: demand sent
        {"household_id": "H04", "area": "A03"},                    # 滞納中～後期: carried arrears
        {"household_id": "H05"},                                   # exactly ¥500,000
        {"household_id": "H06"},                                   # ¥499,999, some income -> focus
        {"household_id": "H07", "income_class": "軽減5割"},          # ¥499,999, low income
        {"household_id": "H08"},                                   # over-payment
        {"household_id": "H09"},                                   # write-off
        {"household_id": "H10", "area": "Z99"},                    # payment after as_of; area nobody owns
        {"household_id": "H11", "nationality": "外国", "language": "ベトナム語"},  # no charges at all
        {"household_id": "H12", "income_class": "未申告"},           # not yet due only
    ])
    charges = _charges([
        ("H01", 2026, 1, "2026-06-30", 30_000, 30_000, 0, None),
        ("H01", 2026, 2, "2026-07-31", 30_000, 30_000, 0, None),
        ("H02", 2026, 5, "2026-11-16", 20_000, 0, 0, None),          # overdue since 11-17, grace to 12-06
        ("H02", 2026, 6, "2026-12-31", 20_000, 0, 0, None),          # not due
        ("H03", 2026, 4, "2026-10-01", 25_000, 5_000, 0, "2026-10-20"),
        ("H04", 2025, 9, "2026-02-28", 40_000, 0, 0, "2026-03-19"),  # Saturday -> 03-02
        ("H04", 2026, 4, "2026-10-01", 10_000, 10_000, 0, None),
        ("H05", 2024, 1, "2024-07-01", 300_000, 0, 0, "2024-07-19"),
        ("H05", 2026, 3, "2026-09-30", 200_000, 0, 0, "2026-10-19"),
        ("H06", 2025, 1, "2025-06-30", 499_999, 0, 0, "2025-07-18"),
        ("H07", 2025, 1, "2025-06-30", 499_999, 0, 0, "2025-07-18"),
        ("H08", 2026, 1, "2026-06-30", 10_000, 12_000, 0, None),     # over-paid by 2,000
        ("H08", 2026, 2, "2026-07-31", 10_000, 0, 0, "2026-08-20"),  # still owed; not offset
        ("H09", 2023, 3, "2023-08-31", 100_000, 10_000, 60_000, "2023-09-20"),
        ("H10", 2026, 5, "2026-10-31", 15_000, 15_000, 0, None),     # paid 11-27 (after as_of)
        ("H12", 2026, 7, "2027-01-31", 9_000, 0, 0, None),
        ("GONE", 2026, 1, "2026-06-30", 1_000, 0, 0, None),          # household unknown: ignored
    ])
    payments = _payments([
        ("H01", 2026, 1, "2026-06-29", 30_000),
        ("H01", 2026, 2, "2026-07-10", 20_000),
        ("H01", 2026, 2, "2026-07-31", 10_000),
        ("H03", 2026, 4, "2026-11-02", 5_000),
        ("H04", 2026, 4, "2026-09-15", 10_000),
        ("H08", 2026, 1, "2026-06-01", 12_000),
        ("H09", 2023, 3, "2023-09-01", 10_000),
        ("H10", 2026, 5, "2026-11-27", 15_000),
    ])
    return Ledger(households=hh, charges=charges, staff=STAFF, payments=payments)


@pytest.fixture(scope="module")
def view(ledger: Ledger) -> pd.DataFrame:
    return case_view(ledger, AS_OF).set_index("household_id")


def test_one_row_per_household_with_the_contract_columns(view: pd.DataFrame) -> None:
    assert list(view.index) == [f"H{i:02d}" for i in range(1, 13)]
    for column in cases.BASE_COLUMNS[1:] + cases.LAW_COLUMNS:
        assert column in view.columns, column


def test_stages(view: pd.DataFrame) -> None:
    expected = {"H01": "完納", "H02": "未納段階", "H03": "滞納初期", "H04": "滞納中～後期", "H05": "滞納中～後期",
                "H08": "滞納初期", "H10": "滞納初期", "H11": "完納", "H12": "未納段階"}
    assert view.loc[list(expected), "stage"].to_dict() == expected


def test_amounts_current_and_carried(view: pd.DataFrame) -> None:
    h02 = view.loc["H02"]
    assert (h02.current_overdue, h02.current_not_due, h02.carried_unpaid, h02.total_arrears) == (20_000, 20_000, 0,
                                                                                                  20_000)
    assert h02.current_delinquent == 0 and h02.n_overdue == 1 and h02.n_delinquent == 0
    h03 = view.loc["H03"]
    assert (h03.current_overdue, h03.current_delinquent, h03.total_arrears) == (20_000, 20_000, 20_000)
    h04 = view.loc["H04"]
    assert (h04.current_overdue, h04.carried_unpaid, h04.total_arrears) == (0, 40_000, 40_000)
    assert h04.oldest_due_date == pd.Timestamp("2026-02-28")  # the nominal due date
    h05 = view.loc["H05"]
    assert (h05.carried_unpaid, h05.current_overdue, h05.total_arrears, h05.n_overdue) == (300_000, 200_000,
                                                                                           500_000, 2)
    assert h05.oldest_due_date == pd.Timestamp("2024-07-01")
    h11 = view.loc["H11"]
    assert h11.total_unpaid == 0 and h11.n_overdue == 0 and pd.isna(h11.oldest_due_date)


def test_amount_band_edges_low_income_and_focus(view: pd.DataFrame) -> None:
    assert view.loc["H05", "amount_band"] == "50万円以上"
    assert not view.loc["H05", "focus"]
    assert view.loc["H06", "amount_band"] == "50万円未満"
    assert view.loc["H06", "focus"] and not view.loc["H06", "low_income"]
    assert view.loc["H07", "amount_band"] == "50万円未満"
    assert view.loc["H07", "low_income"] and not view.loc["H07", "focus"]
    assert not view.loc["H01", "focus"], "nothing owed: not a focus case"
    assert not view.loc["H12", "low_income"], "未申告 is not low income (parameters/case_view.yaml)"


def test_over_payment_is_never_a_negative_arrear(view: pd.DataFrame) -> None:
    h08 = view.loc["H08"]
    assert h08.overpaid == 2_000
    assert h08.current_overdue == 10_000, "an over-payment of one instalment does not pay another"
    assert h08.total_arrears == 10_000


def test_write_off_reduces_the_unpaid_amount(view: pd.DataFrame) -> None:
    h09 = view.loc["H09"]
    assert h09.written_off == 60_000
    assert h09.carried_unpaid == 30_000 and h09.total_arrears == 30_000


def test_payment_after_as_of_is_ignored(ledger: Ledger, view: pd.DataFrame) -> None:
    assert view.loc["H10", "current_overdue"] == 15_000
    later = case_view(ledger, date(2026, 11, 27)).set_index("household_id")
    assert later.loc["H10", "total_unpaid"] == 0 and later.loc["H10", "stage"] == "完納"


def test_officer_from_area_prefers_collection_officer(view: pd.DataFrame) -> None:
    assert view.loc["H01", ["officer_code", "officer_name"]].tolist() == ["T01", "徴収 一郎"]  # not the 係長
    assert view.loc["H03", "officer_code"] == "T02"
    assert view.loc["H04", "officer_code"] == "T01"  # "A01; A03": spaces tolerated
    assert pd.isna(view.loc["H10", "officer_code"])


def test_household_columns(view: pd.DataFrame) -> None:
    h11 = view.loc["H11"]
    assert h11.foreign and h11.language == "ベトナム語"
    assert not view.loc["H01", "foreign"]
    assert view.loc["H01", "insured"] and view.loc["H01", "has_phone"] and not view.loc["H01", "direct_debit"]


def test_due_date_on_a_holiday_moves_to_the_next_business_day() -> None:
    hh = _households([{"household_id": "H1"}, {"household_id": "H2"}])
    charges = _charges([
        ("H1", 2026, 5, "2026-11-03", 10_000, 0, 0, None),  # 文化の日 (Tue) -> Wed 11-04
        ("H2", 2025, 7, "2025-12-31", 10_000, 0, 0, None),  # closed Dec 29 - Jan 3, then Sunday -> Mon 2026-01-05
    ])
    ledger = Ledger(households=hh, charges=charges, staff=STAFF)
    state = charge_state(ledger, date(2026, 11, 4)).set_index("household_id")
    assert state.loc["H1", "shifted_due"] == pd.Timestamp("2026-11-04")
    assert state.loc["H2", "shifted_due"] == pd.Timestamp("2026-01-05")
    on_shifted_day = case_view(ledger, date(2026, 11, 4)).set_index("household_id")
    assert on_shifted_day.loc["H1", "current_overdue"] == 0, "not overdue on the shifted due date itself"
    assert on_shifted_day.loc["H1", "current_not_due"] == 10_000
    next_day = case_view(ledger, date(2026, 11, 5)).set_index("household_id")
    assert next_day.loc["H1", "current_overdue"] == 10_000
    # FY2025's instalment is 現年分 on 2026-01-05 (not yet overdue) and 2026-01-06 (overdue)
    assert case_view(ledger, date(2026, 1, 5)).set_index("household_id").loc["H2", "current_overdue"] == 0
    assert case_view(ledger, date(2026, 1, 6)).set_index("household_id").loc["H2", "current_overdue"] == 10_000


def test_current_year_turns_over_on_june_first() -> None:
    hh = _households([{"household_id": "H1"}])
    charges = _charges([("H1", 2025, 10, "2026-03-31", 30_000, 0, 0, "2026-04-17")])
    ledger = Ledger(households=hh, charges=charges, staff=STAFF)
    may = case_view(ledger, date(2026, 5, 31)).iloc[0]
    assert (may.current_overdue, may.carried_unpaid, may.stage) == (30_000, 0, "滞納初期")
    june = case_view(ledger, date(2026, 6, 1)).iloc[0]
    assert (june.current_overdue, june.carried_unpaid, june.stage) == (0, 30_000, "滞納中～後期")


def test_grace_period_edge() -> None:
    hh = _households([{"household_id": "H1"}])
    charges = _charges([("H1", 2026, 5, "2026-11-16", 10_000, 0, 0, None)])  # Monday; grace 20 days -> 12-06
    ledger = Ledger(households=hh, charges=charges, staff=STAFF)
    assert case_view(ledger, date(2026, 12, 6)).iloc[0].stage == "未納段階"
    assert case_view(ledger, date(2026, 12, 7)).iloc[0].stage == "滞納初期"


def test_without_payments_uses_paid_and_last_paid_date() -> None:
    hh = _households([{"household_id": "H1"}, {"household_id": "H2"}])
    charges = _charges([
        ("H1", 2026, 4, "2026-10-31", 10_000, 10_000, 0, None),
        ("H2", 2026, 4, "2026-10-31", 10_000, 10_000, 0, None),
    ])
    charges["last_paid_date"] = pd.to_datetime(["2026-10-30", "2026-12-01"])
    ledger = Ledger(households=hh, charges=charges, staff=STAFF)
    view = case_view(ledger, AS_OF).set_index("household_id")
    assert view.loc["H1", "total_unpaid"] == 0
    assert view.loc["H2", "current_overdue"] == 10_000, "paid only after as_of: still open on as_of"


def test_thresholds_come_from_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         ledger: Ledger) -> None:
    params = tmp_path / "parameters"
    shutil.copytree(REPO_ROOT / "parameters", params)
    data = yaml.safe_load((params / "case_view.yaml").read_text(encoding="utf-8"))
    data["amount_band_threshold"]["values"]["2026-04-01"] = {"value": 300_000}
    (params / "case_view.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    view = case_view(ledger, AS_OF).set_index("household_id")
    assert view.loc["H06", "amount_band"] == "30万円以上"
    assert not view.loc["H06", "focus"]
    assert view.loc["H03", "amount_band"] == "30万円未満"
    before = case_view(ledger, date(2026, 3, 31)).set_index("household_id")  # the old value still applies
    assert before.loc["H06", "amount_band"] == "50万円未満"


def test_a_bad_stage_rule_is_reported_in_japanese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  ledger: Ledger) -> None:
    params = tmp_path / "parameters"
    shutil.copytree(REPO_ROOT / "parameters", params)
    data = yaml.safe_load((params / "case_stages.yaml").read_text(encoding="utf-8"))
    next(iter(data["rules"]["values"].values()))["value"][0]["when"] = {"salary": {"gt": 0}}
    (params / "case_stages.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    with pytest.raises(UserError, match="段階判定ルール.*1番目.*salary"):
        case_view(ledger, AS_OF)


def test_every_stage_rule_has_a_reference() -> None:
    data = yaml.safe_load((REPO_ROOT / "parameters" / "case_stages.yaml").read_text(encoding="utf-8"))
    for values in data["rules"]["values"].values():
        for rule in values["value"]:
            assert rule.get("reference"), rule
            assert set(rule.get("when") or {}) <= set(cases.RULE_COLUMNS)


def test_law_columns_are_merged_by_household(ledger: Ledger, view: pd.DataFrame) -> None:
    from kokuho_nb.law.caseview import law_columns

    law = law_columns(ledger, AS_OF)
    if "household_id" in law.columns:
        law = law.set_index("household_id")
    for column in cases.LAW_COLUMNS:
        expected = law[column].reindex(view.index)
        pd.testing.assert_series_equal(view[column], expected, check_names=False, check_dtype=False)
