"""Meeting decisions: the ``meeting_decisions`` table, ingesting the pack's 決定事項 sheet, and what the
next month's target lists and pack read back (contract: docs/architecture.md, meeting module).

Ingest rules (as for officers' returns, through :mod:`kokuho_nb.casework.ingest`): every row is validated;
errors name the file, the Excel row, the column letter and header; bad rows are kept aside in ``ingest_rejects``
(nothing is lost); valid rows are stored; ingesting the same file again changes nothing (file hash), and a
corrected file for the same month updates the rows it changes (key: month, kind, number).

The target lists read the meeting's case decisions through :func:`assigned_cases`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.casework import ingest
from kokuho_nb.casework.ingest import FileReport, SheetError
from kokuho_nb.casework.sheets import (
    DECISION_FIELDS,
    DECISION_INFO_FIELDS,
    DECISIONS_HEADER_ROW,
    DECISIONS_MONTH_CELL,
    decision_headers,
    decisions_sheet,
)
from kokuho_nb.era import EraDateError, parse_date
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.params import load_yaml
from kokuho_nb.store import Store
from kokuho_nb.store.db import _now, transaction

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meeting_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL,
        item_kind TEXT NOT NULL CHECK (item_kind IN ('case', 'proposal')),
        item_ref TEXT NOT NULL,
        household_id TEXT NULL,
        decision_type TEXT NOT NULL,
        owner_role TEXT NULL,
        owner_code TEXT NULL,
        note TEXT NULL,
        decided_at TEXT NOT NULL,
        source_file TEXT NOT NULL,
        row INTEGER NOT NULL,
        file_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        UNIQUE (month, item_kind, item_ref)
    )""",
    """CREATE TABLE IF NOT EXISTS meeting_decision_files (
        file_hash TEXT PRIMARY KEY,
        month TEXT NOT NULL,
        source_file TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        summary TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS meeting_decision_rejects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_hash TEXT NOT NULL,
        month TEXT,
        source_file TEXT NOT NULL,
        row INTEGER NOT NULL,
        column_name TEXT,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        UNIQUE (file_hash, row, column_name)
    )""",
    "CREATE INDEX IF NOT EXISTS meeting_decisions_hh ON meeting_decisions(household_id)",
]

SCHEMA_NAME = "meeting"  # the name existing stores recorded this schema under
KIND = "decisions"
SHEET_HEADER_ROW = DECISIONS_HEADER_ROW
MONTH_CELL = DECISIONS_MONTH_CELL
FIELDS = DECISION_FIELDS
DECISIONS_COLUMNS = ["month", "item_kind", "item_ref", "household_id", "decision_type", "owner_role", "owner_code",
                     "note", "decided_at", "source_file", "row"]
ASSIGNED_COLUMNS = ["household_id", "decision_type", "decision_label", "list_action", "assign_role", "owner_code",
                    "note", "meeting_month"]


def db(store: Store) -> sqlite3.Connection:
    return store.db(SCHEMA_NAME, SCHEMA)


def meeting_config() -> dict[str, Any]:
    return load_yaml("meeting.yaml")


def decision_types() -> list[dict[str, Any]]:
    """The decisions the meeting can take (``parameters/meeting.yaml`` ``decision_types``)."""
    return list(meeting_config()["decision_types"])


def headers() -> list[str]:
    return decision_headers()


@dataclass
class IngestReport:
    file: str
    month: str | None = None
    rows: int = 0
    blank: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    already: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self) -> str:
        if self.already:
            return t("meeting.decisions.already", file=self.file)
        return t("meeting.decisions.summary", file=self.file, rows=self.rows, accepted=self.accepted,
                 inserted=self.inserted, updated=self.updated, unchanged=self.unchanged, blank=self.blank,
                 rejected=len({e["row"] for e in self.errors}))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "month": self.month, "ok": self.ok, "already_ingested": self.already,
                "rows": self.rows, "blank": self.blank, "accepted": self.accepted, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "errors": self.errors,
                "message": self.message()}


