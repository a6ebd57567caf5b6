"""Reading a filled-in workbook back into the store: the one path for officers' returns and meeting decisions.

What every ingest does (the kind-specific module — :mod:`.returns`, :mod:`.decisions` — supplies the sheet's
fields and the row rules):

- open the file (a Japanese message for a missing file, a file that is not an Excel workbook, a
  password-protected (encrypted) workbook or an old .xls) and find the header row's columns by their Japanese
  headers;
- validate every row that has something written in it; an error names the file, the Excel row, the column letter
  and header, and the reason, in Japanese;
- keep refused rows aside in ``ingest_rejects`` with the raw row as JSON (nothing is lost), and record the file in
  ``ingest_files`` (by SHA-256): ingesting the same file again changes nothing.

Tables (schema ``casework.ingest``, shared by every kind; ``kind`` is ``returns`` or ``decisions``)::

    ingest_files(kind, file_sha256, source_file, month, ref, rows_read, rows_accepted, rows_unchanged,
                 rows_rejected, summary, ingested_at)                PRIMARY KEY (kind, file_sha256)
    ingest_rejects(kind, file_sha256, source_file, row, col, header, reason, raw, month, ref, ingested_at)
                                                                     PRIMARY KEY (kind, file_sha256, row, col)

Stores written before this module kept the same records in ``target_return_files`` / ``target_return_rejects``
and ``meeting_decision_files`` / ``meeting_decision_rejects``; the schema copies them over once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kokuho_nb.era import EraDateError, normalize_text, parse_date
from kokuho_nb.labels import t
from kokuho_nb.store import Store
from kokuho_nb.store.db import _now, transaction
from kokuho_nb.xlsx import unescape_text

SCHEMA_NAME = "casework.ingest"
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS ingest_files (
        kind TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        source_file TEXT NOT NULL,
        month TEXT,
        ref TEXT,
        rows_read INTEGER NOT NULL,
        rows_accepted INTEGER NOT NULL,
        rows_unchanged INTEGER NOT NULL,
        rows_rejected INTEGER NOT NULL,
        summary TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (kind, file_sha256)
    )""",
    """CREATE TABLE IF NOT EXISTS ingest_rejects (
        kind TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        source_file TEXT NOT NULL,
        row INTEGER NOT NULL,
        col TEXT NOT NULL,
        header TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL,
        month TEXT,
        ref TEXT,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (kind, file_sha256, row, col)
    )""",
    "CREATE INDEX IF NOT EXISTS ingest_rejects_month ON ingest_rejects(kind, month)",
]
#: The tables of stores written before this module, copied into the shared ones once (see :func:`db`).
_LEGACY = [
    ("target_return_files",
     "INSERT OR IGNORE INTO ingest_files SELECT 'returns', file_sha256, source_file, month, list_code, rows_read, "
     "rows_accepted, 0, rows_rejected, '{}', ingested_at FROM target_return_files"),
    ("target_return_rejects",
     "INSERT OR IGNORE INTO ingest_rejects SELECT 'returns', file_sha256, source_file, row, col, header, reason, raw, "
     "month, list_code, ingested_at FROM target_return_rejects"),
    ("meeting_decision_files",
     "INSERT OR IGNORE INTO ingest_files SELECT 'decisions', file_hash, source_file, month, NULL, 0, 0, 0, 0, summary, "
     "ingested_at FROM meeting_decision_files"),
    ("meeting_decision_rejects",
     "INSERT OR IGNORE INTO ingest_rejects SELECT 'decisions', file_hash, source_file, row, COALESCE(column_name, ''), "
     "'', reason, raw, month, NULL, recorded_at FROM meeting_decision_rejects"),
]
_AMOUNT_RE = re.compile(r"^[0-9]+$")


def db(store: Store) -> sqlite3.Connection:
    """The store's connection with the ingest tables (and, once, the records of older stores copied in)."""
    conn = store.db(SCHEMA_NAME, SCHEMA)
    if conn.execute("SELECT 1 FROM ingest_files LIMIT 1").fetchone() is None:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        legacy = [sql for table, sql in _LEGACY if table in have]
        if legacy:
            with transaction(conn):
                for sql in legacy:
                    conn.execute(sql)
    return conn


# --- errors and reports ---------------------------------------------------------------------------------------


@dataclass
class RowError:
    """One problem with a row (``row`` 0: the whole file)."""

    file: str
    row: int
    column: str  # Excel column letter ('' for a whole-file problem)
    header: str
    reason: str

    def text(self) -> str:
        if not self.row:
            return self.reason
        return t("casework.ingest.error_line", file=self.file, row=self.row, column=self.column,
                 header=self.header, reason=self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.text()}


@dataclass
class FileReport:
    """What one file's ingest did."""

    kind: str
    file: str
    sha256: str = ""
    month: str | None = None
    ref: str | None = None  # the list code (returns), the pack (decisions)
    revision: int | None = None  # the issued revision the file was made from, when it has one
    rows_read: int = 0
    rows_accepted: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    already: bool = False  # this very file (same bytes) was ingested before
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, reason: str) -> FileReport:
        """A problem with the whole file."""
        self.errors.append(RowError(self.file, 0, "", "", reason))
        return self


class SheetError(Exception):
    """The file can't be read as the expected sheet; ``args[0]`` is the Japanese reason."""


