"""The meeting pack, built once and kept on disk per store: ``<store>/cache/meeting_pack/``.

:func:`kokuho_nb.meeting.build_pack` takes 15–30 s on the default ward; the dashboard page calls it on every
cold visit. :func:`get_pack` keeps the built :class:`~kokuho_nb.meeting.MeetingPack` as a pickle named by a key
that changes whenever anything the pack reads changes, so a second user (or a restarted server) gets it at
once and never a stale one. The key (:func:`cache_key`) hashes:

- the month and the ``synthetic`` argument;
- the store's snapshots (ids and as-of dates: a new import changes the key);
- the case-work database (``casework.sqlite``): every table's rows (the two big ones, issued items and accepted
  returns, by a summary, see :data:`SUMMARISED_TABLES`) — so a new revision of the target lists, an accepted
  return, a decision, a training record each change the key;
- the files of the month's target-list folder (``<store>/targets/<month>/``: names, sizes, times);
- the whole parameters folder (names and contents) and the case-view cache's rule digest;
- the code: the contents of the ``kokuho_nb`` package's source and label files.

It is deliberately broad: a write that does not change the pack costs one rebuild, a missed input would show a
stale pack. The key is computed again after a build and the pack is saved only if it did not change meanwhile
(a return accepted during the build is not saved under the old key). Builds of the same month wait for each
other (a lock file), so two dashboards opened at once build once.

Pickles are only ever read from the store's own cache folder (written by this module); a file that cannot be
read is rebuilt. Each month keeps its :data:`KEEP` newest files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import pickle
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kokuho_nb.params import REPO_ROOT, parameters_dir
from kokuho_nb.store.paths import resolve_store

log = logging.getLogger("kokuho_nb.web")

#: Bump when this module's file format changes.
FORMAT = "meeting-pack-cache/1"
CACHE_DIR = Path("cache") / "meeting_pack"
KEEP = 3
LOCK_TIMEOUT_S = 600.0
# Not hashed: schema_versions changes only with the code (hashed) and when a module first creates its (empty)
# tables while the pack is read.
SKIPPED_TABLES = frozenset({"schema_versions"})
# Big tables whose every write also writes a row of a hashed table: summarised (count, last rowid, latest
# time), not hashed row by row (30,000 returns take ~1 s to hash in Python). target_items rows are written only
# with their target_issues row (month, list, revision, issue time, count); a target_returns row is written or
# changed only by ingesting a new file (a target_return_files row by content hash) and gets its ingested_at.
SUMMARISED_TABLES: dict[str, str] = {
    "target_items": "SELECT COUNT(*), MAX(rowid) FROM target_items",
    "target_returns": "SELECT COUNT(*), MAX(rowid), MAX(ingested_at) FROM target_returns",
}
PACKAGE_DIR = REPO_ROOT / "kokuho_nb"
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


@dataclass
class PackResult:
    pack: Any  # kokuho_nb.meeting.MeetingPack
    hit: bool  # True: read from the cache; False: built now
    key: str
    seconds: float  # time spent in get_pack


def _month(month: str) -> str:
    from kokuho_nb.targets.months import parse_month

    return parse_month(month)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of the ``kokuho_nb`` package's source and label files (once per process: the code it runs)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix not in CODE_SUFFIXES or "__pycache__" in path.parts or not path.is_file():
            continue
        h.update(b"\0" + str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def parameters_digest(folder: Path | None = None) -> str:
    """Hash of every file in the parameters folder (names and contents)."""
    root = Path(folder) if folder is not None else parameters_dir()
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        h.update(b"\0" + str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def database_digest(store: Path) -> str:
    """Hash of the case-work database's rows (every table but :data:`SKIPPED_TABLES`; :data:`SUMMARISED_TABLES`
    by their summary), read in one transaction.

    An empty table counts as an absent one (modules create their tables on first use, e.g. while the pack is
    read), so a database whose tables were just created has the digest of no database.
    """
    from kokuho_nb.store.db import db_path

    path = db_path(store)
    h = hashlib.sha256()
    if not path.is_file():
        return h.hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("BEGIN")  # one consistent read of all tables
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            if table in SKIPPED_TABLES:
                continue
            if table in SUMMARISED_TABLES:
                summary = conn.execute(SUMMARISED_TABLES[table]).fetchone()
                if summary[0]:
                    h.update(b"\0summary\0" + table.encode() + repr(tuple(summary)).encode())
                continue
            quoted = '"' + table.replace('"', '""') + '"'
            try:
                rows = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            except sqlite3.OperationalError:  # WITHOUT ROWID table
                rows = conn.execute(f"SELECT * FROM {quoted} ORDER BY 1")
            for i, row in enumerate(rows):
                if i == 0:
                    h.update(b"\0table\0" + table.encode() + b"\n")
                h.update(repr(row).encode())
                h.update(b"\n")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return h.hexdigest()


def _folder_stat(folder: Path) -> list[tuple[str, int, int]]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):  # not the issue lock file
            st = path.stat()
            out.append((str(path.relative_to(folder)), st.st_size, st.st_mtime_ns))
    return out


def key_parts(month: str, store: str | os.PathLike[str] | None = None, *,
              synthetic: bool | None = None) -> dict[str, Any]:
    """Everything the key hashes, by name (for tests and for the log of a miss)."""
    from kokuho_nb.store.cache import params_digest as case_view_digest
    from kokuho_nb.store.snapshots import list_snapshots

    month = _month(month)
    path = resolve_store(store)
    snaps = [(str(s.get("id")), str(s.get("as_of"))) for s in list_snapshots(path)] if (path / "snapshots").is_dir() \
        else []
    return {
        "format": FORMAT,
        "month": month,
        "synthetic": synthetic,
        "snapshots": snaps,
        "database": database_digest(path),
        "targets": _folder_stat(path / "targets" / month),
        "parameters": parameters_digest(),
        "case_view_rules": case_view_digest(),
        "code": code_digest(),
    }


def cache_key(month: str, store: str | os.PathLike[str] | None = None, *, synthetic: bool | None = None) -> str:
    """20 hex digits naming the pack of ``month`` for the store's current state (see the module docstring)."""
    doc = json.dumps(key_parts(month, store, synthetic=synthetic), sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:20]


