"""Target lists: pacing arithmetic, list sizing and area restriction, the workbook, idempotent regeneration."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.issued import load_items
from kokuho_nb.casework.returns import contact_codes
from kokuho_nb.contract import codes
from kokuho_nb.labels import t
from kokuho_nb.runs.month_run import plan_jobs
from kokuho_nb.store import Store
from kokuho_nb.targets.lists import issue_month, select_lists, select_officer_list
from kokuho_nb.targets.render import render_lists
from kokuho_nb.targets.workbook import FIRST_ROW, column_letters
from kokuho_nb.triage import triage_frame
from tests.helpers.triage_cases import AS_OF, case, cases

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"
MONTH = "2025-07"


@pytest.fixture(scope="module")
def issued_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture ledger imported, month 2025-07 issued and rendered (copy it before writing)."""
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path_factory.mktemp("targets") / "store"
    store.mkdir()
    assert import_ledger(FIXTURE, store, as_of="2025-06-15").ok
    issue_month(store, MONTH, synthetic=True)
    render_lists(store, MONTH, store.parent / "out" / MONTH)
    return store


@pytest.fixture
def store_copy(issued_store: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "store"
    shutil.copytree(issued_store, dest)
    shutil.copytree(issued_store.parent / "out", tmp_path / "out")
    return dest


# --- selection ----------------------------------------------------------------------------------------------

STAFF = pd.DataFrame([
    {"officer_code": "K01", "name": "足立 太郎", "role": "徴収吏員", "areas": "A01"},
    {"officer_code": "K02", "name": "千住 花子", "role": "徴収吏員", "areas": "A02"},
    {"officer_code": "K90", "name": "係長 次郎", "role": "係長", "areas": ""},
])


def _ward(n: int = 600) -> pd.DataFrame:
    rows = [case(f"H{i:04d}", total_arrears=1000 * (i % 700) + 1000, low_income=bool(i % 3), has_phone=bool(i % 2),
                 officer_code="K01" if i % 2 else "K02", area="A01" if i % 2 else "A02") for i in range(n)]
    return triage_frame(cases(*rows), AS_OF)


def test_each_officer_list_is_sized_and_holds_only_own_areas(monkeypatch):
    table = _ward()
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-09")}
    assert set(plans) == {"K01", "K02", "SPECIALISTS", "CENTRE_PHONE", "CENTRE_SMS", "CENTRE_VISIT"}
    for code in ("K01", "K02"):
        items = plans[code].items
        assert len(items) <= plans[code].pacing["capacity"]
        assert (items["list_owner"] == code).all()
        assert (items["queue"] == "officer").all()
        assert (items["reasons"] != "").all()
        assert items["priority"].is_monotonic_decreasing
    assert (plans["SPECIALISTS"].items["total_arrears"] >= 500_000).all()
    assert (plans["CENTRE_PHONE"].items["next_action"] == "PHONE").all()


def test_capacity_caps_the_list_and_meeting_cases_come_first():
    table = _ward(400)
    pool = table[(table["queue"] == "officer") & (table["officer_code"] == "K01")].copy()
    pool.loc[pool.index[-1], "primary_reason"] = "MEETING_ASSIGNED"
    chosen = select_officer_list(pool, capacity=10, field_quota=3)
    assert len(chosen) == 10
    assert pool.index[-1] in chosen.index
    assert (chosen["planned_method"] == codes().method.field_visit).sum() == 3


def test_meeting_assigned_case_goes_to_the_named_officer():
    rows = [case("H1", officer_code="K01", area="A01"), case("H2", officer_code="K01", area="A01")]
    assigned = pd.DataFrame([{"household_id": "H1", "list_action": "assign", "assign_role": "徴収吏員",
                              "owner_code": "K02", "decision_type": "担当者を変更"}])
    table = triage_frame(cases(*rows), AS_OF, assigned=assigned)
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-09")}
    assert list(plans["K02"].items["household_id"]) == ["H1"]
    assert list(plans["K01"].items["household_id"]) == ["H2"]


def test_field_visits_paced_to_twenty_percent_of_caseload():
    table = _ward(600)  # 300 delinquent households per officer -> 60 visits a year
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-09", field_done=pd.Series({"K01": 5}))}
    k01, k02 = plans["K01"].pacing, plans["K02"].pacing
    assert k01["caseload"] == 300 and k01["field_annual_target"] == 60
    assert k01["months_elapsed"] == 4
    assert k01["field_quota"] == 60 * 4 // 12 - 5
    assert k02["field_quota"] == 20
    assert (plans["K02"].items["planned_method"] == codes().method.field_visit).sum() == 20


def test_centre_lists_paced_to_annual_targets():
    rows = [case(f"H{i:05d}", low_income=True, has_phone=True, total_arrears=20_000) for i in range(3000)]
    table = triage_frame(cases(*rows), AS_OF)
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-06", centre_done={})}
    assert len(plans["CENTRE_PHONE"].items) == 2_500  # 30,000 / 12 in the plan year's first month
    assert plans["CENTRE_PHONE"].pacing["annual_target"] == 30_000
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-07", centre_done={"CENTRE_PHONE": 2_500},
                                                  centre_since="2026-06")}
    assert len(plans["CENTRE_PHONE"].items) == 2_500
    # behind pace: the shortfall is added to this month
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2026-08", centre_done={"CENTRE_PHONE": 4_000},
                                                  centre_since="2026-06")}
    assert len(plans["CENTRE_PHONE"].items) == 3_000  # pool of 3,000 caps the 3,500 due
    assert plans["CENTRE_PHONE"].pacing["quota"] == 3_500
    # lists first used in the last month of the plan year: one month's share, not the whole year
    plans = {p.list_code: p for p in select_lists(table, STAFF, "2027-05")}
    assert plans["CENTRE_SMS"].pacing["quota"] == 250 and plans["CENTRE_VISIT"].pacing["quota"] == 167


