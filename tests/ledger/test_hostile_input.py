"""Issue 16: hostile or broken input can't hurt. The hostile ledgers, zips and workbooks are made by
``scripts/make_hostile_fixtures.py`` into temporary folders (no binary fixture is committed)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from kokuho_nb.errors import UserError
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.store import Store
from kokuho_nb.store.snapshots import list_snapshots, snapshots_dir
from kokuho_nb.xlsx import UNSAFE_CHARS_RE, safe_cell_value, unescape_text, write_cell

REPO = Path(__file__).resolve().parents[2]
STANDARD = REPO / "tests" / "fixtures" / "ledger" / "standard"
AS_OF = "2026-11-26"


def _generator():
    spec = importlib.util.spec_from_file_location("make_hostile_fixtures", REPO / "scripts" / "make_hostile_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    return _generator()


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory, small_ledger_dir, gen) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    gen.make_all(out, small_ledger_dir, bomb_mib=80)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, fixtures) -> tuple[Path, object]:
    store = tmp_path_factory.mktemp("hostile_store") / "store"
    report = import_ledger(fixtures / "ledger_hostile", store, as_of=AS_OF)
    return store, report


def _cases(fixtures: Path, kind: str) -> list[dict]:
    return [c for c in json.loads((fixtures / "cases.json").read_text(encoding="utf-8")) if c["kind"] == kind]


# ---------------------------------------------------------------- §1 formula injection
@pytest.mark.parametrize("text", ['=HYPERLINK("http://x/?"&C4,"日本語")', "+cmd|' /C calc'!A0", "-2+3+cmd|'!A0",
                                  "@SUM(1)", "\t=1", "\r=1"])
def test_safe_cell_value_neutralises_formula_starts(text: str) -> None:
    v = safe_cell_value(text)
    assert v == "'" + text and unescape_text(v) == text


@pytest.mark.parametrize("value", ["日本語", "-3.2%", "+1,200", "-500", 12, 3.5, None, dt.date(2026, 1, 2), "—"])
def test_safe_cell_value_keeps_ordinary_values(value) -> None:
    assert safe_cell_value(value) == value


def test_write_cell_stores_text_as_text_and_removes_illegal_characters(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    write_cell(ws, 1, 1, "=1+1")
    write_cell(ws, 2, 1, "日本\x01語\u202e")
    path = tmp_path / "w.xlsx"
    wb.save(path)  # an \x01 would make openpyxl refuse the cell
    back = load_workbook(path).active
    assert back["A1"].data_type == "s" and back["A1"].value == "'=1+1"
    assert back["A2"].value == "日本語"


def test_formula_like_ledger_values_are_reported_with_file_line_column(fixtures, hostile) -> None:
    _store, report = hostile
    planted = _cases(fixtures, "formula")
    reported = {(f["file"], f["line"], f["column"]) for f in report.formula_like}
    for case in planted:
        assert (case["file"], case["line"], case["column"]) in reported, case
    assert len(reported) == len(planted)
    assert {w["code"] for w in report.warnings} >= {"formula_like"}
    assert "数式" in report.summary_ja()
    assert json.loads(json.dumps(report.to_dict(), ensure_ascii=False))["formula_like"]


def _formula_cells(path: Path) -> list[tuple[str, str, object]]:
    found = []
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
                                          and not re.fullmatch(r"[+-]?[\d,.]+%?", c.value)):
                    found.append((ws.title, c.coordinate, c.value))
    return found


def test_target_list_workbook_writes_ledger_text_as_text(tmp_path: Path) -> None:
    from kokuho_nb.casework.issued import PAYLOAD_COLUMNS
    from kokuho_nb.targets.workbook import ListMeta, write_workbook

    item = dict.fromkeys(PAYLOAD_COLUMNS)
    item.update(household_id="=1+1", name_kana="ヤマダ", area="01", language='=HYPERLINK("http://x/?"&C4,"日本語")',
                reasons="", next_action="FIELD_VISIT", total_arrears=1000, priority=1.0, has_phone=True)
    items = pd.DataFrame([{"rank": 1, **item}, {"rank": 2, **item, "household_id": "H2", "language": "日本\x01語"}])
    meta = ListMeta("2026-11", "K01", 1, "officer", "K01", '=HYPERLINK("http://x/","山田\x07")',
                    "2026-11-01T00:00:00+00:00", True)
    path = write_workbook(meta, items, tmp_path)
    assert _formula_cells(path) == []
    ws = load_workbook(path)["ターゲットリスト"]
    values = [c.value for row in ws.iter_rows(min_row=4, max_row=5) for c in row]
    assert "'=HYPERLINK(\"http://x/?\"&C4,\"日本語\")" in values and "日本語" in values
    assert not any(isinstance(v, str) and UNSAFE_CHARS_RE.search(v) for v in values)


def test_meeting_workbook_tables_write_text_as_text(tmp_path: Path) -> None:
    from kokuho_nb.meeting.excel import _write_frame

    wb = Workbook()
    frame = pd.DataFrame({"担当者": ['=HYPERLINK("http://x/","山田")', "佐藤\x07"], "件数": [3, 1200],
                          "増減": ["-3.2%", "+1.0%"]})
    _write_frame(wb.active, frame, 3)
    path = tmp_path / "pack.xlsx"
    wb.save(path)
    assert _formula_cells(path) == []
    ws = load_workbook(path).active
    assert ws["A4"].value == "'=HYPERLINK(\"http://x/\",\"山田\")" and ws["A5"].value == "佐藤"
    assert ws["C4"].value == "-3.2%"


def test_returns_reader_reads_back_a_neutralised_owner_name(tmp_path: Path) -> None:
    from kokuho_nb.casework.ingest import text

    assert text("'=HYPERLINK(1)") == "=HYPERLINK(1)" and text("'plain") == "'plain"


# ---------------------------------------------------------------- §2, §9 control and bidi characters
def test_control_and_bidi_characters_are_quarantined_with_file_line_column(fixtures, hostile) -> None:
    store, report = hostile
    planted = _cases(fixtures, "control")
    assert len(planted) >= 7
    entries = {(q["file"], q["line"], q["column"]): q for q in report.quarantine}
    for case in planted:
        q = entries[(case["file"], case["line"], case["column"])]
        assert "U+" in q["reason"] and "<U+" in q["value"] and not UNSAFE_CHARS_RE.search(q["value"]), q
    for file, c in report.files.items():
        assert c["rows_read"] == c["rows_accepted"] + c["rows_quarantined"], file
        assert c["yen_read"] == c["yen_accepted"] + c["yen_quarantined"], file
    ledger = Store(store).load()
    for frame, col in ((ledger.households, "language"), (ledger.staff, "name"), (ledger.contacts, "memo")):
        assert not frame[col].dropna().map(lambda v: bool(UNSAFE_CHARS_RE.search(v))).any(), col
    # nothing lost: the quarantine file keeps every planted row whole
    kept = Store(store).quarantine()
    for case in planted:
        rows = kept[(kept["file"] == case["file"]) & (kept["line"] == case["line"])]
        assert case["value"] in json.loads(rows["row"].iloc[0]).values()


def test_every_case_is_refused_quarantined_or_accepted_none_lost(fixtures, hostile) -> None:
    """The count of the closing note: every planted cell is quarantined (kept whole) or accepted and reported."""
    store, report = hostile
    cases = json.loads((fixtures / "cases.json").read_text(encoding="utf-8"))
    quarantined = {(q["file"], q["line"]) for q in report.quarantine}
    reported = {(f["file"], f["line"]) for f in report.formula_like}
    lost = [c for c in cases if (c["file"], c["line"]) not in quarantined | reported]
    assert lost == []


# ---------------------------------------------------------------- §5 an empty ward never becomes the latest snapshot
@pytest.mark.parametrize("name,words", [("ledger_empty_households", ("世帯.csv", "1行もありません")),
                                        ("ledger_empty_charges", ("調定.csv", "1行もありません")),
                                        ("ledger_mostly_bad", ("世帯.csv", "隔離", "上限"))])
def test_empty_or_mostly_quarantined_ledger_is_refused(fixtures, tmp_path: Path, name: str, words) -> None:
    store = tmp_path / "store"
    with pytest.raises(UserError) as exc:
        import_ledger(fixtures / name, store, as_of=AS_OF)
    for w in words:
        assert w in exc.value.message
    assert not store.exists()


def test_as_of_after_today_is_refused(tmp_path: Path) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(UserError) as exc:
        import_ledger(STANDARD, tmp_path / "store", as_of=tomorrow)
    assert "本日" in exc.value.message and not (tmp_path / "store").exists()
    assert import_ledger(STANDARD, tmp_path / "store", as_of=dt.date.today()).ok


def test_default_as_of_passes_over_future_dated_rows(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    folder.mkdir()
    for p in STANDARD.glob("*.csv"):
        (folder / p.name).write_bytes(p.read_bytes())
    text = (folder / "折衝記録.csv").read_text(encoding="utf-8").rstrip("\n").splitlines()
    row = text[1].split(",")
    row[1] = "2062-03-12"  # a typing error for 2026
    (folder / "折衝記録.csv").write_text("\n".join([*text, ",".join(row)]) + "\n", encoding="utf-8")
    report = import_ledger(folder, tmp_path / "store")
    assert report.as_of <= dt.date.today()
    assert "future_dates_ignored" in {w["code"] for w in report.warnings}


# ---------------------------------------------------------------- §6 zips, symlinks, leftovers
def test_zip_bomb_is_refused_before_unpacking(fixtures, tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        import_ledger(fixtures / "zip_bomb.zip", tmp_path / "store", as_of=AS_OF)
    assert "圧縮率" in exc.value.message and "世帯.csv" in exc.value.message


def test_zip_member_over_the_size_cap_is_refused(fixtures, tmp_path: Path, monkeypatch) -> None:
    from kokuho_nb.ledger import reader

    real = reader._limit
    monkeypatch.setattr(reader, "_limit", lambda name: 1000 if name == "zip_max_file_bytes" else real(name))
    with zipfile.ZipFile(tmp_path / "l.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for p in STANDARD.glob("*.csv"):
            zf.writestr(p.name, p.read_bytes() + b"" if p.name != "調定.csv" else p.read_bytes() * 3)
    with pytest.raises(UserError) as exc:
        import_ledger(tmp_path / "l.zip", tmp_path / "store", as_of="2025-05-31")
    assert "上限" in exc.value.message and "調定.csv" in exc.value.message


def test_member_larger_than_the_zip_says_is_stopped_while_reading(tmp_path: Path) -> None:
    from kokuho_nb.contract import file_spec
    from kokuho_nb.ledger.mapping import load_mapping
    from kokuho_nb.ledger.reader import ZipMember, read_file

    with zipfile.ZipFile(tmp_path / "l.zip", "w") as zf:
        zf.writestr("調定.csv", (STANDARD / "調定.csv").read_bytes())
    with zipfile.ZipFile(tmp_path / "l.zip") as zf:
        member = ZipMember(zf, zf.getinfo("調定.csv"), "調定.csv")
        with pytest.raises(UserError) as exc:
            read_file(member, file_spec("調定.csv"), load_mapping(None), limit=100)
    assert "上限" in exc.value.message


@pytest.mark.parametrize("name,words", [("zip_duplicate.zip", ("世帯.csv", "複数")),
                                        ("zip_symlink.zip", ("世帯.csv", "シンボリックリンク")),
                                        ("ledger_symlink", ("世帯.csv", "シンボリックリンク"))])
def test_duplicate_names_and_symlinks_are_refused(fixtures, tmp_path: Path, name: str, words) -> None:
    with pytest.raises(UserError) as exc:
        import_ledger(fixtures / name, tmp_path / "store", as_of=AS_OF)
    for w in words:
        assert w in exc.value.message
    assert not (tmp_path / "store").exists()


def test_zip_path_traversal_writes_nothing_anywhere(fixtures, tmp_path: Path, monkeypatch) -> None:
    import tempfile

    monkeypatch.chdir(tmp_path)
    before = set(Path(tempfile.gettempdir()).iterdir())
    report = import_ledger(fixtures / "zip_traversal.zip", tmp_path / "store", as_of=AS_OF)
    assert report.ok and report.files["世帯.csv"]["rows_accepted"] > 0
    assert not (tmp_path / "export").exists() and not Path("/export").exists()
    assert not (tmp_path.parent / "export").exists() and not (tmp_path.parent.parent / "export").exists()
    created = {p for p in set(Path(tempfile.gettempdir()).iterdir()) - before if p.name.startswith("kokuho-ledger-")}
    assert created == set()  # zips are read in place: no extracted copy of personal data in /tmp


def test_legacy_extraction_folders_are_removed_at_the_next_import(tmp_path: Path) -> None:
    import tempfile

    leftover = Path(tempfile.mkdtemp(prefix="kokuho-ledger-"))
    (leftover / "世帯.csv").write_text("世帯番号\n000101\n", encoding="utf-8")
    import_ledger(STANDARD, tmp_path / "store", as_of="2025-05-31")
    assert not leftover.exists()


_SLOW_IMPORT = """
import sys, time
from pathlib import Path
from kokuho_nb.store import snapshots
real = snapshots._write_table
def slow(df, path):
    real(df, path)
    Path(sys.argv[3]).touch()
    time.sleep(60)