# --- reading ------------------------------------------------------------------------------------------------------


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The first bytes of an OLE compound file: what Excel saves for a password-protected workbook, or an old .xls.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted OOXML package is kept in (its name in the compound file's directory, UTF-16-LE).
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def open_book(path: Path) -> tuple[bytes, Any]:
    """The file's bytes and its workbook (read-only, values only). :class:`SheetError` with the Japanese reason
    when it is missing, not an Excel workbook, password-protected (an OLE compound file holding an
    ``EncryptedPackage`` stream, which openpyxl would report as "File is not a zip file") or another OLE file
    (an old .xls, or protected)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(t("casework.ingest.cannot_open", file=path.name, error=type(exc).__name__)) from exc
    if not zipfile.is_zipfile(path):
        if data.startswith(OLE_MAGIC):
            key = "encrypted" if ENCRYPTED_STREAM in data else "old_format"
            raise SheetError(t(f"casework.ingest.{key}", file=path.name))
        raise SheetError(t("casework.ingest.not_xlsx", file=path.name))
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any broken workbook is the user's to fix
        raise SheetError(t("casework.ingest.not_xlsx", file=path.name)) from exc
    return data, book


def header_columns(values: Sequence[Any], wanted: dict[str, str]) -> dict[str, int]:
    """Column index (0-based) of each field whose header (``wanted``: field -> Japanese header) is in the row."""
    found = [text(v) for v in values]
    return {f: found.index(h) for f, h in wanted.items() if h in found}


def data_rows(ws: Any, header_row: int, columns: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row, {field: value}) for every row below the header with something written in the fields."""
    for r, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
        rec = {f: (values[i] if i < len(values) else None) for f, i in columns.items()}
        if any(text(v) != "" for v in rec.values()):
            yield r, rec


def letter(index: int) -> str:
    """Excel column letter of a 0-based column index."""
    return get_column_letter(index + 1)


# --- cells ------------------------------------------------------------------------------------------------------


def text(v: Any) -> str:
    """A cell as trimmed NFKC text (``3.0`` read from Excel as ``3``; empty for None), without the apostrophe the
    suite's writers put before a formula-like text (:func:`kokuho_nb.xlsx.unescape_text`), so a neutralised id or
    name reads back as the original."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        v = v.date() if v.time() == dt.time() else v
    if isinstance(v, dt.date):
        return v.isoformat()
    return normalize_text(str(unescape_text(v)))


def date(v: Any) -> dt.date:
    """A date cell (an Excel date, or text in any accepted form); ValueError / EraDateError otherwise."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return parse_date(str(v))


def amount(v: Any) -> int:
    """Whole yen ≥ 0 (``30,000``, ``30000円`` and full-width digits accepted); ValueError otherwise."""
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        if v < 0:
            raise ValueError(v)
        return v
    if isinstance(v, float):
        if not v.is_integer() or v < 0:
            raise ValueError(v)
        return int(v)
    s = normalize_text(str(v)).replace(",", "").replace("円", "").replace("¥", "").replace("￥", "")
    if not _AMOUNT_RE.match(s):
        raise ValueError(v)
    return int(s)


def raw_json(values: dict[str, Any]) -> str:
    """A row as it was written, for the rejects table."""
    def plain(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.datetime | dt.date) else v

    return json.dumps({k: plain(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True, default=str)


DateError = (EraDateError, ValueError, TypeError)


# --- recording ----------------------------------------------------------------------------------------------------


def seen(store: Store, kind: str, sha256: str) -> dict[str, Any] | None:
    """The record of a file already ingested (same bytes), or None."""
    row = db(store).execute("SELECT * FROM ingest_files WHERE kind = ? AND file_sha256 = ?", (kind, sha256)).fetchone()
    return dict(row) if row else None


def record_rejects(conn: sqlite3.Connection, report: FileReport,
                   rejected: list[tuple[int, dict[str, Any], list[RowError]]]) -> str:
    """Keep the refused rows aside, with the raw row (inside the caller's transaction); returns the time."""
    now = _now()
    for row, values, errors in rejected:
        raw = raw_json(values)
        for e in errors:
            conn.execute(
                "INSERT OR IGNORE INTO ingest_rejects(kind, file_sha256, source_file, row, col, header, reason, raw, "
                "month, ref, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (report.kind, report.sha256, report.file, row, e.column, e.header, e.reason, raw, report.month,
                 report.ref, now))
    return now


def record(conn: sqlite3.Connection, report: FileReport, rejected: list[tuple[int, dict[str, Any], list[RowError]]],
           summary: dict[str, Any] | None = None) -> None:
    """Write the file's record (by SHA-256) and its refused rows (inside the caller's transaction)."""
    now = record_rejects(conn, report, rejected)
    conn.execute(
        "INSERT OR IGNORE INTO ingest_files(kind, file_sha256, source_file, month, ref, rows_read, rows_accepted, "
        "rows_unchanged, rows_rejected, summary, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (report.kind, report.sha256, report.file, report.month, report.ref, report.rows_read, report.rows_accepted,
         report.rows_unchanged, report.rows_rejected, json.dumps(summary or {}, ensure_ascii=False, default=str),
         now))


def rejected_rows(store: Store, kind: str, month: str | None = None) -> list[dict[str, Any]]:
    """The rows kept aside: file, row, column, header, reason, the raw row (JSON), month, ref."""
    sql = ("SELECT source_file, row, col, header, reason, raw, month, ref FROM ingest_rejects WHERE kind = ?")
    args: tuple = (kind,)
    if month:
        sql += " AND month = ?"
        args += (month,)
    rows = db(store).execute(sql + " ORDER BY source_file, row, col", args).fetchall()
    return [dict(r) for r in rows]
