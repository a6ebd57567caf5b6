"""Other vendors' layouts through a mapping YAML only: the example vendor ledger imports like the standard one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.ledger.mapping import load_mapping
from kokuho_nb.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ledger"
VENDOR = FIXTURES / "example_vendor"
STANDARD = FIXTURES / "standard"


def test_example_vendor_ledger_imports_to_the_same_tables_as_the_standard(tmp_path: Path) -> None:
    report = import_ledger(VENDOR, tmp_path / "vendor", as_of="2025-05-31", mapping="example_vendor")
    assert report.ok and report.quarantine == [] and report.mapping == "example_vendor"
    assert set(report.files) == {"世帯.csv", "調定.csv", "担当者.csv", "収納.csv", "折衝記録.csv"}
    assert report.files["調定.csv"]["yen_read"] == 95000
    got = Store(tmp_path / "vendor").load()
    import_ledger(STANDARD, tmp_path / "standard", as_of="2025-05-31")
    ref = Store(tmp_path / "standard").load()
    for table in ("households", "charges", "staff", "payments", "contacts"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(ref, table), check_dtype=True)
    assert got.households["income_class"].tolist()[:3] == ["軽減7割", "軽減なし", "未申告"]


def test_mapping_by_path_and_unknown_vendor_code_is_quarantined(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    shutil.copytree(VENDOR, ledger)
    raw = (ledger / "SETAI.CSV").read_bytes().decode("cp932")
    raw = raw.replace("000105,サトウ　ジロウ,B01,2,", "000105,サトウ　ジロウ,B01,7,")  # 7: not in the code table
    (ledger / "SETAI.CSV").write_bytes(raw.encode("cp932"))
    path = Path(__file__).parents[2] / "parameters" / "ledger" / "mappings" / "example_vendor.yaml"
    report = import_ledger(ledger, tmp_path / "store", mapping=str(path))
    assert [(q["file"], q["line"], q["column"], q["value"]) for q in report.quarantine if q["file"] == "世帯.csv"] == [
        ("世帯.csv", 6, "所得区分", "7")
    ]


def test_vendor_file_missing_a_mapped_column_names_both_headers(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    shutil.copytree(VENDOR, ledger)
    raw = (ledger / "CHOTEI.CSV").read_bytes().decode("cp932").replace("納期限日", "期限")
    (ledger / "CHOTEI.CSV").write_bytes(raw.encode("cp932"))
    with pytest.raises(UserError) as exc:
        import_ledger(ledger, tmp_path / "store", mapping="example_vendor")
    assert "調定.csv" in exc.value.message and "納期限" in exc.value.message and "納期限日" in exc.value.message
    assert not (tmp_path / "store").exists()


def test_a_new_layout_needs_only_a_yaml(tmp_path: Path) -> None:
    """Semicolon-separated UTF-8 export with English headers: described in a YAML, imported, no code."""
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / "households.txt").write_text(
        "hh;kana;area;income\n0007;ｽｽﾞｷ ｹﾝ;A01;L7\n0008;ｻｻｷ ﾕｳ;A01;N\n", encoding="utf-8")
    (ledger / "charges.txt").write_text(
        "hh;fy;inst;due;amt;paid\n0007;2024;1;2024/07/01;1000;0\n0008;2024;1;2024/07/01;2000;2000\n",
        encoding="utf-8")
    (ledger / "staff.txt").write_text("code;name;team;role;areas\nK1;徴収 太郎;一係;徴収吏員;A01\n", encoding="utf-8")
    mapping = tmp_path / "acme.yaml"
    mapping.write_text(
        """
description: test layout
delimiter: ";"
files:
  世帯.csv:
    source: households.txt
    columns: {世帯番号: hh, 氏名カナ: kana, 地区コード: area, 所得区分: income}
    codes: {所得区分: {L7: 軽減7割, N: 軽減なし}}
  調定.csv:
    source: charges.txt
    columns: {世帯番号: hh, 賦課年度: fy, 期別: inst, 納期限: due, 調定額: amt, 収納額: paid}
  担当者.csv:
    source: staff.txt
    columns: {担当者コード: code, 氏名: name, 係: team, 役職: role, 担当地区: areas}
""",
        encoding="utf-8",
    )
    report = import_ledger(ledger, tmp_path / "store", mapping=mapping, as_of="2025-05-31")
    assert report.quarantine == []
    hh = Store(tmp_path / "store").load().households
    assert hh["household_id"].tolist() == ["0007", "0008"]
    assert hh["name_kana"].tolist() == ["スズキ\u3000ケン", "ササキ\u3000ユウ"]
    assert hh["income_class"].tolist() == ["軽減7割", "軽減なし"]


def test_unknown_or_invalid_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_mapping("no_such_vendor")
    assert "no_such_vendor" in exc.value.message
    bad = tmp_path / "bad.yaml"
    bad.write_text("files:\n  世帯.csv:\n    columns: {世帯ID: id}\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_mapping(bad)
    assert "世帯ID" in exc.value.message
