"""Immutable ledger snapshots: ``<store>/snapshots/<snapshot_id>/`` with one Parquet file per table,
``quarantine.parquet`` and ``manifest.json`` (see docs/architecture.md, "Store").

A snapshot is written into a temporary folder inside ``<store>/snapshots`` and renamed into place in one
``os.rename``: readers see a whole snapshot or none, and a failure half-way leaves nothing behind. The writer
holds a ``flock`` on the temporary folder while it writes, so a ``.tmp-*`` folder left by a killed process
(readers ignore it) is recognised and removed at the next import (:func:`remove_stale_tmp`). The store and
everything in it are owner-only (0700 folders, 0600 files) whatever the umask (:mod:`kokuho_nb.filemodes`).
``snapshot_id`` is ``<as_of>_<first 12 hex of the content hash>``; writing an id that exists is a no-op.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kokuho_nb import filemodes
from kokuho_nb.contract import table_spec
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store.tables import Ledger, column_dtype, empty_table

MANIFEST = "manifest.json"
QUARANTINE = "quarantine.parquet"
QUARANTINE_COLUMNS = ("file", "line", "column", "value", "reason", "row")
STALE_TMP_SECONDS = 6 * 3600


def snapshots_dir(store: str | os.PathLike[str]) -> Path:
    return Path(store) / "snapshots"


def make_snapshot_id(as_of: dt.date, content_hash: str) -> str:
    return f"{as_of.isoformat()}_{content_hash[:12]}"


def snapshot_path(store: str | os.PathLike[str], snapshot_id: str) -> Path:
    return snapshots_dir(store) / snapshot_id


def snapshot_exists(store: str | os.PathLike[str], snapshot_id: str) -> bool:
    return (snapshot_path(store, snapshot_id) / MANIFEST).is_file()


def _write_table(df: pd.DataFrame | pa.Table, path: Path) -> None:
    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_tmp(root: Path) -> list[Path]:
    """Remove the ``.tmp-*`` folders under ``root`` whose writer is gone: its lock is free (a killed process
    releases it), or — folders of earlier versions, without a lock — older than :data:`STALE_TMP_SECONDS`."""
    now = time.time()
    removed = []
    for p in root.glob(".tmp-*"):
        try:
            free = filemodes.lock_is_free(p)
            if free or (free is None and now - p.stat().st_mtime > STALE_TMP_SECONDS):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
        except OSError:
            continue
    return removed


def remove_stale_tmp(store: str | os.PathLike[str]) -> list[Path]:
    """:func:`_remove_stale_tmp` for a store's snapshots (nothing is created when the store does not exist)."""
    root = snapshots_dir(store)
    return _remove_stale_tmp(root) if root.is_dir() else []


def write_snapshot(
    store: str | os.PathLike[str],
    snapshot_id: str,
    tables: dict[str, pd.DataFrame],
    quarantine: pd.DataFrame,
    manifest: dict[str, Any],
    extras: dict[str, pa.Table] | None = None,
) -> tuple[Path, bool]:
    """Write a snapshot atomically. Returns (its folder, created); ``created`` is False when a snapshot with
    this id already existed (identical content for the same as-of date) and nothing was written."""
    root = snapshots_dir(store)
    final = root / snapshot_id
    if (final / MANIFEST).is_file():
        return final, False
    filemodes.private_dir(root)
    filemodes.private_dir(store)
    filemodes.mark_ignored(store)
    _remove_stale_tmp(root)
    tmp = root / f".tmp-{snapshot_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(mode=filemodes.DIR_MODE)
    with filemodes.held_lock(tmp) as lock:
        return _write_into(tmp, lock, root, final, tables, quarantine, manifest, extras)


def _write_into(tmp: Path, lock: Path, root: Path, final: Path, tables: dict[str, pd.DataFrame],
                quarantine: pd.DataFrame, manifest: dict[str, Any],
                extras: dict[str, pa.Table] | None) -> tuple[Path, bool]:
    try:
        jobs = [(df, tmp / f"{name}.parquet") for name, df in tables.items()]
        jobs.append((quarantine, tmp / QUARANTINE))
        jobs += [(extra, tmp / f"extra_{name}.parquet") for name, extra in (extras or {}).items()]
        # Arrow releases the GIL while encoding: two writers keep both cores busy on the big tables
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(_write_table, df, path) for df, path in jobs]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        data = json.dumps(manifest, ensure_ascii=False, indent=1, default=str)
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        lock.unlink()  # still held (the descriptor stays open) until the snapshot is in place
        filemodes.restrict_tree(tmp)
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if (final / MANIFEST).is_file():  # another process wrote the same snapshot first
                shutil.rmtree(tmp, ignore_errors=True)
                return final, False
            raise
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, True


