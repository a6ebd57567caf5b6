"""OJT against a real (imported) store: staff check, training status CLI, cases from the case view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kokuho_nb.cli import main
from kokuho_nb.errors import UserError
from kokuho_nb.store import Store

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"
AS_OF = dt.date(2025, 11, 30)


@pytest.fixture
def store(tmp_store: Path) -> Path:
    from kokuho_nb.ledger.importer import import_ledger

    report = import_ledger(FIXTURE, tmp_store, as_of=AS_OF)
    assert report.ok, report.to_dict()
    return tmp_store


def test_app_checks_officer_against_store_staff(store: Path) -> None:
    from kokuho_nb.training.app import Trainer

    trainer = Trainer(store)
    assert trainer.check_officer("K002") == "K002" and trainer.officer_name
    with pytest.raises(UserError, match="担当者一覧にありません"):
        trainer.check_officer("K777")


def test_training_status_and_rate_from_store(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kokuho_nb.casework.training_records import completion_rate, training_status

    ledger = Store(store).load()
    status = training_status(ledger, Store(store), AS_OF)
    assert set(status["officer_code"]) == {"K002"}  # the only 新任/転入 officer
    done = set(status.loc[status["done"], "course"])
    assert done == {"新任育成", "延滞金"}
    assert completion_rate(ledger, Store(store), 2025) == pytest.approx(2 / 8)
    assert main(["training", "status", "--store", str(store), "--as-of", "2025-11-30", "--fiscal-year", "R7"]) == 0
    out = capsys.readouterr().out
    assert "K002" in out and "受講済" in out and "未受講" in out and "25.0%" in out


def test_sheet_cases_from_store_case_view(store: Path, tmp_path: Path) -> None:
    from kokuho_nb.training.cases import cases_from_store
    from kokuho_nb.training.exercises import generate, key_response, score

    pool = cases_from_store(Store(store), 50, seed=1, as_of=AS_OF)
    assert pool and all(c["total_arrears"] > 0 for c in pool)
    items = generate("basic_flow", "中級", 6, seed=1, base_cases=pool)
    arrears = {c["total_arrears"] for c in pool}
    for ex in items:
        if ex.kind in ("branch", "next_action"):
            assert ex.case["total_arrears"] in arrears
        assert score(ex, key_response(ex)).result == "right"
