"""Data the pages read, loaded once per kernel and cached per snapshot.

The case view comes from the store's shared per-snapshot cache (``kokuho_nb.cases.cached_case_view``,
``<store>/cache/case_view/``): a new page kernel reads it in well under a second instead of recomputing it
from millions of charge rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.cases import cached_case_view
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store import Ledger, Store
from kokuho_nb.store.paths import resolve_outputs
from kokuho_nb.store.snapshots import manifest_is_synthetic

log = logging.getLogger("kokuho_nb.web")


@dataclass
class PageData:
    """The latest snapshot of a store, with its case view."""

    store: Store
    ledger: Ledger
    snapshot_id: str
    as_of: dt.date
    manifest: dict[str, Any]
    synthetic: bool

    @property
    def meta(self) -> str:
        return t("web.common.snapshot", as_of=self.as_of.isoformat(), snapshot_id=self.snapshot_id)

    def case_view(self) -> pd.DataFrame:
        """The case view as of the snapshot date, through the store's derived cache."""
        return cached_case_view(self.ledger, self.as_of, store=self.store)


def open_store(store: Store | str | os.PathLike[str] | None = None) -> Store:
    """The page's store (``KOKUHO_STORE`` in page kernels), one object per kernel."""
    return _open(str(Store.open(store).path))


@lru_cache(maxsize=4)
def _open(path: str) -> Store:
    return Store(path)


def outputs_dir(outputs: str | os.PathLike[str] | None = None) -> Path:
    return resolve_outputs(outputs)


def read_manifest(store: Store, snapshot_id: str | None = None) -> dict[str, Any]:
    """The manifest of ``snapshot_id`` (the latest when None); a Japanese error for an empty store."""
    snap = store.latest() if snapshot_id is None else None
    sid = snapshot_id or (snap.id if snap else None)
    if sid is None:
        raise UserError(t("web.common.no_data"), detail=f"no snapshot in {store.path}")
    return store.manifest(sid)


def is_synthetic(manifest: dict[str, Any], ledger: Any = None) -> bool:
    """True when the snapshot is the synthetic ward (pages then carry 模擬データ); the shared rule."""
    return manifest_is_synthetic(manifest, getattr(ledger, "source", None))


def load(store: Store | str | os.PathLike[str] | None = None) -> PageData:
    """The latest snapshot of the store, kept for this kernel."""
    s = open_store(store)
    snap = s.latest()
    if snap is None:
        raise UserError(t("web.common.no_data"), detail=f"no snapshot in {s.path}")
    return _load(s, snap.id)


@lru_cache(maxsize=2)
def _load(store: Store, snapshot_id: str) -> PageData:
    manifest = store.manifest(snapshot_id)
    ledger = store.load(snapshot_id)
    as_of = ledger.as_of if isinstance(ledger.as_of, dt.date) else pd.Timestamp(ledger.as_of).date()
    return PageData(store=store, ledger=ledger, snapshot_id=snapshot_id, as_of=as_of, manifest=manifest,
                    synthetic=is_synthetic(manifest, ledger))
