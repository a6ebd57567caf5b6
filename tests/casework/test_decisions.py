"""Decisions sheet: written with drop-downs, validated and stored, errors per row/column, bad rows kept,
idempotent, and served back to next month's lists and pack."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.decisions import (
    FIELDS,
    SHEET_HEADER_ROW,
    case_decisions_for_lists,
    decisions_for_month,
    ingest_decisions,
    rejects,
    revisit_households,
)
from kokuho_nb.cli import main
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.meeting.common import Section, Table
from kokuho_nb.meeting.excel import write_workbook
from kokuho_nb.meeting.pack import MeetingPack
from kokuho_nb.store import Store

HOUSEHOLDS = {"000101", "000102", "000103", "000104", "000105"}
STAFF = {"K001", "K002", "S001"}
CASE, PROP = "事案", "提案"


def _pack() -> MeetingPack:
    rows = [
        {"kind": CASE, "ref": "C01", "household_id": "000101", "summary": "高額・進展なし", "amount": 900_000,
         "current_officer": "K001 徴収 一郎"},
        {"kind": CASE, "ref": "C02", "household_id": "000103", "summary": "不履行", "amount": 5_000,
         "current_officer": "K001"},
        {"kind": CASE, "ref": "C03", "household_id": "000104", "summary": "時効間近", "amount": 12_000,
         "current_officer": "K002"},
        {"kind": PROP, "ref": "P01", "household_id": "", "summary": "SMS 500 件", "amount": None, "current_officer": ""},
    ]
    sec = Section(1, "x", "表", "結論", tables=[Table("t", "表1", pd.DataFrame({"a": [1, 2]}))])
    return MeetingPack(month="2026-11", as_of=dt.date(2026, 11, 30), sections=[sec], attendees=["係長"],
                       synthetic=True, decision_rows=rows, staff_codes=sorted(STAFF))


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_workbook(_pack(), tmp_path / "meeting_2026-11.xlsx")


def _fill(path: Path, values: dict[str, dict[str, object]], out: Path) -> Path:
    """Fill the decisions sheet: ``values`` maps a row's number (C01…) to field -> value."""
    wb = load_workbook(path)
    ws = wb[t("meeting.decisions_sheet")]
    for row in range(SHEET_HEADER_ROW + 1, ws.max_row + 1):
        ref = ws.cell(row=row, column=FIELDS.index("ref") + 1).value
        for f, v in values.get(ref, {}).items():
            ws.cell(row=row, column=FIELDS.index(f) + 1, value=v)
    wb.save(out)
    return out


def _ok_values() -> dict[str, dict[str, object]]:
    return {
        "C01": {"decision_type": "特別整理専門員へ移管", "owner_role": "特別整理専門員", "owner_code": "S001",
                "decided_at": dt.datetime(2026, 11, 27)},
        "C02": {"decision_type": "翌月再審議", "decided_at": "R8.11.27"},
        "P01": {"decision_type": "提案どおり実施", "owner_role": "納付案内センター", "decided_at": "2026-11-27"},
    }


def test_sheet_has_rows_and_dropdowns(sheet: Path) -> None:
    wb = load_workbook(sheet)
    ws = wb[t("meeting.decisions_sheet")]
    assert ws["B2"].value == "2026-11"
    refs = [ws.cell(row=r, column=2).value for r in range(SHEET_HEADER_ROW + 1, ws.max_row + 1)]
    assert refs == ["C01", "C02", "C03", "P01"]
    dvs = ws.data_validations.dataValidation
    ranges = {str(dv.sqref): dv for dv in dvs}
    col = chr(ord("A") + FIELDS.index("decision_type"))
    assert f"{col}{SHEET_HEADER_ROW + 1}:{col}{SHEET_HEADER_ROW + 4}" in ranges
    opts = wb[t("meeting.options_sheet")]
    assert opts.sheet_state == "hidden"
    options = [opts.cell(row=r, column=2).value for r in range(2, opts.max_row + 1)]
    assert "執行停止を承認" in options and "提案どおり実施" in options
    assert "模擬データ" in ws["A1"].value


