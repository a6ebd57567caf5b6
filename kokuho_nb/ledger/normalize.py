"""Cell normalisers: what a ledger cell says -> the canonical value, or a Japanese reason why not.

Scalar functions (``norm_yen("１２，３４５円") == 12345``) raise :class:`NormalizeError` whose ``reason`` is
Japanese. :func:`normalize_column` applies them to a whole column fast: the column is dictionary-encoded
(each distinct string once), plain values (ASCII digits, ISO dates, ASCII text) take a vectorised Arrow path,
the rest go through the scalar function once per distinct value, and the results are spread back to the rows
by index. A few million rows with a few hundred thousand distinct amounts take well under a second per column.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kokuho_nb.contract import ColumnSpec
from kokuho_nb.era import EraDateError, parse_date, parse_fiscal_year
from kokuho_nb.labels import t


class NormalizeError(ValueError):
    """A cell that cannot be normalised; ``reason`` is the Japanese text shown in the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _r(key: str, **fields: Any) -> NormalizeError:
    return NormalizeError(t(f"ledger.reason.{key}", **fields))


def nfkc(text: str) -> str:
    """NFKC (full-width digits/letters/symbols to half-width, half-width kana to full-width), trimmed."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


# ---------------------------------------------------------------- text-like
def norm_text(text: str) -> str | None:
    s = nfkc(text)
    return s or None


_KANA_OK = re.compile(r"^[\u30a1-\u30fa\u30fc-\u30fe\u31f0-\u31ff\u30fb\u3000]+$")
_SPACES = re.compile(r"\s+")


def norm_kana(text: str) -> str | None:
    """Katakana name: half-width (ﾀﾅｶ) and hiragana accepted; stored full-width, words split by "　"."""
    s = nfkc(text)
    if not s:
        return None
    s = "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in s)
    s = _SPACES.sub("\u3000", s)
    if not _KANA_OK.match(s):
        bad = "".join(sorted({ch for ch in s if not _KANA_OK.match(ch)}))
        raise _r("not_katakana", bad=bad)
    return s


_LIST_SEP = re.compile(r"[;、,・\s]+")


def norm_list(text: str) -> str | None:
    """``A01；A02、A03`` -> ``A01;A02;A03``."""
    s = nfkc(text)
    if not s:
        return None
    items = [item for item in _LIST_SEP.split(s) if item]
    return ";".join(items) or None


def norm_code(text: str, codes: Sequence[str]) -> str | None:
    s = nfkc(text)
    if not s:
        return None
    if s not in codes:
        raise _r("bad_code", value=s, codes="/".join(codes))
    return s


_TRUE = {"有", "あり", "有り"}
_FALSE = {"無", "なし", "無し"}


def norm_bool(text: str) -> bool | None:
    s = nfkc(text)
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _r("bad_bool", value=s)


# ---------------------------------------------------------------- numbers
_INT_RE = re.compile(r"^[+-]?\d+$")


def norm_int(text: str, aliases: Mapping[str, int] | None = None, strip_suffix: str | None = None) -> int | None:
    s = nfkc(text)
    if not s:
        return None
    if aliases and s in aliases:
        return int(aliases[s])
    if strip_suffix and s.endswith(strip_suffix):
        s = s[: -len(strip_suffix)].strip()
    if not _INT_RE.match(s):
        raise _r("bad_int", value=text.strip())
    return int(s)


_YEN_RE = re.compile(r"^(\d+)(?:\.(\d+))?$")


def norm_yen(text: str) -> int | None:
    """``12,345`` ``12345円`` ``￥12,345`` ``１２，３４５`` -> 12345; ``▲500`` / ``△500`` / ``-500`` -> -500."""
    s = nfkc(text)
    if not s:
        return None
    s = s.replace(",", "").replace(" ", "")
    sign = 1
    if s[:1] in ("-", "▲", "△", "−"):
        sign, s = -1, s[1:]
    if s[:1] in ("¥", "\\"):
        s = s[1:]
    if s.endswith("円"):
        s = s[:-1]
    if s[:1] in ("-", "▲", "△") and sign == 1:  # ¥-500
        sign, s = -1, s[1:]
    m = _YEN_RE.match(s)
    if not m:
        raise _r("bad_yen", value=text.strip())
    if m[2] and int(m[2]) != 0:
        raise _r("fraction_yen", value=text.strip())
    return sign * int(m[1])


def norm_year(text: str) -> int | None:
    s = nfkc(text)
    if not s:
        return None
    try:
        return parse_fiscal_year(s)
    except EraDateError as exc:
        raise NormalizeError(str(exc)) from exc


# ---------------------------------------------------------------- dates
_ERA_CODE = {"1": 1868, "2": 1912, "3": 1926, "4": 1989, "5": 2019}  # 明治 大正 昭和 平成 令和: year 1


def _parse_era_code7(s: str) -> dt.date:
    """``5060401`` = 令和6年4月1日: the 7-digit era-coded date of Japanese municipal systems."""
    if len(s) != 7 or not s.isdigit() or s[0] not in _ERA_CODE:
        raise ValueError(s)
    year = _ERA_CODE[s[0]] + int(s[1:3]) - 1
    return dt.date(year, int(s[3:5]), int(s[5:7]))


_MIDNIGHT = re.compile(r"[ T]0?0:00(?::00(?:\.0+)?)?$")


def norm_date(text: str, formats: Sequence[str] = ()) -> dt.date | None:
    """Any date of :func:`kokuho_nb.era.parse_date`; ``formats`` (strptime, or ``era_code7``) tried first.
    A midnight time that spreadsheets append (``2024/4/1 0:00:00``) is ignored; any other time is not."""
    s = nfkc(text)
    if not s:
        return None
    s = _MIDNIGHT.sub("", s)
    for fmt in formats:
        try:
            if fmt == "era_code7":
                return _parse_era_code7(s)
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    try:
        return parse_date(s)
    except EraDateError as exc:
        if formats:
            raise _r("bad_date_format", value=text.strip(), formats=" / ".join(formats)) from exc
        raise NormalizeError(str(exc)) from exc


def check_range(value: int, col: ColumnSpec, raw: str) -> None:
    if col.min is not None and value < col.min:
        if col.type == "yen":
            raise _r("negative_yen" if col.min == 0 else "nonpositive_yen", value=raw.strip())
        raise _r("below_min", value=raw.strip(), min=col.min)
    if col.max is not None and value > col.max:
        raise _r("above_max", value=raw.strip(), max=col.max)


def scalar_normalizer(col: ColumnSpec, date_formats: Sequence[str] = ()) -> Callable[[str], Any]:
    """The function turning one raw cell of ``col`` into its value (``None`` = empty)."""
    kind = col.type
    if kind == "text":
        return norm_text
    if kind == "kana":
        return norm_kana
    if kind == "list":
        return norm_list
    if kind == "code":
        return lambda s: norm_code(s, col.codes)
    if kind == "bool":
        return norm_bool
    if kind == "date":
        return lambda s: norm_date(s, date_formats)
    if kind in ("int", "yen", "year"):
        base: Callable[[str], int | None]
        if kind == "int":
            def base(s: str) -> int | None:
                return norm_int(s, col.aliases, col.strip_suffix)
        elif kind == "yen":
            base = norm_yen
        else:
            base = norm_year

        def numeric(s: str) -> int | None:
            v = base(s)
            if v is not None:
                if abs(v) >= 10**15:  # beyond any premium; also keeps int64 safe
                    raise _r("bad_yen" if kind == "yen" else "bad_int", value=s.strip())
                check_range(v, col, s)
            return v

        return numeric
    raise ValueError(f"unknown column type {kind}")


# ---------------------------------------------------------------- whole columns
@dataclass
class ColumnResult:
    """A normalised column: ``values`` (pandas Series, canonical dtype), ``missing`` (bool per row: empty
    cell), ``error`` (bool per row) and ``reason`` (object per row: Japanese reason or None)."""

    values: pd.Series
    missing: np.ndarray
    error: np.ndarray
    reason_of: Callable[[int], str]
    raw_of: Callable[[int], str]
    yen_value: np.ndarray | None = None  # numeric columns: parsed value even when out of range, else 0
    unparsed: np.ndarray | None = None  # numeric columns: bool per row, the cell could not be read as a number
    codes: np.ndarray | None = None  # text-like columns: int64 per row, equal values equal codes (-1 = NA)
    code_values: np.ndarray | None = None  # the value of each code (object array)


_PLAIN_DIGITS = r"^[0-9]+$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PLAIN_TEXT = r"^\S(.*\S)?$"


def _dictionary(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    enc = pc.dictionary_encode(values)
    return enc.dictionary, enc.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


@dataclass
class _Distinct:
    """The distinct values of a column being normalised, and what each became."""

    raw: list[str]
    kind: str
    todo: np.ndarray  # distinct values still to be done one by one in Python
    error: np.ndarray
    missing: np.ndarray
    unparsed: np.ndarray  # yen cells that are no number at all (counted as 0 yen)
    reasons: dict[int, str] = field(default_factory=dict)
    numeric: np.ndarray | None = None  # int / yen / year
    dates: np.ndarray | None = None  # date
    objects: np.ndarray | None = None  # text / list / code / kana / bool


def _fast_paths(uniques: pa.Array, raw_u: list[str], col: ColumnSpec, date_formats: Sequence[str]) -> _Distinct:
    """Vectorised normalisation of the common plain forms (plain digits, ISO dates, ASCII text, known codes);
    what they can't settle is left in ``todo``."""
    n_u = len(raw_u)
    kind = col.type
    d = _Distinct(raw_u, kind, np.ones(n_u, dtype=bool), np.zeros(n_u, dtype=bool), np.zeros(n_u, dtype=bool),
                  np.zeros(n_u, dtype=bool))
    if kind in ("int", "yen", "year"):
        plain = pc.match_substring_regex(uniques, _PLAIN_DIGITS).to_numpy(zero_copy_only=False)
        plain &= pc.utf8_length(uniques).to_numpy(zero_copy_only=False) <= 15
        out_u = np.zeros(n_u, dtype=np.int64)
        if plain.any():
            out_u[plain] = pc.cast(pc.filter(uniques, pa.array(plain)), pa.int64()).to_numpy()
            bad = np.zeros(n_u, dtype=bool)
            if col.min is not None:
                bad |= plain & (out_u < col.min)
            if col.max is not None:
                bad |= plain & (out_u > col.max)
            d.todo = ~plain | bad
        d.numeric = out_u
    elif kind == "date":
        d.dates = np.full(n_u, np.datetime64("NaT"), dtype="datetime64[ns]")
        if n_u and not date_formats:
            iso = pc.match_substring_regex(uniques, _ISO_DATE).to_numpy(zero_copy_only=False)
            if iso.any():
                iso_text = pc.filter(uniques, pa.array(iso))
                parsed = pc.strptime(iso_text, format="%Y-%m-%d", unit="s", error_is_null=True)
                # Arrow rolls impossible days over (2024-02-30 -> 03-01): keep only exact round trips
                exact = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), iso_text), False)
                arr = parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
                arr[~exact.to_numpy(zero_copy_only=False)] = np.datetime64("NaT")
                d.dates[iso] = arr
                d.todo = ~iso | np.isnat(d.dates)
    elif kind in ("text", "list", "code") and n_u:
        d.objects = np.array(raw_u, dtype=object)
        if kind == "text":
            ascii_u = pc.string_is_ascii(uniques).to_numpy(zero_copy_only=False)
            trimmed = pc.match_substring_regex(uniques, _PLAIN_TEXT).to_numpy(zero_copy_only=False)
            d.todo = ~(ascii_u & trimmed)
        elif kind == "code":
            ok = pc.is_in(uniques, value_set=pa.array(list(col.codes), type=pa.string()))
            d.todo = ~ok.to_numpy(zero_copy_only=False)
    else:
        d.objects = np.empty(n_u, dtype=object)
    if kind in ("kana", "bool") and n_u:
        d.objects = np.empty(n_u, dtype=object)
    return d