# Words that mark a synthetic ledger's source, for manifests written before the importer's ``synthetic`` flag.
SYNTHETIC_SOURCE_WORDS = ("synth", "模擬", "demo")


def manifest_is_synthetic(manifest: dict[str, Any], source: str | None = None) -> bool:
    """Whether a snapshot is the synthetic ward, so every output of it must say 模擬データ.

    The importer's ``synthetic`` flag (set from the generator's marker file) decides; older manifests fall back to
    the words of their source path. The one rule for lists, meeting packs and pages.
    """
    for holder in (manifest, manifest.get("report")):
        if isinstance(holder, dict) and "synthetic" in holder:
            return bool(holder["synthetic"])
    text = str(manifest.get("source") or source or "").lower()
    return any(word in text for word in SYNTHETIC_SOURCE_WORDS)


def read_manifest(store: str | os.PathLike[str], snapshot_id: str) -> dict[str, Any]:
    path = snapshot_path(store, snapshot_id) / MANIFEST
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise UserError(t("ledger.error.snapshot_not_found", what=snapshot_id), f"no snapshot {snapshot_id}") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(t("ledger.error.snapshot_corrupt", snapshot=snapshot_id, problem=str(exc)),
                        f"bad manifest {path}") from exc


def list_snapshots(store: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every complete snapshot, oldest first (by as-of date, then import time): id, as_of, source,
    source_hash, imported_at, mapping, counts (rows per table), quarantined (rows)."""
    root = snapshots_dir(store)
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        if p.name.startswith(".") or not (p / MANIFEST).is_file():
            continue
        try:
            m = read_manifest(store, p.name)
        except UserError:
            continue
        out.append(
            {
                "id": m.get("id", p.name),
                "as_of": m.get("as_of"),
                "source": m.get("source"),
                "source_hash": m.get("source_hash"),
                "imported_at": m.get("imported_at"),
                "mapping": m.get("mapping"),
                "counts": m.get("counts", {}),
                "quarantined": m.get("quarantined", 0),
            }
        )
    out.sort(key=lambda s: (str(s["as_of"]), str(s["imported_at"]), s["id"]))
    return out


def _read_table(path: Path, table: str) -> pd.DataFrame:
    if not path.is_file():
        return empty_table(table)
    df = pq.read_table(path).to_pandas()
    spec = table_spec(table)
    for col in spec.columns:
        dtype = column_dtype(col)
        if col.name not in df.columns:
            df[col.name] = empty_table(table)[col.name].reindex(df.index)
        elif str(df[col.name].dtype) != dtype:
            df[col.name] = df[col.name].astype(dtype)
    names = [c.name for c in spec.columns]
    return df if list(df.columns) == names else df[names]


def load_snapshot(store: str | os.PathLike[str], snapshot_id: str) -> Ledger:
    """The ledger of snapshot ``snapshot_id`` in the store folder ``store`` (use :meth:`Store.load`)."""
    if not snapshot_exists(store, snapshot_id):
        raise UserError(t("ledger.error.snapshot_not_found", what=snapshot_id), f"no snapshot {snapshot_id}")
    folder = snapshot_path(store, snapshot_id)
    manifest = read_manifest(store, snapshot_id)
    try:
        tables = {name: _read_table(folder / f"{name}.parquet", name) for name in Ledger.table_names()}
    except (OSError, pa.ArrowException) as exc:
        raise UserError(t("ledger.error.snapshot_corrupt", snapshot=snapshot_id, problem=str(exc)), str(exc)) from exc
    return Ledger(
        **tables,
        snapshot_id=snapshot_id,
        as_of=dt.date.fromisoformat(manifest["as_of"]),
        source=manifest.get("source"),
    )


def load_quarantine(store: str | os.PathLike[str], snapshot_id: str) -> pd.DataFrame:
    """The quarantined rows of a snapshot: file, line, column, value, reason, row (the raw row as JSON)."""
    path = snapshot_path(store, snapshot_id) / QUARANTINE
    if not path.is_file():
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "line" else object) for c in QUARANTINE_COLUMNS})
    return pq.read_table(path).to_pandas()
