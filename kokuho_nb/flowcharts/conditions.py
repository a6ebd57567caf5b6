"""A small, safe expression language for flowchart branch conditions (no ``eval``).

A condition is a YAML mapping, one of::

    {attr: total_arrears, op: "<", value: 500000}       # an atom
    {all: [cond, ...]}  {any: [cond, ...]}  {not: cond}  # combinators

Operators: ``== != < <= > >= in not_in``. Attributes and their domains (bool, enum, integer) are declared in
``parameters/flowcharts/domains/attributes.yaml``. Because every domain is finite after partitioning integers
at the thresholds a decision mentions, exhaustiveness and exclusivity can be proved by enumeration.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kokuho_nb.labels import t
from kokuho_nb.params import load_yaml

DOMAINS_FILE = "flowcharts/domains/attributes.yaml"
OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
ORDER_OPS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Domain:
    name: str
    type: str  # bool | enum | integer
    label: str
    values: tuple[Any, ...] = ()
    min: int | None = None
    max: int | None = None
    unit: str = ""
    source: str = ""


def load_domains() -> dict[str, Domain]:
    """The declared case attributes and their domains (cached while the file is unchanged)."""
    return dict(_domains_of(id(load_yaml(DOMAINS_FILE))))


@lru_cache(maxsize=8)
def _domains_of(_key: int) -> tuple[tuple[str, Domain], ...]:
    return tuple(_build_domains().items())


def _build_domains() -> dict[str, Domain]:
    raw = load_yaml(DOMAINS_FILE)["attributes"]
    out: dict[str, Domain] = {}
    for name, spec in raw.items():
        out[name] = Domain(
            name=name,
            type=str(spec["type"]),
            label=str(spec.get("label", name)),
            values=tuple(spec.get("values", ()) or ()),
            min=spec.get("min"),
            max=spec.get("max"),
            unit=str(spec.get("unit", "")),
            source=str(spec.get("source", "")),
        )
    return out


def is_atom(cond: Any) -> bool:
    return isinstance(cond, Mapping) and "attr" in cond


def atoms(cond: Any) -> Iterator[Mapping[str, Any]]:
    """Every atom of a condition, depth first."""
    if is_atom(cond):
        yield cond
    elif isinstance(cond, Mapping):
        for key in ("all", "any"):
            if key in cond:
                for sub in cond[key] or []:
                    yield from atoms(sub)
        if "not" in cond:
            yield from atoms(cond["not"])


def check(cond: Any, domains: Mapping[str, Domain]) -> list[str]:
    """Structural problems of a condition (Japanese messages); empty when well formed."""
    if not isinstance(cond, Mapping):
        return [t("flowcharts.cond_not_mapping", cond=cond)]
    if is_atom(cond):
        return _check_atom(cond, domains)
    keys = [k for k in ("all", "any", "not") if k in cond]
    if len(keys) != 1 or len(cond) != 1:
        return [t("flowcharts.cond_bad_shape", cond=dict(cond))]
    key = keys[0]
    if key == "not":
        return check(cond["not"], domains)
    subs = cond[key]
    if not isinstance(subs, list) or not subs:
        return [t("flowcharts.cond_bad_shape", cond=dict(cond))]
    problems: list[str] = []
    for sub in subs:
        problems.extend(check(sub, domains))
    return problems


def _check_atom(cond: Mapping[str, Any], domains: Mapping[str, Domain]) -> list[str]:
    name, op = cond.get("attr"), cond.get("op")
    if set(cond) - {"attr", "op", "value"} or "value" not in cond:
        return [t("flowcharts.cond_bad_shape", cond=dict(cond))]
    if name not in domains:
        return [t("flowcharts.unknown_attribute", attr=name)]
    if op not in OPS:
        return [t("flowcharts.bad_operator", op=op, ops=" ".join(OPS))]
    dom = domains[name]
    values = cond["value"] if op in ("in", "not_in") else [cond["value"]]
    if op in ("in", "not_in") and not isinstance(cond["value"], list):
        return [t("flowcharts.bad_value", attr=name, value=cond["value"])]
    problems = []
    if dom.type == "bool":
        if op not in ("==", "!=", "in", "not_in") or any(not isinstance(v, bool) for v in values):
            problems.append(t("flowcharts.bad_value", attr=name, value=cond["value"]))
    elif dom.type == "enum":
        if op in ORDER_OPS or any(v not in dom.values for v in values):
            problems.append(t("flowcharts.bad_value", attr=name, value=cond["value"]))
    elif dom.type == "integer":
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            problems.append(t("flowcharts.bad_value", attr=name, value=cond["value"]))
    return problems


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "in":
        return left in right
    if op == "not_in":
        return left not in right
    if left is None:
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


class MissingAttribute(KeyError):
    """A case lacks an attribute a condition needs."""


def evaluate(cond: Mapping[str, Any], case: Mapping[str, Any]) -> bool:
    """Evaluate a (checked) condition against a case's attributes."""
    if is_atom(cond):
        name = cond["attr"]
        if name not in case:
            raise MissingAttribute(name)
        return _compare(_plain(case[name]), cond["op"], cond["value"])
    if "all" in cond:
        return all(evaluate(sub, case) for sub in cond["all"])
    if "any" in cond:
        return any(evaluate(sub, case) for sub in cond["any"])
    return not evaluate(cond["not"], case)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars to Python values (bool/int/str) so comparisons are exact."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def supporting_atoms(cond: Mapping[str, Any], case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The atoms that make a true condition true (for ``any``: only the true alternatives)."""
    if is_atom(cond):
        return [cond]
    if "all" in cond:
        return [a for sub in cond["all"] for a in supporting_atoms(sub, case)]
    if "any" in cond:
        return [a for sub in cond["any"] if evaluate(sub, case) for a in supporting_atoms(sub, case)]
    return list(atoms(cond["not"]))


