"""The standard ledger contract as data: ``parameters/ledger/standard.yaml`` read into small dataclasses.

The files and their columns (:func:`standard_files`, :func:`file_spec`, :func:`table_spec`) and what the code
values mean (:func:`codes`): the importer, the synthetic ward and every reader of a code value use this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kokuho_nb import params

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


def _file_specs() -> tuple[FileSpec, ...]:
    doc = params.tree().file(STANDARD_FILE)
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


def standard_files() -> tuple[FileSpec, ...]:
    """Every file of the standard ledger, in contract order (required files first)."""
    return params.tree().memo(("contract.files",), _file_specs)


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


# --- what the codes mean ------------------------------------------------------------------------------------


class CodeSet:
    """The codes of one column by meaning: ``codes().result.refused`` is ``"拒否"``, ``codes().result.reached``
    the tuple of results that mean the household was reached (``meanings`` in ``standard.yaml``)."""

    def __init__(self, name: str, file: str, header: str, values: dict[str, str],
                 groups: dict[str, tuple[str, ...]]) -> None:
        self.name, self.file, self.header = name, file, header
        self._values = dict(values)
        self._groups = {g: tuple(values[k] for k in keys) for g, keys in groups.items()}

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        if key in self._values:
            return self._values[key]
        if key in self._groups:
            return self._groups[key]
        raise AttributeError(f"{self.name}: no code or group named {key!r} (parameters/{STANDARD_FILE} meanings)")

    def all(self) -> tuple[str, ...]:
        """Every code of the column, in contract order."""
        return file_spec(self.file).column(self.header).codes

    def names(self) -> dict[str, str]:
        return dict(self._values)


class Codes:
    """Every :class:`CodeSet` of the contract, by name (``codes().role``, ``codes().method`` …)."""

    def __init__(self, sets: dict[str, CodeSet]) -> None:
        self._sets = sets

    def __getattr__(self, key: str) -> CodeSet:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._sets[key]
        except KeyError:
            raise AttributeError(f"no code set {key!r} in parameters/{STANDARD_FILE} meanings") from None

    def sets(self) -> dict[str, CodeSet]:
        return dict(self._sets)


def codes() -> Codes:
    """The code meanings of the contract (read once per state of the parameter files)."""
    return params.tree().memo(("contract.codes",), _codes)


def _codes() -> Codes:
    doc = params.tree().file(STANDARD_FILE)
    sets = {}
    for name, node in (doc.get("meanings") or {}).items():
        file, header = node["column"]
        groups = {g: tuple(v) for g, v in (node.get("groups") or {}).items()}
        sets[name] = CodeSet(name, file, header, {k: str(v) for k, v in node["values"].items()}, groups)
    return Codes(sets)
