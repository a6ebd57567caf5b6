"""The :class:`Store`: one object for a case store, opened once at each boundary and handed down.

A store is a folder (``--store``, else ``KOKUHO_STORE``, else ``.kokuho-store/`` in the repository)::

    <store>/snapshots/<snapshot_id>/      immutable ledger snapshots (Parquet, manifest.json)
    <store>/casework.sqlite               everything users add (WAL)
    <store>/cache/                        derived results (safe to delete): see :mod:`kokuho_nb.store.derived`
    <store>/locks/                        exclusive locks (:meth:`Store.lock`)

The CLI command, the notebook's parameters cell or the page opens it (``Store.open(arg)``); everything below
takes the object. It lists the snapshots once (again only when a new snapshot has been written), keeps the
last ledgers it loaded, and keeps one database connection per process and thread.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokuho_nb import filemodes
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store import db as _db
from kokuho_nb.store import snapshots as _snapshots
from kokuho_nb.store.derived import Derived
from kokuho_nb.store.paths import resolve_store
from kokuho_nb.store.tables import Ledger

log = logging.getLogger(__name__)

LEDGER_SLOTS = 2


@dataclass(frozen=True)
class SnapshotInfo:
    """One complete snapshot as listed (its manifest's summary)."""

    id: str
    as_of: dt.date
    source: str | None
    source_hash: str | None
    imported_at: str | None
    mapping: str | None
    counts: dict[str, Any]
    quarantined: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "as_of": self.as_of.isoformat(), "source": self.source,
                "source_hash": self.source_hash, "imported_at": self.imported_at, "mapping": self.mapping,
                "counts": self.counts, "quarantined": self.quarantined}


