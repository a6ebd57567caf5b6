"""The dashboard's meeting pack, built once per state of its inputs and kept in the store's derived cache
(``<store>/cache/meeting_pack/``, :mod:`kokuho_nb.store.derived`).

:func:`kokuho_nb.meeting.build_pack` takes 15–30 s on the default ward; the dashboard page calls it on every
cold visit. :func:`get_pack` keeps the built :class:`~kokuho_nb.meeting.MeetingPack` under a key that changes
whenever anything the pack reads changes, so a second user (or a restarted server) gets it at once and never a
stale one. The key's inputs (:func:`key_parts`):

- the month and the ``synthetic`` argument;
- the store's snapshots (ids and as-of dates: a new import changes the key);
- the case-work database (``casework.sqlite``): every table's rows (the two big ones, issued items and accepted
  returns, by a summary, see :data:`SUMMARISED_TABLES`) — so a new revision of the target lists, an accepted
  return, a decision, a training record each change the key;
- the files of the month's target-list folder (``<store>/targets/<month>/``: names, sizes, times);
- and, as for every derived result, the whole parameters folder and the package's code.

It is deliberately broad: a write that does not change the pack costs one rebuild, a missed input would show a
stale pack. The key is computed again after a build and the pack is saved only if it did not change meanwhile
(a return accepted during the build is not saved under the old key). Builds of the same month wait for each
other (the store's lock), so two dashboards opened at once build once. Each month keeps its :data:`KEEP` newest
files.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kokuho_nb import params
from kokuho_nb.meeting import MeetingPack, build_pack
from kokuho_nb.months import Month
from kokuho_nb.store import Derived, Store
from kokuho_nb.store.db import db_path
from kokuho_nb.store.derived import code_digest

log = logging.getLogger("kokuho_nb.web")

KIND = "meeting_pack"
KEEP = 3
#: The pack runs most of the package: its whole source is part of the key.
PACKAGE_CODE = ("kokuho_nb",)
# Not hashed: schema_versions changes only with the code (hashed) and when a module first creates its (empty)
# tables while the pack is read.
SKIPPED_TABLES = frozenset({"schema_versions"})
# Big tables whose every write also writes a row of a hashed table: summarised (count, last rowid, latest
# time), not hashed row by row (30,000 returns take ~1 s to hash in Python). target_items rows are written only
# with their target_issues row (month, list, revision, issue time, count); a target_returns row is written or
# changed only by ingesting a new file (an ingest_files row by content hash) and gets its ingested_at.
SUMMARISED_TABLES: dict[str, str] = {
    "target_items": "SELECT COUNT(*), MAX(rowid) FROM target_items",
    "target_returns": "SELECT COUNT(*), MAX(rowid), MAX(ingested_at) FROM target_returns",
}


@dataclass
class PackResult:
    pack: Any  # kokuho_nb.meeting.MeetingPack
    hit: bool  # True: read from the cache; False: built now
    key: str
    seconds: float  # time spent in get_pack


def database_digest(store: Store) -> str:
    """Hash of the case-work database's rows (every table but :data:`SKIPPED_TABLES`; :data:`SUMMARISED_TABLES`
    by their summary), read in one transaction.

    An empty table counts as an absent one (modules create their tables on first use, e.g. while the pack is
    read), so a database whose tables were just created has the digest of no database.
    """
    path = db_path(store.path)
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


def _folder_stat(store: Store, month: Month) -> list[tuple[str, int, int]]:
    folder = store.path / "targets" / str(month)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            st = path.stat()
            out.append((str(path.relative_to(folder)), st.st_size, st.st_mtime_ns))
    return out


def key_parts(month: Month, store: Store, *, synthetic: bool | None = None) -> dict[str, Any]:
    """Everything the key hashes, by name (for tests and for the log of a miss)."""
    return {
        "month": str(month),
        "synthetic": synthetic,
        "snapshots": [(s.id, s.as_of.isoformat()) for s in store.snapshots()],
        "database": database_digest(store),
        "targets": _folder_stat(store, month),
        "parameters": params.refresh().digest,
        "code": code_digest(PACKAGE_CODE),
    }


def cache_key(month: Month, store: Store, *, synthetic: bool | None = None) -> str:
    """The derived-cache key of the pack of ``month`` for the store's current state."""
    return Derived.key(KIND, inputs=key_parts(month, store, synthetic=synthetic), params_of=(), code=())


def cache_path(month: Month, key: str, store: Store) -> Any:
    return store.derived.path(KIND, f"{month}_{key}", ".pickle")


def _read(store: Store, month: Month, key: str) -> MeetingPack | None:
    pack = store.derived.read_object(cache_path(month, key, store))
    if pack is not None and not isinstance(pack, MeetingPack):
        log.warning("meeting-pack cache for %s holds %s; rebuilding", month, type(pack).__name__)
        return None
    return pack


def get_pack(month: Month | str, store: Store, *, synthetic: bool | None = None,
             build: Callable[..., Any] | None = None) -> PackResult:
    """The meeting pack of ``month`` for ``store``: from the cache when its key matches, else built (by
    ``build``, default :func:`kokuho_nb.meeting.build_pack`, called as ``build(month, store, synthetic=...)``)
    and saved."""
    started = time.perf_counter()
    month = Month.parse(month)
    key = cache_key(month, store, synthetic=synthetic)
    pack = _read(store, month, key)
    if pack is not None:
        return PackResult(pack, True, key, time.perf_counter() - started)
    with store.lock(f"{KIND}-{month}"):
        pack = _read(store, month, key)  # built by another process while we waited
        if pack is not None:
            return PackResult(pack, True, key, time.perf_counter() - started)
        pack = (build or build_pack)(month, store, synthetic=synthetic)
        if cache_key(month, store, synthetic=synthetic) == key:
            store.derived.write_object(cache_path(month, key, store), pack)
            store.derived.prune(KIND, f"{month}_", KEEP)
        else:
            log.info("meeting pack %s: the store changed during the build; not cached", month)
    return PackResult(pack, False, key, time.perf_counter() - started)