def format_value(dom: Domain | None, value: Any) -> str:
    """A case value as staff read it (はい/いいえ, 123,456円)."""
    value = _plain(value)
    if isinstance(value, bool):
        return t("flowcharts.label_yes") if value else t("flowcharts.label_no")
    if isinstance(value, int) and dom is not None and dom.unit:
        return f"{value:,}{dom.unit}"
    if isinstance(value, list):
        return "・".join(str(v) for v in value)
    return str(value)


def describe(cond: Mapping[str, Any], domains: Mapping[str, Domain]) -> str:
    """A condition in Japanese, e.g. ``滞納額 < 500,000円 かつ 低所得世帯 = いいえ``."""
    if is_atom(cond):
        dom = domains.get(cond["attr"])
        label = dom.label if dom else str(cond["attr"])
        op = t(f"flowcharts.ops.{cond['op']}")
        return f"{label} {op} {format_value(dom, cond['value'])}"
    if "all" in cond:
        return t("flowcharts.and").join(describe(s, domains) for s in cond["all"])
    if "any" in cond:
        return "（" + t("flowcharts.or").join(describe(s, domains) for s in cond["any"]) + "）"
    return t("flowcharts.not", cond=describe(cond["not"], domains))


def representatives(dom: Domain, thresholds: set[int]) -> list[Any]:
    """A finite set of values covering every cell of the partition the thresholds induce."""
    if dom.type == "bool":
        return [True, False]
    if dom.type == "enum":
        return list(dom.values)
    lo = dom.min if dom.min is not None else min(thresholds, default=0) - 1
    hi = dom.max
    points = {lo}
    for th in thresholds:
        points.update((th - 1, th, th + 1))
    if thresholds:
        points.add(max(thresholds) + 2)
    return sorted(p for p in points if p >= lo and (hi is None or p <= hi))


def partition(conds: list[Mapping[str, Any]], domains: Mapping[str, Domain]) -> Iterator[dict[str, Any]]:
    """Every combination of representative values of the attributes the conditions mention."""
    names: list[str] = []
    thresholds: dict[str, set[int]] = {}
    for cond in conds:
        for atom in atoms(cond):
            name = atom["attr"]
            if name not in names:
                names.append(name)
            values = atom["value"] if isinstance(atom["value"], list) else [atom["value"]]
            for v in values:
                if isinstance(v, int) and not isinstance(v, bool):
                    thresholds.setdefault(name, set()).add(v)
    axes = [representatives(domains[n], thresholds.get(n, set())) for n in names]
    for combo in itertools.product(*axes):
        yield dict(zip(names, combo, strict=True))