def test_ingest_stores_valid_rows_and_is_idempotent(sheet: Path, tmp_store: Path, tmp_path: Path) -> None:
    filled = _fill(sheet, _ok_values(), tmp_path / "filled.xlsx")
    rep = ingest_decisions(filled, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    assert rep.ok and rep.inserted == 3 and rep.blank == 1  # C03 left undecided
    d = decisions_for_month(Store(tmp_store), "2026-11")
    assert len(d) == 3
    c01 = d[d["item_ref"] == "C01"].iloc[0]
    assert c01["household_id"] == "000101" and c01["decided_at"] == "2026-11-27" and c01["row"] == SHEET_HEADER_ROW + 1
    # the same file again: nothing changes
    again = ingest_decisions(filled, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    assert again.already and again.inserted == 0
    assert len(decisions_for_month(Store(tmp_store), "2026-11")) == 3
    # a corrected file for the same month updates only what changed
    vals = _ok_values()
    vals["C02"] = {"decision_type": "差押を実施", "decided_at": "R8.11.27"}
    fixed = _fill(sheet, vals, tmp_path / "fixed.xlsx")
    rep2 = ingest_decisions(fixed, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    assert (rep2.inserted, rep2.updated, rep2.unchanged) == (0, 1, 2)
    assert decisions_for_month(Store(tmp_store), "2026-11").set_index("item_ref").loc["C02", "decision_type"] == "差押を実施"


def test_ingest_errors_per_row_and_column_and_bad_rows_kept(sheet: Path, tmp_store: Path, tmp_path: Path) -> None:
    vals = _ok_values()
    vals["C02"] = {"decision_type": "提案どおり実施", "decided_at": "2026-11-27"}  # a proposal type on a case
    vals["C03"] = {"decision_type": "差押を実施", "owner_code": "X999", "decided_at": "2026/13/40"}
    vals["P01"] = {"decision_type": "提案どおり実施", "owner_role": "部長", "decided_at": "2026-10-01"}
    bad = _fill(sheet, vals, tmp_path / "bad.xlsx")
    rep = ingest_decisions(bad, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    assert not rep.ok
    assert rep.inserted == 1  # C01 is valid and is not lost
    by_row = {(e["row"], e["header"]) for e in rep.errors}
    r = SHEET_HEADER_ROW
    assert (r + 2, "処理方針") in by_row
    assert (r + 3, "担当者コード") in by_row and (r + 3, "決定日") in by_row
    assert (r + 4, "担当役職") in by_row and (r + 4, "決定日") in by_row
    msg = next(e["message"] for e in rep.errors if e["row"] == r + 3 and e["header"] == "担当者コード")
    assert "bad.xlsx" in msg and f"{r + 3}行目" in msg and "I列" in msg and "X999" in msg
    kept = rejects(Store(tmp_store))
    assert set(kept["row"]) == {r + 2, r + 3, r + 4}
    assert json.loads(kept.iloc[0]["raw"])["ref"] in {"C02", "C03", "P01"}
    # unknown household
    vals2 = {"C01": dict(_ok_values()["C01"])}
    other = _fill(sheet, vals2, tmp_path / "hh.xlsx")
    rep3 = ingest_decisions(other, Store(tmp_store), households={"000999"}, staff_codes=STAFF)
    assert rep3.errors[0]["header"] == "世帯番号" and "000101" in rep3.errors[0]["reason"]


def test_wrong_file_is_refused_with_japanese_message(tmp_path: Path, tmp_store: Path) -> None:
    junk = tmp_path / "x.xlsx"
    junk.write_text("not excel", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        ingest_decisions(junk, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    assert "x.xlsx" in exc.value.message and "Excel" in exc.value.message


def test_lists_read_decisions_of_previous_meeting(sheet: Path, tmp_store: Path, tmp_path: Path) -> None:
    filled = _fill(sheet, _ok_values(), tmp_path / "filled.xlsx")
    ingest_decisions(filled, Store(tmp_store), households=HOUSEHOLDS, staff_codes=STAFF)
    lists = case_decisions_for_lists(Store(tmp_store), "2026-12").set_index("household_id")
    assert set(lists.index) == {"000101", "000103"}  # cases only, not proposals
    assert lists.loc["000101", "list_action"] == "assign"
    assert lists.loc["000101", "assign_role"] == "特別整理専門員" and lists.loc["000101", "owner_code"] == "S001"
    assert lists.loc["000103", "list_action"] == "revisit"
    assert revisit_households(Store(tmp_store), "2026-12") == {"000103"}
    assert case_decisions_for_lists(Store(tmp_store), "2026-11").empty  # nothing decided in October


def test_cli_ingest_json_and_exit_codes(sheet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path / "store"
    fixture = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"
    assert import_ledger(fixture, store, as_of=dt.date(2026, 11, 26)).ok
    vals = _ok_values()
    vals["C01"]["owner_code"] = "K001"  # S001 is not in the fixture's staff; K001 is
    filled = _fill(sheet, vals, tmp_path / "filled.xlsx")
    assert main(["decisions", "ingest", str(filled), "--store", str(store), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["inserted"] == 3
    bad_vals = _ok_values()
    bad_vals["C01"]["owner_code"] = "S001"
    bad = _fill(sheet, bad_vals, tmp_path / "bad.xlsx")
    assert main(["decisions", "ingest", str(bad), "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert "担当者コード「S001」が担当者台帳にありません" in err


def test_past_month_uses_the_earliest_later_snapshot(tmp_path: Path) -> None:
    """The demo replays past months with one snapshot taken today: the pack and the ingest then read that
    snapshot (everything derived as of the month end from dated records) instead of failing."""
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path / "store"
    fixture = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"
    rep = import_ledger(fixture, store, as_of=dt.date(2026, 11, 26))
    assert Store(store).ledger_for(dt.date(2026, 10, 31)).snapshot_id == rep.snapshot_id
    assert Store(store).ledger_for(dt.date(2026, 12, 31)).snapshot_id == rep.snapshot_id
