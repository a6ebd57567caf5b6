"""Import a ledger (folder or zip, standard layout or a vendor mapping) as one immutable dated snapshot.

Steps: locate the files -> read each (encoding, header, required columns; any problem refuses the whole
import before the store is touched) -> normalise and validate cells -> duplicate keys -> cross-file
references (unknown household, payment without charge) -> over-payments and payment-sum checks -> choose
the as-of date -> write the snapshot atomically (or find the identical one already there).

``as_of`` default: the latest payment or contact date in the accepted rows (収納.csv 収納日, 調定.csv
最終収納日, 折衝記録.csv 日付), or today when the ledger has none. A warning records which was used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kokuho_nb.contract import standard_files
from kokuho_nb.era import EraDateError, parse_date
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.ledger.mapping import Mapping, load_mapping
from kokuho_nb.ledger.reader import open_ledger, read_file, remove_legacy_temp
from kokuho_nb.ledger.report import ImportReport, file_counts
from kokuho_nb.ledger.validate import (
    TableResult,
    household_codes,
    positions,
    quarantine_duplicates,
    quarantine_unknown_refs,
    ref_codes,
    validate_file,
)
from kokuho_nb.params import value
from kokuho_nb.store import Store, snapshots
from kokuho_nb.store.import_log import record_import
from kokuho_nb.store.tables import empty_table

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the same ledger would import differently
#: The synthetic ward's generator leaves this file beside the CSVs; the manifest then says ``synthetic``
#: so that every output from the snapshot carries 模擬データ.
SYNTHETIC_MARKER = "模擬データ.txt"
MAX_LISTED = 10  # codes/areas named in one warning


def _parse_as_of(as_of: dt.date | str | None) -> dt.date | None:
    if as_of is None or isinstance(as_of, dt.date):
        return as_of.date() if isinstance(as_of, dt.datetime) else as_of
    try:
        return parse_date(str(as_of))
    except EraDateError as exc:
        raise UserError(t("ledger.error.bad_as_of", value=as_of), f"bad --as-of {as_of}") from exc


class _Progress:
    """One progress bar on stderr for the whole import (a step per file, then checks, then writing);
    a no-op when disabled (``--json``, API use). Shown only when the import takes over half a second."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=len(standard_files()) + 2, unit="step", leave=False, delay=0.5,
                            file=sys.stderr, bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}]")

    def step(self, desc: str, done: int = 1) -> None:
        if self.bar is not None:
            self.bar.set_description_str(desc)
            self.bar.update(done)

    def start(self, desc: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(desc)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _content_hash(results: dict[str, TableResult], mapping: Mapping) -> str:
    doc = {
        "format": FORMAT_VERSION,
        "files": {f: r.raw.sha256 for f, r in sorted(results.items())},
        "mapping": mapping.content_hash or mapping.name,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _read_all(
    path: Path, mapping: Mapping, progress: _Progress, timings: dict[str, float]
) -> tuple[str, dict[str, TableResult], bool]:
    specs = standard_files()
    names = [mapping.source_name(s.file) for s in specs]
    with open_ledger(path, names) as ledger:
        found = ledger.found
        synthetic = SYNTHETIC_MARKER in ledger.beside
        for spec in specs:
            if spec.required and mapping.source_name(spec.file) not in found:
                name = mapping.source_name(spec.file)
                shown = spec.file if name == spec.file else f"{spec.file}（{name}）"
                raise UserError(
                    t("ledger.error.missing_file", file=shown, path=str(path)), f"missing {spec.file}"
                )
        present = [s for s in specs if mapping.source_name(s.file) in found]
        results: dict[str, TableResult] = {}
        for spec in present:
            progress.start(f"{t('ledger.progress.reading')} {spec.file}")
            t0 = time.perf_counter()
            raw = read_file(found[mapping.source_name(spec.file)], spec, mapping, limit=ledger.zip_limit)
            t1 = time.perf_counter()
            results[spec.file] = validate_file(raw, spec, mapping.for_file(spec.file))
            timings["read"] = timings.get("read", 0.0) + t1 - t0
            timings["normalise"] = timings.get("normalise", 0.0) + time.perf_counter() - t1
            progress.step(f"{t('ledger.progress.reading')} {spec.file}")
        progress.step(t("ledger.progress.reading"), len(specs) - len(present))
    return str(Path(path).resolve()), results, synthetic


def _cross_checks(results: dict[str, TableResult]) -> None:
    for r in results.values():
        quarantine_duplicates(r)
    households = results["世帯.csv"]
    hh_index = pd.Index(households.codes["household_id"][1])
    codes = {f: household_codes(r, hh_index) for f, r in results.items() if "household_id" in r.codes}
    hh = codes["世帯.csv"]
    hh_ok, hh_bad = hh[~households.bad], hh[households.bad]
    unknown_hh = t("ledger.reason.unknown_household")
    quarantined_hh = t("ledger.reason.quarantined_household")
    for f, r in results.items():
        if r.spec.household_ref:
            quarantine_unknown_refs(r, r.spec.household_ref, ["household_id"], codes[f], hh_ok, hh_bad,
                                    unknown_hh, quarantined_hh)
    charges = results["調定.csv"]
    names = [charges.spec.column(h).name for h in charges.spec.key]
    ch = ref_codes(charges.frame, codes["調定.csv"], names)
    ch_ok, ch_bad = ch[~charges.bad], ch[charges.bad]
    for f, r in results.items():
        if r.spec.charge_ref:
            ref_names = [r.spec.column(h).name for h in r.spec.charge_ref]
            quarantine_unknown_refs(r, "・".join(r.spec.charge_ref), ref_names,
                                    ref_codes(r.frame, codes[f], ref_names), ch_ok, ch_bad,
                                    t("ledger.reason.unknown_charge"), t("ledger.reason.quarantined_charge"))


def _file_counts(r: TableResult) -> dict[str, int]:
    n_bad_width = len(r.raw.bad_rows)
    rows_read = len(r.bad) + n_bad_width
    rows_accepted = int((~r.bad).sum())
    if r.yen is None:
        return file_counts(rows_read, rows_accepted)
    yen = r.yen.astype(np.int64)
    return file_counts(rows_read, rows_accepted, int(yen.sum()), int(yen[~r.bad].sum()))


def _overpayments(charges: TableResult) -> list[dict[str, Any]]:
    ok = ~charges.bad
    f = charges.frame
    over = ok & (f["paid"].to_numpy() > f["amount"].to_numpy())
    rows = np.flatnonzero(over)
    sub = f.iloc[rows]
    return [
        {
            "file": charges.file,
            "line": int(charges.lines[row]),
            "household_id": hh,
            "fiscal_year": int(fy),
            "instalment": int(inst),
            "amount": int(amount),
            "paid": int(paid),
            "excess": int(paid - amount),
        }
        for row, hh, fy, inst, amount, paid in zip(
            rows, sub["household_id"], sub["fiscal_year"], sub["instalment"], sub["amount"], sub["paid"], strict=True
        )
    ]


def _payment_mismatches(charges: TableResult, payments: TableResult) -> list[dict[str, Any]]:
    """Accepted instalments whose 収納額 differs from the sum of their accepted payments."""
    keys = ["household_id", "fiscal_year", "instalment"]
    hh_index = pd.Index(charges.codes["household_id"][1])
    ch_ok = np.flatnonzero(~charges.bad)
    pay_ok = ~payments.bad
    ch_codes = ref_codes(charges.frame, household_codes(charges, hh_index), keys)[ch_ok]
    pay_codes = ref_codes(payments.frame, household_codes(payments, hh_index), keys)[pay_ok]
    # accepted charge keys are unique (duplicates were quarantined): position of each payment's charge
    pos = positions(ch_codes, pay_codes)
    amounts = payments.frame["amount"].to_numpy(dtype=np.int64)[pay_ok]
    found = pos >= 0
    psum_all = np.bincount(pos[found], weights=amounts[found].astype(np.float64), minlength=len(ch_codes))
    psum_all = np.rint(psum_all).astype(np.int64)  # exact: sums stay far below 2**53 yen
    paid_all = charges.frame["paid"].to_numpy(dtype=np.int64)[ch_ok]
    hit = np.flatnonzero(paid_all != psum_all)
    rows = ch_ok[hit]
    sub = charges.frame.iloc[rows]
    return [
        {
            "file": charges.file,
            "line": int(line),
            "household_id": hh,
            "fiscal_year": int(fy),
            "instalment": int(inst),
            "charge_paid": int(p),
            "payments_sum": int(s),
            "difference": int(p - s),
        }
        for line, hh, fy, inst, p, s in zip(charges.lines[rows], sub["household_id"], sub["fiscal_year"],
                                            sub["instalment"], paid_all[hit], psum_all[hit], strict=True)
    ]


def _warnings(report: ImportReport, results: dict[str, TableResult], as_of: dt.date) -> None:
    for r in results.values():
        if r.extras:
            report.warn("extra_columns", t("ledger.warning.extra_columns", file=r.file, columns="、".join(r.extras)),
                        r.file, columns=r.extras)
        if r.yen is not None:
            # a yen cell that is not a number (or a row of the wrong width) counts as 0 yen
            n = int(r.unparsed_yen.sum()) if r.unparsed_yen is not None else 0
            n += len(r.raw.bad_rows)
        else:
            n = 0
        if n:
            report.warn("unparsed_yen", t("ledger.warning.unparsed_yen", file=r.file, count=n), r.file, count=n)
    staff = results["担当者.csv"]
    codes = set(staff.frame.loc[~staff.bad, "officer_code"].dropna())
    for file in ("折衝記録.csv", "研修記録.csv"):
        r = results.get(file)
        if r is None:
            continue
        col = r.frame.loc[~r.bad, "officer_code"]
        unknown = col[~col.isin(codes)]
        if len(unknown):
            shown = sorted(set(unknown))[:MAX_LISTED]
            report.warn("unknown_officer", t("ledger.warning.unknown_officer", file=file, count=len(unknown),
                                             codes="、".join(shown)), file, count=int(len(unknown)))
    areas_owned: set[str] = set()
    for a in staff.frame.loc[~staff.bad, "areas"].dropna():
        areas_owned.update(a.split(";"))
    hh = results["世帯.csv"]
    areas = set(hh.frame.loc[~hh.bad, "area"].dropna())
    unowned = sorted(areas - areas_owned)
    if unowned:
        report.warn("unowned_areas", t("ledger.warning.unowned_areas", areas="、".join(unowned[:MAX_LISTED])),
                    "世帯.csv", areas=unowned)
    limit = np.datetime64(as_of, "ns")
    for file, column in (("収納.csv", "paid_date"), ("折衝記録.csv", "date")):
        r = results.get(file)
        if r is None:
            continue
        n = int((r.frame.loc[~r.bad, column].to_numpy() > limit).sum())
        if n:
            report.warn("dates_after_as_of", t("ledger.warning.dates_after_as_of", file=file, as_of=as_of, count=n),
                        file, count=n)


def _limit(name: str) -> Any:
    return value(f"ledger.import_limits.{name}", dt.date.today())


def _latest_allowed() -> dt.date:
    return dt.date.today() + dt.timedelta(days=int(_limit("max_as_of_days_after_today")))


def _check_as_of(as_of: dt.date) -> None:
    """A ledger describes the past: an as-of date after today is a typing error (2031 for 2021) that would make
    the snapshot the latest one for every month to come. Refused."""
    if as_of > _latest_allowed():
        raise UserError(t("ledger.error.as_of_future", as_of=as_of.isoformat(), today=dt.date.today().isoformat()),
                        f"as-of {as_of} is after today")


def _default_as_of(results: dict[str, TableResult]) -> tuple[dt.date | None, int]:
    """The latest payment / contact date not after today, and how many later (future-dated) cells were passed
    over (a typing error such as 2062 must not become the snapshot's date)."""
    latest = None
    limit = pd.Timestamp(_latest_allowed())
    skipped = 0
    for file, column in (("収納.csv", "paid_date"), ("調定.csv", "last_paid_date"), ("折衝記録.csv", "date")):
        r = results.get(file)
        if r is None:
            continue
        values = r.frame.loc[~r.bad, column]
        future = (values > limit).to_numpy(dtype=bool, na_value=False)
        skipped += int(future.sum())
        values = values[~future]
        if len(values) and values.notna().any():
            m = values.max()
            latest = m if latest is None or m > latest else latest
    return (latest.date() if latest is not None else None), skipped


def _refuse_unusable(report: ImportReport, results: dict[str, TableResult], entries: list[dict]) -> None:
    """Refuse a ledger that would give an empty or mostly quarantined ward (issue 16 §5): a file of
    ``required_accepted_files`` with no accepted row, or more than ``max_quarantined_share`` of its rows
    quarantined (``parameters/ledger/import_limits.yaml``). The store is not touched."""
    share_limit = float(_limit("max_quarantined_share"))
    for file in _limit("required_accepted_files"):
        c = report.files.get(file)
        if c is None:
            continue
        if c["rows_accepted"] == 0:
            raise UserError(t("ledger.error.no_accepted_rows", file=file, **c), f"{file}: no accepted row")
        if c["rows_read"] and c["rows_quarantined"] / c["rows_read"] > share_limit:
            first = next((f"{e['line']}行目「{e['column']}」{e['reason']}" for e in entries if e["file"] == file), "")
            raise UserError(t("ledger.error.too_many_quarantined", file=file, **c,
                              share=f"{c['rows_quarantined'] / c['rows_read']:.1%}", limit=f"{share_limit:.0%}",
                              first=first), f"{file}: {c['rows_quarantined']} of {c['rows_read']} quarantined")


def _quarantine_frame(results: dict[str, TableResult], entries: list[dict]) -> pd.DataFrame:
    rows_json: dict[tuple[str, int], str] = {}
    for r in results.values():
        for line, text in r.quarantined_rows_json().items():
            rows_json[(r.file, line)] = text
    frame = pd.DataFrame(entries, columns=["file", "line", "column", "value", "reason"])
    frame["line"] = frame["line"].astype("int64")
    frame["value"] = frame["value"].astype(object)
    frame["row"] = [rows_json.get((f, int(line)), "") for f, line in zip(frame["file"], frame["line"], strict=True)]
    return frame


def import_ledger(
    path: str | os.PathLike[str],
    store: Store | str | os.PathLike[str],
    *,
    as_of: dt.date | str | None = None,
    mapping: str | os.PathLike[str] | Mapping | None = None,
    progress: bool = False,
) -> ImportReport:
    """Import the ledger at ``path`` into ``store`` as one snapshot; see the module docstring.

    Raises :class:`UserError` (Japanese message naming the file and problem) when the whole import is
    refused; the store is then untouched. Bad rows do not refuse the import: they are quarantined and listed.
    A public entry point: ``store`` may be a folder (opened here).
    """
    store = Store.open(store)
    as_of_date = _parse_as_of(as_of)
    if as_of_date is not None:
        _check_as_of(as_of_date)
    remove_legacy_temp()  # zips extracted by earlier versions, left by a killed import
    snapshots.remove_stale_tmp(store.path)  # snapshot folders of a killed import (never created here)
    mp = load_mapping(mapping)
    timings: dict[str, float] = {}
    bar = _Progress(progress)
    try:
        report = _import(Path(path), store.path, as_of_date, mp, bar, timings)
    finally:
        bar.close()
    _log_import(store, report.to_dict())
    return report


def _log_import(store: Store, report: dict) -> None:
    """Every completed import goes into the case-work database's import log. A refused import leaves the
    store exactly as it was, so it is reported to the user but not logged there."""
    try:
        record_import(store, report)
    except Exception:  # the log must never turn a good import into a failure
        log.exception("could not write the import log")


def _import(
    path: Path,
    store: str | os.PathLike[str],
    as_of_date: dt.date | None,
    mp: Mapping,
    bar: _Progress,
    timings: dict[str, float],
) -> ImportReport:
    source, results, synthetic = _read_all(path, mp, bar, timings)
    bar.start(t("ledger.progress.validating"))
    t0 = time.perf_counter()
    _cross_checks(results)

    report = ImportReport(ok=True, source=source, mapping=mp.name, synthetic=synthetic, timings=timings)
    spec_order = {s.file: i for i, s in enumerate(standard_files())}
    entries: list[dict] = []
    for r in results.values():
        entries.extend(r.entries)
        entries.extend(r.bad_width_entries())
        report.files[r.file] = _file_counts(r)
    entries.sort(key=lambda e: (spec_order[e["file"]], e["line"]))
    report.quarantine = entries
    _refuse_unusable(report, results, entries)
    quarantined_lines = {(e["file"], e["line"]) for e in entries}
    report.formula_like = sorted(
        (f for r in results.values() for f in r.formula_like if (f["file"], f["line"]) not in quarantined_lines),
        key=lambda f: (spec_order[f["file"]], f["line"], f["column"]))
    by_file: dict[str, list[dict]] = {}
    for f in report.formula_like:
        by_file.setdefault(f["file"], []).append(f)
    for file, found in by_file.items():
        examples = "、".join(f"{f['line']}行目「{f['column']}」" for f in found[:3]) + ("…" if len(found) > 3 else "")
        report.warn("formula_like", t("ledger.warning.formula_like", file=file, count=len(found), examples=examples),
                    file, count=len(found))

    report.overpayments = _overpayments(results["調定.csv"])
    if report.overpayments:
        report.warn("overpayments", t("ledger.warning.overpayments", count=len(report.overpayments)), "調定.csv",
                    count=len(report.overpayments))
    if "収納.csv" in results:
        report.payment_mismatches = _payment_mismatches(results["調定.csv"], results["収納.csv"])
        if report.payment_mismatches:
            n = len(report.payment_mismatches)
            report.warn("payment_mismatch", t("ledger.warning.payment_mismatch", count=n), "収納.csv", count=n)

    if as_of_date is None:
        found, future = _default_as_of(results)
        if future:
            report.warn("future_dates_ignored", t("ledger.warning.future_dates_ignored", count=future,
                                                  today=dt.date.today().isoformat()), count=future)
        if found is not None:
            as_of_date = found
            report.warn("as_of_default", t("ledger.warning.as_of_default", as_of=found.isoformat()))
        else:
            as_of_date = dt.date.today()
            report.warn("as_of_today", t("ledger.warning.as_of_today", as_of=as_of_date.isoformat()))
    report.as_of = as_of_date
    _warnings(report, results, as_of_date)

    timings["checks"] = time.perf_counter() - t0
    bar.step(t("ledger.progress.writing"))
    content_hash = _content_hash(results, mp)
    sid = snapshots.make_snapshot_id(as_of_date, content_hash)
    report.snapshot_id = sid
    if snapshots.snapshot_exists(store, sid):
        report.already_imported = True
        report.warn("already_imported", t("ledger.warning.already_imported", snapshot=sid))
        return report

    t0 = time.perf_counter()
    tables = {spec.table: empty_table(spec.table) for spec in standard_files()}
    extras: dict[str, pa.Table] = {}
    for r in results.values():
        tables[r.spec.table] = r.accepted()
        if r.extras:
            keep = np.flatnonzero(~r.bad)
            extra = r.raw.table.select(r.extras).take(pa.array(keep, type=pa.int64()))
            extras[r.spec.table] = extra.append_column("line", pa.array(r.lines[keep]))
    manifest = {
        "id": sid,
        "as_of": as_of_date.isoformat(),
        "source": source,
        "source_hash": content_hash,
        "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mapping": mp.name,
        "mapping_path": mp.path,
        "synthetic": synthetic,
        "format_version": FORMAT_VERSION,
        "files": {
            f: {"path": r.raw.path.name, "encoding": r.raw.encoding, "sha256": r.raw.sha256, "extras": r.extras}
            for f, r in results.items()
        },
        "counts": {name: int(len(df)) for name, df in tables.items()},
        "quarantined": int(sum(c["rows_quarantined"] for c in report.files.values())),
        "report": {k: v for k, v in report.to_dict().items() if k != "quarantine"},
    }
    _path, created = snapshots.write_snapshot(store, sid, tables, _quarantine_frame(results, entries), manifest,
                                              extras)
    timings["write"] = time.perf_counter() - t0
    bar.step(t("ledger.progress.writing"))
    if not created:
        report.already_imported = True
        report.warn("already_imported", t("ledger.warning.already_imported", snapshot=sid))
    return report
