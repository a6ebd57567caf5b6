"""The in-memory ledger: one DataFrame per canonical table (see docs/architecture.md).

Dtypes: text/code columns ``object`` (``None`` when unknown), dates ``datetime64[ns]`` (NaT), required
integers/yen ``int64``, optional integers/yen ``Int64`` (or ``int64`` when the column has a ``fill``),
booleans pandas ``boolean``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import pandas as pd

from kokuho_nb.contract import ColumnSpec, table_spec


def column_dtype(col: ColumnSpec) -> str:
    if col.type == "date":
        return "datetime64[ns]"
    if col.type == "bool":
        return "boolean"
    if col.type in ("int", "yen", "year"):
        return "int64" if ((col.required and not col.allow_empty) or col.fill is not None) else "Int64"
    return "object"


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``."""
    spec = table_spec(table)
    return pd.DataFrame({c.name: pd.Series([], dtype=column_dtype(c)) for c in spec.columns})


@dataclass
class Ledger:
    households: pd.DataFrame = field(default_factory=lambda: empty_table("households"))
    charges: pd.DataFrame = field(default_factory=lambda: empty_table("charges"))
    staff: pd.DataFrame = field(default_factory=lambda: empty_table("staff"))
    payments: pd.DataFrame = field(default_factory=lambda: empty_table("payments"))
    contacts: pd.DataFrame = field(default_factory=lambda: empty_table("contacts"))
    inquiries: pd.DataFrame = field(default_factory=lambda: empty_table("inquiries"))
    dispositions: pd.DataFrame = field(default_factory=lambda: empty_table("dispositions"))
    trainings: pd.DataFrame = field(default_factory=lambda: empty_table("trainings"))
    snapshot_id: str | None = None
    as_of: dt.date | None = None
    source: str | None = None

    @staticmethod
    def table_names() -> tuple[str, ...]:
        return tuple(f.name for f in fields(Ledger) if f.type in ("pd.DataFrame", pd.DataFrame))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.table_names()}
