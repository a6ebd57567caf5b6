"""The same ward written the way a real export arrives (``--messy``), plus a known set of bad rows.

Cell formats vary by a fixed rule on the row number (so output stays byte-identical for a seed): dates as
ISO, ``R6.6.30``, ``令和6年6月30日`` (``H30…`` / ``平成…`` before May 2019) or ``2024/6/30``; fiscal years as
``2024``, ``R6`` or ``令和6年度``; yen as ``12300``, ``12,300``, ``12,300円`` or full-width ``１２３００``;
instalments as ``1期``; half-width katakana names; full-width area codes. Files are CP932 with CRLF line ends.

Bad rows are APPENDED to the files (the ward's own rows stay intact), so exactly these rows must be
quarantined by the importer: see :data:`KNOWN_BAD_ROWS` (what is planted) and :func:`known_bad_rows`
(the manifest with file, 1-based line — header = line 1 — column and kind, written beside the files as
:data:`MANIFEST_NAME`, a name the importer does not read).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kokuho_nb.contract import FileSpec, standard_files
from kokuho_nb.era import to_wareki, to_wareki_short
from kokuho_nb.store.tables import Ledger

MANIFEST_NAME = "_messy_manifest.json"
ENCODING = "cp932"

# (file, column, kind, description): the rows planted at the end of each file, in this order.
KNOWN_BAD_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("世帯.csv", "所得区分", "bad_code", "所得区分「軽減9割」is not a code"),
    ("調定.csv", "納期限", "bad_date", "納期限「R6.13.45」cannot be read"),
    ("調定.csv", "調定額", "negative_amount", "調定額 −5,000"),
    ("調定.csv", "世帯番号", "unknown_household", "世帯番号 99999999 is not in 世帯.csv"),
    ("調定.csv", "世帯番号・賦課年度・期別", "duplicate_key", "a second row with the key of data line 1 (line 2)"),
    ("収納.csv", "世帯番号", "unknown_household", "世帯番号 99999998 is not in 世帯.csv"),
    ("収納.csv", "金額", "negative_amount", "金額 −1,000"),
    ("折衝記録.csv", "手段", "bad_code", "手段「FAX」is not a code"),
    ("財産調査.csv", "照会日", "bad_date", "照会日「令和元年4月30日」is outside 令和"),
    ("滞納処分.csv", "停止根拠", "missing_required", "執行停止 without 停止根拠 (地方税法15条の7第1項)"),
)

_FULL_DIGITS = str.maketrans("0123456789,", "０１２３４５６７８９，")
_HALF_KANA = {}
_full = ("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
         "ァィゥェォッャュョー")
_half = ("ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ"
         "ｧｨｩｪｫｯｬｭｮｰ")
for f, h in zip(_full, _half, strict=True):
    _HALF_KANA[f] = h
for f, base in zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボ", "カキクケコサシスセソタチツテトハヒフヘホ", strict=True):
    _HALF_KANA[f] = _HALF_KANA[base] + "ﾞ"
for f, base in zip("パピプペポ", "ハヒフヘホ", strict=True):
    _HALF_KANA[f] = _HALF_KANA[base] + "ﾟ"
_HALF_KANA["ヴ"] = "ｳﾞ"
_HALF_KANA["　"] = " "


def to_half_kana(text: str) -> str:
    return "".join(_HALF_KANA.get(ch, ch) for ch in text)


def _by_unique(values: np.ndarray, fmt: Any) -> np.ndarray:
    """Apply ``fmt`` once per distinct value (dates and amounts repeat a lot)."""
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in uniq], dtype=object)[inv]


def _dates(series: pd.Series) -> np.ndarray:
    vals = series.to_numpy(dtype="datetime64[ns]")
    out = np.full(len(vals), None, dtype=object)
    ok = ~np.isnat(vals)
    if not ok.any():
        return out
    days = vals[ok].astype("datetime64[D]").astype(np.int64)
    style = np.flatnonzero(ok) % 4
    base = dt.date(1970, 1, 1)

    def fmt(kind_day: int) -> str:
        kind, d = divmod(int(kind_day), 1_000_000)
        day = base + dt.timedelta(days=d)
        if kind == 1:
            return to_wareki_short(day)
        if kind == 2:
            return to_wareki(day)
        if kind == 3:
            return f"{day.year}/{day.month}/{day.day}"
        return day.isoformat()

    out[ok] = _by_unique(style * 1_000_000 + days, fmt)
    return out


def _yen(series: pd.Series) -> np.ndarray:
    s = series.astype("Int64")
    out = np.full(len(s), None, dtype=object)
    ok = s.notna().to_numpy()
    vals = s[ok].to_numpy(dtype=np.int64)
    style = np.flatnonzero(ok) % 5

    def fmt(key: int) -> str:
        kind, v = int(key) % 8, int(key) // 8
        if kind == 1:
            return f"{v:,}"
        if kind == 2:
            return f"{v:,}円"
        if kind == 3:
            return str(v).translate(_FULL_DIGITS)
        return str(v)

    out[ok] = _by_unique(vals * 8 + style, fmt)
    return out


def _years(series: pd.Series) -> np.ndarray:
    vals = series.to_numpy(dtype=np.int64)
    style = np.arange(len(vals)) % 3

    def fmt(key: int) -> str:
        kind, y = int(key) % 4, int(key) // 4
        if kind == 1 and y >= 2019:
            return f"R{y - 2018}"
        if kind == 2 and y >= 2019:
            return f"令和{'元' if y == 2019 else y - 2018}年度"
        if kind == 2:
            return f"平成{y - 1988}年度"
        return str(y)

    return _by_unique(vals * 4 + style, fmt)


def _column(series: pd.Series, kind: str, name: str) -> np.ndarray:
    n = len(series)
    rows = np.arange(n)
    if kind == "date":
        return _dates(series)
    if kind == "yen":
        return _yen(series)
    if kind == "year":
        return _years(series)
    if kind == "int":
        s = series.astype("Int64")
        out = np.array([None if pd.isna(v) else str(int(v)) for v in s], dtype=object) if n < 50_000 else \
            np.where(s.isna().to_numpy(), None, s.fillna(0).astype(np.int64).astype(str).to_numpy()).astype(object)
        if name == "instalment":
            tag = (rows % 4 == 1) & s.notna().to_numpy()
            out[tag] = out[tag] + "期"
        return out
    if kind == "bool":
        b = series.astype("boolean")
        out = np.where(b.fillna(False).to_numpy(dtype=bool), "有", "無").astype(object)
        out[b.isna().to_numpy()] = None
        return out
    values = series.to_numpy(dtype=object).copy()
    if kind == "kana":
        tag = rows % 3 == 1
        values[tag] = _by_unique(values[tag].astype(str), to_half_kana)
    if name == "area":
        tag = rows % 7 == 3
        values[tag] = _by_unique(values[tag].astype(str), lambda v: str(v).translate(_FULL_DIGITS))
    return values


def _bad_rows(spec: FileSpec, ledger: Ledger, as_of: dt.date) -> list[dict[str, str]]:
    """The planted rows for ``spec.file`` (header -> cell text), in :data:`KNOWN_BAD_ROWS` order."""
    hh = ledger.households
    first_hh = str(hh["household_id"].iloc[0]) if len(hh) else "00000001"
    second_hh = str(hh["household_id"].iloc[1]) if len(hh) > 1 else first_hh
    fy = as_of.year if as_of.month >= 6 else as_of.year - 1
    day = as_of.isoformat()
    rows: list[dict[str, str]] = []
    for file, _col, kind, _desc in KNOWN_BAD_ROWS:
        if file != spec.file:
            continue
        if file == "世帯.csv":
            rows.append({"世帯番号": "99999997", "氏名カナ": "モギ　タロウ", "地区コード": "01", "所得区分": "軽減9割"})
        elif file == "調定.csv" and kind == "bad_date":
            rows.append({"世帯番号": first_hh, "賦課年度": str(fy), "期別": "0", "納期限": "R6.13.45",
                         "調定額": "1000", "収納額": "0"})
        elif file == "調定.csv" and kind == "negative_amount":
            rows.append({"世帯番号": second_hh, "賦課年度": str(fy), "期別": "0", "納期限": day,
                         "調定額": "-5000", "収納額": "0"})
        elif file == "調定.csv" and kind == "unknown_household":
            rows.append({"世帯番号": "99999999", "賦課年度": str(fy), "期別": "1", "納期限": day,
                         "調定額": "10000", "収納額": "0"})
        elif file == "調定.csv" and kind == "duplicate_key":
            rows.append({"__duplicate_first__": "1"})
        elif file == "収納.csv" and kind == "unknown_household":
            rows.append({"世帯番号": "99999998", "賦課年度": str(fy), "期別": "1", "収納日": day, "金額": "1000"})
        elif file == "収納.csv" and kind == "negative_amount":
            rows.append({"世帯番号": first_hh, "賦課年度": str(fy), "期別": "1", "収納日": day, "金額": "-1000"})
        elif file == "折衝記録.csv":
            rows.append({"世帯番号": first_hh, "日付": day, "担当者コード": "S0001", "手段": "FAX", "結果": "接触"})
        elif file == "財産調査.csv":
            rows.append({"世帯番号": first_hh, "照会日": "令和元年4月30日", "照会先種別": "預貯金", "方式": "電子"})
        elif file == "滞納処分.csv":
            rows.append({"世帯番号": first_hh, "種別": "執行停止", "開始日": day, "金額": "10000", "状態": "継続"})
    return rows


def write_messy(ledger: Ledger, out_dir: Path, as_of: dt.date) -> list[dict[str, Any]]:
    """Write the messy ledger into ``out_dir``; returns (and writes as :data:`MANIFEST_NAME`) the bad rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    for spec in standard_files():
        frame = getattr(ledger, spec.table)
        cols = {c.header: _column(frame[c.name], c.type, c.name) for c in spec.columns}
        text = pd.DataFrame(cols)
        n = len(text)
        bad = _bad_rows(spec, ledger, as_of)
        planted = [b for b in KNOWN_BAD_ROWS if b[0] == spec.file]
        extra = []
        for row in bad:
            if "__duplicate_first__" in row:
                extra.append(text.iloc[0].to_dict())
            else:
                extra.append({h: row.get(h) for h in spec.headers})
        if extra:
            text = pd.concat([text, pd.DataFrame(extra, columns=list(spec.headers))], ignore_index=True)
        for k, (file, column, kind, desc) in enumerate(planted):
            manifest.append({"file": file, "line": n + 2 + k, "column": column, "kind": kind, "description": desc})
        table = pa.table({h: pa.array(text[h].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
                          for h in spec.headers})
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        body = buf.getvalue().decode("utf-8").replace("\n", "\r\n")
        header = ",".join(spec.headers) + "\r\n"
        (out_dir / spec.file).write_bytes((header + body).encode(ENCODING))
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def known_bad_rows(ledger_dir: str | Path) -> list[dict[str, Any]]:
    """The planted bad rows of a messy ledger folder: ``[{"file", "line", "column", "kind", "description"}]``."""
    return json.loads((Path(ledger_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
