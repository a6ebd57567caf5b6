"""Data the pages read, loaded once per kernel and cached per snapshot.

The case view comes from the store's shared per-snapshot cache (``kokuho_nb.cases.cached_case_view``,
``<store>/cache/case_view/``): a new page kernel reads it in well under a second instead of recomputing it
from millions of charge rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store.paths import resolve_outputs, resolve_store

log = logging.getLogger("kokuho_nb.web")

@dataclass
class PageData:
    """The latest snapshot of a store, with its case view."""

    store: Path
    ledger: Any  # kokuho_nb.ledger.model.Ledger
    snapshot_id: str
    as_of: dt.date
    manifest: dict[str, Any]
    synthetic: bool

    @property
    def meta(self) -> str:
        return t("web.common.snapshot", as_of=self.as_of.isoformat(), snapshot_id=self.snapshot_id)

    def case_view(self) -> pd.DataFrame:
        return cached_case_view(self.store, self.snapshot_id, self.ledger, self.as_of)


def store_dir(store: str | os.PathLike[str] | None = None) -> Path:
    return resolve_store(store)


def outputs_dir(outputs: str | os.PathLike[str] | None = None) -> Path:
    return resolve_outputs(outputs)


def latest_snapshot_dir(store: Path) -> Path | None:
    """The newest snapshot folder (by as-of date, then import time), or None for an empty store."""
    root = store / "snapshots"
    if not root.is_dir():
        return None
    best: tuple[str, str, Path] | None = None
    for manifest in root.glob("*/manifest.json"):
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = (str(doc.get("as_of", "")), str(doc.get("imported_at", "")), manifest.parent)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def read_manifest(store: Path, snapshot_id: str | None = None) -> dict[str, Any]:
    folder = (store / "snapshots" / snapshot_id) if snapshot_id else latest_snapshot_dir(store)
    if folder is None or not (folder / "manifest.json").exists():
        raise UserError(t("web.common.no_data"), detail=f"no snapshot in {store}")
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def is_synthetic(manifest: dict[str, Any], ledger: Any = None) -> bool:
    """True when the snapshot is the synthetic ward (pages then carry 模擬データ); the shared rule."""
    from kokuho_nb.store.snapshots import manifest_is_synthetic

    return manifest_is_synthetic(manifest, getattr(ledger, "source", None))


def load(store: str | os.PathLike[str] | None = None) -> PageData:
    """The latest snapshot of the store (``KOKUHO_STORE`` in page kernels), cached for this kernel."""
    path = store_dir(store)
    folder = latest_snapshot_dir(path)
    if folder is None:
        raise UserError(t("web.common.no_data"), detail=f"no snapshot in {path}")
    return _load(path, folder.name)


@lru_cache(maxsize=2)
def _load(store: Path, snapshot_id: str) -> PageData:
    from kokuho_nb.store.snapshots import load_snapshot

    manifest = read_manifest(store, snapshot_id)
    ledger = load_snapshot(store, snapshot_id=snapshot_id)
    as_of = ledger.as_of if isinstance(ledger.as_of, dt.date) else pd.Timestamp(ledger.as_of).date()
    return PageData(store=store, ledger=ledger, snapshot_id=snapshot_id, as_of=as_of, manifest=manifest,
                    synthetic=is_synthetic(manifest, ledger))


def cached_case_view(store: Path, snapshot_id: str, ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """The case view as of the snapshot date, through the store's shared per-snapshot cache
    (:func:`kokuho_nb.cases.cached_case_view`; keyed by snapshot, date and the rules' digest)."""
    from kokuho_nb.cases import cached_case_view as shared

    return shared(ledger, as_of, store=store)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(month: str) -> dt.date:
    y, m = (int(x) for x in month.split("-"))
    first_next = dt.date(y + (m == 12), m % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)