snapshots._write_table = slow
from kokuho_nb.ledger.importer import import_ledger
import_ledger(sys.argv[1], sys.argv[2], as_of="2025-05-31")
"""


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_kill_during_import_leaves_nothing_visible_and_the_next_import_cleans_up(tmp_path: Path) -> None:
    import signal

    store = tmp_path / "store"
    zpath = tmp_path / "ledger.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in STANDARD.glob("*.csv"):
            zf.writestr(f"export/{p.name}", p.read_bytes())
    marker = tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, str(zpath), str(store), str(marker)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(marker, proc)
    leftovers = list(snapshots_dir(store).glob(".tmp-*"))
    assert len(leftovers) == 1  # killed while writing the snapshot
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert list_snapshots(store) == []  # nothing half-written is visible
    report = import_ledger(zpath, store, as_of="2025-05-31")  # the next start cleans up
    assert report.ok and [s["id"] for s in list_snapshots(store)] == [report.snapshot_id]
    assert list(snapshots_dir(store).glob(".tmp-*")) == []


def test_a_temp_folder_being_written_is_not_removed(tmp_path: Path) -> None:
    from kokuho_nb import filemodes as private
    from kokuho_nb.store.snapshots import remove_stale_tmp

    root = snapshots_dir(tmp_path / "store")
    busy, dead = root / ".tmp-busy", root / ".tmp-dead"
    busy.mkdir(parents=True)
    dead.mkdir()
    with private.held_lock(dead):
        pass  # its writer is gone: the lock file is left, unlocked
    with private.held_lock(busy):
        removed = remove_stale_tmp(tmp_path / "store")
        assert busy.exists() and not dead.exists() and removed == [dead]


# ---------------------------------------------------------------- §7 owner-only files
def _modes(root: Path) -> list[tuple[str, str]]:
    bad = []
    for p in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        if mode & 0o077:
            bad.append((str(p.relative_to(root)), oct(mode)))
    return bad


def test_store_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    from kokuho_nb.store.db import connect, transaction

    old = os.umask(0o022)
    try:
        store = tmp_path / "store"
        import_ledger(STANDARD, store, as_of="2025-05-31")
        conn = connect(store)
        with transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
            conn.execute("INSERT INTO t VALUES (1)")
        assert (store / "casework.sqlite-wal").exists()  # the WAL file is there while the connection is open
        bad = _modes(store)
        conn.close()
    finally:
        os.umask(old)
    assert bad == []
    assert (store / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_cli_import_and_month_folder_are_owner_only_with_umask_022(tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = subprocess.run(f"umask 022 && {sys.executable} -m kokuho_nb import {STANDARD} --store {store} "
                          "--as-of 2025-05-31 --json", shell=True, cwd=REPO, env=env, capture_output=True)
    assert code.returncode == 0, code.stderr.decode()
    assert _modes(store) == []


def test_month_staging_swaps_in_owner_only_files(tmp_path: Path) -> None:
    from kokuho_nb.runs import staging

    old = os.umask(0o022)
    try:
        out = tmp_path / "out" / "2026-11"
        stage = staging.begin(out, "2026-11")
        (stage.folder / "target_list_2026-11_K01.xlsx").write_bytes(b"x")
        stage.commit(1, {"K01": "abc"})
    finally:
        os.umask(old)
    assert _modes(out) == [] and staging.folder_revision(out) == 1
    assert list(out.parent.glob(".2026-11.*")) == []


# ---------------------------------------------------------------- .gitignore
@pytest.mark.parametrize("path", ["mystore/snapshots/2026-11-01_abc/households.parquet", "mystore/casework.sqlite-wal",
                                  "mystore/casework.sqlite-shm", "x/targets/2026-11/triage.parquet"])
def test_gitignore_covers_a_store_inside_the_repository(path: str) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
    assert done.returncode == 0, path


# ---------------------------------------------------------------- §9 returns and decisions messages
def test_encrypted_workbook_is_named_as_password_protected(fixtures, tmp_store: Path) -> None:
    from kokuho_nb.casework.returns import ingest_file

    report = ingest_file(Store(tmp_store), fixtures / "encrypted.xlsx")
    message = report.errors[0].reason
    assert "パスワード" in message and "zip" not in message.lower()


def test_decisions_ingest_json_prints_json_when_it_refuses(tmp_path: Path, capsys) -> None:
    from kokuho_nb.cli import main

    bad = tmp_path / "decisions.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    code = main(["decisions", "ingest", str(bad), "--store", str(tmp_path / "store"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code != 0 and doc["ok"] is False and doc["file"] == "decisions.xlsx" and doc["error"]


def test_encrypted_and_old_format_workbooks_are_told_apart_for_returns_and_decisions(fixtures, tmp_path: Path) -> None:
    """The merged detection (kokuho_nb.casework.ingest.open_book): an OLE file with an EncryptedPackage stream is
    a password-protected workbook; another OLE file (an old .xls) is named as such; both ingests say the same."""
    from kokuho_nb.casework.decisions import ingest_decisions
    from kokuho_nb.casework.returns import ingest_file

    store = Store(tmp_path / "store")
    old = tmp_path / "old.xls"
    old.write_bytes((fixtures / "encrypted.xlsx").read_bytes().replace("EncryptedPackage".encode("utf-16-le"),
                                                                      "WorkbookStream01".encode("utf-16-le")))
    encrypted = ingest_file(store, fixtures / "encrypted.xlsx").errors[0].reason
    assert "暗号化" in encrypted and ".xls）" not in encrypted
    assert ".xls" in ingest_file(store, old).errors[0].reason
    with pytest.raises(UserError) as exc:
        ingest_decisions(fixtures / "encrypted.xlsx", store)
    assert exc.value.message == encrypted
