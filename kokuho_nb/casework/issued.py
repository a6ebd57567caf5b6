"""The issued target lists in the case-work database (schema ``targets``; see docs/architecture.md).

- ``target_issues``: one row per issued list (month, list code, revision), with the snapshot, as-of date and
  the workbook's file name and SHA-256 once written.
- ``target_items``: the cases on each issued list, in order, with everything the workbook shows
  (``payload`` JSON), so that the same list is rendered again byte for byte and returns are checked
  against what was issued.
- beside the database, ``<store>/targets/<YYYY-MM>/``: each revision's triage table and pacing figures, the
  record of why the lists came out as they did (:func:`save_revision_files`).

A revision whose workbooks could not be written was handed to nobody: :func:`withdraw_revision` removes it from
the records (issue 16 §2); :func:`written_files` / :func:`restore_written` read and put back what was recorded
when its files were written (``file_sha256`` NULL: never written).

The returns' tables (``target_returns``) share this schema for compatibility with existing stores; they are
read and written by :mod:`kokuho_nb.casework.returns`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb import filemodes
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.store import Store
from kokuho_nb.store.db import transaction

log = logging.getLogger(__name__)

SCHEMA_NAME = "targets"
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


#: Item fields stored in the payload and shown in the workbook.
PAYLOAD_COLUMNS = [
    "household_id", "name_kana", "area", "stage", "amount_band", "income_class", "focus", "total_arrears",
    "carried_unpaid", "current_overdue", "oldest_due_date", "nearest_limitation", "has_phone", "language",
    "foreign", "reasons", "primary_reason", "next_action", "planned_method", "priority", "prio_amount",
    "prio_ability", "prio_urgency", "prio_no_contact", "prio_rule", "suspension_ground", "inquiry_mode",
    "leaflet_language", "immigration_link", "meeting_decision",
]
ITEM_COLUMNS = ["month", "list_code", "revision", "rank", "household_id", "owner_code", "queue", "primary_reason",
                "reasons", "next_action", "planned_method", "priority", "total_arrears", "kind"]


def db(store: Store) -> sqlite3.Connection:
    """The store's connection with the target-list schema applied."""
    return store.db(SCHEMA_NAME, SCHEMA)


def folder(store: Store, month: Month) -> Path:
    """``<store>/targets/<YYYY-MM>/``: the month's revision files."""
    return store.path / "targets" / str(month)


@contextmanager
def issue_lock(store: Store, month: Month) -> Iterator[None]:
    """An exclusive lock on issuing ``month``: whoever issues holds it, so a notebook that asks for the month's
    lists while the month run is still computing them waits and then reads what was issued, instead of
    computing them a second time. Not re-entrant."""
    with store.lock(f"issue-{month}"):
        yield


# --- what was issued ----------------------------------------------------------------------------------------


@dataclass
class IssuedList:
    list_code: str
    kind: str  # officer / specialist / centre_phone / centre_sms / centre_visit
    owner_code: str | None
    owner_name: str | None
    n_items: int
    pacing: dict[str, Any]


@dataclass
class IssueResult:
    """A month's issued lists (one revision)."""

    month: Month
    revision: int
    newly_issued: bool
    as_of: str
    snapshot_id: str | None
    synthetic: bool
    issued_at: str
    lists: list[IssuedList]

    def __post_init__(self) -> None:
        self.month = Month.parse(self.month)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "month": str(self.month)}

    def message(self) -> str:
        if not self.newly_issued:
            return t("targets.month.already_issued", month=self.month, revision=self.revision)
        count = {lst.kind: 0 for lst in self.lists}
        for lst in self.lists:
            count[lst.kind] = count.get(lst.kind, 0) + lst.n_items
        return t("targets.month.issued", month=self.month, revision=self.revision,
                 officers=sum(1 for x in self.lists if x.kind == "officer"), officer_rows=count.get("officer", 0),
                 specialist_rows=count.get("specialist", 0), phone=count.get("centre_phone", 0),
                 sms=count.get("centre_sms", 0), visit=count.get("centre_visit", 0))


def current_revision(store: Store, month: Month) -> int:
    """The latest revision issued for ``month`` (0 when nothing was issued)."""
    row = db(store).execute("SELECT MAX(revision) FROM target_issues WHERE month = ?", (month,)).fetchone()
    return int(row[0] or 0)


def read_issue(store: Store, month: Month, revision: int | None = None) -> IssueResult | None:
    """The lists of ``month``'s ``revision`` (the latest when None), or None when nothing was issued."""
    rev = revision if revision is not None else current_revision(store, month)
    rows = db(store).execute(
        "SELECT list_code, kind, owner_code, owner_name, n_items, as_of, snapshot_id, synthetic, issued_at "
        "FROM target_issues WHERE month = ? AND revision = ? ORDER BY kind, list_code",
        (month, rev),
    ).fetchall()
    if not rows:
        return None
    lists = [IssuedList(r["list_code"], r["kind"], r["owner_code"], r["owner_name"], r["n_items"], {}) for r in rows]
    first = rows[0]
    return IssueResult(month, rev, False, first["as_of"], first["snapshot_id"], bool(first["synthetic"]),
                       first["issued_at"], lists)


