"""The whole pack from a store: its figures reconcile with the ledger (recomputed here with plain pandas),
the PDF has its pages, headings and key figures, the workbook has the decisions sheet, and last month's
decisions come back in this month's pack."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kokuho_nb.casework.decisions import FIELDS, SHEET_HEADER_ROW, ingest_decisions
from kokuho_nb.labels import t
from kokuho_nb.meeting import build_pack, write_outputs
from kokuho_nb.meeting.common import Section, Table
from kokuho_nb.meeting.excel import write_workbook
from kokuho_nb.meeting.pack import MeetingPack
from kokuho_nb.months import Month
from kokuho_nb.store import Store

MONTH = "2026-11"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"


def _source_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic small ward when its generator is available, else the hand-made standard ledger."""
    try:
        from kokuho_nb.synth import generate  # noqa: F401
    except ImportError:
        generate = None
    if generate is not None:
        return request.getfixturevalue("small_store")
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path_factory.mktemp("meeting_src") / "store"
    assert import_ledger(FIXTURE, store, as_of=dt.date(2026, 11, 26)).ok
    return store


def _october_decisions(store: Path, tmp: Path, households: list[str]) -> None:
    """Decisions of the October meeting: the first household to the special specialist, the second to be
    revisited, and one proposal."""
    rows = [{"kind": "事案", "ref": "C01", "household_id": households[0]},
            {"kind": "事案", "ref": "C02", "household_id": households[1]},
            {"kind": "提案", "ref": "P01", "household_id": ""}]
    pack = MeetingPack(month="2026-10", as_of=dt.date(2026, 10, 31), sections=[
        Section(1, "x", "x", "x", tables=[Table("t", "t", pd.DataFrame({"a": [1]}))])], attendees=[],
        synthetic=True, decision_rows=rows, staff_codes=[])
    path = write_workbook(pack, tmp / "meeting_2026-10.xlsx")
    wb = load_workbook(path)
    ws = wb[t("meeting.decisions_sheet")]
    fill = {"C01": ("特別整理専門員へ移管", "特別整理専門員"), "C02": ("翌月再審議", ""), "P01": ("提案どおり実施", "")}
    for r in range(SHEET_HEADER_ROW + 1, SHEET_HEADER_ROW + 4):
        ref = ws.cell(row=r, column=2).value
        ws.cell(row=r, column=FIELDS.index("decision_type") + 1, value=fill[ref][0])
        ws.cell(row=r, column=FIELDS.index("owner_role") + 1, value=fill[ref][1] or None)
        ws.cell(row=r, column=FIELDS.index("decided_at") + 1, value="2026-10-30")
    wb.save(path)
    rep = ingest_decisions(path, Store(store))
    assert rep.ok and rep.inserted == 3, rep.to_dict()


@pytest.fixture(scope="module")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    src = _source_store(request, tmp_path_factory)
    work = tmp_path_factory.mktemp("meeting_pack")
    store = work / "store"
    shutil.copytree(src, store)  # the shared store stays read-only
    from kokuho_nb.cases import case_view

    ledger = Store(store).load()
    cv = case_view(ledger, dt.date(2026, 10, 31), with_law=False)
    owing = list(cv.loc[cv["total_arrears"] > 0, "household_id"].sort_values())
    _october_decisions(store, work, owing[:2])
    pack = build_pack(MONTH, store, synthetic=True)
    paths = write_outputs(pack, work / "out" / MONTH)
    return {"pack": pack, "paths": paths, "ledger": ledger, "owing_october": owing[:2], "store": store}


def _unpaid_independently(ledger, as_of: dt.date) -> int:  # type: ignore[no-untyped-def]
    from kokuho_nb.law.calendar import shift_due_date

    ch = ledger.charges.copy()
    pay = ledger.payments[ledger.payments["paid_date"] <= pd.Timestamp(as_of)]
    paid = pay.groupby(["household_id", "fiscal_year", "instalment"])["amount"].sum().rename("paid_now")
    ch = ch.join(paid, on=["household_id", "fiscal_year", "instalment"])
    ch["paid_now"] = ch["paid_now"].fillna(0)
    ch["due2"] = [pd.Timestamp(shift_due_date(d.date())) for d in ch["due_date"]]
    ch = ch[ch["due2"] < pd.Timestamp(as_of)]
    return int((ch["amount"] - ch["written_off"] - ch["paid_now"]).clip(lower=0).sum())


def test_figures_reconcile_with_the_ledger(built: dict) -> None:
    pack, ledger = built["pack"], built["ledger"]
    as_of = pack.as_of
    unpaid = _unpaid_independently(ledger, as_of)
    assert pack.section("key_targets").data["unpaid"] == unpaid
    assert pack.section("analysis").data["amount"] == unpaid  # Σ case-view arrears = the same stock
    status = pack.section("activity").data["status"]
    start = pd.Timestamp("2026-04-01")
    disp = ledger.dispositions
    in_year = (disp["start_date"] >= start) & (disp["start_date"] <= pd.Timestamp(as_of))
    assert status["seizures"]["actual"] == int(((disp["kind"] == "差押") & in_year).sum())
    assert status["suspensions"]["actual"] == int(((disp["kind"] == "執行停止") & in_year).sum())
    inq = ledger.inquiries
    inq_year = (inq["inquiry_date"] >= start) & (inq["inquiry_date"] <= pd.Timestamp(as_of))
    assert status["inquiries_total"]["actual"] == int(inq_year.sum())
    assert status["inquiries_electronic"]["actual"] == int((inq_year & (inq["mode"] == "電子")).sum())
    hh = ledger.households
    insured = hh[hh["status"] == "加入中"]
    assert status["direct_debit_rate"]["actual"] == pytest.approx(100 * insured["direct_debit"].fillna(False).mean())


