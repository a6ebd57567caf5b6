"""The case-work database: one SQLite file per store (``<store>/casework.sqlite``) in WAL mode.

Everything users add — the import log, issued target lists, officers' returns, meeting decisions, trainee
attempts — lives here, because several Voilà kernels (separate processes) may write at once. The rules that
keep that correct:

- :func:`connect` creates the file owner-only (0600, and so its ``-wal`` / ``-shm``; the store folder 0700)
  whatever the umask, and opens it in WAL mode (readers never block the writer), with a ``busy_timeout`` so a
  writer waits for another writer instead of failing, and foreign keys on. Connections are in autocommit
  mode: every write goes through :func:`transaction`.
- :func:`transaction` takes the write lock up front (``BEGIN IMMEDIATE``), so two processes can't both read
  and then both try to upgrade to a write (the classic ``database is locked`` deadlock), and retries if the
  lock still can't be had after the busy timeout. Keep transactions short.
- Each module owns its tables and creates them with :func:`ensure_schema` (an append-only list of
  ``CREATE TABLE IF NOT EXISTS`` / ``ALTER TABLE`` statements; the number applied is recorded per module in
  ``schema_versions``, so adding a statement to the end of a list migrates an existing store).

This module owns ``schema_versions`` and the store's own ``import_log`` table (read and written by
:mod:`kokuho_nb.store.import_log`).
A :class:`kokuho_nb.months.Month` is stored as its ``'YYYY-MM'`` text.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kokuho_nb import filemodes
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.months import Month

log = logging.getLogger(__name__)

DB_FILE = "casework.sqlite"
BUSY_TIMEOUT_S = 30.0
#: How often a ``BEGIN IMMEDIATE`` / ``COMMIT`` that still finds the database locked after the busy timeout
#: is retried (with a short random back-off) before giving up.
LOCK_RETRIES = 5

sqlite3.register_adapter(Month, str)

def db_path(folder: Path) -> Path:
    """The database file of the store in ``folder``."""
    return Path(folder) / DB_FILE


def connect(folder: Path, *, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open the store's case-work database (created if absent) in WAL mode with a busy timeout.

    The connection is in autocommit mode (``isolation_level=None``); use :func:`transaction` for writes.
    Rows come back as :class:`sqlite3.Row` (index or column-name access).
    """
    path = db_path(folder)
    try:
        filemodes.private_dir(path.parent)
        filemodes.mark_ignored(path.parent)
        # owner-only before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode
        filemodes.touch_private(path)
        for suffix in ("-wal", "-shm", "-journal"):
            filemodes.private_file(path.with_name(path.name + suffix))
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(t("cases.db_open_failed", path=str(path)), f"cannot open {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    # Switching to WAL needs a moment of exclusive access when the file is new; retry if another process
    # holds it. The mode is persistent, so later connections find it already set.
    for attempt in range(LOCK_RETRIES + 1):
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or attempt == LOCK_RETRIES:
                conn.close()
                raise
            time.sleep(0.05 + random.random() * 0.2)
    if str(mode).lower() != "wal":  # e.g. a file system without shared memory support
        log.warning("casework database %s is in %s mode, not WAL", path, mode)
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash can lose only the last commits
    conn.execute("PRAGMA foreign_keys = ON")
    _ensure_own_schema(conn)
    return conn


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A short write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception).

    Retries taking the lock when the database is still locked after the busy timeout. Nested use joins the
    outer transaction through a savepoint, so a helper that opens its own transaction can be called inside
    a caller's.
    """
    if conn.in_transaction:
        name = f"sp_{random.getrandbits(32):08x}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        _retry_locked(lambda: conn.execute("COMMIT"))
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _retry_locked(action: Any) -> Any:
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or attempt == LOCK_RETRIES:
                raise
            log.info("casework database locked, retrying (%d)", attempt + 1)
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.1)
    return None  # pragma: no cover - the loop always returns or raises


def ensure_schema(conn: sqlite3.Connection, name: str, statements: Sequence[str]) -> int:
    """Apply module ``name``'s schema: an append-only list of DDL statements; returns the version.

    The version of a module is the number of its statements applied so far; statements not yet applied to
    this database run in one transaction, and the new version is recorded in ``schema_versions``. Never
    edit or reorder a released statement — append a new one (``ALTER TABLE …``) instead. Statements should
    be idempotent (``IF NOT EXISTS``) so that two processes migrating at once are harmless.
    """
    version = len(statements)
    current = _schema_version(conn, name)  # a plain read: no write lock unless something is to be done
    if current == version:
        return version
    with transaction(conn):
        current = _schema_version(conn, name)  # again, under the write lock
        if current > version:
            raise UserError(
                t("cases.db_newer_schema", name=name, have=current, want=version),
                f"schema {name} is at version {current}, this code knows {version}",
            )
        for statement in statements[current:]:
            conn.execute(statement)
        if current < version:
            conn.execute(
                "INSERT INTO schema_versions(name, version, applied_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at",
                (name, version, _now()),
            )
    return version


def _schema_version(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT version FROM schema_versions WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- own tables --------------------------------------------------------------------------------------------

#: The store's own table: one row per import attempt (read and written by :mod:`kokuho_nb.store.import_log`).
OWN_SCHEMA_NAME = "store.db"
OWN_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS import_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        snapshot_id TEXT,
        as_of TEXT,
        source TEXT,
        imported_at TEXT NOT NULL,
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        counts TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS import_log_snapshot ON import_log(snapshot_id)",
]


def _ensure_own_schema(conn: sqlite3.Connection) -> None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'"
    ).fetchone()
    if not exists:
        with transaction(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions ("
                "name TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
            )
    ensure_schema(conn, OWN_SCHEMA_NAME, OWN_SCHEMA)
