"""Every legal test case in tests/law_cases/*.yaml (input / expected, computed by hand) is run here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from kokuho_nb.errors import UserError
from kokuho_nb.law import deadlines
from kokuho_nb.law.calendar import is_business_day, next_business_day
from kokuho_nb.law.entaikin import compute
from kokuho_nb.law.limitation import limitation_date

CASES_DIR = Path(__file__).parents[1] / "law_cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_there_are_enough_cases_and_each_is_documented() -> None:
    entaikin_cases = [p for p in CASE_FILES if _load(p)["type"] == "entaikin"]
    assert len(entaikin_cases) >= 30
    for path in CASE_FILES:
        case = _load(path)
        assert {"title", "explanation", "type", "input", "expected", "hand_computation"} <= set(case), path.name


def _run_entaikin(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expected"]
    kwargs: dict[str, Any] = {
        "payments": [(p["date"], p["amount"]) for p in inp.get("payments", [])],
        "suspensions": [(s["start"], s["end"]) for s in inp.get("suspensions", [])],
        "kind": inp.get("kind", "premium"),
        "fiscal_year": inp.get("fiscal_year"),
        "first_charged_fiscal_year": inp.get("first_charged_fiscal_year"),
    }
    if "error_contains" in exp:
        with pytest.raises(UserError) as info:
            compute(inp["amount"], inp["due"], inp["until"], **kwargs)
        assert exp["error_contains"] in info.value.message
        return
    res = compute(inp["amount"], inp["due"], inp["until"], **kwargs)
    assert res.total == exp["entaikin"]
    assert res.to_dict()["entaikin"] == exp["entaikin"]
    if "due_shifted" in exp:
        assert res.due_shifted == exp["due_shifted"]
    if "lower_rate_last_day" in exp:
        assert res.lower_end == exp["lower_rate_last_day"]
    if "exact_floor" in exp:
        assert int(res.exact) == exp["exact_floor"]
    if "charged" in exp:
        assert res.charged is exp["charged"]
    if "fiscal_year" in exp:
        assert res.fiscal_year == exp["fiscal_year"]
    if "suspended_days" in exp:
        assert res.suspended_days == exp["suspended_days"]
    if "note_contains" in exp:
        assert any(exp["note_contains"] in n for n in res.notes), res.notes
    if "periods" in exp:
        got = [{"start": p.start, "end": p.end, "days": p.days, "rate": float(p.rate), "base": p.base}
               for p in res.periods]
        want = [dict(p, rate=float(p["rate"])) for p in exp["periods"]]
        assert got == want


def _run_limitation(case: dict[str, Any]) -> None:
    inp = case["input"]
    renewals = [(r["date"], r["kind"]) for r in inp.get("renewals", [])]
    assert limitation_date(inp["due"], renewals) == case["expected"]["limitation_date"]


def _run_deadline(case: dict[str, Any]) -> None:
    inp, exp = dict(case["input"]), case["expected"]
    fn = inp.pop("function")
    if fn == "demand_latest":
        got = deadlines.demand_latest(inp["due"])
    elif fn == "first_seizure":
        got = deadlines.first_seizure(inp["demand_sent"])
    elif fn == "suspension_extinction":
        got = deadlines.suspension_extinction(inp["start"])
    elif fn == "arrangement_end":
        got = deadlines.arrangement_end(inp["kind"], inp["start"], instalments=inp.get("instalments"),
                                        months=inp.get("months"))
    else:  # pragma: no cover - a typo in a case file
        raise AssertionError(f"unknown deadline function {fn}")
    assert got.date == exp["date"]
    assert got.label and got.reference
    if "reference_contains" in exp:
        assert exp["reference_contains"] in got.reference


def _run_calendar(case: dict[str, Any]) -> None:
    day: dt.date = case["input"]["date"]
    assert is_business_day(day) is case["expected"]["business_day"]
    assert next_business_day(day) == case["expected"]["next_business_day"]


RUNNERS = {"entaikin": _run_entaikin, "limitation": _run_limitation, "deadline": _run_deadline,
           "calendar": _run_calendar}


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_legal_case(path: Path) -> None:
    case = _load(path)
    RUNNERS[case["type"]](case)
