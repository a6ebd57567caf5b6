"""``kokuho-nb month all``: lists, meeting pack and exercise sheets in one run (kokuho_nb.monthly)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from kokuho_nb.casework.issued import issued_items
from kokuho_nb.errors import UserError
from kokuho_nb.months import Month
from kokuho_nb.runs.month_all import monthly_sheets, run_whole_month, sheet_seed, summary_lines
from kokuho_nb.runs.month_run import MonthRequest
from kokuho_nb.store import Store

MONTH = "2026-11"


@pytest.fixture()
def store(small_store: Path, tmp_path: Path) -> Path:
    work = tmp_path / "store"
    shutil.copytree(small_store, work)  # the session store stays as it was
    return work


def _s3_list_sizes(xlsx: Path) -> dict[str, int]:
    """Officer code -> 当月リスト件数, read from the pack workbook's section-3 sheet."""
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    ws = wb[next(n for n in wb.sheetnames if n.startswith("3_"))]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "担当者コード")
    header = list(rows[header_at])
    code_col, size_col = header.index("担当者コード"), header.index("リスト件数")
    return {str(r[code_col]): int(r[size_col] or 0) for r in rows[header_at + 1:] if r and r[code_col]}


def test_month_all_writes_lists_pack_and_sheets(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_whole_month(Store(store), MonthRequest.of(MONTH, out, processes=2))
    assert first.ok, first.run_message
    # the pack started before the month was issued: its section 3 must still count the lists just issued
    officer_first = issued_items(Store(store), MONTH).query("kind == 'officer'")
    expected_first = {str(k): int(v) for k, v in officer_first.groupby("owner_code").size().items()}
    assert expected_first
    assert {c: n for c, n in _s3_list_sizes(Path(first.pack["xlsx"])).items() if n} == expected_first

    # a sheet made by hand (`training sheet`) in the same folder is not one of this month's
    stray = out / MONTH / "training" / "exercise_basic_flow_L1_s1.pdf"
    stray.write_bytes(b"%PDF-1.4")
    result = run_whole_month(Store(store), MonthRequest.of(MONTH, out, processes=2, reissue=True))
    assert result.ok, result.run_message
    assert result.revision == first.revision + 1
    month_dir = out / MONTH

    items = issued_items(Store(store), MONTH)
    assert set(items["revision"]) == {result.revision}
    officer_items = items[items["kind"] == "officer"]
    for code in officer_items["owner_code"].unique():
        assert list(month_dir.glob(f"*{code}*.xlsx")), f"no workbook for officer {code}"
    assert (month_dir / f"target_lists_summary_{MONTH}.html").is_file()

    for kind in ("html", "pdf", "xlsx"):
        path = Path(result.pack[kind])
        assert path.is_file() and path.stat().st_size > 1000, path
    # the pack built during the reissue counts the lists of the new revision
    expected = officer_items.groupby("owner_code").size().to_dict()
    shown = {code: n for code, n in _s3_list_sizes(Path(result.pack["xlsx"])).items() if n}
    assert shown == {str(k): int(v) for k, v in expected.items()}

    seed = sheet_seed(MONTH)
    wanted = monthly_sheets(MONTH)
    training = month_dir / "training"
    for entry in wanted:
        stem = f"{entry['flowchart']}_{entry['code']}_s{seed}"
        assert (training / f"exercise_{stem}.pdf").is_file()
        assert (training / f"answer_key_{stem}.pdf").is_file()
        html = (training / f"exercise_{stem}.html").read_text(encoding="utf-8")
        assert "模擬データ" in html
    assert len(result.sheets) == 2 * len(wanted)

    names = [r.name for r in result.runs]
    assert names[0] == f"meeting_{MONTH}_notebook"  # the longest run starts first
    assert sum(n.startswith("target_lists_") for n in names) == 1  # one core for the lists, one for the pack
    lines = summary_lines(result)
    assert not any(stray.name in line for line in lines)
    assert any("月例会議資料（PDF）" in line for line in lines)
    assert any("月例会議資料（Excel）" in line for line in lines)
    assert sum("OJT演習用紙" in line for line in lines) == len(wanted)
    assert sum("OJT演習の解答" in line for line in lines) == len(wanted)


def test_pack_waits_for_an_issue_in_progress(store: Path) -> None:
    """The pack reads the month's lists under the issue lock: while another process issues, it waits and then
    reads what was issued (not the previous revision, not nothing)."""
    from kokuho_nb.casework.issued import issue_lock
    from kokuho_nb.meeting.inputs import _issued_items
    from kokuho_nb.targets.lists import issue_month

    holding = threading.Event()
    issued: dict[str, int] = {}

    def issuer() -> None:
        with issue_lock(Store(store), MONTH):
            holding.set()
            time.sleep(0.5)
            issued["revision"] = issue_month(store, MONTH, lock=False).revision

    thread = threading.Thread(target=issuer)
    thread.start()
    assert holding.wait(10)
    began = time.perf_counter()
    items = _issued_items(Store(store), Month.parse(MONTH))
    waited = time.perf_counter() - began
    thread.join()
    assert waited >= 0.3  # it waited for the lock
    assert len(items) > 0 and set(items["revision"]) == {issued["revision"]}
    assert {"officer_code", "list_kind"} <= set(items.columns)


def test_monthly_sheets_follow_the_parameters() -> None:
    sheets = monthly_sheets(Month.parse(MONTH))
    assert sheets and all(s["count"] > 0 for s in sheets)
    assert {s["flowchart"] for s in sheets} >= {"basic_flow"}
    assert sheet_seed(Month(2026, 11)) == 202611 and sheet_seed(Month(2026, 12)) != sheet_seed(Month(2026, 11))
    with pytest.raises(UserError) as err:
        sheet_seed("2026-13")
    assert "2026-13" in err.value.message
