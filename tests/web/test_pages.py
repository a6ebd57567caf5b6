"""The pages' logic without a kernel or a browser (those are in tests/web/browser/)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.store import Store
from kokuho_nb.web import dashboard, imports, landing, officer, server
from kokuho_nb.web import data as webdata

TEMPLATE_DIR = Path(server.JUPYTER_DATA_DIR) / "voila" / "templates" / "kokuho"


# --- serve: safe by default ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ip", ["127.0.0.1", "localhost", "::1", "127.0.0.5"])
def test_loopback_needs_no_token(ip):
    server.check_bind(ip, None)


@pytest.mark.parametrize("ip", ["0.0.0.0", "192.168.1.10", "::"])
def test_other_addresses_need_a_token_and_say_how(ip):
    with pytest.raises(UserError) as err:
        server.check_bind(ip, None)
    assert "トークンが必要です" in err.value.message and "--token" in err.value.message
    with pytest.raises(UserError):
        server.check_bind(ip, "short")
    server.check_bind(ip, "x" * 24)


def test_cli_refuses_public_address_without_token(capsys):
    from kokuho_nb.cli import main

    assert main(["serve", "--ip", "0.0.0.0", "--port", "1"]) == 2
    assert "トークンが必要です" in capsys.readouterr().err


def test_voila_config_is_safe_by_default():
    c = server.voila_config(server.ServeOptions())
    assert c.Voila.ip == "127.0.0.1"
    assert c.Voila.token is None
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.VoilaExecutor.show_tracebacks is False
    assert c.VoilaConfiguration.template == "kokuho"
    assert c.VoilaConfiguration.allow_template_override == "NO"
    assert c.VoilaConfiguration.file_allowlist == []
    assert c.MappingKernelManager.cull_idle_timeout > 0
    assert c.Voila.port_retries == 0
    pools = c.VoilaKernelManager.kernel_pools_config
    assert pools["default"]["pool_size"] == 0  # papermill notebooks are never pre-executed
    assert set(pools) - {"default"} <= set(server.PAGES.values())
    assert "pages/officer.ipynb" in pools


def test_test_pages_only_on_request():
    assert "error_probe" not in server.ServeOptions().pages()
    assert "error_probe" in server.ServeOptions(test_pages=True).pages()


def test_template_loads_nothing_from_the_internet():
    for path in TEMPLATE_DIR.iterdir():
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # drop comments
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http://" not in text and "https://" not in text, f"{path.name} names an external URL"


def test_pages_exist_and_are_thin():
    for name, rel in server.PAGES.items():
        if name == "ojt":
            continue  # the training module's notebook
        nb = json.loads((server.NOTEBOOKS_DIR / rel).read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[0]["metadata"]["tags"]
        assert len(code) <= 3 and all(not c["outputs"] for c in code)
        assert f'show_page("{name}"' in "".join(code[-1]["source"])


# --- common -------------------------------------------------------------------------------------------------

def test_show_page_turns_errors_into_a_friendly_message():
    pytest.importorskip("IPython")
    import IPython.display as d
    import ipywidgets as w

    from kokuho_nb.web.common import ready_marker, show_page

    shown = []
    orig = d.display
    d.display = lambda obj: shown.append(obj)
    try:
        show_page("x", lambda: (_ for _ in ()).throw(RuntimeError("boom-secret")))
        show_page("y", lambda: w.HTML("<p>ページ</p>"))
    finally:
        d.display = orig
    error_box, ok_box = shown
    error_html = error_box.children[0].value
    assert "問題が発生しました" in error_html and "boom-secret" not in error_html and "Traceback" not in error_html
    # the marker is the last widget of the page, so it appears only once the page's widgets are rendered
    assert error_box.children[-1].value == ready_marker("x", "error")
    assert ok_box.children[-1].value == ready_marker("y", "ok")


# --- officer page -------------------------------------------------------------------------------------------

def _view() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["H1", "H2", "H3", "H4", "H5"],
        "area": ["A1", "A1", "A2", "A1", "A1"],
        "officer_code": ["K01", "K01", "K02", "K01", "K01"],
        "stage": ["滞納初期", "滞納中～後期", "滞納初期", "完納", "滞納初期"],
        "amount_band": ["50万円未満"] * 5,
        "total_arrears": [100_000, 600_000, 50_000, 0, 20_000],
    })


def _contacts() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["H1", "H1", "H2", "H5", "H3"],
        "date": pd.to_datetime(["2026-07-02", "2026-07-10", "2026-07-05", "2026-06-30", "2026-07-03"]),
        "method": ["電話", "臨場催告", "電話", "電話", "電話"],
        "result": ["納付約束", "不在", "不通", "接触", "接触"],
    })


def test_case_view_list_is_the_officers_cases_with_arrears():
    frame = officer.case_view_list(_view(), "K01")
    assert list(frame["household_id"]) == ["H2", "H1", "H5"]  # largest first; H4 has no arrears
    assert frame["total_arrears"].sum() == 720_000


def test_status_from_the_months_contacts():
    month = officer.month_contacts(_contacts(), "2026-07")
    assert set(month["household_id"]) == {"H1", "H2", "H3"}  # H5's contact was in June
    st = officer.statuses(pd.Series(["H1", "H2", "H5"]), month)
    assert st.loc["H1", "status"] == "promised"  # a promise in the month stays, even after a later 不在
    assert st.loc["H1", "last_result"] == "不在"
    assert st.loc["H2", "status"] == "not_reached"
    assert st.loc["H5", "status"] == "open"


def test_filters_and_progress():
    frame = officer.with_status(officer.case_view_list(_view(), "K01"), officer.month_contacts(_contacts(), "2026-07"))
    frame["reason"] = ["R_LARGE;R_URGENT", "R_EARLY", pd.NA]
    assert officer.reason_values(frame) == ["R_EARLY", "R_LARGE", "R_URGENT"]
    assert list(officer.filter_list(frame, reason="R_URGENT")["household_id"]) == ["H2"]
    assert list(officer.filter_list(frame, stage="滞納初期")["household_id"]) == ["H1", "H5"]
    assert list(officer.filter_list(frame, stage="滞納初期", status="open")["household_id"]) == ["H5"]
    assert len(officer.filter_list(frame, reason=officer.ALL, stage=None, status=officer.ALL)) == 3
    p = officer.progress(frame, officer.month_contacts(_contacts(), "2026-07"))
    assert p == {"total": 3, "contacted": 2, "share": 2 / 3, "visits": 1, "promises": 1}
    html = officer.list_table_html(frame, 3)
    assert 'data-shown="3"' in html and "納付約束" in html and "100,000円" in html


def test_officer_choices_only_officers_with_areas():
    staff = pd.DataFrame({"officer_code": ["K02", "K01", "S01"], "name": ["乙", "甲", "丙"],
                          "team": ["第一係", "第一係", ""], "areas": ["A2", "A1;A3", None]})
    assert officer.officer_choices(staff) == [("K01 甲（第一係）", "K01"), ("K02 乙（第一係）", "K02")]


def test_workbook_is_the_officers_own(tmp_path):
    month = tmp_path / "2026-07"
    month.mkdir()
    (month / "target_list_2026-07_K01.xlsx").write_bytes(b"PK-one")
    (month / "target_list_2026-07_K02.xlsx").write_bytes(b"PK-two")
    found = officer.find_workbook(tmp_path, "2026-07", "K02")
    assert found is not None and found.name.endswith("K02.xlsx")
    assert officer.find_workbook(tmp_path, "2026-08", "K02") is None
    link = officer.download_link_html(found)
    assert 'download="target_list_2026-07_K02.xlsx"' in link and "UEstdHdv" in link  # base64 of PK-two


# --- dashboard ----------------------------------------------------------------------------------------------

def test_months_and_month_day():
    months = dashboard.months_available(dt.date(2026, 8, 20), n=4)
    assert months == ["2026-05", "2026-06", "2026-07", "2026-08"]
    assert dashboard.month_day("2026-07", dt.date(2026, 8, 20)) == dt.date(2026, 7, 31)
    assert dashboard.month_day("2026-08", dt.date(2026, 8, 20)) == dt.date(2026, 8, 20)


def test_activity_counts_and_analysis():
    act = dashboard.activity_counts(_contacts(), "2026-07").set_index("method")["count"]
    assert act["電話"] == 3 and act["臨場催告"] == 1 and act["SMS"] == 0
    sb = dashboard.stage_band(_view())
    assert sb["households"].sum() == 4 and sb["amount"].sum() == 770_000


# --- import report ------------------------------------------------------------------------------------------

def test_import_report_counts_and_warnings():
    manifest = {"id": "2026-07-31_abc", "as_of": "2026-07-31", "imported_at": "2026-08-01T09:00:00",
                "source": "ledger", "counts": {"households": 10},
                "report": {"files": [{"file": "世帯.csv", "rows": 12, "accepted": 10, "quarantined": 2,
                                      "warnings": [{"line": 3, "column": "電話", "message": "電話番号の形式"},
                                                   {"message": "世帯.csv: 重複した世帯番号"}]}],
                           "warnings": ["全体の警告"]}}
    rows = imports.file_counts(manifest)
    assert rows == [{"file": "世帯.csv", "rows": 12, "accepted": 10, "quarantined": 2, "yen_quarantined": None}]
    lines = imports.warnings(manifest)
    assert "全体の警告" in lines and "世帯.csv・3・電話: 電話番号の形式" in lines
    assert "世帯.csv: 重複した世帯番号" in lines  # the file is not named twice
    q = pd.DataFrame({"file": ["世帯.csv"] * 2, "line": [4, 9], "message": ["世帯番号がありません", "重複"]})
    html = imports.report_html(manifest, q, synthetic=True)
    assert 'data-rows="2"' in html and "世帯番号がありません" in html and "模擬データ" in html
    assert imports.file_counts({"counts": {"households": 5}}) == [
        {"file": "households", "rows": 5, "accepted": 5, "quarantined": None, "yen_quarantined": None}]


# --- landing & data -----------------------------------------------------------------------------------------

def test_landing_links_every_app_in_japanese():
    html = landing.landing_html({"officer": True, "dashboard": True, "ojt": False, "imports": True})
    for label in ("担当者ページ", "会議ダッシュボード", "OJT演習", "取込レポート"):
        assert label in html
    assert 'href="/voila/render/pages/officer.ipynb"' in html
    assert "準備中" in html  # the missing OJT app is not a dead link
    assert "模擬データ" in html


def test_empty_store_is_a_user_error(tmp_path):
    with pytest.raises(UserError) as err:
        webdata.load(tmp_path / "nothing")
    assert "取り込まれていません" in err.value.message


def test_latest_snapshot_by_as_of(tmp_path):
    for sid, as_of, at in (("a", "2026-06-30", "2026-07-01"), ("b", "2026-07-31", "2026-08-01"),
                           ("c", "2026-05-31", "2026-09-01")):
        (tmp_path / "snapshots" / sid).mkdir(parents=True)
        (tmp_path / "snapshots" / sid / "manifest.json").write_text(
            json.dumps({"id": sid, "as_of": as_of, "imported_at": at}), encoding="utf-8")
    assert Store(tmp_path).latest().id == "b"


def test_synthetic_flag_follows_the_manifest():
    assert webdata.is_synthetic({"synthetic": True, "source": "/data/real"})
    assert not webdata.is_synthetic({"synthetic": False, "source": "/tmp/synth"})
    assert webdata.is_synthetic({"source": "/tmp/synthetic-ward/ledger"})
    assert not webdata.is_synthetic({"source": "/srv/kokuho/2026-11"})


# --- the dashboard's meeting pack, cached per store (kokuho_nb.web.pack_cache) ------------------------------

PACK_MONTH = "2026-11"


@pytest.fixture(scope="module")
def pack_source(small_store, tmp_path_factory):
    """A copy of the small ward with the month's lists issued and written (the shared store stays read-only)."""
    import shutil

    from kokuho_nb.targets.lists import issue_month
    from kokuho_nb.targets.render import render_lists

    work = tmp_path_factory.mktemp("pack_cache")
    store = work / "store"
    shutil.copytree(small_store, store)
    shutil.rmtree(store / "cache" / "meeting_pack", ignore_errors=True)  # a page test may have filled it
    issue_month(store, PACK_MONTH, synthetic=True)
    render_lists(store, PACK_MONTH, work / "out")
    return store


