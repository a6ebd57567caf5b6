"""Flowcharts as data: the validator, the walker, the diagrams and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokuho_nb.cli import main
from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import available, check_file, load, load_domains, render_svg, validate, walk
from kokuho_nb.flowcharts import conditions as cnd

BROKEN = Path(__file__).parents[1] / "fixtures" / "flowcharts_broken"
REQUIRED_TITLES = {"滞納整理の基本フロー", "納付相談・分納交渉", "執行停止の判断", "臨場催告の進め方", "財産調査の選び方"}

# file -> the kind of problem it must be reported for
BROKEN_KINDS = {
    "unreachable.yaml": "unreachable",
    "not_exhaustive.yaml": "not_exhaustive",
    "not_exclusive.yaml": "not_exclusive",
    "dead_end.yaml": "dead_end",
    "never_terminates.yaml": "dead_end",
    "cycle.yaml": "cycle",
    "missing_reference.yaml": "missing_reference",
    "unknown_attribute.yaml": "bad_condition",
    "bad_value.yaml": "bad_condition",
    "unknown_target.yaml": "unknown_target",
    "duplicate_id.yaml": "duplicate_id",
    "invalid_yaml.yaml": "yaml",
    "no_start.yaml": "schema",
}


def test_required_flowcharts_are_shipped() -> None:
    titles = {load(p).title for p in available()}
    assert REQUIRED_TITLES <= titles


@pytest.mark.parametrize("path", available(), ids=lambda p: p.stem)
def test_shipped_flowcharts_are_valid(path: Path) -> None:
    problems = check_file(path)
    assert problems == [], [str(p) for p in problems]


@pytest.mark.parametrize("name", sorted(BROKEN_KINDS))
def test_each_broken_fixture_is_caught(name: str) -> None:
    problems = check_file(BROKEN / name)
    assert BROKEN_KINDS[name] in {p.kind for p in problems}, [str(p) for p in problems]
    assert all(str(p).startswith(name) for p in problems)  # every message names the file


def test_every_broken_kind_has_a_fixture() -> None:
    assert {p.name for p in BROKEN.glob("*.yaml")} == set(BROKEN_KINDS)


def test_messages_name_the_node_and_line() -> None:
    [problem] = check_file(BROKEN / "unreachable.yaml")
    assert problem.node == "orphan"
    assert "orphan" in str(problem) and "たどり着けません" in str(problem)
    assert problem.line == 15


def test_exhaustiveness_counterexample_is_the_gap() -> None:
    [problem] = check_file(BROKEN / "not_exhaustive.yaml")
    assert "500,000円" in problem.message  # exactly the threshold falls between "<" and ">"


def test_cli_check_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flowcharts", "check"]) == 0
    assert "問題ありません" in capsys.readouterr().out
    assert main(["flowcharts", "check", str(BROKEN / "not_exclusive.yaml"), str(available()[0])]) == 1
    err = capsys.readouterr().err
    assert "not_exclusive.yaml" in err and "d_focus" in err and "同時に当てはまる" in err


def test_declared_cycle_is_allowed_but_undeclared_is_not(tmp_path: Path) -> None:
    visit = load("field_visit")
    assert ("a_revisit", "d_visit") in visit.cycles and validate(visit) == []
    raw = (available()[0].parent / "field_visit.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "field_visit.yaml"
    changed.write_text(raw.replace("  - [a_revisit, d_visit]\n", ""), encoding="utf-8")
    assert "cycle" in {p.kind for p in check_file(changed)}


def test_walk_basic_flow_to_seizure_with_reasons() -> None:
    fc = load("basic_flow")
    case = {"demand_sent": True, "contact_result": "未接触", "has_phone": False, "assets_found": True,
            "seizure_possible": True, "life_hardship": False, "total_arrears": 620_000}
    path = walk(fc, case)
    assert path.node_ids == ["start", "d_demand", "d_contact", "d_phone", "a_visit", "a_investigate", "d_assets",
                             "d_seizable", "d_hardship", "d_large", "a_specialist", "a_seize", "t_realize"]
    assert path.terminal is not None and path.terminal.id == "t_realize"
    large = next(s for s in path.steps if s.node.id == "d_large")
    assert large.facts == ("total_arrears",) and "620,000円" in large.reason
    case["total_arrears"] = 499_999
    assert "a_specialist" not in walk(fc, case).node_ids


def test_walk_suspension_grounds() -> None:
    fc = load("suspension")
    base = {"property_investigated": True, "whereabouts_unknown": False, "assets_found": False,
            "collection_clearly_impossible": False, "life_hardship": False}
    assert walk(fc, base).terminal.outcome == {"suspension_ground": 1, "extinction": "第4項"}
    assert walk(fc, {**base, "collection_clearly_impossible": True}).terminal.outcome["extinction"] == "第5項"
    assert walk(fc, {**base, "assets_found": True, "life_hardship": True}).terminal.outcome["suspension_ground"] == 2
    assert walk(fc, {**base, "whereabouts_unknown": True}).terminal.outcome["suspension_ground"] == 3
    assert walk(fc, {**base, "assets_found": True}).terminal.outcome["suspension_ground"] == 0


def test_walk_stops_at_declared_cycle() -> None:
    path = walk(load("field_visit"), {"visit_result": "不在", "visit_count": 1, "contact_result": "未接触"})
    assert path.loop_to == "d_visit" and path.terminal is None
    assert path.node_ids[-1] == "a_revisit"
    path = walk(load("field_visit"), {"visit_result": "不在", "visit_count": 2, "contact_result": "未接触"})
    assert path.terminal is not None and path.terminal.id == "t_inquiry"


def test_walk_missing_attribute_is_a_japanese_error() -> None:
    with pytest.raises(UserError) as err:
        walk(load("basic_flow"), {"demand_sent": True})
    assert "催告に対する反応" in err.value.message


def test_conditions_evaluate_without_eval() -> None:
    cond = {"all": [{"attr": "total_arrears", "op": "<", "value": 500000},
                    {"attr": "low_income", "op": "==", "value": False}]}
    assert cnd.evaluate(cond, {"total_arrears": 499_999, "low_income": False})
    assert not cnd.evaluate(cond, {"total_arrears": 500_000, "low_income": False})
    assert cnd.evaluate({"not": cond}, {"total_arrears": 1, "low_income": True})
    assert cnd.check({"attr": "total_arrears", "op": "__import__", "value": 1}, load_domains())
    assert cnd.describe(cond, load_domains()).startswith("滞納額")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")
def test_svg_has_japanese_labels_and_highlighted_path() -> None:
    fc = load("suspension")
    path = walk(fc, {"property_investigated": True, "whereabouts_unknown": True, "assets_found": False,
                     "collection_clearly_impossible": False, "life_hardship": False})
    svg = render_svg(fc, path)
    assert svg.startswith("<svg") and "Noto Sans CJK JP" in svg
    assert "第3号" in svg
    assert svg.count("#c0392b") >= len(path.edges)  # taken edges drawn in the path colour
    plain = render_svg(fc)
    assert "#c0392b" not in plain


ATOM_OPS = ["<", "<=", ">", ">=", "==", "!="]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ATOM_OPS), st.integers(0, 12), st.booleans(), st.booleans()),
                min_size=2, max_size=3))
def test_partition_verdict_equals_brute_force(specs: list[tuple[str, int, bool, bool]]) -> None:
    """Exhaustive/exclusive by the finite partition == checking every value of a wide integer range."""
    domains = load_domains()
    conds = []
    for op, value, with_bool, flag in specs:
        atom = {"attr": "n_overdue", "op": op, "value": value}
        conds.append({"all": [atom, {"attr": "low_income", "op": "==", "value": flag}]} if with_bool else atom)
    gaps = overlaps = False
    for n in range(0, 40):
        for low in (True, False):
            hits = sum(cnd.evaluate(c, {"n_overdue": n, "low_income": low}) for c in conds)
            gaps |= hits == 0
            overlaps |= hits > 1
    p_gaps = p_overlaps = False
    for point in cnd.partition(conds, domains):
        point.setdefault("low_income", False)  # not mentioned by any condition: any value will do
        hits = sum(cnd.evaluate(c, point) for c in conds)
        p_gaps |= hits == 0
        p_overlaps |= hits > 1
    assert (p_gaps, p_overlaps) == (gaps, overlaps)


def test_cli_render_writes_svg_with_path(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed")
    out = tmp_path / "d.svg"
    case = '{"property_investigated": true, "whereabouts_unknown": false, "assets_found": false, ' \
           '"collection_clearly_impossible": true, "life_hardship": false}'
    assert main(["flowcharts", "render", "suspension", "--case", case, "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "#c0392b" in svg and "第5項" in svg