def read_sheet(path: Path) -> tuple[bytes, Month, list[tuple[int, dict[str, Any]]]]:
    """The bytes, the month and the data rows (Excel row number, values by field, ``_col`` letters) of a
    決定事項 sheet."""
    sheet_name = decisions_sheet()
    try:
        data, book = ingest.open_book(path)
    except SheetError as exc:
        raise UserError(str(exc.args[0]), f"cannot open {path}") from exc
    try:
        if sheet_name not in book.sheetnames:
            raise UserError(t("meeting.decisions.err_no_sheet", file=path.name, sheet=sheet_name))
        ws = book[sheet_name]
        month_raw = next(ws.iter_rows(min_row=2, max_row=2, min_col=2, max_col=2, values_only=True), (None,))[0]
        try:
            month = Month.parse(ingest.text(month_raw))
        except UserError as exc:
            raise UserError(t("meeting.decisions.err_no_month", file=path.name, sheet=sheet_name)) from exc
        header = next(ws.iter_rows(min_row=SHEET_HEADER_ROW, max_row=SHEET_HEADER_ROW, values_only=True), ())
        wanted = dict(zip(FIELDS, headers(), strict=True))
        columns = ingest.header_columns(header, wanted)
        for f, h in wanted.items():
            if f not in columns and f not in DECISION_INFO_FIELDS:  # informational columns may be removed
                raise UserError(t("meeting.decisions.err_missing_column", file=path.name, sheet=sheet_name, column=h))
        rows = []
        for n, rec in ingest.data_rows(ws, SHEET_HEADER_ROW, columns):
            rec["_col"] = {f: ingest.letter(i) for f, i in columns.items()}
            rows.append((n, rec))
        return data, month, rows
    finally:
        book.close()


def _reference_sets(store: Store, month: Month) -> tuple[set[str], set[str]]:
    """Household ids and staff codes of the snapshot in force at the end of the month after the meeting."""
    ledger = store.ledger_for((month + 1).end)
    return set(ledger.households["household_id"]), set(ledger.staff["officer_code"])


@dataclass
class _Rules:
    """What a decisions row is checked against."""

    households: set[str]
    staff_codes: set[str]
    month: Month
    by_kind: dict[str, set[str]]
    kind_of: dict[str, str]
    roles: set[str]


def _rules(store: Store, month: Month, households: set[str] | None, staff_codes: set[str] | None) -> _Rules:
    if households is None or staff_codes is None:
        hh, sc = _reference_sets(store, month)
        households = hh if households is None else households
        staff_codes = sc if staff_codes is None else staff_codes
    types = decision_types()
    return _Rules(
        households=households, staff_codes=staff_codes, month=month,
        by_kind={"case": {d["code"] for d in types if d["applies_to"] == "case"},
                 "proposal": {d["code"] for d in types if d["applies_to"] == "proposal"}},
        kind_of={t("meeting.decisions.kind_case"): "case", t("meeting.decisions.kind_proposal"): "proposal"},
        roles=set(meeting_config()["owner_roles"]),
    )


