"""Write canonical ``Ledger`` tables as the standard ledger files (標準連携ファイル).

Headers, column order and value formats come from ``parameters/ledger/standard.yaml`` — the same contract the
importer reads — so the synthetic ward can only drift from the contract by failing its tests. Clean output is
UTF-8 (no BOM), ``\\n`` line ends, ISO dates, plain integers, 有/無 for booleans, empty cells for unknown values.
CSV text is produced by Arrow's writer (fast enough for millions of rows).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kokuho_nb.contract import FileSpec, standard_files
from kokuho_nb.store.tables import Ledger

BANNER_FILE = "模擬データ.txt"


def _column(series: pd.Series, kind: str) -> pa.Array:
    if kind == "date":
        values = series.to_numpy(dtype="datetime64[ns]")
        mask = np.isnat(values)
        return pa.array(values.astype("datetime64[D]"), type=pa.date32(), mask=mask)
    if kind == "bool":
        b = series.astype("boolean")
        out = np.where(b.fillna(False).to_numpy(dtype=bool), "有", "無").astype(object)
        out[b.isna().to_numpy()] = None
        return pa.array(out, type=pa.string())
    if kind in ("int", "yen", "year"):
        return pa.array(series.astype("Int64"), type=pa.int64())
    if isinstance(series.dtype, pd.CategoricalDtype):  # decode the dictionary in Arrow (fast)
        return pa.array(series).cast(pa.string())
    values = series.to_numpy(dtype=object)
    return pa.array(values, type=pa.string(), from_pandas=True)


def table_text(frame: pd.DataFrame, spec: FileSpec) -> pa.Table:
    """The file's columns (Japanese headers) as an Arrow table of CSV-ready values."""
    cols = {c.header: _column(frame[c.name], c.type) for c in spec.columns}
    return pa.table(cols)


def csv_bytes(frame: pd.DataFrame, spec: FileSpec) -> bytes:
    table = table_text(frame, spec)
    buf = io.BytesIO()
    buf.write((",".join(spec.headers) + "\n").encode("utf-8"))
    try:
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:  # a value with a comma or quote: quote as needed
        buf = io.BytesIO()
        buf.write((",".join(spec.headers) + "\n").encode("utf-8"))
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


def write_ledger(ledger: Ledger, out_dir: Path, banner: str) -> list[Path]:
    """Write all eight files (and the 模擬データ banner file, which the importer ignores) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in standard_files():
        path = out_dir / spec.file
        path.write_bytes(csv_bytes(getattr(ledger, spec.table), spec))
        written.append(path)
    (out_dir / BANNER_FILE).write_text(banner + "\n", encoding="utf-8")
    return written