def test_plan_jobs_batches_officers_over_workers():
    jobs = plan_jobs([f"K{i:02d}" for i in range(30)], processes=2, per_job=40, centre=True)
    assert len(jobs) == 2 and sum(len(j["officers"]) for j in jobs) == 30
    assert [j["centre"] for j in jobs] == [True, False]
    jobs = plan_jobs([f"K{i:02d}" for i in range(30)], processes=2, per_job=10, centre=False)
    assert len(jobs) == 3 and not any(j["centre"] for j in jobs)
    # the run that also writes the centre's long lists gets fewer officers
    codes = [f"K{i:02d}" for i in range(30)]
    jobs = plan_jobs(codes, processes=2, per_job=40, centre=True, sizes=dict.fromkeys(codes, 120), centre_rows=2_880)
    assert sorted(sum((j["officers"] for j in jobs), [])) == codes
    rows = [len(j["officers"]) * 120 + (2_880 if j["centre"] else 0) for j in jobs]
    assert abs(rows[0] - rows[1]) <= 120


# --- issued lists and workbooks -----------------------------------------------------------------------------


def _wb(store: Path, code: str):
    return load_workbook(store.parent / "out" / MONTH / f"target_list_{MONTH}_{code}.xlsx")


def test_workbook_print_setup_header_footer_and_frozen_panes(issued_store):
    wb = _wb(issued_store, "K001")
    ws = wb["ターゲットリスト"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1
    assert ws.print_title_rows == "$3:$3"
    assert ws.freeze_panes == f"E{FIRST_ROW}"
    assert "徴収 一郎" in ws.oddHeader.left.text and "2025年7月" in ws.oddHeader.left.text
    assert "模擬データ" in ws.oddHeader.right.text
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws.column_dimensions["A"].hidden
    assert ws.protection.sheet
    assert wb["管理情報"].sheet_state == "hidden"
    headers = [c.value for c in ws[3]]
    for label in ("世帯番号", "理由", "次の対応", "優先度", "対応日", "手段", "結果", "約束金額", "約束日", "メモ"):
        assert label in headers


def test_workbook_dropdowns_use_the_ledger_contract_codes(issued_store):
    ws = _wb(issued_store, "K001")["ターゲットリスト"]
    letters = column_letters()
    codes = contact_codes()
    found = {}
    for dv in ws.data_validations.dataValidation:
        for key in ("method", "result", "contact_date", "promised_amount", "promised_date"):
            if str(dv.sqref).startswith(f"{letters[key]}{FIRST_ROW}"):
                found[key] = dv
    assert found["method"].type == "list" and found["method"].formula1 == '"' + ",".join(codes["method"]) + '"'
    assert found["result"].type == "list" and found["result"].formula1 == '"' + ",".join(codes["result"]) + '"'
    assert found["contact_date"].type == "date" and found["contact_date"].formula1 == "DATE(2025,7,1)"
    assert found["contact_date"].formula2 == "DATE(2025,7,31)"
    assert found["promised_amount"].type == "whole"


def test_each_workbook_holds_only_its_own_cases_with_reasons(issued_store):
    conn_items = {code: load_items(Store(issued_store), MONTH, code, 1) for code in ("K001", "K002", "CENTRE_PHONE")}
    for code, items in conn_items.items():
        ws = _wb(issued_store, code)["ターゲットリスト"]
        keys = [ws.cell(row=r, column=1).value for r in range(FIRST_ROW, FIRST_ROW + len(items))]
        assert keys == [f"{MONTH}|{code}|1|{h}" for h in items["household_id"]]
        assert ws.cell(row=FIRST_ROW + len(items), column=1).value is None
        for r in range(FIRST_ROW, FIRST_ROW + len(items)):
            assert ws.cell(row=r, column=column_letters_index("reasons")).value
            assert ws.cell(row=r, column=column_letters_index("next_action")).value
    k001 = set(conn_items["K001"]["household_id"])
    assert k001 and k001.isdisjoint(conn_items["CENTRE_PHONE"]["household_id"])
    assert conn_items["K002"].empty  # K002's only household owes nothing


def column_letters_index(key: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(column_letters()[key])


def test_rerun_regenerates_identical_files_unless_reissued(store_copy, tmp_path):
    out = tmp_path / "again"
    first = render_lists(store_copy, MONTH, out)
    before = {f["list_code"]: Path(f["path"]).read_bytes() for f in first["files"]}
    original = (tmp_path / "out" / MONTH / f"target_list_{MONTH}_K001.xlsx").read_bytes()
    assert before["K001"] == original  # same bytes as the first rendering
    second = render_lists(store_copy, MONTH, out)
    assert {f["list_code"]: Path(f["path"]).read_bytes() for f in second["files"]} == before
    with zipfile.ZipFile(out / f"target_list_{MONTH}_K001.xlsx") as z:
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    again = issue_month(store_copy, MONTH)
    assert not again.newly_issued and again.revision == 1
    re = issue_month(store_copy, MONTH, reissue=True)
    assert re.newly_issued and re.revision == 2


def test_summary_html_has_no_code_and_is_marked_synthetic(issued_store):
    html = (issued_store.parent / "out" / MONTH / f"target_lists_summary_{MONTH}.html").read_text(encoding="utf-8")
    assert t("common.synthetic_banner") in html
    assert "ターゲットリスト 概要" in html and "徴収 一郎" in html
    assert "import " not in html and "render_lists" not in html


def test_month_run_cli_renders_through_papermill_and_keeps_executed_notebooks(store_copy, tmp_path, capsys):
    from kokuho_nb.cli import main

    out = tmp_path / "cli_out"
    code = main(["month", "run", MONTH, "--store", str(store_copy), "--out", str(out), "--processes", "1", "--json"])
    result = __import__("json").loads(capsys.readouterr().out)
    assert code == 0 and result["ok"] and not result["failures"]
    folder = out / MONTH
    assert (folder / f"target_list_{MONTH}_K001.xlsx").read_bytes() == (
        tmp_path / "out" / MONTH / f"target_list_{MONTH}_K001.xlsx").read_bytes()
    assert sorted(p.name for p in folder.glob("target_lists_*.ipynb")) == [f"target_lists_{MONTH}_01.ipynb"]
    assert (folder / f"target_lists_{MONTH}_01.html").is_file()
    assert (folder / f"target_lists_summary_{MONTH}.html").is_file()
    assert main(["month", "run", MONTH, "--store", str(store_copy), "--out", str(out), "--officer", "K999"]) == 2
    assert "K999" in capsys.readouterr().err


def test_a_second_issuer_waits_for_the_first_and_reads_its_lists(store_copy):
    import threading
    import time

    from kokuho_nb.targets.lists import issue_lock

    got = {}
    with issue_lock(Store(store_copy), MONTH):
        worker = threading.Thread(target=lambda: got.setdefault("issue", issue_month(store_copy, MONTH)))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()  # blocked on the lock while the month is being issued
        reissued = issue_month(store_copy, MONTH, reissue=True, lock=False)
    worker.join(timeout=60)
    assert got["issue"].revision == reissued.revision == 2 and not got["issue"].newly_issued