@pytest.fixture
def pack_store(pack_source, tmp_path):
    import shutil

    store = tmp_path / "store"
    shutil.copytree(pack_source, store)
    shutil.copytree(pack_source.parent / "out", tmp_path / "out")
    return store


class CountingBuild:
    """Stands in for ``meeting.build_pack`` (the real one is exercised once below): counts the builds."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, month, store, *, synthetic=None):
        from kokuho_nb.meeting.common import Section, Table
        from kokuho_nb.meeting.pack import MeetingPack

        self.calls += 1
        sec = Section(1, "s1", "重点目標", f"build {self.calls}", tables=[Table("t", "t", pd.DataFrame({"a": [1]}))])
        return MeetingPack(month=month, as_of=dt.date(2026, 11, 26), sections=[sec], attendees=[],
                           synthetic=bool(synthetic), decision_rows=[], staff_codes=[])


def _accept_one_return(store: Path, out: Path) -> None:
    """A month-end return for the first case of the first officer list, ingested as staff would."""
    from openpyxl import load_workbook

    from kokuho_nb.casework.issued import issued_items
    from kokuho_nb.casework.returns import ingest_returns
    from kokuho_nb.targets.workbook import FIRST_ROW, column_letters

    items = issued_items(Store(store), PACK_MONTH)
    code = items.loc[items["kind"] == "officer", "list_code"].iloc[0]
    letters = column_letters()
    path = out / f"target_list_{PACK_MONTH}_{code}.xlsx"
    wb = load_workbook(path)
    ws = wb["ターゲットリスト"]
    for key, value in {"contact_date": dt.date(2026, 11, 20), "method": "電話", "result": "接触",
                       "memo": "本人と話した"}.items():
        ws[f"{letters[key]}{FIRST_ROW}"] = value
    filled = out / "returned.xlsx"
    wb.save(filled)
    report = ingest_returns(Store(store), [filled])
    assert report.ok and report.files[0].rows_accepted == 1, report


def test_pack_cache_second_load_is_a_hit_and_any_input_change_a_miss(pack_store, tmp_path, monkeypatch):
    import shutil

    from kokuho_nb.params import parameters_dir
    from kokuho_nb.targets.lists import issue_month
    from kokuho_nb.web import pack_cache

    build = CountingBuild()

    def get():
        return pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build)

    first = get()
    assert not first.hit and build.calls == 1
    assert pack_cache.cache_path(PACK_MONTH, first.key, Store(pack_store)).is_file()
    second = get()
    assert second.hit and build.calls == 1 and second.key == first.key
    assert second.pack.sections[0].conclusion == "build 1"

    # a new revision of the month's target lists
    issue_month(pack_store, PACK_MONTH, reissue=True, synthetic=True)
    third = get()
    assert not third.hit and build.calls == 2 and third.key != first.key
    assert get().hit and build.calls == 2

    # an accepted month-end return (the workbooks of revision 1 are refused: render revision 2's first)
    from kokuho_nb.targets.render import render_lists

    out = tmp_path / "out2"
    render_lists(pack_store, PACK_MONTH, out)
    _accept_one_return(pack_store, out)
    assert not get().hit and build.calls == 3
    assert get().hit and build.calls == 3

    # the parameters folder: the same content elsewhere is the same key; an edited file is a miss
    params = tmp_path / "parameters"
    shutil.copytree(parameters_dir(), params)
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    assert get().hit and build.calls == 3
    meeting_yaml = params / "meeting.yaml"
    meeting_yaml.write_text(meeting_yaml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert not get().hit and build.calls == 4
    monkeypatch.delenv("KOKUHO_PARAMETERS")
    assert get().hit and build.calls == 4  # back to the original parameters: that pack is still kept

    # another month and the synthetic flag are other packs
    assert not pack_cache.get_pack("2026-10", Store(pack_store), synthetic=True, build=build).hit
    assert not pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=False, build=build).hit
    assert build.calls == 6


def test_pack_cache_misses_on_a_new_snapshot_a_decision_and_the_code(pack_store, small_ledger_dir, monkeypatch):
    from kokuho_nb.ledger.importer import import_ledger
    from kokuho_nb.store.db import connect
    from kokuho_nb.web import pack_cache

    build = CountingBuild()
    parts = pack_cache.key_parts(PACK_MONTH, Store(pack_store), synthetic=True)
    key = pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True)
    assert pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True) == key  # stable
    assert set(parts) >= {"month", "snapshots", "database", "parameters", "code", "targets"}

    pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build)
    # a decision recorded for the meeting (any row of the case-work database)
    from kokuho_nb.casework.decisions import db as decisions_db

    decisions_db(Store(pack_store))
    conn = connect(pack_store)
    try:
        with conn:
            conn.execute(
                "INSERT INTO meeting_decisions(month, item_kind, item_ref, household_id, decision_type, decided_at,"
                " source_file, row, file_hash, ingested_at) VALUES ('2026-10', 'proposal', 'P01', NULL, '提案どおり実施',"
                " '2026-10-30', 'x.xlsx', 5, 'h', '2026-10-30T10:00:00')")
    finally:
        conn.close()
    assert pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True) != key
    key = pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True)

    # a new snapshot (same ledger imported again as of a later day)
    assert import_ledger(small_ledger_dir, pack_store, as_of=dt.date(2026, 11, 27)).ok
    assert pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True) != key
    key = pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True)

    # the code version (the package's files, hashed once per process)
    monkeypatch.setattr(pack_cache, "code_digest", lambda *modules: "another version")
    assert pack_cache.cache_key(PACK_MONTH, Store(pack_store), synthetic=True) != key


def test_pack_cache_not_saved_when_the_store_changes_during_the_build(pack_store, tmp_path):
    from kokuho_nb.store.db import connect
    from kokuho_nb.web import pack_cache

    inner = CountingBuild()

    def build_while_a_decision_arrives(month, store, *, synthetic=None):
        pack = inner(month, store, synthetic=synthetic)
        from kokuho_nb.casework.decisions import db as decisions_db

        decisions_db(store)
        conn = connect(store.path)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO meeting_decisions(month, item_kind, item_ref, household_id, decision_type,"
                    " decided_at, source_file, row, file_hash, ingested_at) VALUES ('2026-10', 'proposal', ?, NULL,"
                    " '提案どおり実施', '2026-10-30', 'x.xlsx', 5, 'h', '2026-10-30T10:00:00')",
                    (f"P{inner.calls:02d}",))
        finally:
            conn.close()
        return pack

    first = pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build_while_a_decision_arrives)
    assert not first.hit
    assert not pack_cache.cache_path(PACK_MONTH, first.key, Store(pack_store)).exists()
    build = CountingBuild()
    assert not pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build).hit
    assert pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build).hit


def test_pack_cache_rebuilds_an_unreadable_file_and_keeps_few(pack_store):
    from kokuho_nb.web import pack_cache

    build = CountingBuild()
    first = pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build)
    path = pack_cache.cache_path(PACK_MONTH, first.key, Store(pack_store))
    path.write_bytes(b"not a pickle")
    again = pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build)
    assert not again.hit and build.calls == 2
    assert pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build).hit
    # a file holding something else than a pack is not used either
    import pickle

    path.write_bytes(pickle.dumps({"not": "a pack"}))
    assert not pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True, build=build).hit


def test_dashboard_pack_comes_from_the_cache_the_second_time(pack_store):
    """The real meeting pack: built once, then read back identical (the dashboard's HTML of it too)."""
    from kokuho_nb.web import pack_cache

    first = pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True)
    second = pack_cache.get_pack(PACK_MONTH, Store(pack_store), synthetic=True)
    assert not first.hit and second.hit
    assert len(second.pack.sections) == len(first.pack.sections) == 6
    assert dashboard.pack_sections_html(second.pack) == dashboard.pack_sections_html(first.pack)
    assert second.pack.decision_rows == first.pack.decision_rows