def issued_sizes(store: Store, month: Month) -> dict[str, int]:
    """Rows per officer list (and ``'_centre'`` for the rest) of the month's latest issue, when there is one."""
    rows = db(store).execute(
        "SELECT list_code, kind, n_items FROM target_issues WHERE month = ? AND revision = "
        "(SELECT MAX(revision) FROM target_issues WHERE month = ?)", (month, month)).fetchall()
    sizes = {r["list_code"]: int(r["n_items"]) for r in rows if r["kind"] == "officer"}
    if rows:
        sizes["_centre"] = sum(int(r["n_items"]) for r in rows if r["kind"] != "officer")
    return sizes


def officer_lists(store: Store, month: Month, revision: int) -> list[str]:
    """The officer codes with a list in ``month``'s ``revision``."""
    rows = db(store).execute("SELECT list_code FROM target_issues WHERE month = ? AND revision = ? AND "
                             "kind = 'officer' ORDER BY list_code", (month, revision)).fetchall()
    return [r[0] for r in rows]


def first_issued_month(store: Store, since: Month, before: Month) -> Month | None:
    """The first month in ``[since, before)`` with issued lists."""
    row = db(store).execute("SELECT MIN(month) FROM target_issues WHERE month >= ? AND month < ?",
                            (since, before)).fetchone()
    return Month.parse(row[0]) if row and row[0] else None


def centre_items_issued(store: Store, since: Month, before: Month) -> dict[str, int]:
    """Items issued on the centre's lists per list code, months ``[since, before)``, latest revisions."""
    rows = db(store).execute(
        "SELECT s.list_code, SUM(s.n_items) FROM target_issues s "
        "JOIN (SELECT month, MAX(revision) AS revision FROM target_issues GROUP BY month) m "
        "USING (month, revision) WHERE s.month >= ? AND s.month < ? AND s.kind LIKE 'centre_%' "
        "GROUP BY s.list_code",
        (since, before),
    ).fetchall()
    return {r[0]: int(r[1] or 0) for r in rows}


def issued_items(store: Store, month: Month, *, revision: int | None = None) -> pd.DataFrame:
    """The items of ``month``'s issued lists (the latest revision unless given), with their list's kind."""
    rev = revision if revision is not None else current_revision(store, month)
    rows = db(store).execute(
        "SELECT i.month, i.list_code, i.revision, i.rank, i.household_id, i.owner_code, i.queue, "
        "i.primary_reason, i.reasons, i.next_action, i.planned_method, i.priority, i.total_arrears, "
        "s.kind FROM target_items i JOIN target_issues s USING (month, list_code, revision) "
        "WHERE i.month = ? AND i.revision = ? ORDER BY i.list_code, i.rank",
        (month, rev),
    ).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=ITEM_COLUMNS)


def load_items(store: Store, month: Month, list_code: str, revision: int) -> pd.DataFrame:
    """The items of one issued list with their payload expanded (rank order)."""
    rows = db(store).execute(
        "SELECT rank, payload FROM target_items WHERE month = ? AND list_code = ? AND revision = ? ORDER BY rank",
        (month, list_code, revision),
    ).fetchall()
    recs = [{"rank": r["rank"], **json.loads(r["payload"])} for r in rows]
    return pd.DataFrame(recs, columns=["rank", *PAYLOAD_COLUMNS])


def payloads(items: pd.DataFrame) -> list[str]:
    """One JSON object per item with the :data:`PAYLOAD_COLUMNS` (dates as ISO dates, NA as null), vectorised."""
    if not len(items):
        return []
    columns: dict[str, Any] = {}
    for col in PAYLOAD_COLUMNS:
        s = items[col] if col in items else pd.Series(None, index=items.index, dtype=object)
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
        columns[col] = s
    frame = pd.DataFrame(columns, index=items.index)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=4)
    return text.rstrip("\n").split("\n")


@dataclass
class ListToIssue:
    """One list of a month as the target lists computed it, to be recorded."""

    list_code: str
    kind: str
    owner_code: str | None
    owner_name: str | None
    items: pd.DataFrame  # with household_id, queue, primary_reason, reasons, next_action, priority, total_arrears
    pacing: dict[str, Any]


