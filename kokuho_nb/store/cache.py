"""A persistent, per-snapshot cache of the derived case view: ``<store>/cache/case_view/``.

File name: ``<snapshot_id>_<as_of>_<params_digest>.parquet`` (with the law columns) or
``..._<params_digest>_base.parquet`` (``with_law=False``). Snapshots are immutable, so a file computed once stays
right until a rule changes; ``params_digest`` hashes the parameter files the view depends on
(``case_stages.yaml``, ``case_view.yaml``, ``law/*.yaml``), the Japanese labels it writes
(``i18n/cases.yaml``) and :data:`CODE_VERSION`, so a rule edit (or a code change that bumps the constant)
computes afresh under a new name. :func:`sync_parameters` also drops the process's parameter caches when the
digest changes, so the fresh computation reads the edited files (e.g. the year's 延滞金 rate added while a page
kernel runs: the partial view computed before is never served again, nor recomputed from stale values).

Writes go to a temporary file in the same folder, then ``os.replace``: readers see a whole file or none, and
two processes racing to write the same view both succeed (the last rename wins; the contents are identical).
A file that cannot be read is recomputed; a store that cannot be written still works, just uncached.
Within one process the last few views are also kept in memory (callers get a copy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kokuho_nb.params import REPO_ROOT, parameters_dir

log = logging.getLogger(__name__)

#: Bump when the case-view code changes its output for the same ledger and parameters.
CODE_VERSION = "2026-11-27.1"  # .1: entaikin_through / entaikin_partial (延滞金 up to the last year with a rate)
CACHE_DIR = Path("cache") / "case_view"
MEMORY_SLOTS = 4

_memory: OrderedDict[tuple[str, ...], pd.DataFrame] = OrderedDict()
_lock = threading.Lock()
_seen_digest: str | None = None


def dependency_files(folder: Path | None = None) -> list[Path]:
    """The files whose contents the case view depends on (existing ones, in a fixed order)."""
    root = Path(folder) if folder is not None else parameters_dir()
    files = [root / "case_stages.yaml", root / "case_view.yaml"]
    files += sorted((root / "law").glob("*.yaml"))
    files.append(REPO_ROOT / "kokuho_nb" / "i18n" / "cases.yaml")
    return [f for f in files if f.is_file()]


def params_digest(folder: Path | None = None) -> str:
    """16 hex digits over :data:`CODE_VERSION` and the dependency files' names and contents."""
    h = hashlib.sha256(CODE_VERSION.encode())
    root = Path(folder) if folder is not None else parameters_dir()
    for path in dependency_files(root):
        try:
            name = str(path.relative_to(root))
        except ValueError:
            name = path.name
        h.update(b"\0" + name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def sync_parameters() -> str:
    """:func:`params_digest`, after dropping this process's parameter caches if the digest changed since the
    last call (a rate added to ``law/entaikin.yaml`` while a page kernel runs must not be computed with the old
    values and then saved under the new digest)."""
    global _seen_digest
    digest = params_digest()
    with _lock:
        changed = _seen_digest is not None and digest != _seen_digest
        _seen_digest = digest
    if changed:
        from kokuho_nb import params
        from kokuho_nb.law import _params as law_params

        params.clear_cache()
        law_params.clear_cache()
    return digest


def cache_path(store: str | os.PathLike[str], snapshot_id: str, as_of: dt.date, *, with_law: bool = True,
               digest: str | None = None) -> Path:
    digest = digest or params_digest()
    suffix = "" if with_law else "_base"
    return Path(store) / CACHE_DIR / f"{snapshot_id}_{as_of.isoformat()}_{digest}{suffix}.parquet"


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - a broken cache file is recomputed
        log.warning("unreadable case-view cache %s (%s); recomputing", path, exc)
        return None


def _write(path: Path, frame: pd.DataFrame) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{path.name}")
        try:
            frame.to_parquet(tmp, index=False, compression="zstd")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink(missing_ok=True)
    except OSError as exc:  # a read-only store still works, just slower
        log.warning("cannot write case-view cache %s: %s", path, exc)


def _remember(key: tuple[str, ...], frame: pd.DataFrame) -> None:
    with _lock:
        _memory[key] = frame
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_SLOTS:
            _memory.popitem(last=False)


def clear_memory() -> None:
    """Forget the in-process views (the files stay)."""
    with _lock:
        _memory.clear()


def cached_view(store: str | os.PathLike[str], snapshot_id: str, as_of: dt.date, *, with_law: bool,
                compute: Callable[[bool], pd.DataFrame], base_columns: list[str]) -> pd.DataFrame:
    """The view of ``snapshot_id`` as of ``as_of``: memory, else file, else ``compute(with_law)`` (then saved).

    A ``with_law=False`` request is served from a cached full view when there is one (its ``base_columns``).
    """
    digest = sync_parameters()
    store = Path(store)
    key = (str(store), snapshot_id, as_of.isoformat(), digest)
    for law in ((True, False) if not with_law else (True,)):
        with _lock:
            hit = _memory.get(key + (str(law),))
            if hit is not None:
                _memory.move_to_end(key + (str(law),))
        if hit is None:
            hit = _read(cache_path(store, snapshot_id, as_of, with_law=law, digest=digest))
            if hit is not None:
                _remember(key + (str(law),), hit)
        if hit is not None:
            return hit[base_columns].copy() if law and not with_law else hit.copy()
    frame = compute(with_law)
    _write(cache_path(store, snapshot_id, as_of, with_law=with_law, digest=digest), frame)
    _remember(key + (str(with_law),), frame)
    return frame.copy()


def index_of(index: pd.Index | np.ndarray, values: pd.Series | np.ndarray) -> np.ndarray:
    """``pd.Index(index).get_indexer(values)`` (position, -1 when absent) for a unique ``index``.

    String ids (the ledgers' household ids, object dtype) are hashed by Arrow, about twice as fast as pandas'
    object hash table on a few million rows; other dtypes go through pandas.
    """
    idx = index if isinstance(index, pd.Index) else pd.Index(index)
    keys = idx.to_numpy()
    vals = np.asarray(values)
    if keys.dtype == object and vals.dtype == object and idx.is_unique:
        try:
            found = pc.index_in(pa.array(vals, type=pa.string(), from_pandas=True),
                                value_set=pa.array(keys, type=pa.string(), from_pandas=True))
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # not all strings: pandas compares any objects
    return idx.get_indexer(vals)


_codes_memo: OrderedDict[tuple[int, int, int, int, int], tuple[weakref.ref, weakref.ref, np.ndarray]] = OrderedDict()


def _column_key(frame: pd.DataFrame, column: str) -> tuple[int, int]:
    values = frame[column].to_numpy()
    return values.__array_interface__["data"][0], len(values)


def household_codes(frame: pd.DataFrame, households: pd.DataFrame, column: str = "household_id") -> np.ndarray | None:
    """Each row's position in ``households`` (-1: unknown household), hashed once per pair of tables.

    The case view and its law columns both need the codes of the charges and payments; this keeps them for
    the same (unchanged) table objects. ``None`` when the households' ids are not unique strings (callers then
    use their own lookup, which reports that).
    """
    ids = households[column].to_numpy()
    vals = frame[column].to_numpy()
    if ids.dtype != object or vals.dtype != object:
        return None
    key = (id(frame), id(households), *_column_key(frame, column), _column_key(households, column)[0])
    with _lock:
        hit = _codes_memo.get(key)
        if hit is not None and hit[0]() is frame and hit[1]() is households:
            _codes_memo.move_to_end(key)
            return hit[2]
    index = pd.Index(ids)
    if not index.is_unique:
        return None
    codes = index_of(index, vals)
    codes.setflags(write=False)
    with _lock:
        _codes_memo[key] = (weakref.ref(frame), weakref.ref(households), codes)
        while len(_codes_memo) > 2 * MEMORY_SLOTS:
            _codes_memo.popitem(last=False)
    return codes


def int_index_of(keys: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Positions of int64 ``values`` in int64 ``keys`` (-1 when absent) by sorting, cheaper than pandas' hash
    index on millions of keys; ``None`` when ``keys`` has duplicates."""
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    if not len(keys):
        return np.full(len(values), -1, dtype=np.intp)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if (ordered[1:] == ordered[:-1]).any():
        return None
    pos = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return np.where(ordered[pos] == values, order[pos], -1).astype(np.intp)
