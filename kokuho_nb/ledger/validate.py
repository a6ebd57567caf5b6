"""Row validation: a read file -> canonical columns, and the rows to quarantine with their reasons.

Every bad cell gives one quarantine entry ``{file, line, column, value, reason}`` (a row with two bad cells
gives two entries, and is counted once as a quarantined row). Cross-file checks (unknown household,
payments without a charge) and duplicate keys are applied by :func:`quarantine_rows` after all files are
read, in the importer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kokuho_nb.contract import ColumnSpec, FileSpec
from kokuho_nb.labels import t
from kokuho_nb.ledger.mapping import FileMapping
from kokuho_nb.ledger.normalize import normalize_column
from kokuho_nb.ledger.reader import RawFile
from kokuho_nb.store.tables import column_dtype
from kokuho_nb.xlsx import UNSAFE_CHARS_RE, is_formula_like


@dataclass
class TableResult:
    """One file after cell validation. Arrays are aligned with the rows that had the right width."""

    spec: FileSpec
    raw: RawFile
    frame: pd.DataFrame  # canonical columns, every well-formed row (bad cells NA / 0)
    bad: np.ndarray  # bool per row: quarantined
    entries: list[dict] = field(default_factory=list)
    yen: np.ndarray | None = None  # the report's yen column per row (unreadable = 0)
    unparsed_yen: np.ndarray | None = None  # bool per row: the yen cell was not a number
    extras: list[str] = field(default_factory=list)
    formula_like: list[dict] = field(default_factory=list)  # accepted text that a spreadsheet could run as a formula
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # text column -> (codes, values)

    @property
    def file(self) -> str:
        return self.spec.file

    @property
    def lines(self) -> np.ndarray:
        return self.raw.lines

    def quarantine(self, rows: np.ndarray, column: str, reasons: list[str] | str, values: list[str]) -> None:
        """Quarantine ``rows`` (positions) with one entry each for ``column``."""
        if isinstance(reasons, str):
            reasons = [reasons] * len(rows)
        for row, reason, value in zip(rows, reasons, values, strict=True):
            self.entries.append(
                {"file": self.file, "line": int(self.lines[row]), "column": column, "value": value, "reason": reason}
            )
        self.bad[rows] = True

    def raw_values(self, header: str, rows: np.ndarray) -> list[str]:
        if header not in self.raw.table.column_names or len(rows) == 0:
            return [""] * len(rows)
        return self.raw.table.column(header).take(pa.array(rows, type=pa.int64())).to_pylist()

    def accepted(self) -> pd.DataFrame:
        keep = ~self.bad
        if keep.all():
            return self.frame
        return self.frame.loc[keep].reset_index(drop=True)

    def bad_width_entries(self) -> list[dict]:
        whole = t("ledger.summary.whole_row")
        ncols = len(self.raw.headers)
        return [
            {
                "file": self.file,
                "line": line,
                "column": whole,
                "value": text,
                "reason": t("ledger.reason.column_count", expected=ncols, actual=width),
            }
            for line, text, width in self.raw.bad_rows
        ]

    def quarantined_rows_json(self) -> dict[int, str]:
        """Line -> the whole raw row (header -> text) as JSON, for the quarantine file: nothing is lost."""
        rows = np.flatnonzero(self.bad)
        out: dict[int, str] = {}
        if len(rows):
            taken = self.raw.table.take(pa.array(rows, type=pa.int64())).to_pylist()
            for row, record in zip(rows, taken, strict=True):
                out[int(self.lines[row])] = json.dumps(record, ensure_ascii=False)
        for line, text, _width in self.raw.bad_rows:
            out[line] = json.dumps({"_raw": text}, ensure_ascii=False)
        return out


#: RE2 (Arrow) form of :data:`kokuho_nb.xlsx.UNSAFE_CHARS_RE`: control characters but tab/LF/CR, bidi controls.
_UNSAFE_RE2 = (r"[\x{0000}-\x{0008}\x{000b}\x{000c}\x{000e}-\x{001f}\x{007f}-\x{009f}\x{061c}\x{200e}\x{200f}"
               r"\x{202a}-\x{202e}\x{2066}-\x{2069}\x{fffe}\x{ffff}]")
_TEXT_TYPES = ("text", "list")


def shown_value(text: str) -> str:
    """A raw cell for the quarantine and the report: control and bidi characters as ``<U+XXXX>`` (so a report
    never prints one, and the reader sees where it was)."""
    return UNSAFE_CHARS_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def _unsafe_rows(result: TableResult, header: str) -> np.ndarray:
    """Positions of the rows whose cell in ``header`` holds a control / bidi character; quarantined here."""
    column = result.raw.table.column(header)
    hit = pc.match_substring_regex(column, _UNSAFE_RE2).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(hit)
    if len(rows):
        values = result.raw_values(header, rows)
        reasons = [t("ledger.reason.unsafe_chars", chars="、".join(
            sorted({f"U+{ord(ch):04X}" for ch in UNSAFE_CHARS_RE.findall(v)}))) for v in values]
        result.quarantine(rows, header, reasons, [shown_value(v) for v in values])
    return rows


def _formula_like(result: TableResult, col: ColumnSpec, res: Any) -> None:
    """Accepted text cells a spreadsheet could take for a formula (``=HYPERLINK(…)`` in 使用言語): listed with
    file, line and column; the workbooks write them as text (:mod:`kokuho_nb.xlsx`)."""
    raw = result.raw.table.column(col.header)
    starts = pc.match_substring_regex(raw, r"^[\t\r]").to_numpy(zero_copy_only=False)
    if res.codes is not None and res.code_values is not None and len(res.code_values):
        flagged = np.array([isinstance(v, str) and is_formula_like(v) for v in res.code_values], dtype=bool)
        if flagged.any():
            starts = starts | np.append(flagged, False)[res.codes]  # code -1 (NA) -> the appended False
    rows = np.flatnonzero(starts & ~result.bad)
    if len(rows):
        for row, value in zip(rows, result.raw_values(col.header, rows), strict=True):
            result.formula_like.append({"file": result.file, "line": int(result.lines[row]), "column": col.header,
                                        "value": shown_value(value)})


def validate_file(raw: RawFile, spec: FileSpec, fmap: FileMapping) -> TableResult:
    """Normalise every known column of ``raw`` and mark the rows with bad cells."""
    n = raw.table.num_rows
    present = set(raw.table.column_names)
    data: dict[str, pd.Series] = {}
    bad = np.zeros(n, dtype=bool)
    result = TableResult(spec, raw, pd.DataFrame(), bad)
    text_columns = []
    for col in spec.columns:
        dtype = column_dtype(col)
        if col.header not in present:
            if col.fill is not None:
                data[col.name] = pd.Series(np.full(n, col.fill), dtype=dtype)
            else:
                data[col.name] = pd.Series([None] * n if dtype == "object" else pd.array([None] * n, dtype=dtype))
                if dtype.startswith("datetime"):
                    data[col.name] = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
            continue
        res = normalize_column(
            raw.table.column(col.header),
            col,
            translate=fmap.codes.get(col.header),
            date_formats=fmap.formats_for(col.header) if col.type == "date" else (),
            dtype=dtype,
        )
        data[col.name] = res.values
        if res.codes is not None:
            result.codes[col.name] = (res.codes, res.code_values)
        error = res.error
        if raw.unsafe:  # control / bidi characters: one entry for the cell, whatever else is wrong with it
            unsafe = _unsafe_rows(result, col.header)
            if len(unsafe):
                error = error.copy()
                error[unsafe] = False
        if col.type in _TEXT_TYPES:
            text_columns.append((col, res))
        rows = np.flatnonzero(error)
        if len(rows):
            result.quarantine(rows, col.header, [res.reason_of(r) for r in rows], [res.raw_of(r) for r in rows])
        if spec.yen_column == col.header:
            result.yen = res.yen_value
            result.unparsed_yen = res.unparsed
    result.frame = pd.DataFrame(data, index=pd.RangeIndex(n))

    # conditional requirements (e.g. 執行停止 needs 停止根拠)
    for rule in spec.required_when:
        target = spec.column(rule.column).name
        when = spec.column(rule.when_column).name
        rows = np.flatnonzero(
            (result.frame[when] == rule.equals).to_numpy(dtype=bool, na_value=False)
            & result.frame[target].isna().to_numpy()
            & ~bad
        )
        if len(rows):
            reason = t("ledger.reason.required_when", when_column=rule.when_column, equals=rule.equals,
                       reference=rule.reference)
            result.quarantine(rows, rule.column, reason, result.raw_values(rule.column, rows))

    for col, res in text_columns:
        _formula_like(result, col, res)
    known = set(spec.headers)
    result.extras = [h for h in raw.headers if h not in known]
    return result


def combined_codes(result: TableResult, rows: np.ndarray, names: list[str]) -> np.ndarray:
    """One int64 code per row (of ``rows``) for the tuple of ``names``: equal tuples, equal codes."""
    combined = np.zeros(len(rows), dtype=np.int64)
    span = 1
    for name in names:
        if name in result.codes:
            codes, values = result.codes[name]
            codes, n_values = codes[rows] + 1, len(values) + 1
        else:
            col = result.frame[name].to_numpy()[rows]
            if col.dtype.kind == "i" and len(col) and 0 <= col.min() and col.max() < 1 << 16:
                codes, n_values = col.astype(np.int64), int(col.max()) + 1  # small ints are their own codes
            else:
                codes, uniques = pd.factorize(col, use_na_sentinel=False)
                codes, n_values = codes.astype(np.int64), len(uniques)
        if span * (n_values + 1) >= 1 << 62:  # keep codes small: renumber densely
            combined, span = pd.factorize(combined)[0].astype(np.int64), int(combined.max()) + 1
        combined = combined * (n_values + 1) + codes
        span *= n_values + 1
    return combined


def quarantine_duplicates(result: TableResult) -> None:
    """Duplicate keys among the rows still accepted: the first (lowest line) is kept, later ones quarantined."""
    spec = result.spec
    if not spec.key:
        return
    names = [spec.column(h).name for h in spec.key]
    ok = np.flatnonzero(~result.bad)
    if len(ok) == 0:
        return
    codes = pd.Series(combined_codes(result, ok, names))
    dup = codes.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_of_row = pd.Series(np.arange(len(codes))).groupby(codes.to_numpy()).transform("first").to_numpy()
    rows = ok[dup]
    first_lines = result.lines[ok[first_of_row[dup]]]
    values = [" / ".join(str(v) for v in key) for key in result.frame.iloc[rows][names].itertuples(
        index=False, name=None)]
    reasons = [t("ledger.reason.duplicate_key", keys=v, first_line=int(line))
               for v, line in zip(values, first_lines, strict=True)]
    result.quarantine(rows, "・".join(spec.key), reasons, values)


FY_BASE = 1900  # fiscal years are validated to 1989..2100, so fy - FY_BASE fits in 8 bits


def household_codes(result: TableResult, households: pd.Index) -> np.ndarray:
    """Position of each row's household_id in ``households`` (-1 if absent or NA). Looked up once per
    distinct id, then spread to the rows."""
    codes, values = result.codes["household_id"]
    pos = np.append(households.get_indexer(values).astype(np.int64), -1)  # code -1 (NA) -> last -> -1
    return pos[codes]


def ref_codes(frame: pd.DataFrame, hh_codes: np.ndarray, names: list[str]) -> np.ndarray:
    """Int64 codes of a household reference (``[household_id]``) or a charge reference (``[household_id,
    fiscal_year, instalment]``), comparable across tables; -1 where the household is unknown.
    ``hh_codes`` comes from :func:`household_codes` for the same rows."""
    if names == ["household_id"]:
        return hh_codes
    fy = (frame["fiscal_year"].to_numpy(dtype=np.int64, na_value=0) - FY_BASE) & 0xFF
    inst = frame["instalment"].to_numpy(dtype=np.int64, na_value=0) & 0xF
    return np.where(hh_codes < 0, -1, (hh_codes << 12) | (fy << 4) | inst)


def positions(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Position in ``keys`` (unique int64) of each query, -1 when absent. Sort-based: ledgers usually come
    sorted by key, and then no sort is needed at all."""
    if len(keys) == 0:
        return np.full(len(queries), -1, dtype=np.int64)
    order = None
    if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
    i = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    found = keys[i] == queries
    pos = i if order is None else order[i]
    return np.where(found, pos, -1)


