"""Exercises: answer keys come from the flowchart walker and the law module; seeded; graded right/partial/wrong."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import available, load, load_domains, walk
from kokuho_nb.training import exercises as ex
from kokuho_nb.training.exercises import Exercise, exercise_for_case, generate, key_response, score

DOMAINS = load_domains()
FLOWCHARTS = [p.stem for p in available()]
LEVELS = list(ex.levels())


def _domain_strategy(name: str) -> st.SearchStrategy:
    dom = DOMAINS[name]
    if dom.type == "bool":
        return st.booleans()
    if dom.type == "enum":
        return st.sampled_from(list(dom.values))
    return st.integers(min_value=dom.min or 0, max_value=3_000_000)


CASES = st.fixed_dictionaries({name: _domain_strategy(name) for name in DOMAINS})


@settings(max_examples=150, deadline=None)
@given(case=CASES, fc_id=st.sampled_from(FLOWCHARTS), seed=st.integers(0, 10_000),
       kind=st.sampled_from(["branch", "next_action", "suspension_ground"]), level=st.sampled_from(LEVELS))
def test_answer_key_equals_the_walk(case: dict, fc_id: str, seed: int, kind: str, level: str) -> None:
    fc = load(fc_id)
    path = walk(fc, case)  # independent walk of the same case
    exercise = exercise_for_case(fc, case, kind, level, "t", random.Random(seed))
    if exercise is None:  # only when the kind cannot apply to this case's path
        if kind == "suspension_ground":
            assert path.terminal is None or "suspension_ground" not in path.terminal.outcome
        else:
            assert kind == "branch" and not path.decisions
        return
    assert exercise.path_nodes == path.node_ids
    if kind == "branch":
        step = next(s for s in path.steps if s.node.id == exercise.node_id)
        assert exercise.key["choice"] == str(step.branch.index)
        assert sorted(exercise.key["reasons"]) == sorted(step.facts)
        assert {c.key for c in exercise.reason_choices} >= set(step.facts)
    elif kind == "next_action":
        i = path.node_ids.index(exercise.node_id)
        expected = next(s.node.id for s in path.steps[i + 1:] if s.node.type in ("action", "terminal"))
        assert exercise.key["choice"] == expected
        assert expected in {c.key for c in exercise.choices}
    else:
        assert exercise.key["choice"] == str(path.terminal.outcome["suspension_ground"])
        assert exercise.key["reasons"] == [str(path.terminal.outcome["extinction"])]
    assert score(exercise, key_response(exercise)).result == "right"
    assert len({c.key for c in exercise.choices}) == len(exercise.choices)  # no duplicate options


@pytest.mark.parametrize("fc_id", FLOWCHARTS)
@pytest.mark.parametrize("level", LEVELS)
def test_generated_keys_score_right_and_match_walk(fc_id: str, level: str) -> None:
    fc = load(fc_id)
    items = generate(fc, level, 8, seed=11)
    assert len(items) == 8 and len({e.id for e in items}) == 8
    for e in items:
        assert score(e, key_response(e)).result == "right", e.id
        assert e.synthetic
        if e.kind in ("branch", "next_action", "suspension_ground"):
            assert walk(fc, e.case).node_ids == e.path_nodes


def test_deterministic_by_seed() -> None:
    a = [e.to_dict() for e in generate("basic_flow", "上級", 10, seed=5)]
    b = [e.to_dict() for e in generate("basic_flow", "上級", 10, seed=5)]
    c = [e.to_dict() for e in generate("basic_flow", "上級", 10, seed=6)]
    assert a == b
    assert a != c


def test_changing_the_flowchart_changes_its_exercises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    params = tmp_path / "parameters"
    shutil.copytree(Path(available()[0]).parent.parent, params)
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    before = generate("suspension", "中級", 30, seed=2)
    f = params / "flowcharts" / "suspension.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("第1号（滞納処分をすることができる財産がない）により執行停止する",
                                                       "第1号により執行停止する（改訂）"), encoding="utf-8")
    after = generate("suspension", "中級", 30, seed=2)
    assert {e.id for e in before}.isdisjoint({e.id for e in after})  # ids carry the flowchart's digest
    old_text = [x for e in before for x in [e.explanation, *(c.text for c in e.choices)] if "執行停止する。停止が3年" in x]
    new_text = [x for e in after for x in [e.explanation, *(c.text for c in e.choices)] if "（改訂）" in x]
    assert new_text, "the changed node text must reach the generated questions"
    assert old_text and not any("第1号（滞納処分をすることができる財産がない）により執行停止する" in x for x in new_text)


def _first(kind: str, fc: str = "basic_flow", level: str = "上級") -> Exercise:
    for seed in range(1, 40):
        for e in generate(fc, level, 10, seed=seed):
            if e.kind == kind:
                return e
    raise AssertionError(kind)


def test_branch_scoring_right_partial_wrong() -> None:
    e = _first("branch")
    key = key_response(e)
    assert score(e, key).result == "right"
    wrong_reasons = [c.key for c in e.reason_choices if c.key not in key["reasons"]][:1]
    partial = score(e, {"choice": key["choice"], "reasons": wrong_reasons})
    assert partial.result == "partial" and partial.points == 0.5 and "根拠" in partial.message
    other = next(c.key for c in e.choices if c.key != key["choice"])
    wrong = score(e, {"choice": other, "reasons": key["reasons"]})
    assert wrong.result == "wrong" and wrong.points == 0.0
    assert wrong.explanation and wrong.reference  # feedback always carries the reason and the law


def test_next_action_partial_for_a_later_step() -> None:
    for seed in range(1, 60):
        for e in generate("basic_flow", "上級", 10, seed=seed):
            if e.kind == "next_action" and e.key["later"] and e.key["later"][0] in {c.key for c in e.choices}:
                assert score(e, {"choice": e.key["later"][0]}).result == "partial"
                assert score(e, {"choice": e.key["choice"]}).result == "right"
                return
    raise AssertionError("no next_action exercise with a later-step distractor")


def test_suspension_ground_scoring() -> None:
    e = _first("suspension_ground", "suspension", "中級")
    ground, ext = e.key["choice"], e.key["reasons"][0]
    other_ext = next(k for k in ex.EXTINCTION_KEYS if k != ext)
    assert score(e, {"choice": ground, "reasons": [ext]}).result == "right"
    assert score(e, {"choice": ground, "reasons": [other_ext]}).result == "partial"
    assert score(e, {"choice": next(k for k in ex.GROUND_KEYS if k != ground), "reasons": [ext]}).result == "wrong"


def test_entaikin_key_from_law_module_and_rounding_partial() -> None:
    from kokuho_nb.law.entaikin import compute

    e = _first("entaikin")
    c = e.case
    expected = compute(c["amount"], dt.date.fromisoformat(c["due"]), dt.date.fromisoformat(c["until"]),
                       payments=[(dt.date.fromisoformat(d), a) for d, a in c["payments"]],
                       fiscal_year=c["fiscal_year"]).total
    assert e.key["value"] == expected
    assert score(e, {"value": f"{expected:,}円"}).result == "right"  # staff write 1,200円
    assert score(e, {"value": expected + 100}).result == "partial"
    assert score(e, {"value": expected + 1000}).result == "wrong"
    assert score(e, {"value": "わからない"}).result == "wrong"


def test_limitation_key_from_law_module_and_off_by_one_partial() -> None:
    from kokuho_nb.law.limitation import limitation_date

    e = _first("limitation")
    due = dt.date.fromisoformat(e.case["due"])
    renewals = [(dt.date.fromisoformat(d), k) for d, k in e.case["renewals"]]
    expected = limitation_date(due, renewals)
    assert e.key["date"] == expected.isoformat()
    assert score(e, {"date": expected.strftime("%Y/%m/%d")}).result == "right"
    assert score(e, {"date": (expected + dt.timedelta(days=1)).isoformat()}).result == "partial"
    assert score(e, {"date": (expected + dt.timedelta(days=30)).isoformat()}).result == "wrong"


def test_bad_level_and_count_are_japanese_errors() -> None:
    with pytest.raises(UserError, match="難易度"):
        generate("basic_flow", "超級", 3)
    with pytest.raises(UserError, match="問題数"):
        generate("basic_flow", "初級", 0)


def test_cases_follow_plan_distribution() -> None:
    from kokuho_nb.training.cases import generate_cases

    cases = generate_cases(7, 3000)
    under = [c for c in cases if c["total_arrears"] < 500_000]
    assert 0.92 < len(under) / len(cases) < 0.98  # seed: about 95% under ¥500,000
    assert 0.65 < sum(c["low_income"] for c in under) / len(under) < 0.75  # about 70% low income
    assert all(c["focus"] == (c["total_arrears"] < 500_000 and not c["low_income"]) for c in cases)