def record_revision(store: Store, month: Month, lists: list[ListToIssue], *, as_of: str, snapshot_id: str | None,
                    synthetic: bool, issued_at: str, base_revision: int, reissue: bool) -> IssueResult:
    """Record ``lists`` as the next revision of ``month`` in one transaction and return it.

    When another process issued (or reissued) the month since ``base_revision`` was read, theirs stands and is
    returned instead (``newly_issued`` False)."""
    conn = db(store)
    with transaction(conn):
        latest = current_revision(store, month)
        if (latest and not reissue) or latest > base_revision:
            found = read_issue(store, month, latest)
            assert found is not None
            return found
        revision = latest + 1
        for plan in lists:
            conn.execute(
                "INSERT INTO target_issues(month, list_code, revision, kind, owner_code, owner_name, as_of, "
                "snapshot_id, synthetic, issued_at, n_items) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (month, plan.list_code, revision, plan.kind, plan.owner_code, plan.owner_name,
                 as_of, snapshot_id, int(synthetic), issued_at, len(plan.items)),
            )
            it = plan.items
            planned = it["planned_method"].fillna("") if "planned_method" in it else pd.Series("", index=it.index)
            conn.executemany(
                "INSERT INTO target_items(month, list_code, revision, rank, household_id, owner_code, queue, "
                "primary_reason, reasons, next_action, planned_method, priority, total_arrears, payload) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(str(month), plan.list_code, revision, i + 1, hid, plan.owner_code, queue, primary, reasons, action,
                  method, float(prio), int(total), text)
                 for i, (hid, queue, primary, reasons, action, method, prio, total, text) in enumerate(zip(
                     it["household_id"], it["queue"], it["primary_reason"], it["reasons"], it["next_action"],
                     planned, it["priority"], it["total_arrears"], payloads(it), strict=True))],
            )
    lists_out = [IssuedList(p.list_code, p.kind, p.owner_code, p.owner_name, len(p.items), p.pacing) for p in lists]
    return IssueResult(month, revision, True, as_of, snapshot_id, synthetic, issued_at, lists_out)


def record_file(store: Store, month: Month, list_code: str, revision: int, file_name: str, sha256: str) -> None:
    """The workbook written for an issued list (name and SHA-256)."""
    conn = db(store)
    with transaction(conn):
        conn.execute("UPDATE target_issues SET file_name = ?, file_sha256 = ? WHERE month = ? AND list_code = ? "
                     "AND revision = ?", (file_name, sha256, month, list_code, revision))


def withdraw_revision(store: Store, month: Month, revision: int) -> int:
    """Remove ``month``'s revision ``revision`` (its lists and items) from the records: its files could not be
    written, so it was never handed to anyone and must not count as issued (issue 16 §2). Returns the lists
    removed. The caller holds the month's :func:`issue_lock`."""
    conn = db(store)
    with transaction(conn):
        conn.execute("DELETE FROM target_items WHERE month = ? AND revision = ?", (month, revision))
        n = conn.execute("DELETE FROM target_issues WHERE month = ? AND revision = ?", (month, revision)).rowcount
    (folder(store, month) / f"pacing-r{revision}.json").unlink(missing_ok=True)
    (folder(store, month) / f"triage-r{revision}.parquet").unlink(missing_ok=True)
    log.warning("withdrew %s revision %d (%d lists): its files were not written", month, revision, n)
    return int(n)


def written_files(store: Store, month: Month, revision: int) -> dict[str, tuple[str | None, str | None]]:
    """List code -> (file name, SHA-256) of its workbook as recorded when written (``None``: never written)."""
    rows = db(store).execute("SELECT list_code, file_name, file_sha256 FROM target_issues WHERE month = ? AND "
                             "revision = ?", (month, revision)).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def restore_written(store: Store, month: Month, revision: int,
                    files: dict[str, tuple[str | None, str | None]]) -> None:
    """Put back the recorded file names / hashes of a revision (a re-render that was discarded)."""
    conn = db(store)
    with transaction(conn):
        conn.executemany("UPDATE target_issues SET file_name = ?, file_sha256 = ? WHERE month = ? AND revision = ? "
                         "AND list_code = ?", [(n, h, month, revision, code) for code, (n, h) in files.items()])


def save_revision_files(store: Store, month: Month, revision: int, triage: pd.DataFrame,
                        pacing: dict[str, Any]) -> None:
    """The revision's triage table and pacing figures beside the database (owner-only: personal data)."""
    out = filemodes.private_dir(folder(store, month))
    triage.to_parquet(out / f"triage-r{revision}.parquet", index=False)
    (out / f"pacing-r{revision}.json").write_text(
        json.dumps(pacing, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
    filemodes.restrict_tree(out)


def load_pacing(store: Store, month: Month, revision: int) -> dict[str, Any]:
    path = folder(store, month) / f"pacing-r{revision}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_triage(store: Store, month: Month, revision: int,
                columns: list[str] | None = None) -> pd.DataFrame | None:
    """The triage table ``month``'s revision ``revision`` was selected from (None when there is none; stores
    written before revisions kept their own table have one ``triage.parquet``, the latest revision's)."""
    path = folder(store, month) / f"triage-r{revision}.parquet"
    if not path.is_file() and revision == current_revision(store, month):
        path = folder(store, month) / "triage.parquet"
    return pd.read_parquet(path, columns=columns) if path.is_file() else None
