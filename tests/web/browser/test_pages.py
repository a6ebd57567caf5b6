"""Each page in a real browser, used as staff would, checked against the store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kokuho_nb.store import Store

READY_MS = 120_000


@pytest.fixture(scope="session")
def expected(web_store: Path):
    """What the pages must show, computed here independently from the store."""
    from kokuho_nb.cases import case_view

    ledger = Store(web_store).load()
    view = case_view(ledger, ledger.as_of)
    snap = [x.to_dict() for x in Store(web_store).snapshots()][-1]
    return {"ledger": ledger, "view": view, "snapshot": snap, "as_of": ledger.as_of, "store": web_store}


def _select(page, css: str, label: str) -> None:
    page.locator(f"{css} select").select_option(label=label)


def test_landing_page_links_every_app(open_page, screenshot, expected):
    w = open_page("/", ready="index")
    page = w.page
    page.locator(".kokuho-links").wait_for(timeout=READY_MS)
    for label in ("担当者ページ", "会議ダッシュボード", "OJT演習", "取込レポート"):
        assert page.locator(".kokuho-links").get_by_text(label).count() >= 1, label
    assert page.locator(".kokuho-synthetic").is_visible()
    assert expected["as_of"].isoformat() in page.locator(".kokuho-meta").first.inner_text()
    screenshot(w, "landing")
    page.locator('a.kokuho-link[data-page="imports"]').click()
    page.locator('.kokuho-ready[data-page="imports"]').wait_for(state="attached", timeout=READY_MS)
    w.check_clean()


def test_officer_page_choose_filter_and_count(open_page, screenshot, expected, issued, web_outputs):
    from kokuho_nb.web.officer import officer_choices

    view = expected["view"]
    if issued["officer"] is not None:  # the month's issued list
        code = issued["officer"]
        from kokuho_nb.casework.issued import load_items

        listed = issued["items"][issued["items"]["list_code"] == code]
        mine = load_items(Store(expected["store"]), issued["month"], code, int(listed["revision"].iloc[0]))
        assert len(mine) == len(listed) and set(mine["household_id"]) <= set(view["household_id"])
    else:  # nothing issued: the officer's cases with arrears by the case view
        with_arrears = view[view["total_arrears"] > 0]
        code = with_arrears["officer_code"].value_counts().index[0]
        mine = with_arrears[with_arrears["officer_code"] == code]

    w = open_page("/voila/render/pages/officer.ipynb", ready="officer")
    page = w.page
    page.get_by_text("担当者ページ").first.wait_for(timeout=READY_MS)
    codes = [c for _, c in officer_choices(expected["ledger"].staff)]
    # by position (ipywidgets shows spaces in labels as no-break spaces); 0 is the "choose" placeholder
    page.locator(".kokuho-officer select").select_option(index=codes.index(code) + 1)
    count = page.locator(".kokuho-count")
    count.wait_for(timeout=READY_MS)
    assert int(count.get_attribute("data-total")) == len(mine)
    assert int(count.get_attribute("data-shown")) == len(mine)
    first_ids = page.locator(".kokuho-list table tbody tr td:first-child").all_inner_texts()
    assert set(first_ids) <= set(mine["household_id"].astype(str))
    screenshot(w, "officer")

    if issued["officer"] is not None:
        # the workbook download is the officer's own file
        link = page.locator("a.kokuho-download")
        with page.expect_download() as dl:
            link.click()
        assert code in dl.value.suggested_filename and dl.value.suggested_filename.endswith(".xlsx")
        expected_file = next((web_outputs / issued["month"]).rglob(dl.value.suggested_filename))
        assert Path(dl.value.path()).read_bytes() == expected_file.read_bytes()
        # filter by reason: only cases with that reason code
        reasons = listed["reasons"].str.split(";").explode()
        rare = reasons.value_counts().index[-1]
        from kokuho_nb.web.officer import reason_label

        page.locator(".kokuho-filter-reason select").select_option(label=reason_label(rare).replace(" ", "\xa0"))
        n_reason = int(listed["reasons"].str.split(";").map(lambda cs: rare in cs).sum())
        page.locator(f'.kokuho-count[data-shown="{n_reason}"]').wait_for(timeout=READY_MS)
        _select(page, ".kokuho-filter-reason", "すべて")

    # filter by stage: the shown count is the officer's cases at that stage
    stage = mine["stage"].value_counts().index[-1]  # the rarest stage, so the filter visibly narrows
    _select(page, ".kokuho-filter-stage", stage)
    n_stage = int((mine["stage"] == stage).sum())
    page.locator(f'.kokuho-count[data-shown="{n_stage}"]').wait_for(timeout=READY_MS)
    stages_shown = set(page.locator(".kokuho-list table tbody tr td:nth-child(3)").all_inner_texts())
    assert stages_shown <= {stage}

    # and by status: 未処理 is at most what that stage has
    _select(page, ".kokuho-filter-status", "未処理")
    page.locator(".kokuho-count").wait_for(timeout=READY_MS)
    shown = int(page.locator(".kokuho-count").get_attribute("data-shown"))
    assert 0 <= shown <= n_stage
    progress = page.locator(".kokuho-progress")
    assert int(progress.get_attribute("data-total")) == len(mine)
    screenshot(w, "officer-filtered")
    w.check_clean()


def test_dashboard_switch_month(open_page, screenshot, expected):
    from kokuho_nb.cases import case_view

    as_of: dt.date = expected["as_of"]
    w = open_page("/voila/render/pages/dashboard.ipynb", ready="dashboard")
    page = w.page
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    current = page.locator(f'.kokuho-month[data-month="{month}"]')
    current.wait_for(timeout=READY_MS)
    assert int(current.get_attribute("data-unpaid")) == int(expected["view"]["total_arrears"].sum())
    assert page.locator('.kokuho-kpi[data-kpi="total_rate"] .value').inner_text().endswith("%")
    # the snapshot's month shows the meeting pack's six sections, each with its conclusion
    assert current.locator(".kokuho-pack").get_attribute("data-sections") == "6"
    assert current.locator(".kokuho-section .kokuho-conclusion").count() == 6
    assert current.locator(".kokuho-chart img, .kokuho-chart svg").count() >= 1
    screenshot(w, "dashboard")

    prev_end = dt.date(as_of.year, as_of.month, 1) - dt.timedelta(days=1)
    prev = f"{prev_end.year:04d}-{prev_end.month:02d}"
    _select(page, ".kokuho-month-select", prev)
    shown = page.locator(f'.kokuho-month[data-month="{prev}"]')
    shown.wait_for(timeout=READY_MS)
    then = case_view(expected["ledger"], prev_end, with_law=False)
    assert int(shown.get_attribute("data-unpaid")) == int(then["total_arrears"].sum())
    assert shown.get_attribute("data-day") == prev_end.isoformat()
    screenshot(w, "dashboard-previous-month")
    w.check_clean()


def test_import_report(open_page, screenshot, expected, web_store):

    snap = expected["snapshot"]
    manifest = json.loads((web_store / "snapshots" / snap["id"] / "manifest.json").read_text(encoding="utf-8"))
    w = open_page("/voila/render/pages/imports.ipynb", ready="imports")
    page = w.page
    rows = page.locator(".kokuho-counts tbody tr")
    assert rows.count() == len(manifest["report"]["files"])
    table_text = page.locator(".kokuho-counts").inner_text()
    for file, counts in manifest["report"]["files"].items():
        assert file in table_text
        assert f"{counts['rows_read']:,}" in table_text
    assert int(page.locator(".kokuho-quarantine").get_attribute("data-rows")) == len(Store(web_store).quarantine())
    screenshot(w, "imports")
    w.check_clean()


def test_ojt_app_answer_an_exercise(open_page, screenshot, expected, web_store):
    from kokuho_nb.web.server import NOTEBOOKS_DIR, PAGES

    if not (NOTEBOOKS_DIR / PAGES["ojt"]).exists():
        pytest.skip("notebooks/ojt_app.ipynb (training module) is not in the tree yet")
    from kokuho_nb.casework.attempts import attempts

    staff = expected["ledger"].staff
    code = str(staff.sort_values("officer_code")["officer_code"].iloc[0])
    before = len(attempts(Store(web_store), code))
    w = open_page("/voila/render/ojt_app.ipynb", ready="ojt", state=None)
    page = w.page
    page.locator(".kokuho-officer input").fill(code)
    page.locator(".kokuho-start button, button.kokuho-start").first.click()
    page.locator(".kokuho-submit").first.wait_for(state="visible", timeout=READY_MS)
    radios = page.locator(".kokuho-choices input[type=radio]")
    if radios.count():
        radios.first.check()
    else:
        page.locator(".kokuho-value input").fill("0")
    boxes = page.locator(".kokuho-choices ~ div input[type=checkbox], .kokuho-choices ~ div input[type=radio]")
    if boxes.count():
        boxes.first.check()
    page.locator(".kokuho-submit").first.click()
    feedback = page.locator(".kokuho-feedback")
    feedback.wait_for(timeout=READY_MS)
    assert feedback.get_attribute("data-result") in ("right", "partial", "wrong")
    assert "根拠" in feedback.inner_text() or len(feedback.inner_text()) > 20
    screenshot(w, "ojt")
    # the attempt is in the store as soon as it is answered
    assert len(attempts(Store(web_store), code)) == before + 1
    w.check_clean()
