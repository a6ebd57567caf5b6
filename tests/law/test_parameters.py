"""The law parameters are complete data: description, unit and reference on each; the rates of domain.md."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from kokuho_nb.law.entaikin import rate_for
from kokuho_nb.params import REPO_ROOT, is_parameter, load_yaml, parameter

LAW_DIR = REPO_ROOT / "parameters" / "law"


def _parameters(node: Any, prefix: str) -> list[tuple[str, dict]]:
    if is_parameter(node):
        return [(prefix, node)]
    out = []
    if isinstance(node, dict):
        for key, child in node.items():
            out += _parameters(child, f"{prefix}.{key}")
    return out


ALL = [p for f in sorted(LAW_DIR.glob("*.yaml")) for p in _parameters(load_yaml(f), f"law.{Path(f).stem}")]


def test_law_files_define_parameters() -> None:
    names = {name for name, _ in ALL}
    for required in ("law.entaikin.rate_lower", "law.entaikin.rate_higher", "law.entaikin.switch_months.premium",
                     "law.entaikin.first_fiscal_year.premium", "law.limitation.period_years",
                     "law.limitation.warning_months", "law.deadlines.demand_within_days",
                     "law.deadlines.seizure_after_days", "law.deadlines.suspension_extinction_years",
                     "law.calendar.closed_days"):
        assert required in names


@pytest.mark.parametrize(("name", "node"), ALL, ids=[n for n, _ in ALL])
def test_each_parameter_has_description_unit_and_reference(name: str, node: dict) -> None:
    assert str(node.get("description", "")).strip(), name
    meta = node.get("metadata") or {}
    assert meta.get("unit"), name
    ref = meta.get("reference")
    assert ref, name
    titles = [r["title"] for r in ref.values()] if all(isinstance(k, dt.date) for k in ref) else [ref["title"]]
    assert all(str(x).strip() for x in titles), name
    parameter(name)  # loads through the public API


DOMAIN_RATES = {  # docs: /work/shared/domain.md, "延滞金" (lower / higher, % per year)
    2014: ("2.9", "9.2"), 2015: ("2.8", "9.1"), 2016: ("2.8", "9.1"), 2017: ("2.7", "9.0"),
    2018: ("2.6", "8.9"), 2019: ("2.6", "8.9"), 2020: ("2.6", "8.9"), 2021: ("2.5", "8.8"),
    2022: ("2.4", "8.7"), 2023: ("2.4", "8.7"), 2024: ("2.4", "8.7"), 2025: ("2.4", "8.7"),
    2026: ("2.8", "9.1"),
}


@pytest.mark.parametrize("year", sorted(DOMAIN_RATES))
def test_rates_are_those_of_the_domain_brief(year: int) -> None:
    lower, higher = DOMAIN_RATES[year]
    assert rate_for(year, "lower") == Fraction(lower) / 100
    assert rate_for(year, "higher") == Fraction(higher) / 100
    # Formula check: higher - lower = 7.3% - 1% = 6.3 points while under the caps.
    assert rate_for(year, "higher") - rate_for(year, "lower") == Fraction(63, 1000)
