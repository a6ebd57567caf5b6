"""Seeded synthetic cases for exercises: attribute dicts realistic per the plan's distributions.

Never real data: every case is drawn from ``parameters/training/case_generator.yaml`` with a seeded
:class:`random.Random`, so the same seed gives the same cases on every machine.
"""

from __future__ import annotations

import math
import random
from typing import Any

from kokuho_nb.cases import cached_case_view
from kokuho_nb.params import load_yaml
from kokuho_nb.store import Store

GENERATOR_FILE = "training/case_generator.yaml"


def _p(spec: Any, low_income: bool | None = None) -> float:
    if isinstance(spec, dict) and "value" in spec:
        return float(spec["value"])
    return float(spec["low_income"] if low_income else spec["other"])


def _log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys], k=1)[0]


def generate_case(rng: random.Random) -> dict[str, Any]:
    """One synthetic case: the case-view columns flowcharts use plus the exercise-only facts."""
    g = load_yaml(GENERATOR_FILE)
    pr = g["probabilities"]
    under = rng.random() < float(g["share_under_500k"]["value"])
    band = "under_500k" if under else "over_500k"
    low_income = rng.random() < float(g["low_income_share"][band]["value"])
    total = _log_uniform(rng, int(g["arrears_yen"][band]["min"]), int(g["arrears_yen"][band]["max"]))
    whereabouts_unknown = rng.random() < _p(pr["whereabouts_unknown"])
    demand_sent = rng.random() < _p(pr["demand_sent"])
    capacity_spec = g["monthly_capacity_yen"]["low_income" if low_income else "other"]
    capacity = rng.randint(int(capacity_spec["min"]), int(capacity_spec["max"]))
    case: dict[str, Any] = {
        "total_arrears": total,
        "low_income": low_income,
        "focus": 0 < total < 500_000 and not low_income,
        "stage": _weighted(rng, g["weights"]["stage"]),
        "has_phone": (not whereabouts_unknown) and rng.random() < _p(pr["has_phone"]),
        "foreign": rng.random() < _p(pr["foreign"]),
        "direct_debit": rng.random() < _p(pr["direct_debit"]),
        "employee_pension": rng.random() < _p(pr["employee_pension"]),
        "whereabouts_unknown": whereabouts_unknown,
        "demand_sent": demand_sent,
        "seizure_possible": demand_sent and rng.random() < _p(pr["seizure_possible_if_demand"]),
        "n_overdue": rng.randint(int(g["n_overdue"]["min"]), int(g["n_overdue"]["max"])),
        "contact_result": "未接触" if whereabouts_unknown else _weighted(rng, g["weights"]["contact_result"]),
        "property_investigated": rng.random() < _p(pr["property_investigated"]),
        "assets_found": rng.random() < _p(pr["assets_found"], low_income),
        "life_hardship": rng.random() < _p(pr["life_hardship"], low_income),
        "collection_clearly_impossible": rng.random() < _p(pr["collection_clearly_impossible"]),
        "monthly_capacity": capacity,
        "months_to_clear": math.ceil(total / capacity),
        "pledge_broken": rng.random() < _p(pr["pledge_broken"]),
        "visit_result": "居住実態なし" if whereabouts_unknown else _weighted(rng, g["weights"]["visit_result"]),
        "visit_count": rng.randint(int(g["visit_count"]["min"]), int(g["visit_count"]["max"])),
        "employed": rng.random() < _p(pr["employed"], low_income),
        "pension_recipient": rng.random() < _p(pr["pension_recipient"]),
        "bank_electronic": rng.random() < _p(pr["bank_electronic"]),
        "real_estate_hint": rng.random() < _p(pr["real_estate_hint"]),
        "life_insurance_hint": rng.random() < _p(pr["life_insurance_hint"]),
    }
    return case


def generate_cases(seed: int | str, count: int) -> list[dict[str, Any]]:
    rng = random.Random(f"cases|{seed}")
    return [generate_case(rng) for _ in range(count)]


# Case-view columns copied into an exercise case when cases come from a store (the rest are drawn).
CASE_VIEW_ATTRS = ("total_arrears", "low_income", "focus", "stage", "has_phone", "foreign", "direct_debit",
                   "employee_pension", "whereabouts_unknown", "seizure_possible", "n_overdue")


def cases_from_view(view: Any, seed: int | str, count: int) -> list[dict[str, Any]]:
    """Exercise cases based on rows of a (synthetic) store's case view: the ledger-derived attributes come
    from the view, the exercise-only facts are drawn as in :func:`generate_case`."""
    import pandas as pd

    rows = view[pd.to_numeric(view["total_arrears"], errors="coerce").fillna(0) > 0]
    if rows.empty:
        return []
    state = int.from_bytes(str(seed).encode("utf-8"), "little") % (2**32)
    rows = rows.sample(n=min(count, len(rows)), random_state=state)
    rng = random.Random(f"view|{seed}")
    out = []
    for _, row in rows.iterrows():
        case = generate_case(rng)
        for name in CASE_VIEW_ATTRS:
            if name not in row.index:
                continue
            value = row[name]
            if name in ("total_arrears", "n_overdue"):
                case[name] = int(value) if not pd.isna(value) else 0
            elif name == "stage":
                case[name] = str(value)
            else:
                case[name] = bool(value) if not pd.isna(value) else False
        case["months_to_clear"] = math.ceil(case["total_arrears"] / case["monthly_capacity"])
        if case["whereabouts_unknown"]:
            case["has_phone"] = False
        out.append(case)
    return out


def cases_from_store(store: Store, count: int, seed: int | str, as_of: Any = None) -> list[dict[str, Any]]:
    """:func:`cases_from_view` over the case view of the store's latest snapshot (synthetic stores only)."""
    ledger = store.ledger_for(as_of)
    view = cached_case_view(ledger, as_of or ledger.as_of, store=store, with_law=True)
    return cases_from_view(view, seed, count)
