"""Meeting decisions: the ``meeting_decisions`` table, ingesting the pack's 決定事項 sheet, and what the
next month's target lists and pack read back (contract: docs/architecture.md, meeting module).

Ingest rules (as for officers' returns): every row is validated; errors name the file, the Excel row, the
column letter and header; bad rows are kept aside in ``meeting_decision_rejects`` (nothing is lost); valid
rows are stored; ingesting the same file again changes nothing (file hash), and a corrected file for the
same month updates the rows it changes (key: month, kind, number).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from kokuho_nb.era import EraDateError, parse_date
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.meeting.common import add_months, decision_types, meeting_config, month_start, parse_month
from kokuho_nb.store.db import _now, connect, ensure_schema, transaction

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

SHEET_HEADER_ROW = 4
MONTH_CELL = "B2"
FIELDS = ["kind", "ref", "household_id", "summary", "amount", "current_officer", "decision_type", "owner_role",
          "owner_code", "note", "decided_at"]


def migrate(conn: Any) -> None:
    ensure_schema(conn, "meeting", SCHEMA)


def headers() -> list[str]:
    return [t(f"meeting.decisions.col.{f}") for f in FIELDS]


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


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_sheet(path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The month and the data rows (Excel row number, values by field) of a 決定事項 sheet."""
    from openpyxl import load_workbook

    sheet_name = t("meeting.decisions_sheet")
    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(t("meeting.decisions.err_not_xlsx", file=path.name, error=type(exc).__name__),
                        f"cannot open {path}: {exc}") from exc
    if sheet_name not in wb.sheetnames:
        raise UserError(t("meeting.decisions.err_no_sheet", file=path.name, sheet=sheet_name))
    ws = wb[sheet_name]
    rows = list(ws.iter_rows(values_only=True))
    month_raw = rows[1][1] if len(rows) > 1 and len(rows[1]) > 1 else None
    try:
        month = parse_month(_text(month_raw))
    except UserError as exc:
        raise UserError(t("meeting.decisions.err_no_month", file=path.name, sheet=sheet_name)) from exc
    header = [_text(h) for h in (rows[SHEET_HEADER_ROW - 1] if len(rows) >= SHEET_HEADER_ROW else [])]
    index: dict[str, int] = {}
    for f, h in zip(FIELDS, headers(), strict=True):
        if h not in header:
            if f in ("summary", "amount", "current_officer"):
                continue  # informational columns may be removed
            raise UserError(t("meeting.decisions.err_missing_column", file=path.name, sheet=sheet_name, column=h))
        index[f] = header.index(h)
    data = []
    for n, values in enumerate(rows[SHEET_HEADER_ROW:], start=SHEET_HEADER_ROW + 1):
        rec = {f: (values[i] if i < len(values) else None) for f, i in index.items()}
        rec["_col"] = {f: i + 1 for f, i in index.items()}
        if all(_text(v) == "" for k, v in rec.items() if k != "_col"):
            continue
        data.append((n, rec))
    wb.close()
    return month, data


def _reference_sets(store: Path | str | None, month: str) -> tuple[set[str], set[str]]:
    """Household ids and staff codes of the latest snapshot as of the meeting month's end."""
    from kokuho_nb.meeting.common import month_end
    from kokuho_nb.meeting.inputs import _ledger_for
    from kokuho_nb.store.paths import resolve_store

    ledger = _ledger_for(resolve_store(store), month_end(add_months(month, 1)))
    return set(ledger.households["household_id"]), set(ledger.staff["officer_code"])


