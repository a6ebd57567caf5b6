"""The case store: immutable ledger snapshots (Parquet), case-work records (SQLite, WAL), locks and the one cache
of derived results, behind one object, :class:`Store`, opened once at each boundary."""

from kokuho_nb.store.derived import Derived, code_digest
from kokuho_nb.store.store import SnapshotInfo, Store
from kokuho_nb.store.tables import Ledger

__all__ = ["Derived", "Ledger", "SnapshotInfo", "Store", "code_digest"]
