"""The 延滞金 rate-gap notice where staff see figures: target-list summary, workbooks, page header."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.issued import IssueResult
from kokuho_nb.law import rate_gap_notice
from kokuho_nb.store import Store
from kokuho_nb.targets.render import summary_html
from kokuho_nb.targets.workbook import SHEET, ListMeta, build_workbook, column_letters
from kokuho_nb.web.common import header_html
from kokuho_nb.xlsx import workbook_bytes
from tests.helpers.law_params import RATES_2027, law_parameters, set_rate


@pytest.fixture(autouse=True)
def gap_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Rates up to 2026 and none for 2027, whatever the repository's file holds by now."""
    folder = law_parameters(tmp_path / "parameters")
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(folder))
    return folder


def notice() -> str | None:
    return rate_gap_notice(dt.date(2027, 1, 1))


def _issue(month: str) -> IssueResult:
    return IssueResult(month=month, revision=1, newly_issued=True, as_of=f"{month}-01", snapshot_id=None,
                       synthetic=True, issued_at=f"{month}-01T09:00:00", lists=[])


def _sheet(month: str):
    meta = ListMeta(month, "K001", 1, "officer", "K001", "徴収 一郎", f"{month}-01T09:00:00", True)
    wb = load_workbook(io.BytesIO(workbook_bytes(build_workbook(meta, pd.DataFrame()))))
    return wb[SHEET]


def test_the_notice_names_the_year_and_the_last_day() -> None:
    text = notice()
    assert text is not None and "2027年" in text and "2026年12月31日" in text
    assert rate_gap_notice(dt.date(2026, 12, 1)) is None


def test_summary_html_carries_the_notice_only_past_the_last_rate(tmp_store: Path) -> None:
    assert notice() in summary_html(Store(tmp_store), _issue("2027-01"))
    december = summary_html(Store(tmp_store), _issue("2026-12"))
    assert "延滞金の割合" not in december and "entaikin-notice\">" not in december


def test_workbook_header_area_carries_the_notice_only_past_the_last_rate() -> None:
    cell = f"{column_letters()['contact_date']}2"
    ws = _sheet("2027-01")
    assert ws[cell].value == notice()
    assert "模擬データ" in str(ws[f"{column_letters()['contact_date']}1"].value)  # the banner stays above it
    assert cell in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    december = _sheet("2026-12")
    assert december[cell].value is None
    assert not any("延滞金" in str(c.value) for row in december.iter_rows(max_row=3) for c in row if c.value)


def test_page_header_carries_the_notice_for_the_data_date() -> None:
    assert notice() in header_html("担当者ページ", synthetic=True, as_of=dt.date(2027, 1, 5))
    assert "kokuho-entaikin-notice\"" not in header_html("担当者ページ", synthetic=True, as_of=dt.date(2026, 12, 1))
    assert "kokuho-entaikin-notice\"" not in header_html("担当者ページ", synthetic=True)


def test_no_notice_once_the_ward_adds_the_rate(gap_parameters: Path, tmp_store: Path) -> None:
    assert notice() is not None
    set_rate(gap_parameters, 2027, RATES_2027)  # edited in place: seen without clearing caches by hand
    assert notice() is None
    assert "延滞金の割合" not in summary_html(Store(tmp_store), _issue("2027-01"))
    assert _sheet("2027-01")[f"{column_letters()['contact_date']}2"].value is None
    assert "kokuho-entaikin-notice\"" not in header_html("x", synthetic=False, as_of=dt.date(2027, 1, 5))


def test_landing_page_carries_the_notice_for_the_latest_snapshot() -> None:
    from kokuho_nb.web.landing import landing_html

    pages = {"officer": True, "dashboard": True, "ojt": True, "imports": True}
    assert notice() in landing_html(pages, as_of=dt.date(2027, 2, 1))
    assert "kokuho-entaikin-notice\"" not in landing_html(pages, as_of=dt.date(2026, 11, 26))
    assert "kokuho-entaikin-notice\"" not in landing_html(pages)