def _one_by_one(d: _Distinct, col: ColumnSpec, date_formats: Sequence[str]) -> None:
    """The distinct values the fast paths left: the scalar normaliser, errors and missing values recorded."""
    fn = scalar_normalizer(col, date_formats)
    for i in np.flatnonzero(d.todo):
        s = d.raw[i]
        try:
            v = fn(s)
        except NormalizeError as exc:
            d.error[i] = True
            d.reasons[int(i)] = exc.reason
            if d.numeric is not None:
                loose = _loose_int(s)
                d.numeric[i] = loose or 0
                d.unparsed[i] = loose is None
            continue
        if v is None:
            d.missing[i] = True
            if col.required and not col.allow_empty:
                d.error[i] = True
                d.reasons[int(i)] = t("ledger.reason.empty_required")
            continue
        if d.numeric is not None:
            d.numeric[i] = v
        elif d.kind == "date":
            assert d.dates is not None
            d.dates[i] = np.datetime64(v, "ns")
        else:
            assert d.objects is not None
            d.objects[i] = v


def _spread(d: _Distinct, idx: np.ndarray, col: ColumnSpec, dtype: str) -> ColumnResult:
    """The distinct values' results spread back to the rows."""
    missing = d.missing[idx]
    error = d.error[idx]
    n = len(idx)
    codes = code_values = None
    yen_value = None
    if d.kind in ("int", "yen", "year"):
        assert d.numeric is not None
        yen_value = d.numeric[idx]
        data = np.where(missing | error, 0, yen_value)
        if col.fill is not None:
            data = np.where(missing, int(col.fill), data)
            series = pd.Series(data, dtype="int64")
        elif dtype == "Int64":
            series = pd.Series(pd.arrays.IntegerArray(data.astype(np.int64), missing | error))
        else:
            series = pd.Series(data, dtype="int64")
    elif d.kind == "date":
        series = pd.Series(d.dates[idx], dtype="datetime64[ns]")
    elif d.kind == "bool":
        objects = d.objects if d.objects is not None else np.empty(0, dtype=object)
        vals_u = np.array([bool(v) if v is not None else False for v in objects], dtype=bool)
        na_u = np.array([v is None for v in objects], dtype=bool)
        series = pd.Series(pd.arrays.BooleanArray(vals_u[idx], na_u[idx]))
    else:
        obj_u = (d.objects if d.objects is not None else np.empty(0, dtype=object)).copy()
        obj_u[d.missing | d.error] = None
        series = pd.Series(obj_u[idx] if n else np.empty(0, dtype=object), dtype=object)
        # codes for fast grouping/joining: factorise the few distinct values, not the rows
        fact_u, code_values = pd.factorize(obj_u)
        codes = fact_u.astype(np.int64)[idx]
    reasons, raw_u = d.reasons, d.raw

    def reason_of(row: int) -> str:
        return reasons[int(idx[row])]

    def raw_of(row: int) -> str:
        return raw_u[int(idx[row])]

    unparsed = d.unparsed[idx] if yen_value is not None else None
    if d.kind not in ("text", "kana", "list", "code"):
        codes = code_values = None
    return ColumnResult(series, missing, error, reason_of, raw_of, yen_value, unparsed, codes,
                        np.asarray(code_values, dtype=object) if code_values is not None else None)


