"""Month-end returns (処理結果の報告): read filled-in target-list workbooks back into the case-work DB.

Every row with something written in its result columns is validated against the list that was issued
(the workbook's hidden key and 管理情報 sheet name the month, list and revision):

- the key must be present and belong to this workbook; the household must be on this list (a household on
  another officer's list, or on none, is refused);
- 手段 and 結果 must be codes of the ledger contract (the workbook's drop-downs);
- 対応日 is required and must fall in the list's month; 約束日 cannot be before 対応日;
- 納付約束 / 分納誓約 need 約束金額 and 約束日; amounts are whole yen ≥ 0.

Errors are reported per file, Excel row and column, in Japanese. Accepted rows become contact records
(``target_returns``, one per month × list × household: a corrected later file replaces the earlier result);
refused rows are kept aside in ``target_return_rejects`` with the raw row. Ingesting the same file again
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb.era import EraDateError, normalize_text, parse_date
from kokuho_nb.labels import t, table
from kokuho_nb.store.db import transaction
from kokuho_nb.targets import months
from kokuho_nb.targets.db import open_db
from kokuho_nb.targets.workbook import (
    HEADER_ROW,
    META_SHEET,
    RESULT_COLUMNS,
    SHEET,
    column_letters,
    contact_codes,
)

PROMISE_RESULTS = ("納付約束", "分納誓約")
_AMOUNT_RE = re.compile(r"^[0-9]+$")


@dataclass
class RowError:
    file: str
    row: int
    column: str  # Excel column letter ('' for a whole-file problem)
    header: str
    reason: str

    def text(self) -> str:
        if not self.row:
            return self.reason
        return t("targets.returns.error_line", file=self.file, row=self.row, column=self.column,
                 header=self.header, reason=self.reason)


@dataclass
class FileReport:
    file: str
    month: str | None = None
    list_code: str | None = None
    revision: int | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": {f.file: {k: v for k, v in asdict(f).items() if k not in ("file", "errors")} for f in self.files},
            "errors": [asdict(e) for f in self.files for e in f.errors],
        }

    def message(self) -> str:
        lines = []
        for f in self.files:
            lines.append(t("targets.returns.summary", file=f.file, read=f.rows_read, accepted=f.rows_accepted,
                           unchanged=f.rows_unchanged, rejected=f.rows_rejected))
            lines += ["  " + e.text() for e in f.errors]
        return "\n".join(lines)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return normalize_text(str(v))


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return parse_date(str(v))


def _amount(v: Any) -> int:
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


def _raw(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def read_workbook(path: Path) -> tuple[dict[str, str], dict[str, str], list[tuple[int, dict[str, Any]]]]:
    """(meta, headers by column key, [(excel row, {column key: value})]) of a target-list workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if SHEET not in wb.sheetnames or META_SHEET not in wb.sheetnames:
            raise KeyError(SHEET)
        meta = {str(r[0]): _text(r[1]) for r in wb[META_SHEET].iter_rows(values_only=True) if r and r[0] is not None}
        letters = column_letters()
        order = list(letters)  # key, shown..., results... in column order A, B, C...
        heads = table("targets.workbook.columns")
        rows = []
        ws = wb[SHEET]
        for r, values in enumerate(ws.iter_rows(min_row=HEADER_ROW, values_only=True), start=HEADER_ROW):
            if r == HEADER_ROW:
                found = [_text(v) for v in values[: len(order)]]
                expected = [heads[k] for k in order]
                if found != expected:
                    raise KeyError("header")
                continue
            rows.append((r, {k: (values[i] if i < len(values) else None) for i, k in enumerate(order)}))
        return meta, {k: heads[k] for k in order}, rows
    finally:
        wb.close()


