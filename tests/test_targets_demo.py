"""Demo support: past months replayed with simulated returns ingested through the real path."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kokuho_nb.targets import demo
from kokuho_nb.targets.db import accepted_contacts
from kokuho_nb.targets.lists import load_items

FIXTURE = Path(__file__).parent / "fixtures" / "ledger" / "standard"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path / "store"
    store.mkdir()
    assert import_ledger(FIXTURE, store, as_of="2025-06-15").ok
    return store


def test_simulated_results_are_deterministic_and_valid(store):
    from kokuho_nb.targets.lists import issue_month

    issue_month(store, "2026-06", synthetic=True)
    items = load_items(store, "2026-06", "K001", 1)
    a = demo.simulate_results(items, "2026-06", "K001")
    b = demo.simulate_results(items, "2026-06", "K001")
    assert a.equals(b)
    for rec in a.to_dict("records"):
        assert dt.date(2026, 6, 1) <= rec["contact_date"] <= dt.date(2026, 6, 30)
        assert rec["contact_date"].weekday() < 5
        assert "模擬データ" in rec["memo"]
        if rec["result"] in ("納付約束", "分納誓約"):
            assert rec["promised_amount"] >= 1000 and rec["promised_date"] > rec["contact_date"]


def test_run_demo_replays_past_months_then_runs_the_current_month(store, tmp_path, monkeypatch):
    calls = []

    def fake_run_month(store_path, month, out_root, **kw):  # the papermill run is tested in test_targets.py
        calls.append(month)
        return {"ok": True, "month": month}

    monkeypatch.setattr(demo, "run_month", fake_run_month)
    out = tmp_path / "outputs"
    result = demo.run_demo(store, out, as_of="2026-08-20")
    assert [m["month"] for m in result["past_months"]] == ["2026-06", "2026-07"]
    assert calls == ["2026-08"] and result["ok"]
    filled = sorted((out / "2026-06" / "returns").glob("*_記入済_模擬.xlsx"))
    assert filled, "simulated returns are written as filled workbooks"
    ws = load_workbook(filled[0])["ターゲットリスト"]
    assert "模擬データ" in ws.oddHeader.right.text
    accepted = accepted_contacts(store)
    assert len(accepted) == sum(m["accepted"] for m in result["past_months"]) > 0
    assert accepted["memo"].str.contains("模擬データ").all()
    assert all(m["rejected"] == 0 for m in result["past_months"])
    conn = sqlite3.connect(store / "casework.sqlite")
    months_issued = [r[0] for r in conn.execute("SELECT DISTINCT month FROM target_issues ORDER BY month")]
    synthetic = {r[0] for r in conn.execute("SELECT synthetic FROM target_issues")}
    conn.close()
    assert months_issued == ["2026-06", "2026-07", "2026-08"] and synthetic == {1}
