"""``kokuho-nb import`` / ``kokuho-nb snapshots``: exit status, pure JSON on stdout, Japanese text otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kokuho_nb.cli import main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"


def test_import_json_is_one_document_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", str(FIXTURE), "--store", str(tmp_path / "s"), "--as-of", "2025-05-31", "--json"])
    out = capsys.readouterr()
    assert code == 0
    doc = json.loads(out.out)
    assert doc["ok"] is True and doc["snapshot"].startswith("2025-05-31_")
    assert set(doc) >= {"ok", "snapshot", "files", "quarantine", "warnings"}
    assert set(doc["files"]["調定.csv"]) == {"rows_read", "rows_accepted", "rows_quarantined", "yen_read",
                                            "yen_accepted", "yen_quarantined"}


def test_refused_import_exits_non_zero_with_json_and_japanese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / "世帯.csv").write_text((FIXTURE / "世帯.csv").read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["import", str(ledger), "--store", str(tmp_path / "s"), "--json"])
    out = capsys.readouterr()
    assert code != 0
    doc = json.loads(out.out)
    assert doc["ok"] is False and doc["snapshot"] is None and "調定.csv" in doc["error"]
    assert "調定.csv" in out.err
    assert not (tmp_path / "s").exists()
    code = main(["import", str(ledger), "--store", str(tmp_path / "s")])
    out = capsys.readouterr()
    assert code != 0 and "エラー" in out.err and "調定.csv" in out.err


def test_store_from_environment_and_plain_text_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOKUHO_STORE", str(tmp_path / "env-store"))
    assert main(["import", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "台帳取込結果" in out and "過誤納" in out and "調定.csv" in out
    assert main(["snapshots", "--json"]) == 0
    snaps = json.loads(capsys.readouterr().out)
    assert len(snaps) == 1 and snaps[0]["as_of"] == "2025-03-12"
    assert snaps[0]["counts"]["households"] == 5 and snaps[0]["source"] == str(FIXTURE.resolve())
    assert main(["snapshots"]) == 0
    assert snaps[0]["id"] in capsys.readouterr().out


def test_snapshots_of_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshots", "--store", str(tmp_path / "none"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
