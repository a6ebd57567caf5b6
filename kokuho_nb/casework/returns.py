"""Month-end returns (処理結果の報告): filled-in target-list workbooks read back into the case-work database.

Every row with something written in its result columns is validated against the list that was issued (the
workbook's hidden key and 管理情報 sheet name the month, list and revision):

- the key must be present and belong to this workbook; the household must be on this list (a household on
  another officer's list, or on none, is refused);
- 手段 and 結果 must be codes of the ledger contract (the workbook's drop-downs);
- 対応日 is required and must fall in the list's month; 約束日 cannot be before 対応日;
- 納付約束 / 分納誓約 need 約束金額 and 約束日; amounts are whole yen ≥ 0.

Reading, error messages, rejects and idempotence are :mod:`kokuho_nb.casework.ingest`'s. Accepted rows become
contact records (``target_returns``, one per month × list × household: a corrected later file replaces the
earlier result) that the next triage reads through :func:`kokuho_nb.casework.contacts.accepted_contacts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kokuho_nb.casework import ingest, issued
from kokuho_nb.casework.contacts import undertaking_results
from kokuho_nb.casework.ingest import FileReport, RowError, SheetError
from kokuho_nb.casework.sheets import (
    HOUSEHOLD_FIELD,
    KEY_FIELD,
    LIST_HEADER_ROW,
    LIST_META_SHEET,
    LIST_SHEET,
    RESULT_FIELDS,
    list_header,
    return_headers,
)
from kokuho_nb.contract import file_spec
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.store import Store
from kokuho_nb.store.db import transaction

KIND = "returns"


def contact_codes() -> dict[str, list[str]]:
    """手段 and 結果 codes from the ledger contract (parameters/ledger/standard.yaml, 折衝記録.csv)."""
    spec = file_spec("折衝記録.csv")
    return {"method": list(spec.column("手段").codes), "result": list(spec.column("結果").codes)}


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        keep = ("month", "list_code", "revision", "rows_read", "rows_accepted", "rows_unchanged", "rows_rejected")
        return {
            "ok": self.ok,
            "files": {f.file: {k: _field(f, k) for k in keep} for f in self.files},
            "errors": [{k: v for k, v in asdict(e).items()} for f in self.files for e in f.errors],
            "warnings": [w for f in self.files for w in f.warnings],
        }

    def message(self) -> str:
        lines = []
        for f in self.files:
            lines.append(t("targets.returns.summary", file=f.file, read=f.rows_read, accepted=f.rows_accepted,
                           unchanged=f.rows_unchanged, rejected=f.rows_rejected))
            lines += ["  " + e.text() for e in f.errors]
            lines += ["  " + w for w in f.warnings]
        return "\n".join(lines)


def _field(report: FileReport, key: str) -> Any:
    return report.ref if key == "list_code" else getattr(report, key)


@dataclass
class _Context:
    month: Month
    list_code: str
    revision: int
    officer_code: str
    own: set[str]
    elsewhere: dict[str, str]
    codes: dict[str, list[str]]


def _context(store: Store, month: Month, list_code: str, revision: int) -> _Context | None:
    conn = issued.db(store)
    issue = conn.execute("SELECT owner_code FROM target_issues WHERE month = ? AND list_code = ? AND revision = ?",
                         (month, list_code, revision)).fetchone()
    if issue is None:
        return None
    rows = conn.execute("SELECT household_id, list_code FROM target_items WHERE month = ? AND revision = ?",
                        (month, revision)).fetchall()
    own = {r[0] for r in rows if r[1] == list_code}
    elsewhere = {r[0]: r[1] for r in rows if r[1] != list_code}
    return _Context(month, list_code, revision, issue[0] or list_code, own, elsewhere, contact_codes())


def read_workbook(path: Path) -> tuple[bytes, dict[str, str], dict[str, str], dict[str, str],
                                         list[tuple[int, dict[str, Any]]]]:
    """(bytes, meta, header by field, column letter by field, [(Excel row, {field: value})]) of a list workbook.

    :class:`SheetError` when it isn't one (no list sheet or management sheet, or a field's header missing)."""
    data, book = ingest.open_book(path)
    try:
        if LIST_SHEET not in book.sheetnames or LIST_META_SHEET not in book.sheetnames:
            raise SheetError(t("targets.returns.not_a_list", file=path.name, sheet=LIST_SHEET))
        meta = {str(r[0]): ingest.text(r[1]) for r in book[LIST_META_SHEET].iter_rows(values_only=True)
                if r and r[0] is not None}
        ws = book[LIST_SHEET]
        heads = return_headers()
        header = next(ws.iter_rows(min_row=LIST_HEADER_ROW, max_row=LIST_HEADER_ROW, values_only=True), ())
        columns = ingest.header_columns(header, heads)
        if set(columns) != set(heads):
            raise SheetError(t("targets.returns.not_a_list", file=path.name, sheet=LIST_SHEET))
        letters = {f: ingest.letter(i) for f, i in columns.items()}
        shown = ingest.header_columns(header, {HOUSEHOLD_FIELD: list_header(HOUSEHOLD_FIELD)})
        if shown:  # errors about the household point at its column when the sheet shows it
            letters[HOUSEHOLD_FIELD] = ingest.letter(shown[HOUSEHOLD_FIELD])
            heads = {**heads, HOUSEHOLD_FIELD: list_header(HOUSEHOLD_FIELD)}
        rows = []
        for r, rec in ingest.data_rows(ws, LIST_HEADER_ROW, columns):
            if all(ingest.text(rec.get(k)) == "" for k in RESULT_FIELDS):
                continue  # nothing written in the result columns: the case was not worked
            rows.append((r, rec))
        return data, meta, heads, letters, rows
    finally:
        book.close()


def _validate(values: dict[str, Any], ctx: _Context, heads: dict[str, str], letters: dict[str, str],
              file: str, row: int) -> tuple[dict[str, Any] | None, list[RowError]]:
    errors: list[RowError] = []

    def err(key: str, reason: str) -> None:
        errors.append(RowError(file, row, letters[key], heads[key], reason))

    key = ingest.text(values.get(KEY_FIELD))
    household = None
    if not key:
        err(KEY_FIELD, t("targets.returns.missing_key"))
    else:
        parts = key.split("|")
        if len(parts) != 4 or parts[:3] != [str(ctx.month), ctx.list_code, str(ctx.revision)]:
            err(KEY_FIELD, t("targets.returns.bad_key", value=key))
        else:
            household = parts[3]
            if household not in ctx.own:
                where = HOUSEHOLD_FIELD if HOUSEHOLD_FIELD in letters else KEY_FIELD
                other = ctx.elsewhere.get(household)
                if other:
                    err(where, t("targets.returns.foreign_household", household=household, other=other))
                else:
                    err(where, t("targets.returns.unknown_household", household=household))

    rec: dict[str, Any] = {"household_id": household}
    for col, choices in (("method", ctx.codes["method"]), ("result", ctx.codes["result"])):
        v = ingest.text(values.get(col))
        if not v:
            err(col, t("targets.returns.missing", column=heads[col]))
        elif v not in choices:
            err(col, t("targets.returns.bad_code", value=v, choices="・".join(choices)))
        rec[col] = v

    contact = None
    v = values.get("contact_date")
    if v is None or ingest.text(v) == "":
        err("contact_date", t("targets.returns.missing", column=heads["contact_date"]))
    else:
        try:
            contact = ingest.date(v)
            if not ctx.month.start <= contact <= ctx.month.end:
                err("contact_date", t("targets.returns.date_outside_month", value=contact.isoformat(),
                                      month=ctx.month.label()))
        except ingest.DateError:
            err("contact_date", t("targets.returns.bad_date", value=ingest.text(v)))
    rec["date"] = contact.isoformat() if contact else None

    amount = None
    v = values.get("promised_amount")
    if v is not None and ingest.text(v) != "":
        try:
            amount = ingest.amount(v)
        except (ValueError, TypeError):
            err("promised_amount", t("targets.returns.bad_amount", value=ingest.text(v)))
    promised: dt.date | None = None
    v = values.get("promised_date")
    if v is not None and ingest.text(v) != "":
        try:
            promised = ingest.date(v)
            if contact and promised < contact:
                err("promised_date", t("targets.returns.promise_before_contact", value=promised.isoformat()))
        except ingest.DateError:
            err("promised_date", t("targets.returns.bad_date", value=ingest.text(v)))
    if rec["result"] in undertaking_results():
        if amount is None and not any(e.column == letters["promised_amount"] for e in errors):
            err("promised_amount", t("targets.returns.promise_without_amount", result=rec["result"]))
        if promised is None and not any(e.column == letters["promised_date"] for e in errors):
            err("promised_date", t("targets.returns.promise_without_date", result=rec["result"]))
    rec["promised_amount"] = amount
    rec["promised_date"] = promised.isoformat() if promised else None
    memo = values.get("memo")
    rec["memo"] = None if memo is None or ingest.text(memo) == "" else str(memo).strip()
    position = {letter: i for i, letter in enumerate(sorted(letters.values(), key=lambda x: (len(x), x)))}
    errors.sort(key=lambda e: position.get(e.column, 0))
    return (None if errors else rec), errors


def _duplicates(rows: list[tuple[int, dict[str, Any]]], ctx: _Context, heads: dict[str, str],
                letters: dict[str, str], file: str) -> dict[int, RowError]:
    """Rows whose key names a household another row of the same file names too: each is refused."""
    by_household: dict[str, list[int]] = {}
    for r, values in rows:
        parts = ingest.text(values.get(KEY_FIELD)).split("|")
        if len(parts) == 4:
            by_household.setdefault(parts[3], []).append(r)
    where = HOUSEHOLD_FIELD if HOUSEHOLD_FIELD in letters else KEY_FIELD
    out = {}
    for household, at in by_household.items():
        if len(at) > 1:
            for r in at:
                out[r] = RowError(file, r, letters[where], heads[where],
                                  t("targets.returns.duplicate_key", household=household, n=len(at),
                                    rows="・".join(str(x) for x in at)))
    return out


def ingest_file(store: Store, path: str | Path, *, replace: bool = False) -> FileReport:
    """Ingest one filled-in workbook (see module docstring).

    A result already taken in from another file is not changed unless ``replace`` (the report names the file and
    the households); a file of an older revision than the latest issued is ingested with a warning."""
    path = Path(path)
    report = FileReport(kind=KIND, file=path.name)
    try:
        data, meta, heads, letters, rows = read_workbook(path)
    except SheetError as exc:
        return report.fail(str(exc.args[0]))
    report.sha256 = ingest.file_digest(data)
    month_text = meta.get("month", "")
    list_code = meta.get("list_code", "")
    try:
        revision = int(meta.get("revision", "0"))
    except ValueError:
        revision = 0
    report.month, report.ref, report.revision = month_text, list_code, revision
    try:
        month = Month.parse(month_text)
    except Exception:  # noqa: BLE001 - a management sheet that names no month: not an issued list
        month = None
    ctx = _context(store, month, list_code, revision) if month is not None else None
    if ctx is None:
        return report.fail(t("targets.returns.not_issued", file=path.name, month=month_text, code=list_code,
                             revision=revision))
    latest = issued.current_revision(store, month)
    if latest > revision:
        report.warnings.append(t("targets.returns.newer_revision", file=path.name, revision=revision, latest=latest))
    accepted: list[tuple[int, dict[str, Any]]] = []
    rejected: list[tuple[int, dict[str, Any], list[RowError]]] = []
    duplicates = _duplicates(rows, ctx, heads, letters, path.name)
    for r, values in rows:
        report.rows_read += 1
        rec, errors = _validate(values, ctx, heads, letters, path.name, r)
        if r in duplicates:
            rec, errors = None, [duplicates[r], *errors]
        if rec is None:
            rejected.append((r, values, errors))
            report.errors.extend(errors)
        else:
            accepted.append((r, rec))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    conn = issued.db(store)
    ingest.db(store)
    held: dict[str, list[str]] = {}  # other file -> households whose results this file would change
    replaced: dict[str, int] = {}
    with transaction(conn):
        for r, rec in accepted:
            fields = (ctx.officer_code, rec["date"], rec["method"], rec["result"], rec["promised_amount"],
                      rec["promised_date"], rec["memo"])
            old = conn.execute(
                "SELECT officer_code, date, method, result, promised_amount, promised_date, memo, source_file, "
                "file_sha256 FROM target_returns WHERE month = ? AND list_code = ? AND household_id = ?",
                (month, list_code, rec["household_id"])).fetchone()
            if old is not None and tuple(old)[:7] == fields:
                report.rows_unchanged += 1
                report.rows_accepted += 1
                continue
            if old is not None and old["file_sha256"] != report.sha256:
                if not replace:
                    held.setdefault(old["source_file"], []).append(rec["household_id"])
                    continue
                replaced[old["source_file"]] = replaced.get(old["source_file"], 0) + 1
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
                (month, list_code, rec["household_id"], revision, *fields, path.name, report.sha256, r, now))
            report.rows_accepted += 1
        report.rows_rejected = len(rejected)
        for other, households in held.items():
            report.fail(t("targets.returns.would_change", n=len(households), other=other,
                          households="、".join(households[:10]) + ("…" if len(households) > 10 else "")))
        for other, n in replaced.items():
            report.warnings.append(t("targets.returns.replaced", n=n, other=other))
        if not held:  # a file held back in part is not recorded as ingested: it can be taken in with --replace
            ingest.record(conn, report, rejected)
        else:
            ingest.record_rejects(conn, report, rejected)
    return report


def ingest_returns(store: Store, files: list[str | Path], *, replace: bool = False) -> IngestReport:
    """Ingest several workbooks; each file is validated and stored on its own (one bad file stops nothing).
    ``replace``: a file's results replace those taken in from another file (else they are held back)."""
    return IngestReport([ingest_file(store, f, replace=replace) for f in files])


def rejected_rows(store: Store, month: str | None = None) -> list[dict[str, Any]]:
    """The rows kept aside (file, row, column, header, reason, raw row, month, list code)."""
    rows = ingest.rejected_rows(store, KIND, month)
    return [{"source_file": r["source_file"], "row": r["row"], "col": r["col"], "header": r["header"],
             "reason": r["reason"], "raw": r["raw"], "month": r["month"], "list_code": r["ref"]} for r in rows]
