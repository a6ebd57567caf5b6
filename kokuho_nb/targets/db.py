"""The target-list tables of the case-work database (schema ``targets``; see docs/architecture.md).

- ``target_issues``: one row per issued list (month, list code, revision), with the snapshot, as-of date and
  the workbook's file name and SHA-256 once written.
- ``target_items``: the cases on each issued list, in order, with everything the workbook shows
  (``payload`` JSON), so that the same list is rendered again byte for byte and returns are checked
  against what was issued.
- ``target_returns``: accepted month-end results, one per (month, list, household); they are contact records
  (``折衝記録`` columns) that the next month's triage reads through :func:`accepted_contacts`.
- ``target_return_rejects``: rows refused at ingest, kept aside with file, row, column and reason.
- ``target_return_files``: one row per ingested file (by content hash).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from kokuho_nb.store.db import connect, ensure_schema

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS target_issues (
        month TEXT NOT NULL,
        list_code TEXT NOT NULL,
        revision INTEGER NOT NULL,
        kind TEXT NOT NULL,
        owner_code TEXT,
        owner_name TEXT,
        as_of TEXT NOT NULL,
        snapshot_id TEXT,
        synthetic INTEGER NOT NULL,
        issued_at TEXT NOT NULL,
        n_items INTEGER NOT NULL,
        file_name TEXT,
        file_sha256 TEXT,
        PRIMARY KEY (month, list_code, revision)
    )""",
    """CREATE TABLE IF NOT EXISTS target_items (
        month TEXT NOT NULL,
        list_code TEXT NOT NULL,
        revision INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        household_id TEXT NOT NULL,
        owner_code TEXT,
        queue TEXT NOT NULL,
        primary_reason TEXT NOT NULL,
        reasons TEXT NOT NULL,
        next_action TEXT NOT NULL,
        planned_method TEXT,
        priority REAL NOT NULL,
        total_arrears INTEGER NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (month, list_code, revision, household_id),
        FOREIGN KEY (month, list_code, revision) REFERENCES target_issues(month, list_code, revision)
    )""",
    "CREATE INDEX IF NOT EXISTS target_items_household ON target_items(household_id, month)",
    """CREATE TABLE IF NOT EXISTS target_returns (
        month TEXT NOT NULL,
        list_code TEXT NOT NULL,
        household_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        officer_code TEXT NOT NULL,
        date TEXT NOT NULL,
        method TEXT NOT NULL,
        result TEXT NOT NULL,
        promised_amount INTEGER,
        promised_date TEXT,
        memo TEXT,
        source_file TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        row INTEGER NOT NULL,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (month, list_code, household_id)
    )""",
    "CREATE INDEX IF NOT EXISTS target_returns_date ON target_returns(date)",
    """CREATE TABLE IF NOT EXISTS target_return_rejects (
        file_sha256 TEXT NOT NULL,
        source_file TEXT NOT NULL,
        row INTEGER NOT NULL,
        col TEXT NOT NULL,
        header TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL,
        month TEXT,
        list_code TEXT,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (file_sha256, row, col)
    )""",
    """CREATE TABLE IF NOT EXISTS target_return_files (
        file_sha256 TEXT PRIMARY KEY,
        source_file TEXT NOT NULL,
        month TEXT,
        list_code TEXT,
        rows_read INTEGER NOT NULL,
        rows_accepted INTEGER NOT NULL,
        rows_rejected INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    )""",
]


def open_db(store: str | Path | None) -> sqlite3.Connection:
    """A connection with the target-list schema applied."""
    conn = connect(store)
    ensure_schema(conn, "targets", SCHEMA)
    return conn


def current_revision(conn: sqlite3.Connection, month: str) -> int:
    """The latest revision issued for ``month`` (0 when nothing was issued)."""
    row = conn.execute("SELECT MAX(revision) FROM target_issues WHERE month = ?", (month,)).fetchone()
    return int(row[0] or 0)


def accepted_contacts(store: str | Path | None, until: str | None = None) -> pd.DataFrame:
    """Accepted returns as contact records (canonical ``contacts`` columns), dated on or before ``until``."""
    conn = open_db(store)
    try:
        sql = ("SELECT household_id, date, officer_code, method, result, promised_amount, promised_date, memo "
               "FROM target_returns")
        args: tuple = ()
        if until:
            sql += " WHERE date <= ?"
            args = (until,)
        rows = conn.execute(sql, args).fetchall()
    finally:
        conn.close()
    df = pd.DataFrame([tuple(r) for r in rows], columns=[
        "household_id", "date", "officer_code", "method", "result", "promised_amount", "promised_date", "memo",
    ])
    df["date"] = pd.to_datetime(df["date"])
    df["promised_date"] = pd.to_datetime(df["promised_date"])
    df["promised_amount"] = pd.to_numeric(df["promised_amount"]).astype("Int64")
    return df


def issued_items(store: str | Path | None, month: str, *, revision: int | None = None) -> pd.DataFrame:
    """The items of ``month``'s issued lists (the latest revision unless given), with their list's kind."""
    conn = open_db(store)
    try:
        rev = revision if revision is not None else current_revision(conn, month)
        rows = conn.execute(
            "SELECT i.month, i.list_code, i.revision, i.rank, i.household_id, i.owner_code, i.queue, "
            "i.primary_reason, i.reasons, i.next_action, i.planned_method, i.priority, i.total_arrears, "
            "s.kind FROM target_items i JOIN target_issues s USING (month, list_code, revision) "
            "WHERE i.month = ? AND i.revision = ? ORDER BY i.list_code, i.rank",
            (month, rev),
        ).fetchall()
    finally:
        conn.close()
    cols = ["month", "list_code", "revision", "rank", "household_id", "owner_code", "queue", "primary_reason",
            "reasons", "next_action", "planned_method", "priority", "total_arrears", "kind"]
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)