def _validate(values: dict[str, Any], ctx: dict[str, Any], heads: dict[str, str], letters: dict[str, str],
              file: str, row: int) -> tuple[dict[str, Any] | None, list[RowError]]:
    errors: list[RowError] = []

    def err(key: str, reason: str) -> None:
        errors.append(RowError(file, row, letters[key], heads[key], reason))

    key = _text(values.get("key"))
    household = None
    if not key:
        err("key", t("targets.returns.missing_key"))
    else:
        parts = key.split("|")
        if len(parts) != 4 or parts[:3] != [ctx["month"], ctx["list_code"], str(ctx["revision"])]:
            err("key", t("targets.returns.bad_key", value=key))
        else:
            household = parts[3]
            if household not in ctx["own"]:
                other = ctx["elsewhere"].get(household)
                if other:
                    err("household_id", t("targets.returns.foreign_household", household=household, other=other))
                else:
                    err("household_id", t("targets.returns.unknown_household", household=household))

    rec: dict[str, Any] = {"household_id": household}
    codes = ctx["codes"]
    for col, choices in (("method", codes["method"]), ("result", codes["result"])):
        v = _text(values.get(col))
        if not v:
            err(col, t("targets.returns.missing", column=heads[col]))
        elif v not in choices:
            err(col, t("targets.returns.bad_code", value=v, choices="・".join(choices)))
        rec[col] = v

    contact = None
    v = values.get("contact_date")
    if v is None or _text(v) == "":
        err("contact_date", t("targets.returns.missing", column=heads["contact_date"]))
    else:
        try:
            contact = _date(v)
            if not ctx["start"] <= contact <= ctx["end"]:
                err("contact_date", t("targets.returns.date_outside_month", value=contact.isoformat(),
                                      month=months.month_label(ctx["month"])))
        except (EraDateError, ValueError):
            err("contact_date", t("targets.returns.bad_date", value=_text(v)))
    rec["date"] = contact.isoformat() if contact else None

    amount = None
    v = values.get("promised_amount")
    if v is not None and _text(v) != "":
        try:
            amount = _amount(v)
        except (ValueError, TypeError):
            err("promised_amount", t("targets.returns.bad_amount", value=_text(v)))
    promised = None
    v = values.get("promised_date")
    if v is not None and _text(v) != "":
        try:
            promised = _date(v)
            if contact and promised < contact:
                err("promised_date", t("targets.returns.promise_before_contact", value=promised.isoformat()))
        except (EraDateError, ValueError):
            err("promised_date", t("targets.returns.bad_date", value=_text(v)))
    if rec["result"] in PROMISE_RESULTS:
        if amount is None and not any(e.column == letters["promised_amount"] for e in errors):
            err("promised_amount", t("targets.returns.promise_without_amount", result=rec["result"]))
        if promised is None and not any(e.column == letters["promised_date"] for e in errors):
            err("promised_date", t("targets.returns.promise_without_date", result=rec["result"]))
    rec["promised_amount"] = amount
    rec["promised_date"] = promised.isoformat() if promised else None
    memo = values.get("memo")
    rec["memo"] = None if memo is None or _text(memo) == "" else str(memo).strip()
    position = {letter: i for i, letter in enumerate(letters.values())}
    errors.sort(key=lambda e: position.get(e.column, 0))
    return (None if errors else rec), errors


def _context(conn: Any, month: str, list_code: str, revision: int) -> dict[str, Any] | None:
    issue = conn.execute("SELECT owner_code FROM target_issues WHERE month = ? AND list_code = ? AND revision = ?",
                         (month, list_code, revision)).fetchone()
    if issue is None:
        return None
    rows = conn.execute("SELECT household_id, list_code FROM target_items WHERE month = ? AND revision = ?",
                        (month, revision)).fetchall()
    own = {r[0] for r in rows if r[1] == list_code}
    elsewhere = {r[0]: r[1] for r in rows if r[1] != list_code}
    return {"month": month, "list_code": list_code, "revision": revision, "own": own, "elsewhere": elsewhere,
            "officer_code": issue[0] or list_code, "codes": contact_codes(),
            "start": months.month_start(month), "end": months.month_end(month)}