def normalize_column(
    values: pa.Array | pa.ChunkedArray,
    col: ColumnSpec,
    *,
    translate: Mapping[str, str] | None = None,
    date_formats: Sequence[str] = (),
    dtype: str = "object",
) -> ColumnResult:
    """Normalise a string column (no nulls) of the ledger; see the module docstring for the fast paths.

    The work is done once per distinct value: a vendor's code translation, the vectorised fast paths, the scalar
    normaliser for the rest; then spread back to the rows."""
    if col.type in ("int", "yen", "year") and not translate:
        clean = _clean_integer_column(values, col, dtype)
        if clean is not None:
            return clean
    uniques, idx = _dictionary(values)
    raw_u: list[str] = uniques.to_pylist()
    if translate:
        # code translation of a vendor mapping: applied to the trimmed NFKC text before normalising
        mapped = [translate.get(nfkc(s), s) for s in raw_u]
        if mapped != raw_u:
            raw_u = mapped
            uniques = pa.array(raw_u, type=pa.string())
    d = _fast_paths(uniques, raw_u, col, date_formats)
    _one_by_one(d, col, date_formats)
    return _spread(d, idx, col, dtype)


def _clean_integer_column(values: pa.Array | pa.ChunkedArray, col: ColumnSpec, dtype: str) -> ColumnResult | None:
    """The whole column at once when every cell is a plain integer (or empty where that is allowed) within
    range: one Arrow cast instead of per-value work. ``None`` when any cell needs the general path."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    missing = lengths == 0
    n_empty = int(missing.sum())
    if n_empty and col.required and not col.allow_empty:
        return None
    # only ASCII digits (no sign, spaces, hex "0x..", full width): anything else takes the general path
    if not (pc.ascii_is_decimal(values).to_numpy(zero_copy_only=False) | missing).all() or lengths.max(initial=0) > 15:
        return None
    try:
        source = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), values) if n_empty else values
        ints = pc.cast(source, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    arr = (pc.fill_null(ints, 0) if n_empty else ints).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    present = arr[~missing] if n_empty else arr
    if len(present):
        lo, hi = int(present.min()), int(present.max())
        if (col.min is not None and lo < col.min) or (col.max is not None and hi > col.max) or max(-lo, hi) >= 10**15:
            return None
    if col.fill is not None:
        series = pd.Series(np.where(missing, int(col.fill), arr), dtype="int64")
    elif dtype == "Int64":
        series = pd.Series(pd.arrays.IntegerArray(arr, missing.copy()))
    else:
        series = pd.Series(arr, dtype="int64")
    no = np.zeros(len(arr), dtype=bool)

    def never(row: int) -> str:  # pragma: no cover - no error rows on this path
        raise KeyError(row)

    return ColumnResult(series, missing, no, never, never, np.where(missing, 0, arr), no.copy())


def _loose_int(text: str) -> int | None:
    """The number in a cell that failed validation (e.g. a negative amount), for the yen totals; None if
    the cell is not a number at all."""
    try:
        return norm_yen(text)
    except NormalizeError:
        return None