# --- Voilà: Japanese-only errors, static caching ------------------------------------------------------------

def test_cell_errors_and_timeouts_show_only_japanese():
    import nbformat

    from kokuho_nb.labels import t
    from kokuho_nb.web.voila_app import KokuhoExecutor

    nb = nbformat.v4.new_notebook()
    ex = KokuhoExecutor(nb, cell_error_instruction=t("web.common.cell_error"))
    cell = nbformat.v4.new_code_cell("raise RuntimeError('x')", execution_count=2)
    cell.outputs = [nbformat.v4.new_output("error", ename="RuntimeError", evalue="SECRET",
                                           traceback=["Traceback (most recent call last)", "SECRET"])]
    ex.strip_code_cell_errors(cell)
    out = cell.outputs[0]
    shown = " ".join([out["ename"], out["evalue"], *out["traceback"]])
    assert out["traceback"] == [t("web.common.cell_error")]
    assert re.search(r"[A-Za-z]", shown) is None, shown
    ex.show_code_cell_timeout(cell)
    shown = " ".join([cell.outputs[0]["ename"], *cell.outputs[0]["traceback"]])
    assert "時間がかかりすぎた" in shown and re.search(r"[A-Za-z]", shown) is None


def test_static_cache_policy_names():
    from kokuho_nb.web.voila_app import HASHED_NAME, VOILA_CHUNK

    assert HASHED_NAME.search("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/remoteEntry.c8c9eed2cdefdeac.js")
    assert HASHED_NAME.search("/voila/labextensions/@x/y/static/704.6a820cc839aca480.js")
    assert not HASHED_NAME.search("/voila/labextensions/@x/y/package.json")
    assert not HASHED_NAME.search("/voila/labextensions/@x/y/static/style.js")
    assert VOILA_CHUNK.match("8925.voila.js") and not VOILA_CHUNK.match("voila.js")