def ingest_file(store: str | Path | None, path: str | Path, *, conn: Any = None) -> FileReport:
    """Ingest one filled-in workbook (see module docstring)."""
    path = Path(path)
    report = FileReport(file=path.name)
    try:
        data = path.read_bytes()
        meta, heads, rows = read_workbook(path)
    except KeyError:
        report.errors.append(RowError(path.name, 0, "", "", t("targets.returns.not_a_list", file=path.name, sheet=SHEET)))
        return report
    except Exception as exc:  # not a workbook at all (zip/XML errors, missing file)
        report.errors.append(RowError(path.name, 0, "", "", t("targets.returns.cannot_read", file=path.name, error=exc)))
        return report
    digest = hashlib.sha256(data).hexdigest()
    own_conn = conn is None
    conn = conn or open_db(store)
    try:
        month = meta.get("month", "")
        list_code = meta.get("list_code", "")
        try:
            revision = int(meta.get("revision", "0"))
        except ValueError:
            revision = 0
        report.month, report.list_code, report.revision = month, list_code, revision
        ctx = _context(conn, month, list_code, revision)
        if ctx is None:
            report.errors.append(RowError(path.name, 0, "", "", t("targets.returns.not_issued", file=path.name,
                                                                   month=month, code=list_code, revision=revision)))
            return report
        letters = column_letters()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        accepted: list[tuple[int, dict[str, Any]]] = []
        rejected: list[tuple[int, dict[str, Any], list[RowError]]] = []
        for r, values in rows:
            if all(values.get(k) is None or _text(values.get(k)) == "" for k in RESULT_COLUMNS):
                continue
            report.rows_read += 1
            rec, errors = _validate(values, ctx, heads, letters, path.name, r)
            if rec is None:
                rejected.append((r, values, errors))
                report.errors.extend(errors)
            else:
                accepted.append((r, rec))
        with transaction(conn):
            for r, rec in accepted:
                fields = (ctx["officer_code"], rec["date"], rec["method"], rec["result"], rec["promised_amount"],
                          rec["promised_date"], rec["memo"])
                old = conn.execute(
                    "SELECT officer_code, date, method, result, promised_amount, promised_date, memo "
                    "FROM target_returns WHERE month = ? AND list_code = ? AND household_id = ?",
                    (month, list_code, rec["household_id"])).fetchone()
                if old is not None and tuple(old) == fields:
                    report.rows_unchanged += 1
                else:
                    conn.execute(
                        "INSERT INTO target_returns(month, list_code, household_id, revision, officer_code, date, "
                        "method, result, promised_amount, promised_date, memo, source_file, file_sha256, row, "
                        "ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                        "ON CONFLICT(month, list_code, household_id) DO UPDATE SET revision = excluded.revision, "
                        "officer_code = excluded.officer_code, date = excluded.date, method = excluded.method, "
                        "result = excluded.result, promised_amount = excluded.promised_amount, "
                        "promised_date = excluded.promised_date, memo = excluded.memo, "
                        "source_file = excluded.source_file, file_sha256 = excluded.file_sha256, row = excluded.row, "
                        "ingested_at = excluded.ingested_at",
                        (month, list_code, rec["household_id"], revision, *fields, path.name, digest, r, now))
                report.rows_accepted += 1
            for r, values, errors in rejected:
                raw = json.dumps({k: _raw(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)
                for e in errors:
                    conn.execute(
                        "INSERT OR IGNORE INTO target_return_rejects(file_sha256, source_file, row, col, header, "
                        "reason, raw, month, list_code, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (digest, path.name, r, e.column, e.header, e.reason, raw, month, list_code, now))
            report.rows_rejected = len(rejected)
            conn.execute(
                "INSERT OR IGNORE INTO target_return_files(file_sha256, source_file, month, list_code, rows_read, "
                "rows_accepted, rows_rejected, ingested_at) VALUES (?,?,?,?,?,?,?,?)",
                (digest, path.name, month, list_code, report.rows_read, report.rows_accepted, report.rows_rejected,
                 now))
        return report
    finally:
        if own_conn:
            conn.close()


def ingest_returns(store: str | Path | None, files: list[str | Path]) -> IngestReport:
    """Ingest several workbooks; each file is validated and stored on its own (one bad file stops nothing)."""
    conn = open_db(store)
    try:
        return IngestReport([ingest_file(store, f, conn=conn) for f in files])
    finally:
        conn.close()


def rejected_rows(store: str | Path | None, month: str | None = None) -> list[dict[str, Any]]:
    """The rows kept aside (file, row, column, header, reason, raw row)."""
    conn = open_db(store)
    try:
        sql = "SELECT source_file, row, col, header, reason, raw, month, list_code FROM target_return_rejects"
        args: tuple = ()
        if month:
            sql += " WHERE month = ?"
            args = (month,)
        rows = conn.execute(sql + " ORDER BY source_file, row, col", args).fetchall()
    finally:
        conn.close()
    return [dict(r) for r in rows]