class Store:
    """A case store (see the module docstring). ``Store(path)`` does not touch the disk; nothing is created
    until something is written."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.derived = Derived(self.path / "cache")
        self._lock = threading.RLock()
        self._listing: tuple[tuple[int, int], list[SnapshotInfo]] | None = None
        self._manifests: dict[str, dict[str, Any]] = {}
        self._ledgers: OrderedDict[str, Ledger] = OrderedDict()
        self._local = threading.local()
        self._schemas: set[str] = set()

    @classmethod
    def open(cls, arg: Store | str | os.PathLike[str] | None = None) -> Store:
        """The store named by ``arg`` (a :class:`Store` is returned as is), ``KOKUHO_STORE`` or the default."""
        if isinstance(arg, Store):
            return arg
        return cls(resolve_store(arg))

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Store) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __getstate__(self) -> dict[str, Any]:  # a Store crosses process boundaries as its path
        return {"path": str(self.path)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    # --- snapshots ---------------------------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotInfo]:
        """Every complete snapshot, oldest first (by as-of date, then import time); read again only when the
        snapshots folder changed."""
        root = _snapshots.snapshots_dir(self.path)
        try:
            st = root.stat()
            stamp = (st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            return []
        with self._lock:
            if self._listing is not None and self._listing[0] == stamp:
                return list(self._listing[1])
        found = [
            SnapshotInfo(id=s["id"], as_of=dt.date.fromisoformat(str(s["as_of"])), source=s["source"],
                         source_hash=s["source_hash"], imported_at=s["imported_at"], mapping=s["mapping"],
                         counts=s["counts"], quarantined=int(s["quarantined"] or 0))
            for s in _snapshots.list_snapshots(self.path)
        ]
        with self._lock:
            self._listing = (stamp, found)
        return list(found)

    def latest(self) -> SnapshotInfo | None:
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def snapshot_for(self, day: dt.date | None = None, *, or_earliest: bool = True) -> SnapshotInfo:
        """The snapshot in force on ``day``: the latest with ``as_of <= day`` (the latest of all when ``day`` is
        None). When every snapshot is later than ``day`` (a past month replayed on a store imported since), the
        earliest — everything is then derived as of ``day`` from its dated records — unless ``or_earliest`` is
        False (then a Japanese error says there is none)."""
        snaps = self.snapshots()
        if day is not None and not or_earliest:
            snaps = [s for s in snaps if s.as_of <= day]
        if not snaps:
            what = str(self.path) + (f"、基準日 {day} 以前" if day is not None else "")
            raise UserError(t("ledger.error.snapshot_not_found", what=what), f"no snapshot in {self.path}")
        if day is None:
            return snaps[-1]
        earlier = [s for s in snaps if s.as_of <= day]
        if earlier:
            return earlier[-1]
        log.info("no snapshot on or before %s; using the earliest one (%s) as of that date", day, snaps[0].id)
        return snaps[0]

    def manifest(self, snapshot_id: str) -> dict[str, Any]:
        """The snapshot's ``manifest.json`` (read once; snapshots are immutable)."""
        with self._lock:
            hit = self._manifests.get(snapshot_id)
        if hit is None:
            hit = _snapshots.read_manifest(self.path, snapshot_id)
            with self._lock:
                self._manifests[snapshot_id] = hit
        return hit

    def synthetic(self, snapshot_id: str | None, source: str | None = None) -> bool:
        """Whether the snapshot is the synthetic ward, so every output of it says 模擬データ (the one rule)."""
        manifest: dict[str, Any] = {}
        if snapshot_id:
            try:
                manifest = self.manifest(snapshot_id)
            except (OSError, ValueError, UserError):
                manifest = {}
        return _snapshots.manifest_is_synthetic(manifest, source)

    def load(self, snapshot_id: str | None = None) -> Ledger:
        """The ledger of ``snapshot_id`` (the latest when None); the last few loaded are kept in memory.

        Callers must not modify the frames of a ledger they got from here (copy them first).
        """
        sid = snapshot_id or self.snapshot_for(None).id
        with self._lock:
            hit = self._ledgers.get(sid)
            if hit is not None:
                self._ledgers.move_to_end(sid)
                return hit
        ledger = _snapshots.load_snapshot(self.path, snapshot_id=sid)
        with self._lock:
            self._ledgers[sid] = ledger
            while len(self._ledgers) > LEDGER_SLOTS:
                self._ledgers.popitem(last=False)
        return ledger

    def ledger_for(self, day: dt.date | None = None, *, or_earliest: bool = True) -> Ledger:
        """:meth:`load` of :meth:`snapshot_for` ``day``."""
        return self.load(self.snapshot_for(day, or_earliest=or_earliest).id)

    def quarantine(self, snapshot_id: str | None = None) -> Any:
        """The rows the import of ``snapshot_id`` (the latest when None) kept aside (a DataFrame)."""
        return _snapshots.load_quarantine(self.path, snapshot_id or self.snapshot_for(None).id)

    def forget_ledgers(self) -> None:
        with self._lock:
            self._ledgers.clear()

    # --- case-work database ------------------------------------------------------------------------------------

    def db(self, schema: str | None = None, statements: Sequence[str] = ()) -> sqlite3.Connection:
        """This process's and thread's connection to ``casework.sqlite`` (WAL, busy timeout, autocommit; write
        with :func:`kokuho_nb.store.db.transaction`). With ``schema``, that module's tables are created or
        migrated first (once per store object). Don't close it: it is reused."""
        key = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != key:
            conn = _db.connect(self.path)
            self._local.conn, self._local.pid = conn, key
        if schema is not None and schema not in self._schemas:
            _db.ensure_schema(conn, schema, statements)
            with self._lock:
                self._schemas.add(schema)
        return conn

    def close(self) -> None:
        """Close this thread's connection (a later :meth:`db` opens a new one)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None
        with self._lock:
            self._schemas.clear()

    # --- locks ---------------------------------------------------------------------------------------------

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock across processes (``flock`` on ``<store>/locks/<name>.lock``), e.g.
        ``store.lock("issue-2026-11")`` while a month's lists are issued. Not re-entrant. The folder and the lock
        file are owner-only (:mod:`kokuho_nb.filemodes`)."""
        folder = filemodes.private_dir(self.path / "locks")
        path = filemodes.touch_private(folder / f"{name}.lock")
        with open(path, "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