def _check_row(v: dict[str, str], raw_date: Any, rules: _Rules, seen: dict[tuple[str, str], int],
               n: int) -> tuple[str | None, dt.date | None, list[tuple[str, str]]]:
    """(kind, decided date, [(field, reason)]) of one filled row; an empty list when it is valid."""
    errs: list[tuple[str, str]] = []
    kind = rules.kind_of.get(v["kind"])
    if kind is None:
        errs.append(("kind", t("meeting.decisions.r_kind", value=v["kind"])))
    if not v["ref"]:
        errs.append(("ref", t("meeting.decisions.r_ref")))
    if kind == "case":
        if not v["household_id"]:
            errs.append(("household_id", t("meeting.decisions.r_household_missing")))
        elif v["household_id"] not in rules.households:
            errs.append(("household_id", t("meeting.decisions.r_household", value=v["household_id"])))
    if kind is not None and v["decision_type"] not in rules.by_kind[kind]:
        errs.append(("decision_type", t("meeting.decisions.r_decision", value=v["decision_type"],
                                        kind=t(f"meeting.decisions.kind_{kind}"))))
    if v["owner_role"] and v["owner_role"] not in rules.roles:
        errs.append(("owner_role", t("meeting.decisions.r_role", value=v["owner_role"])))
    if v["owner_code"] and v["owner_code"] not in rules.staff_codes:
        errs.append(("owner_code", t("meeting.decisions.r_officer", value=v["owner_code"])))
    decided: dt.date | None = None
    if isinstance(raw_date, dt.datetime):
        decided = raw_date.date()
    elif isinstance(raw_date, dt.date):
        decided = raw_date
    elif not v["decided_at"]:
        errs.append(("decided_at", t("meeting.decisions.r_date_missing")))
    else:
        try:
            decided = parse_date(v["decided_at"])
        except EraDateError:
            errs.append(("decided_at", t("meeting.decisions.r_date", value=v["decided_at"])))
    if decided is not None and decided < rules.month.start:
        errs.append(("decided_at", t("meeting.decisions.r_date_range", value=decided.isoformat(), month=rules.month)))
    if kind and v["ref"]:
        key = (kind, v["ref"])
        if key in seen:
            errs.append(("ref", t("meeting.decisions.r_duplicate", value=v["ref"], first=seen[key])))
        else:
            seen[key] = n
    return kind, decided, errs


def _store(conn: Any, good: list[dict[str, Any]], report: IngestReport, file: str, digest: str) -> None:
    """Insert new decisions, update changed ones (key: month, kind, number), count the unchanged."""
    now = _now()
    for g in good:
        old = conn.execute(
            "SELECT household_id, decision_type, owner_role, owner_code, note, decided_at FROM meeting_decisions "
            "WHERE month = ? AND item_kind = ? AND item_ref = ?", (g["month"], g["item_kind"], g["item_ref"])
        ).fetchone()
        new_vals = (g["household_id"], g["decision_type"], g["owner_role"], g["owner_code"], g["note"],
                    g["decided_at"])
        if old is None:
            conn.execute(
                "INSERT INTO meeting_decisions(month, item_kind, item_ref, household_id, decision_type, owner_role,"
                " owner_code, note, decided_at, source_file, row, file_hash, ingested_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (g["month"], g["item_kind"], g["item_ref"], *new_vals, file, g["row"], digest, now))
            report.inserted += 1
        elif tuple(old) != new_vals:
            conn.execute(
                "UPDATE meeting_decisions SET household_id=?, decision_type=?, owner_role=?, owner_code=?, note=?,"
                " decided_at=?, source_file=?, row=?, file_hash=?, ingested_at=?"
                " WHERE month=? AND item_kind=? AND item_ref=?",
                (*new_vals, file, g["row"], digest, now, g["month"], g["item_kind"], g["item_ref"]))
            report.updated += 1
        else:
            report.unchanged += 1


def ingest_decisions(
    path: str | Path,
    store: Store,
    *,
    households: set[str] | None = None,
    staff_codes: set[str] | None = None,
) -> IngestReport:
    """Validate and store one decisions workbook; see the module docstring for the rules."""
    path = Path(path)
    if not path.exists():
        raise UserError(t("meeting.decisions.err_not_xlsx", file=str(path), error="FileNotFoundError"))
    data, month, rows = read_sheet(path)
    report = IngestReport(file=path.name, month=str(month))
    digest = ingest.file_digest(data)
    if ingest.seen(store, KIND, digest):
        report.already = True
        report.rows = len(rows)
        return report
    rules = _rules(store, month, households, staff_codes)
    hdr = dict(zip(FIELDS, headers(), strict=True))
    seen: dict[tuple[str, str], int] = {}
    good: list[dict[str, Any]] = []
    refused: list[tuple[int, dict[str, Any], list[ingest.RowError]]] = []
    for n, rec in rows:
        report.rows += 1
        v = {f: ingest.text(rec.get(f)) for f in FIELDS}
        if v["decision_type"] == "" and not any(v[f] for f in ("owner_role", "owner_code", "note", "decided_at")):
            report.blank += 1
            continue
        kind, decided, errs = _check_row(v, rec.get("decided_at"), rules, seen, n)
        if errs:
            row_errors = []
            for f, reason in errs:
                letter = rec["_col"].get(f, "?")
                msg = t("meeting.decisions.err_row", file=path.name, row=n, col=letter, column=hdr[f], reason=reason)
                report.errors.append({"row": n, "column": letter, "header": hdr[f], "reason": reason,
                                      "message": msg})
                row_errors.append(ingest.RowError(path.name, n, letter, hdr[f], reason))
            refused.append((n, v, row_errors))
            continue
        good.append({"month": str(month), "item_kind": kind, "item_ref": v["ref"],
                     "household_id": v["household_id"] if kind == "case" else None,
                     "decision_type": v["decision_type"], "owner_role": v["owner_role"] or None,
                     "owner_code": v["owner_code"] or None, "note": v["note"] or None,
                     "decided_at": decided.isoformat() if decided else None, "row": n})
    conn = db(store)
    ingest.db(store)
    with transaction(conn):
        _store(conn, good, report, path.name, digest)
        record = FileReport(kind=KIND, file=path.name, sha256=digest, month=str(month), rows_read=report.rows,
                            rows_accepted=report.accepted, rows_unchanged=report.unchanged,
                            rows_rejected=len(refused))
        ingest.record(conn, record, refused, summary=report.to_dict())
    return report


def decisions_for_month(store: Store, month: Month | str) -> pd.DataFrame:
    """Decisions taken at the meeting of ``month`` (empty frame with the columns when none)."""
    rows = db(store).execute(
        "SELECT month, item_kind, item_ref, household_id, decision_type, owner_role, owner_code, note, decided_at,"
        " source_file, row FROM meeting_decisions WHERE month = ? ORDER BY item_kind, item_ref",
        (Month.parse(month),)).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=DECISIONS_COLUMNS)


