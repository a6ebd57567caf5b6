"""Demo support: past months replayed with simulated returns ingested through the real path."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.contacts import accepted_contacts
from kokuho_nb.casework.issued import load_items
from kokuho_nb.store import Store
from kokuho_nb.synth import returns_sim as demo

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"


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
    items = load_items(Store(store), "2026-06", "K001", 1)
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
    from kokuho_nb.runs import demo as runs_demo
    from kokuho_nb.runs.month_run import MonthRun
    from kokuho_nb.targets.lists import issue_month

    calls = []

    def fake_run_whole_month(st, req, **kw):  # the papermill run is tested in tests/runs/test_month_all.py
        calls.append(str(req.month))
        issue_month(st, req.month, synthetic=req.synthetic)  # as the real run does, with the demo's flag
        return MonthRun(ok=True, month=req.month, revision=1, newly_issued=True, issue="", out_dir=req.out, runs=[],
                        run_message="", seconds={}, processes=1)

    monkeypatch.setattr(runs_demo, "run_whole_month", fake_run_whole_month)
    monkeypatch.setattr(runs_demo, "ensure_snapshots", lambda *a, **k: [])  # the store has its snapshot
    out = tmp_path / "outputs"
    result = runs_demo.run(Store(store), out, dt.date(2026, 8, 20), meetings=False, say=lambda _: None)
    past = [{"month": str(m.month), "accepted": m.accepted, "rejected": m.rejected} for m in result.past]
    assert [m["month"] for m in past] == ["2026-06", "2026-07"]
    assert calls == ["2026-08"] and result.ok
    filled = sorted((out / "2026-06" / "returns").glob("*_記入済_模擬.xlsx"))
    assert filled, "simulated returns are written as filled workbooks"
    ws = load_workbook(filled[0])["ターゲットリスト"]
    assert "模擬データ" in ws.oddHeader.right.text
    accepted = accepted_contacts(Store(store))
    assert len(accepted) == sum(m["accepted"] for m in past) > 0
    assert accepted["memo"].str.contains("模擬データ").all()
    assert all(m["rejected"] == 0 for m in past)
    conn = sqlite3.connect(store / "casework.sqlite")
    months_issued = [r[0] for r in conn.execute("SELECT DISTINCT month FROM target_issues ORDER BY month")]
    synthetic = {r[0] for r in conn.execute("SELECT synthetic FROM target_issues")}
    conn.close()
    assert months_issued == ["2026-06", "2026-07", "2026-08"] and synthetic == {1}