def cache_folder(store: str | os.PathLike[str] | None = None) -> Path:
    return resolve_store(store) / CACHE_DIR


def cache_path(month: str, key: str, store: str | os.PathLike[str] | None = None) -> Path:
    return cache_folder(store) / f"{_month(month)}_{key}.pickle"


def _read(path: Path) -> Any | None:
    """The pack in ``path`` (a file this module wrote in the store's cache folder), or None."""
    if not path.is_file():
        return None
    from kokuho_nb.meeting import MeetingPack

    try:
        with path.open("rb") as fh:
            pack = pickle.load(fh)  # noqa: S301 - only our own cache folder, written by _write
    except Exception as exc:  # noqa: BLE001 - a broken or outdated file is rebuilt
        log.warning("unreadable meeting-pack cache %s (%s); rebuilding", path, exc)
        return None
    if not isinstance(pack, MeetingPack):
        log.warning("meeting-pack cache %s holds %s; rebuilding", path, type(pack).__name__)
        return None
    return pack


def _write(path: Path, pack: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{path.name}")
        try:
            with tmp.open("wb") as fh:
                pickle.dump(pack, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:  # a read-only store still works, just uncached
        log.warning("cannot write meeting-pack cache %s: %s", path, exc)
        return
    _prune(path)


def _prune(kept: Path) -> None:
    month = kept.name.split("_", 1)[0]
    files = sorted(kept.parent.glob(f"{month}_*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[KEEP:]:
        if old != kept:
            old.unlink(missing_ok=True)


@contextmanager
def _build_lock(folder: Path, month: str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """One build of a month at a time per store (other processes wait; after ``timeout`` they build anyway)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = (folder / f".{month}.lock").open("a")
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + timeout
        locked = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.warning("meeting-pack build lock for %s still held after %.0f s; building", month, timeout)
                    break
                time.sleep(0.2)
        try:
            yield
        finally:
            if locked:
                fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def get_pack(month: str, store: str | os.PathLike[str] | None = None, *, synthetic: bool | None = None,
             build: Callable[..., Any] | None = None) -> PackResult:
    """The meeting pack of ``month`` for ``store``: from the cache when its key matches, else built (by
    ``build``, default :func:`kokuho_nb.meeting.build_pack`, called as ``build(month, store, synthetic=...)``)
    and saved."""
    started = time.perf_counter()
    month = _month(month)
    path_store = resolve_store(store)
    key = cache_key(month, path_store, synthetic=synthetic)
    path = cache_path(month, key, path_store)
    pack = _read(path)
    if pack is not None:
        return PackResult(pack, True, key, time.perf_counter() - started)
    if build is None:
        from kokuho_nb.meeting import build_pack as build
    with _build_lock(path.parent, month):
        pack = _read(path)  # built by another process while we waited
        if pack is not None:
            return PackResult(pack, True, key, time.perf_counter() - started)
        pack = build(month, path_store, synthetic=synthetic)
        after = cache_key(month, path_store, synthetic=synthetic)
        if after == key:
            _write(path, pack)
        else:
            log.info("meeting pack %s: the store changed during the build; not cached", month)
    return PackResult(pack, False, key, time.perf_counter() - started)