def ingest_decisions(
    path: str | Path,
    store: str | Path | None,
    *,
    households: set[str] | None = None,
    staff_codes: set[str] | None = None,
) -> IngestReport:
    """Validate and store one decisions workbook; see the module docstring for the rules."""
    path = Path(path)
    if not path.exists():
        raise UserError(t("meeting.decisions.err_not_xlsx", file=str(path), error="FileNotFoundError"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = IngestReport(file=path.name)
    conn = connect(store)
    try:
        migrate(conn)
        month, data = read_sheet(path)
        report.month = month
        if conn.execute("SELECT 1 FROM meeting_decision_files WHERE file_hash = ?", (digest,)).fetchone():
            report.already = True
            report.rows = len(data)
            return report
        if households is None or staff_codes is None:
            hh, sc = _reference_sets(store, month)
            households = hh if households is None else households
            staff_codes = sc if staff_codes is None else staff_codes
        types = decision_types()
        by_kind = {"case": {d["code"] for d in types if d["applies_to"] == "case"},
                   "proposal": {d["code"] for d in types if d["applies_to"] == "proposal"}}
        kind_of = {t("meeting.decisions.kind_case"): "case", t("meeting.decisions.kind_proposal"): "proposal"}
        roles = set(meeting_config()["owner_roles"])
        hdr = dict(zip(FIELDS, headers(), strict=True))
        start = month_start(month)
        seen: dict[tuple[str, str], int] = {}
        good: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        for n, rec in data:
            report.rows += 1
            v = {f: _text(rec.get(f)) for f in FIELDS}
            errs: list[tuple[str, str]] = []

            def err(f: str, reason: str, errs: list[tuple[str, str]] = errs) -> None:
                errs.append((f, reason))

            if v["decision_type"] == "" and not any(v[f] for f in ("owner_role", "owner_code", "note", "decided_at")):
                report.blank += 1
                continue
            kind = kind_of.get(v["kind"])
            if kind is None:
                err("kind", t("meeting.decisions.r_kind", value=v["kind"]))
            if not v["ref"]:
                err("ref", t("meeting.decisions.r_ref"))
            if kind == "case":
                if not v["household_id"]:
                    err("household_id", t("meeting.decisions.r_household_missing"))
                elif v["household_id"] not in households:
                    err("household_id", t("meeting.decisions.r_household", value=v["household_id"]))
            if kind is not None and v["decision_type"] not in by_kind[kind]:
                err("decision_type", t("meeting.decisions.r_decision", value=v["decision_type"],
                                       kind=t(f"meeting.decisions.kind_{kind}")))
            if v["owner_role"] and v["owner_role"] not in roles:
                err("owner_role", t("meeting.decisions.r_role", value=v["owner_role"]))
            if v["owner_code"] and v["owner_code"] not in staff_codes:
                err("owner_code", t("meeting.decisions.r_officer", value=v["owner_code"]))
            decided: dt.date | None = None
            raw_date = rec.get("decided_at")
            if isinstance(raw_date, dt.datetime):
                decided = raw_date.date()
            elif isinstance(raw_date, dt.date):
                decided = raw_date
            elif not v["decided_at"]:
                err("decided_at", t("meeting.decisions.r_date_missing"))
            else:
                try:
                    decided = parse_date(v["decided_at"])
                except EraDateError:
                    err("decided_at", t("meeting.decisions.r_date", value=v["decided_at"]))
            if decided is not None and decided < start:
                err("decided_at", t("meeting.decisions.r_date_range", value=decided.isoformat(), month=month))
            key = (kind or "", v["ref"])
            if kind and v["ref"]:
                if key in seen:
                    err("ref", t("meeting.decisions.r_duplicate", value=v["ref"], first=seen[key]))
                else:
                    seen[key] = n
            if errs:
                for f, reason in errs:
                    col = rec["_col"].get(f, 0)
                    letter = get_column_letter(col) if col else "?"
                    msg = t("meeting.decisions.err_row", file=path.name, row=n, col=letter, column=hdr[f], reason=reason)
                    report.errors.append({"row": n, "column": letter, "header": hdr[f], "reason": reason,
                                          "message": msg})
                    rejects.append({"row": n, "column": letter, "reason": reason,
                                    "raw": json.dumps(v, ensure_ascii=False)})
                continue
            good.append({"month": month, "item_kind": kind, "item_ref": v["ref"],
                         "household_id": v["household_id"] if kind == "case" else None,
                         "decision_type": v["decision_type"], "owner_role": v["owner_role"] or None,
                         "owner_code": v["owner_code"] or None, "note": v["note"] or None,
                         "decided_at": decided.isoformat() if decided else None, "row": n})
        now = _now()
        with transaction(conn):
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
                        (g["month"], g["item_kind"], g["item_ref"], *new_vals, path.name, g["row"], digest, now))
                    report.inserted += 1
                elif tuple(old) != new_vals:
                    conn.execute(
                        "UPDATE meeting_decisions SET household_id=?, decision_type=?, owner_role=?, owner_code=?, note=?,"
                        " decided_at=?, source_file=?, row=?, file_hash=?, ingested_at=?"
                        " WHERE month=? AND item_kind=? AND item_ref=?",
                        (*new_vals, path.name, g["row"], digest, now, g["month"], g["item_kind"], g["item_ref"]))
                    report.updated += 1
                else:
                    report.unchanged += 1
            for r in rejects:
                conn.execute(
                    "INSERT OR IGNORE INTO meeting_decision_rejects(file_hash, month, source_file, row, column_name, reason,"
                    " raw, recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                    (digest, month, path.name, r["row"], r["column"], r["reason"], r["raw"], now))
            conn.execute(
                "INSERT OR IGNORE INTO meeting_decision_files(file_hash, month, source_file, ingested_at, summary)"
                " VALUES (?,?,?,?,?)", (digest, month, path.name, now, json.dumps(report.to_dict(), ensure_ascii=False)))
        return report
    finally:
        conn.close()


def decisions_for_month(store: str | Path | None, month: str) -> pd.DataFrame:
    """Decisions taken at the meeting of ``month`` (empty frame with the columns when none)."""
    conn = connect(store)
    try:
        migrate(conn)
        rows = conn.execute(
            "SELECT month, item_kind, item_ref, household_id, decision_type, owner_role, owner_code, note, decided_at,"
            " source_file, row FROM meeting_decisions WHERE month = ? ORDER BY item_kind, item_ref",
            (parse_month(month),)).fetchall()
    finally:
        conn.close()
    cols = ["month", "item_kind", "item_ref", "household_id", "decision_type", "owner_role", "owner_code", "note",
            "decided_at", "source_file", "row"]
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def rejects(store: str | Path | None) -> pd.DataFrame:
    conn = connect(store)
    try:
        migrate(conn)
        rows = conn.execute("SELECT source_file, month, row, column_name, reason, raw FROM meeting_decision_rejects"
                            " ORDER BY id").fetchall()
    finally:
        conn.close()
    return pd.DataFrame([tuple(r) for r in rows], columns=["source_file", "month", "row", "column", "reason", "raw"])


def case_decisions_for_lists(store: str | Path | None, list_month: str) -> pd.DataFrame:
    """For the target lists of ``list_month``: the case decisions of the meeting of the month before.

    Columns: household_id, decision_type, decision_label, list_action, assign_role, owner_code, note,
    meeting_month (see docs/architecture.md)."""
    meeting_month = add_months(parse_month(list_month), -1)
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


def revisit_households(store: str | Path | None, month: str) -> set[str]:
    """Households the meeting of the month before ``month`` asked to see again (list_action ``revisit``)."""
    d = case_decisions_for_lists(store, month)
    return set(d.loc[d["list_action"] == "revisit", "household_id"])