def test_last_months_decisions_come_back(built: dict) -> None:
    pack = built["pack"]
    first, second = built["owing_october"]
    follow = pack.section("difficult").table("followup")
    items = list(follow[t("meeting.col.item")])
    assert first in items and second in items and "P01" in items
    row = follow[follow[t("meeting.col.item")] == first].iloc[0]
    assert row[t("meeting.col.decision")] == "特別整理専門員へ移管"
    # the case the meeting asked to revisit is on this month's difficult list (if it still owes)
    shown = {r["household_id"]: r["categories"] for r in pack.section("difficult").data["shown"]}
    if second in shown:
        assert "revisit" in shown[second]
    assert pack.section("difficult").data["counts"]["revisit"] >= (1 if second in shown else 0)


def test_pdf_pages_headings_and_key_figures(built: dict) -> None:
    pack, paths = built["pack"], built["paths"]
    reader = PdfReader(str(paths["pdf"]))
    assert len(reader.pages) >= 7  # cover + six sections, each starting on a new page
    text = "\n".join(page.extract_text() for page in reader.pages)
    compact = text.replace(" ", "").replace("\n", "")
    for s in pack.sections:
        assert s.title.replace(" ", "") in compact, s.title
    assert "模擬データ" in compact
    assert "月例会議資料" in compact and "係長" in compact and "特別整理専門員" in compact
    kt = pack.section("key_targets").data
    assert f"{kt['unpaid'] / 1e8:,.2f}億円" in compact
    an = pack.section("analysis").data
    assert f"{an['delinquent']:,}件" in compact
    # page numbers "n / N" in the footer
    assert f"1/{len(reader.pages)}" in compact


def test_html_and_workbook(built: dict) -> None:
    paths, pack = built["paths"], built["pack"]
    html = paths["html"].read_text(encoding="utf-8")
    assert "import " not in html and "build_pack" not in html  # no code
    assert html.count("data:image/png;base64,") == sum(len(s.charts) for s in pack.sections)
    wb = load_workbook(paths["xlsx"])
    assert wb.sheetnames[0] == t("meeting.decisions_sheet")
    ws = wb[t("meeting.decisions_sheet")]
    refs = [ws.cell(row=r, column=2).value for r in range(SHEET_HEADER_ROW + 1, ws.max_row + 1)]
    n_cases = len(pack.section("difficult").table("cases"))
    n_props = len(pack.section("next_month").data["proposals"])
    assert len(refs) == n_cases + n_props
    assert ws.data_validations.dataValidation  # drop-downs
    assert len(wb.sheetnames) > 3  # the pack's tables
    # every difficult case is in the workbook (the printed pack shows only those for deliberation)
    sec4 = pack.section("difficult")
    full = wb[next(n for n in wb.sheetnames if n.startswith("4_") and t("meeting.s4.table_all") in n)]
    ids = [full.cell(row=r, column=2).value for r in range(4, 4 + sec4.data["total"])]
    assert len(set(ids)) == sec4.data["total"] and None not in ids
    assert {r["household_id"] for r in sec4.data["shown"]} <= set(ids)
    assert full.cell(row=4 + sec4.data["total"], column=2).value is None  # nothing beyond the cases
    assert full.auto_filter.ref and full.auto_filter.ref.startswith("A3:")
    amounts = [full.cell(row=r, column=4).value for r in range(4, 4 + sec4.data["total"])]
    assert sum(amounts) == sec4.data["amount"]
    assert t("meeting.s4.table_all") not in html  # Excel only


def test_demo_meeting_decides_every_row(built: dict, tmp_path: Path) -> None:
    from kokuho_nb.casework.decisions import case_decisions_for_lists, decisions_for_month
    from kokuho_nb.synth.decisions_sim import fill_simulated_decisions

    pack = built["pack"]
    cats = {r["household_id"]: r["categories"] for r in pack.section("difficult").data["shown"]}
    filled = fill_simulated_decisions(built["paths"]["xlsx"], tmp_path / "filled.xlsx", cats)
    rep = ingest_decisions(filled, Store(built["store"]))
    assert rep.ok, rep.errors
    assert rep.inserted == len(pack.decision_rows)
    assert len(decisions_for_month(Store(built["store"]), MONTH)) == len(pack.decision_rows)
    lists = case_decisions_for_lists(Store(built["store"]), "2026-12")
    assert set(lists["household_id"]) == set(cats)


def test_missing_entaikin_rate_is_said_on_the_cover(built: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """When next year's 延滞金 rate is not yet in the parameters, the case view accrues only up to the year's
    start and says so (attrs); the pack repeats that notice on its cover and in the notebook's fragment."""
    import dataclasses

    import kokuho_nb.meeting.inputs as inputs_module
    from kokuho_nb.meeting.inputs import gather
    from kokuho_nb.meeting.render import fragment_html, render_html

    notice = "2027年の延滞金の割合が未設定のため、延滞金は2026年12月31日までの額です。"
    real = inputs_module.cached_case_view

    def with_notice(*args, **kwargs):  # type: ignore[no-untyped-def]
        view = real(*args, **kwargs).copy()
        view.attrs["entaikin_notice"] = notice if kwargs.get("with_law", True) else None
        return view

    monkeypatch.setattr(inputs_module, "cached_case_view", with_notice)
    inp = gather(Month.parse(MONTH), Store(built["store"]))
    assert inp.notes == [notice]
    pack = dataclasses.replace(built["pack"], notes=inp.notes)
    cover = render_html(pack).split('<section class="sec')[0]
    assert notice in cover
    assert notice in fragment_html(pack)
    assert notice not in render_html(built["pack"])  # the ward's parameters have every rate needed
