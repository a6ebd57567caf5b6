"""The case-work database: WAL, transactions, per-module schemas, the import log, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import random
import sqlite3
import time
from pathlib import Path

import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.store import Store, db, import_log

WRITERS = 4
WRITES_EACH = 200

_TEST_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "UNIQUE (writer, seq))",
    "CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, n INTEGER NOT NULL)",
]


def test_connect_sets_wal_busy_timeout_and_foreign_keys(tmp_store: Path) -> None:
    conn = db.connect(tmp_store)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    finally:
        conn.close()
    assert (tmp_store / "casework.sqlite").exists()


def test_transaction_commits_and_rolls_back(tmp_store: Path) -> None:
    conn = db.connect(tmp_store)
    db.ensure_schema(conn, "test", _TEST_SCHEMA)
    with db.transaction(conn):
        conn.execute("INSERT INTO hits(writer, seq) VALUES (1, 1)")
    with pytest.raises(ZeroDivisionError), db.transaction(conn):
        conn.execute("INSERT INTO hits(writer, seq) VALUES (1, 2)")
        raise ZeroDivisionError
    assert not conn.in_transaction
    rows = [tuple(r) for r in conn.execute("SELECT writer, seq FROM hits")]
    assert rows == [(1, 1)]
    conn.close()


def test_nested_transaction_rolls_back_only_the_inner_part(tmp_store: Path) -> None:
    conn = db.connect(tmp_store)
    db.ensure_schema(conn, "test", _TEST_SCHEMA)
    with db.transaction(conn):
        conn.execute("INSERT INTO hits(writer, seq) VALUES (1, 1)")
        with pytest.raises(sqlite3.IntegrityError), db.transaction(conn):
            conn.execute("INSERT INTO hits(writer, seq) VALUES (1, 2)")
            conn.execute("INSERT INTO hits(writer, seq) VALUES (1, 1)")  # duplicate
    rows = [tuple(r) for r in conn.execute("SELECT writer, seq FROM hits ORDER BY seq")]
    assert rows == [(1, 1)]
    conn.close()


def test_foreign_keys_are_enforced(tmp_store: Path) -> None:
    conn = db.connect(tmp_store)
    db.ensure_schema(conn, "fk", [
        "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))",
    ])
    with pytest.raises(sqlite3.IntegrityError), db.transaction(conn):
        conn.execute("INSERT INTO child(parent_id) VALUES (42)")
    conn.close()


def test_ensure_schema_applies_only_new_statements(tmp_store: Path) -> None:
    conn = db.connect(tmp_store)
    v1 = ["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)"]
    assert db.ensure_schema(conn, "notes", v1) == 1
    with db.transaction(conn):
        conn.execute("INSERT INTO notes(body) VALUES ('kept')")
    # A non-idempotent ALTER appended later runs exactly once, and existing rows survive.
    v2 = [*v1, "ALTER TABLE notes ADD COLUMN author TEXT"]
    assert db.ensure_schema(conn, "notes", v2) == 2
    assert db.ensure_schema(conn, "notes", v2) == 2
    conn.close()
    conn = db.connect(tmp_store)
    assert db.ensure_schema(conn, "notes", v2) == 2
    assert [tuple(r) for r in conn.execute("SELECT body, author FROM notes")] == [("kept", None)]
    versions = dict(tuple(r) for r in conn.execute("SELECT name, version FROM schema_versions"))
    assert versions["notes"] == 2 and versions["store.db"] >= 1
    # Older code against a newer database is refused with a message, not corrupted.
    with pytest.raises(UserError, match="新しい版"):
        db.ensure_schema(conn, "notes", v1)
    conn.close()


def test_record_import_logs_counts_and_failures(tmp_store: Path) -> None:
    report = {
        "ok": True,
        "snapshot": "2026-11-26_0123456789ab",
        "files": {"調定.csv": {"rows_read": 10, "rows_accepted": 9, "rows_quarantined": 1,
                                "yen_read": 1000, "yen_accepted": 900, "yen_quarantined": 100}},
        "quarantine": [{"file": "調定.csv", "line": 3, "column": "調定額", "reason": "負の金額"}],
        "warnings": ["w1", "w2"],
    }
    first = import_log.record_import(Store(tmp_store), report, source="/data/ledger.zip")
    refused = {"ok": False, "snapshot": None, "files": {}, "quarantine": [], "warnings": []}
    second = import_log.record_import(Store(tmp_store), refused, source="/data/bad.zip", as_of="2026-11-30")
    assert second > first
    log = import_log.list_imports(Store(tmp_store))
    assert [e["ok"] for e in log] == [True, False]
    assert log[0]["snapshot_id"] == "2026-11-26_0123456789ab"
    assert log[0]["as_of"] == "2026-11-26"  # taken from the snapshot id
    assert log[0]["source"] == "/data/ledger.zip"
    assert log[0]["counts"]["files"]["調定.csv"]["rows_quarantined"] == 1
    assert log[0]["counts"]["quarantined_rows"] == 1 and log[0]["counts"]["warnings"] == 2
    assert log[1]["snapshot_id"] is None and log[1]["as_of"] == "2026-11-30"


def test_unwritable_store_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="データベースを開けません"):
        db.connect(blocker / "store")


# --- several processes writing at once (as several Voilà kernels do) ---------------------------------------


def _writer(store: str, writer: int, writes: int, seed: int) -> None:
    rng = random.Random(seed)
    conn = db.connect(store)
    db.ensure_schema(conn, "test", _TEST_SCHEMA)
    for seq in range(writes):
        with db.transaction(conn):
            conn.execute("INSERT INTO hits(writer, seq) VALUES (?, ?)", (writer, seq))
            # read-modify-write: lost updates would show in the final count
            row = conn.execute("SELECT n FROM counter WHERE name = 'total'").fetchone()
            n = row[0] if row else 0
            if rng.random() < 0.2:
                time.sleep(rng.random() * 0.003)  # hold the lock a little, as real work does
            conn.execute("INSERT OR REPLACE INTO counter(name, n) VALUES ('total', ?)", (n + 1,))
        if rng.random() < 0.3:
            time.sleep(rng.random() * 0.004)
    conn.close()


def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_store: Path) -> None:
    ctx = mp.get_context("spawn")  # fresh interpreters, like separate Voilà kernels
    procs = [ctx.Process(target=_writer, args=(str(tmp_store), w, WRITES_EACH, 100 + w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS, "a writer process failed (see its stderr)"
    conn = db.connect(tmp_store)
    per_writer = dict(tuple(r) for r in conn.execute("SELECT writer, COUNT(*) FROM hits GROUP BY writer"))
    assert per_writer == {w: WRITES_EACH for w in range(WRITERS)}
    seqs = {tuple(r) for r in conn.execute("SELECT writer, seq FROM hits")}
    assert seqs == {(w, s) for w in range(WRITERS) for s in range(WRITES_EACH)}
    assert conn.execute("SELECT n FROM counter WHERE name = 'total'").fetchone()[0] == WRITERS * WRITES_EACH
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
