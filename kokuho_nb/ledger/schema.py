"""The standard ledger contract as data: ``parameters/ledger/standard.yaml`` read into small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from kokuho_nb.params import parameters_dir

STANDARD_FILE = "ledger/standard.yaml"
TYPES = ("text", "kana", "list", "code", "bool", "date", "year", "int", "yen")


@dataclass(frozen=True)
class ColumnSpec:
    header: str  # Japanese header in the standard layout
    name: str  # internal (canonical) column name
    type: str
    required: bool = False
    allow_empty: bool = False
    codes: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    aliases: dict[str, int] = field(default_factory=dict)
    strip_suffix: str | None = None
    fill: Any = None


@dataclass(frozen=True)
class RequiredWhen:
    column: str
    when_column: str
    equals: str
    reference: str = ""


@dataclass(frozen=True)
class FileSpec:
    file: str  # e.g. 世帯.csv
    table: str  # e.g. households
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    household_ref: str | None = None
    charge_ref: tuple[str, ...] = ()
    yen_column: str | None = None
    required_when: tuple[RequiredWhen, ...] = ()

    def column(self, header: str) -> ColumnSpec:
        for col in self.columns:
            if col.header == header:
                return col
        raise KeyError(header)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)


def _column(header: str, node: dict[str, Any]) -> ColumnSpec:
    kind = node["type"]
    if kind not in TYPES:
        raise ValueError(f"{STANDARD_FILE}: column {header}: unknown type {kind!r}")
    return ColumnSpec(
        header=header,
        name=node["name"],
        type=kind,
        required=bool(node.get("required", False)),
        allow_empty=bool(node.get("allow_empty", False)),
        codes=tuple(str(c) for c in node.get("codes", ())),
        min=node.get("min"),
        max=node.get("max"),
        aliases={str(k): int(v) for k, v in (node.get("aliases") or {}).items()},
        strip_suffix=node.get("strip_suffix"),
        fill=node.get("fill"),
    )


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> tuple[FileSpec, ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
    with open(path, encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)
    specs = []
    for file, node in doc["files"].items():
        specs.append(
            FileSpec(
                file=file,
                table=node["table"],
                required=bool(node.get("required", False)),
                columns=tuple(_column(h, c) for h, c in node["columns"].items()),
                key=tuple(node.get("key") or ()),
                household_ref=node.get("household_ref"),
                charge_ref=tuple(node.get("charge_ref") or ()),
                yen_column=node.get("yen_column"),
                required_when=tuple(RequiredWhen(**rw) for rw in node.get("required_when") or ()),
            )
        )
    return tuple(specs)


def _load(relpath: str) -> tuple[FileSpec, ...]:
    path = parameters_dir() / relpath
    return _load_cached(str(path), path.stat().st_mtime)


def standard_files() -> tuple[FileSpec, ...]:
    """Every file of the standard ledger, in contract order (required files first)."""
    return _load(STANDARD_FILE)


def file_spec(file: str) -> FileSpec:
    for spec in standard_files():
        if spec.file == file:
            return spec
    raise KeyError(file)


def table_spec(table: str) -> FileSpec:
    for spec in standard_files():
        if spec.table == table:
            return spec
    raise KeyError(table)


def table_names() -> tuple[str, ...]:
    return tuple(s.table for s in standard_files())
