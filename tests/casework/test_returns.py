"""Month-end returns: validation per row and column, kept rejects, idempotent ingest, and the feedback loop."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.contacts import accepted_contacts
from kokuho_nb.casework.issued import load_items
from kokuho_nb.casework.returns import ingest_returns, rejected_rows
from kokuho_nb.cli import main
from kokuho_nb.store import Store
from kokuho_nb.targets.lists import issue_month, triage_for_month
from kokuho_nb.targets.render import render_lists
from kokuho_nb.targets.workbook import FIRST_ROW, column_letters

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"
MONTH = "2025-07"
L = column_letters()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path_factory.mktemp("returns") / "store"
    store.mkdir()
    assert import_ledger(FIXTURE, store, as_of="2025-06-15").ok
    issue_month(store, MONTH, synthetic=True)
    render_lists(store, MONTH, store.parent / "out")
    return store


@pytest.fixture
def store(issued: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "store"
    shutil.copytree(issued, dest)
    shutil.copytree(issued.parent / "out", tmp_path / "out")
    return dest


def _rows(store: Path, code: str) -> dict[str, int]:
    items = load_items(Store(store), MONTH, code, 1)
    return {h: FIRST_ROW + i for i, h in enumerate(items["household_id"])}


def _fill(store: Path, code: str, rows: dict[int, dict[str, object]], name: str) -> Path:
    src = store.parent / "out" / f"target_list_{MONTH}_{code}.xlsx"
    wb = load_workbook(src)
    ws = wb["ターゲットリスト"]
    for r, values in rows.items():
        for key, v in values.items():
            ws[f"{L[key]}{r}"] = v
    dest = store.parent / name
    wb.save(dest)
    return dest


GOOD = {"contact_date": dt.date(2025, 7, 10), "method": "電話", "result": "接触", "memo": "本人と話した"}


def _count(store: Path, table: str) -> int:
    conn = sqlite3.connect(store / "casework.sqlite")
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_valid_rows_become_contact_records(store):
    rows = _rows(store, "K001")
    path = _fill(store, "K001", {rows["000103"]: {**GOOD, "result": "納付約束", "promised_amount": 5000,
                                                   "promised_date": dt.date(2025, 7, 31)}}, "ok.xlsx")
    report = ingest_returns(Store(store), [path])
    assert report.ok and report.files[0].rows_accepted == 1
    contacts = accepted_contacts(Store(store))
    row = contacts.iloc[0]
    assert (row["household_id"], row["officer_code"], row["method"], row["result"]) == ("000103", "K001", "電話", "納付約束")
    assert row["date"] == pd.Timestamp("2025-07-10") and row["promised_amount"] == 5000


@pytest.mark.parametrize(
    ("change", "column", "needle"),
    [
        ({"method": "伝書鳩"}, "method", "選択肢にありません"),
        ({"result": "たぶん"}, "result", "選択肢にありません"),
        ({"contact_date": dt.date(2025, 8, 1)}, "contact_date", "期間外"),
        ({"contact_date": None}, "contact_date", "未記入"),
        ({"contact_date": "七月十日"}, "contact_date", "日付として読めません"),
        ({"result": "納付約束", "promised_date": dt.date(2025, 7, 31)}, "promised_amount", "約束金額を記入"),
        ({"result": "分納誓約", "promised_amount": 3000}, "promised_date", "約束日を記入"),
        ({"promised_amount": "たくさん"}, "promised_amount", "金額として読めません"),
        ({"promised_amount": -5}, "promised_amount", "金額として読めません"),
        ({"promised_date": dt.date(2025, 7, 1)}, "promised_date", "対応日より前"),
        ({"key": None}, "key", "照合キーがありません"),
        ({"key": "2025-06|K001|1|000103"}, "key", "このブックのものではありません"),
        ({"key": "2025-07|K001|1|999999"}, "household_id", "どのリストにもありません"),
        ({"key": "2025-07|K001|1|000104"}, "household_id", "CENTRE_PHONE"),
    ],
)
def test_each_error_kind_is_reported_with_row_and_column_and_kept_aside(store, change, column, needle):
    rows = _rows(store, "K001")
    good_row, bad_row = rows["000101"], rows["000103"]
    path = _fill(store, "K001", {good_row: GOOD, bad_row: {**GOOD, **change}}, "mixed.xlsx")
    report = ingest_returns(Store(store), [path])
    assert not report.ok
    f = report.files[0]
    assert (f.rows_read, f.rows_accepted, f.rows_rejected) == (2, 1, 1)
    errors = report.to_dict()["errors"]
    assert any(e["row"] == bad_row and e["column"] == L[column] and needle in e["reason"] for e in errors), errors
    assert all(e["row"] == bad_row and e["file"] == "mixed.xlsx" for e in errors)
    # nothing valid lost, the bad row kept aside with its raw content
    assert list(accepted_contacts(Store(store))["household_id"]) == ["000101"]
    kept = rejected_rows(Store(store), MONTH)
    assert {r["row"] for r in kept} == {bad_row}
    assert json.loads(kept[0]["raw"])["method"] == (change.get("method") or GOOD["method"])


def test_ingesting_the_same_file_again_changes_nothing(store):
    rows = _rows(store, "K001")
    path = _fill(store, "K001", {rows["000101"]: GOOD, rows["000103"]: {**GOOD, "method": "伝書鳩"}}, "twice.xlsx")
    ingest_returns(Store(store), [path])
    conn = sqlite3.connect(store / "casework.sqlite")
    dump1 = list(conn.iterdump())
    conn.close()
    second = ingest_returns(Store(store), [path])
    conn = sqlite3.connect(store / "casework.sqlite")
    dump2 = list(conn.iterdump())
    conn.close()
    assert dump1 == dump2
    assert second.files[0].rows_unchanged == 1 and second.files[0].rows_rejected == 1


def test_a_corrected_file_replaces_the_result_only_when_asked(store):
    """A file never silently replaces results another file brought in (issue 16 §3): it is held back and the
    report names the file; with --replace it is taken in."""
    rows = _rows(store, "K001")
    ingest_returns(Store(store), [_fill(store, "K001", {rows["000101"]: GOOD}, "v1.xlsx")])
    v2 = _fill(store, "K001", {rows["000101"]: {**GOOD, "result": "不在"}}, "v2.xlsx")
    held = ingest_returns(Store(store), [v2])
    assert not held.ok and "v1.xlsx" in held.message() and "--replace" in held.message()
    assert accepted_contacts(Store(store)).iloc[0]["result"] == "接触"
    done = ingest_returns(Store(store), [v2], replace=True)
    assert done.ok and "v1.xlsx" in done.message()
    contacts = accepted_contacts(Store(store))
    assert len(contacts) == 1 and contacts.iloc[0]["result"] == "不在"


def test_a_first_draft_after_the_corrected_file_changes_nothing(store):
    rows = _rows(store, "K001")
    draft = _fill(store, "K001", {rows["000101"]: GOOD, rows["000103"]: GOOD}, "draft.xlsx")
    corrected = _fill(store, "K001", {rows["000101"]: {**GOOD, "result": "不在"}, rows["000103"]: GOOD},
                      "corrected.xlsx")
    assert ingest_returns(Store(store), [corrected]).ok
    again = ingest_returns(Store(store), [draft])
    assert not again.ok and again.files[0].rows_unchanged == 1  # 000103 is the same in both files
    by_hh = accepted_contacts(Store(store)).set_index("household_id")["result"]
    assert by_hh["000101"] == "不在", "the corrected result stands"


def test_two_rows_for_one_household_in_a_file_are_both_refused(store):
    rows = _rows(store, "K001")
    path = _fill(store, "K001", {rows["000101"]: GOOD}, "dup.xlsx")
    wb = load_workbook(path)
    ws = wb["ターゲットリスト"]
    target = ws.max_row + 1
    for col in range(1, ws.max_column + 1):
        ws.cell(row=target, column=col, value=ws.cell(row=rows["000101"], column=col).value)
    wb.save(path)
    report = ingest_returns(Store(store), [path])
    f = report.files[0]
    assert f.rows_read == 2 and f.rows_accepted == 0 and f.rows_rejected == 2
    assert all("2 行あります" in e.reason for e in f.errors)
    assert len(accepted_contacts(Store(store))) == 0, "what the report says is what the database holds"


def test_an_older_revision_is_taken_in_with_a_warning(store):
    from kokuho_nb.targets.lists import issue_month as reissue

    rows = _rows(store, "K001")
    path = _fill(store, "K001", {rows["000101"]: GOOD}, "rev1.xlsx")
    reissue(store, MONTH, reissue=True)
    report = ingest_returns(Store(store), [path])
    assert report.files[0].rows_accepted == 1
    assert any("第2版が発行されています" in w for w in report.files[0].warnings)
    assert "第2版" in report.message()


def test_not_a_target_list_and_unissued_revision_are_refused(store, tmp_path):
    other = tmp_path / "other.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    src = store.parent / "out" / f"target_list_{MONTH}_K001.xlsx"
    wb = load_workbook(src)
    wb["管理情報"]["B3"] = 7  # revision 7 was never issued
    wb.save(tmp_path / "rev7.xlsx")
    report = ingest_returns(Store(store), [other, broken, tmp_path / "rev7.xlsx"])
    reasons = [e["reason"] for e in report.to_dict()["errors"]]
    assert "ターゲットリストのブックではありません" in reasons[0]
    assert "読めません" in reasons[1]
    assert "発行記録にありません" in reasons[2]
    assert _count(store, "target_returns") == 0


def test_cli_exit_status_and_json(store, capsys):
    rows = _rows(store, "K001")
    good = _fill(store, "K001", {rows["000101"]: GOOD}, "good.xlsx")
    assert main(["returns", "ingest", str(good), "--store", str(store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["files"]["good.xlsx"]["rows_accepted"] == 1
    bad = _fill(store, "K001", {rows["000103"]: {**GOOD, "method": "伝書鳩"}}, "bad.xlsx")
    assert main(["returns", "ingest", str(bad), "--store", str(store)]) == 1
    assert "bad.xlsx" in capsys.readouterr().err


# --- the feedback loop --------------------------------------------------------------------------------------


def _centre_fill(store: Path, household: str, values: dict[str, object], name: str) -> Path:
    rows = _rows(store, "CENTRE_PHONE")
    return _fill(store, "CENTRE_PHONE", {rows[household]: values}, name)


def test_no_answer_escalates_next_month(store):
    # 000104 (phone known) was on the centre's phone list; nobody answered
    path = _centre_fill(store, "000104", {"contact_date": dt.date(2025, 7, 15), "method": "電話", "result": "不通"},
                        "c.xlsx")
    assert ingest_returns(Store(store), [path]).ok
    nxt = triage_for_month(Store(store), "2025-08").table.set_index("household_id")
    assert nxt.loc["000104", "no_answer"]
    assert nxt.loc["000104", "next_action"] == "SMS" and nxt.loc["000104", "queue"] == "centre"
    # and the next month's SMS list has it
    issue_month(store, "2025-08")
    sms = load_items(Store(store), "2025-08", "CENTRE_SMS", 1)
    assert list(sms["household_id"]) == ["000104"]


def test_kept_promise_moves_to_monitoring_and_broken_one_to_recontact(store):

    rows = _rows(store, "K001")
    promise = {**GOOD, "result": "納付約束", "promised_amount": 5000, "promised_date": dt.date(2025, 7, 20)}
    assert ingest_returns(Store(store), [_fill(store, "K001", {rows["000103"]: promise}, "p.xlsx")]).ok
    # no payment: the promise is broken next month
    broken = triage_for_month(Store(store), "2025-08").table.set_index("household_id")
    assert broken.loc["000103", "primary_reason"] == "BROKEN_PLEDGE"
    # the household paid as promised: monitoring, off the lists
    ledger = Store(store).load()
    paid = pd.DataFrame([{"household_id": "000103", "fiscal_year": 2024, "instalment": 1,
                          "paid_date": pd.Timestamp("2025-07-19"), "amount": 5000}])
    ledger.payments = pd.concat([ledger.payments, paid.astype(ledger.payments.dtypes.to_dict())], ignore_index=True)
    kept = triage_for_month(Store(store), "2025-08", ledger=ledger).table.set_index("household_id")
    assert kept.loc["000103", "monitoring"] and kept.loc["000103", "queue"] == ""