def rejects(store: Store) -> pd.DataFrame:
    """The decisions rows kept aside: file, month, row, column, reason, raw row."""
    rows = ingest.rejected_rows(store, KIND)
    return pd.DataFrame([(r["source_file"], r["month"], r["row"], r["col"], r["reason"], r["raw"]) for r in rows],
                        columns=["source_file", "month", "row", "column", "reason", "raw"])


def case_decisions_for_lists(store: Store, list_month: Month | str) -> pd.DataFrame:
    """For the target lists of ``list_month``: the case decisions of the meeting of the month before.

    Columns: household_id, decision_type, decision_label, list_action, assign_role, owner_code, note,
    meeting_month (see docs/architecture.md)."""
    meeting_month = Month.parse(list_month) - 1
    d = decisions_for_month(store, meeting_month)
    d = d[d["item_kind"] == "case"]
    types = {x["code"]: x for x in decision_types()}
    out = pd.DataFrame({
        "household_id": d["household_id"].astype(str),
        "decision_type": d["decision_type"],
        "decision_label": d["decision_type"],
        "list_action": d["decision_type"].map(lambda c: types.get(c, {}).get("list_action", "none")),
        "assign_role": [r if isinstance(r, str) and r else types.get(c, {}).get("assign_role")
                        for c, r in zip(d["decision_type"], d["owner_role"], strict=True)],
        "owner_code": d["owner_code"],
        "note": d["note"],
        "meeting_month": d["month"],
    })
    return out.reset_index(drop=True)


def assigned_cases(store: Store, month: Month | str) -> pd.DataFrame:
    """What the target lists of ``month`` take from the meeting: :func:`case_decisions_for_lists` with every
    column (empty when nothing was decided)."""
    frame = case_decisions_for_lists(store, month)
    for col in ASSIGNED_COLUMNS:
        if col not in frame:
            frame[col] = None
    return frame[ASSIGNED_COLUMNS].reset_index(drop=True)


def revisit_households(store: Store, month: Month | str) -> set[str]:
    """Households the meeting of the month before ``month`` asked to see again (list_action ``revisit``)."""
    d = case_decisions_for_lists(store, month)
    return set(d.loc[d["list_action"] == "revisit", "household_id"])