def _isin(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    allowed = allowed[allowed >= 0]
    top = max(int(values.max()) if len(values) else 0, int(allowed.max()) if len(allowed) else 0)
    if top < 1 << 24:  # dense codes (households): a lookup table
        table = np.zeros(top + 2, dtype=bool)
        table[allowed] = True
        return table[values]  # -1 (unknown) reads the last slot, always False
    if len(allowed) == 0:
        return np.zeros(len(values), dtype=bool)
    ordered = np.sort(allowed)  # (np.unique hashes: several times slower here)
    i = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[i] == values


def quarantine_unknown_refs(
    result: TableResult,
    ref_header: str,
    key_names: list[str],
    keys_all: np.ndarray,
    accepted_keys: np.ndarray,
    quarantined_keys: np.ndarray,
    reason_unknown: str,
    reason_quarantined: str,
) -> None:
    """Rows (still accepted) whose reference code (``keys_all``, one per row of the table) is not among
    ``accepted_keys`` are quarantined; the reason says whether the referenced row was quarantined itself or
    never existed."""
    ok = np.flatnonzero(~result.bad)
    if len(ok) == 0:
        return
    keys = keys_all[ok]
    missing = ~_isin(keys, accepted_keys)
    if not missing.any():
        return
    rows = ok[missing]
    was_quarantined = _isin(keys[missing], quarantined_keys)
    sub = result.frame.iloc[rows]
    texts = [" / ".join(str(v) for v in key) for key in sub[key_names].itertuples(index=False, name=None)]
    reasons = [(reason_quarantined if q else reason_unknown).format(value=text, key=text)
               for text, q in zip(texts, was_quarantined, strict=True)]
    result.quarantine(rows, ref_header, reasons, texts)
