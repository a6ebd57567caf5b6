"""Training records on a hand-built ledger: courses done/due per new or transferred officer, 受講率."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from kokuho_nb.casework import attempts
from kokuho_nb.casework.training_records import completion_rate, training_status
from kokuho_nb.params import load_yaml
from kokuho_nb.store import Store
from kokuho_nb.training.app import Trainer
from kokuho_nb.training.exercises import key_response

COURSES = [c["name"] for c in load_yaml("training/required_courses.yaml")["courses"]]


def _ledger(trainings: list[tuple[str, str, str]]) -> SimpleNamespace:
    staff = pd.DataFrame({
        "officer_code": ["N1", "T1", "C1", "N0"],
        "name": ["新任 一", "転入 二", "継続 三", "前年 四"],
        "team": ["整理第一係"] * 4,
        "role": ["徴収吏員"] * 4,
        "start_date": pd.to_datetime(["2026-04-01", "2026-04-01", "2019-04-01", "2025-04-01"]),
        "category": ["新任", "転入", "継続", "新任"],
    })
    tr = pd.DataFrame(trainings, columns=["officer_code", "course", "date"])
    tr["date"] = pd.to_datetime(tr["date"])
    return SimpleNamespace(staff=staff, trainings=tr)


def test_required_courses_are_the_eight_of_the_plan() -> None:
    spec = load_yaml("training/required_courses.yaml")
    assert len(COURSES) == 8 and "テーマ別研修「滞納処分の停止」" in COURSES
    assert spec["reference"].endswith("基本方針3(3)イ")
    assert {c["provider"] for c in spec["courses"]} == {"納税課", "特別収納対策課", "東京都国民健康保険団体連合会",
                                                         "東京都保健医療局"}
    assert 0 < spec["pass_mark"]["value"] <= 1


def test_status_from_training_records(tmp_store: Path) -> None:
    ledger = _ledger([
        ("N1", "新任育成", "2026-04-10"),
        ("N1", "延滞金", "2026-05-20"),
        ("N1", "テーマ別研修「滞納処分」", "2026-12-01"),  # after the as-of date: not yet done
        ("T1", "収納率向上対策研修会【基礎編】", "2026-06-15"),
        ("T1", "収納率向上対策研修会 【財産調査編】", "2026-07-01"),  # spacing differs: still the course
        ("C1", "新任育成", "2019-04-10"),
    ])
    st = training_status(ledger, Store(tmp_store), dt.date(2026, 11, 1))
    assert set(st["officer_code"]) == {"N1", "T1", "N0"}  # 継続 officers are not in scope
    assert len(st) == 3 * 8
    n1 = st[st["officer_code"] == "N1"].set_index("course")
    assert n1.loc["新任育成", "done"] and n1.loc["新任育成", "status"] == "受講済"
    assert n1.loc["新任育成", "done_date"] == pd.Timestamp("2026-04-10") and n1.loc["新任育成", "source"] == "研修記録"
    assert not n1.loc["テーマ別研修「滞納処分」", "done"] and n1.loc["テーマ別研修「滞納処分」", "status"] == "未受講"
    assert n1.loc["新任育成", "due_date"] == pd.Timestamp("2027-03-31")
    t1 = st[st["officer_code"] == "T1"].set_index("course")
    assert t1.loc["収納率向上対策研修会【財産調査編】", "done"]
    n0 = st[st["officer_code"] == "N0"]
    assert (n0["status"] == "期限超過").all()  # started FY2025, nothing done by 2026-03-31


def test_passed_in_app_exercise_completes_mapped_course(tmp_store: Path) -> None:
    ledger = _ledger([])
    trainer = Trainer(tmp_store, staff=ledger.staff)
    trainer.start("N1", "suspension", "中級", count=5, seed=1)
    while trainer.current is not None:
        trainer.answer(key_response(trainer.current))
        trainer.next()
    failing = Trainer(tmp_store, staff=ledger.staff)
    failing.start("T1", "suspension", "中級", count=5, seed=1)
    while failing.current is not None:  # everything wrong: not passed
        ex = failing.current
        failing.answer({"choice": "__none__"} if ex.answer_kind == "choice" else {"value": -1, "date": "1900-01-01"})
        failing.next()
    assert attempts.sessions(Store(tmp_store))["passed"].tolist() == [True, False]
    today = dt.date.today() + dt.timedelta(days=1)  # sessions are dated in Japan time (UTC+9)
    st = training_status(ledger, Store(tmp_store), today).set_index(["officer_code", "course"])
    assert st.loc[("N1", "テーマ別研修「滞納処分の停止」"), "done"]
    assert st.loc[("N1", "テーマ別研修「滞納処分の停止」"), "source"] == "アプリ演習"
    assert not st.loc[("T1", "テーマ別研修「滞納処分の停止」"), "done"]
    assert not st.loc[("N1", "新任育成"), "done"]  # basic_flow not passed
    # before the session was taken it does not count
    before = training_status(ledger, Store(tmp_store), today - dt.timedelta(days=3)).set_index(["officer_code", "course"])
    assert not before.loc[("N1", "テーマ別研修「滞納処分の停止」"), "done"]


def test_completion_rate_for_the_year(tmp_store: Path) -> None:
    everything = [("N1", c, "2026-06-01") for c in COURSES] + [("T1", c, "2026-09-01") for c in COURSES[:4]]
    ledger = _ledger(everything + [("N0", "新任育成", "2025-05-01")])
    # FY2026 scope: N1 and T1 (N0 started in FY2025): (8 + 4) / 16
    assert completion_rate(ledger, Store(tmp_store), 2026) == pytest.approx(12 / 16)
    assert completion_rate(ledger, Store(tmp_store), 2025) == pytest.approx(1 / 8)
    assert math.isnan(completion_rate(ledger, Store(tmp_store), 2020))
