"""Parameters as data (OpenFisca style): YAML files under ``parameters/`` with dated values.

A *dated parameter* is a mapping with ``description``, ``values`` (start date -> ``{value: ...}``) and
``metadata`` (``unit``, ``reference``). :meth:`Parameter.at` returns the value in force on a date, so next
year's rate is a data change. A YAML file may hold one parameter, or a node whose keys are parameters.

Names are dotted paths: ``law.entaikin.rate_lower`` is ``parameters/law/entaikin.yaml`` key ``rate_lower``
or ``parameters/law/entaikin/rate_lower.yaml``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kokuho_nb.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent


def parameters_dir() -> Path:
    """The parameters folder: ``KOKUHO_PARAMETERS`` if set, else ``parameters/`` beside the package."""
    env = os.environ.get("KOKUHO_PARAMETERS")
    return Path(env) if env else REPO_ROOT / "parameters"


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@lru_cache(maxsize=256)
def _load_yaml_cached(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_yaml(relpath: str | Path) -> Any:
    """Load a YAML file from the parameters folder (cached while the file is unchanged)."""
    path = Path(relpath)
    if not path.is_absolute():
        path = parameters_dir() / path
    if not path.exists():
        raise UserError(f"パラメータファイルが見つかりません: {path}", f"parameter file not found: {path}")
    try:
        return _load_yaml_cached(str(path), path.stat().st_mtime)
    except yaml.YAMLError as exc:
        raise UserError(f"パラメータファイルを読めません: {path}: {exc}", "invalid YAML") from exc


@dataclass(frozen=True)
class Parameter:
    """One dated parameter. ``values`` is sorted by start date; a value of ``None`` ends validity."""

    name: str
    description: str
    values: tuple[tuple[dt.date, Any], ...]
    unit: str | None = None
    reference: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def at(self, when: dt.date) -> Any:
        """The value in force on ``when``; :class:`UserError` if none is."""
        found: Any = None
        ok = False
        for start, value in self.values:
            if start <= when:
                found, ok = value, True
            else:
                break
        if not ok or found is None:
            raise UserError(
                f"パラメータ「{self.description}」({self.name}) に {when.isoformat()} 時点の値がありません。",
                f"parameter {self.name} has no value in force on {when.isoformat()}",
            )
        return found

    def reference_at(self, when: dt.date) -> Any:
        """The legal reference in force on ``when`` (a plain reference, or the dated one in force)."""
        ref = self.reference
        if isinstance(ref, dict) and ref and all(_is_date_key(k) for k in ref):
            chosen = None
            for start in sorted(ref, key=_to_date):
                if _to_date(start) <= when:
                    chosen = ref[start]
            return chosen
        return ref

    @property
    def first_date(self) -> dt.date:
        return self.values[0][0]


def _is_date_key(key: Any) -> bool:
    try:
        _to_date(key)
        return True
    except (ValueError, TypeError):
        return False


def is_parameter(node: Any) -> bool:
    return isinstance(node, dict) and "values" in node and isinstance(node["values"], dict)


def parameter_from_node(name: str, node: dict[str, Any]) -> Parameter:
    values = []
    for start, entry in node["values"].items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        values.append((_to_date(start), value))
    values.sort(key=lambda item: item[0])
    meta = dict(node.get("metadata") or {})
    return Parameter(
        name=name,
        description=str(node.get("description", name)),
        values=tuple(values),
        unit=meta.get("unit"),
        reference=meta.get("reference", node.get("reference")),
        metadata=meta,
    )


def parameter(name: str) -> Parameter:
    """Look up a dated parameter by dotted name (see module docstring).

    Cached per parameters folder; :func:`clear_cache` after editing parameter files in a running process.
    """
    return _parameter(name, str(parameters_dir()))


def clear_cache() -> None:
    _parameter.cache_clear()
    _load_yaml_cached.cache_clear()


@lru_cache(maxsize=1024)
def _parameter(name: str, base_dir: str) -> Parameter:
    parts = name.split(".")
    base = Path(base_dir)
    # Try the longest file path first: a/b/c.yaml, then a/b.yaml key c, then a.yaml keys b.c
    for split in range(len(parts), 0, -1):
        candidate = base.joinpath(*parts[:split]).with_suffix(".yaml")
        if candidate.exists():
            node: Any = load_yaml(candidate)
            for key in parts[split:]:
                if not isinstance(node, dict) or key not in node:
                    node = None
                    break
                node = node[key]
            if is_parameter(node):
                return parameter_from_node(name, node)
    raise UserError(f"パラメータ {name} が定義されていません。", f"unknown parameter {name}")


def value(name: str, when: dt.date) -> Any:
    """Shorthand for ``parameter(name).at(when)``."""
    return parameter(name).at(when)
