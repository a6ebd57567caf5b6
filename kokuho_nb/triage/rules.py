"""The triage rules as data (``parameters/triage.yaml``): each rule a reason, the actor and next action it routes
to, its weight and the plan section it implements; thresholds; and the rule expressions' evaluator.

Rules are ordered heaviest first; a household's reasons are all rules that hold, its primary reason the heaviest
*listable* one. Expressions use pandas-query syntax (``& | ~``, comparisons, ``@threshold``) over numpy columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from kokuho_nb import params

PARAM_FILE = "triage.yaml"
ACTORS = ("officer", "specialist", "centre")


@dataclass(frozen=True)
class Rule:
    code: str
    actor: str
    weight: int
    listable: bool
    action: str
    when: str
    reference: str
    since: dt.date | None = None


def thresholds(as_of: dt.date) -> dict[str, Any]:
    """Every ``thresholds`` parameter of triage.yaml in force on ``as_of``, by name."""
    tree = params.tree()
    spec = tree.file(PARAM_FILE)["thresholds"]
    return {name: tree.parameter(f"triage.thresholds.{name}").at(as_of) for name in spec}


def _all_rules() -> tuple[Rule, ...]:
    spec = params.tree().file(PARAM_FILE)
    found = []
    for item in spec["rules"]:
        if item["actor"] not in ACTORS:
            raise ValueError(f"triage rule {item['code']}: unknown actor {item['actor']}")
        since = item.get("since")
        found.append(Rule(
            code=str(item["code"]), actor=str(item["actor"]), weight=int(item["weight"]),
            listable=bool(item["listable"]), action=str(item["action"]), when=str(item["when"]),
            reference=str(item["reference"]), since=dt.date.fromisoformat(str(since)) if since else None,
        ))
    found.sort(key=lambda r: -r.weight)
    return tuple(found)


def rules(as_of: dt.date | None = None) -> tuple[Rule, ...]:
    """The triage rules in force on ``as_of`` (all when None), heaviest first (parsed once per parameters)."""
    found = params.tree().memo(("triage.rules",), _all_rules)
    if as_of is None:
        return found
    return tuple(r for r in found if r.since is None or r.since <= as_of)


def rule_reference(code: str) -> str:
    """The plan section / legal reference of a reason code."""
    for r in rules():
        if r.code == code:
            return r.reference
    raise KeyError(code)


def _compiled(expr: str) -> Any:
    return params.tree().memo(("triage.expr", expr),
                              lambda: compile(expr.replace("@", ""), f"<triage: {expr}>", "eval"))


def evaluate_expression(expr: str, columns: dict[str, Any], values: dict[str, Any], n: int) -> np.ndarray:
    """A rule expression over numpy ``columns`` and parameter ``values``, as a boolean array of length ``n``.

    Expressions come from the parameters folder (trusted configuration); no builtins are available to them.
    """
    result = eval(_compiled(expr), {"__builtins__": {}}, {**values, **columns})  # noqa: S307
    return np.broadcast_to(np.asarray(result, dtype=bool), (n,)).copy()
