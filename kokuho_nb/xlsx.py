"""Writing Excel workbooks the suite hands to staff: deterministic bytes, and one cell helper for every value.

:func:`workbook_bytes` serialises a workbook with every zip entry stamped :data:`FIXED_ZIP_TIME` (openpyxl would
stamp the current time), so writing the same workbook again gives an identical file — issued lists re-rendered
byte for byte, files compared by hash.

Ledger text reaches the workbooks staff open (使用言語, 世帯番号, officers' names, the meeting pack's tables). Two
things must never happen to it there (issue 16 §1, §2):

- **formula injection**: openpyxl turns a string starting with ``=`` into a live formula, and Excel evaluates
  a cell typed or edited as ``+…``, ``-…``, ``@…`` (and tab / CR at the start, OWASP's list). A text that starts
  with one of ``= + - @ \\t \\r`` is stored as a *string* cell with an apostrophe in front (``'=HYPERLINK(…)``):
  it prints as text, cannot be clicked, and stays text when someone edits the cell. Plain numbers written as
  text (``-3.2%``, ``+1,200``) are left alone: Excel reads them as numbers at worst, never as a formula.
- **XML-illegal characters** (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE, U+FFFF) make openpyxl refuse
  the whole workbook; they are removed, as are the other C0/C1 control characters and the bidirectional
  overrides (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) that would make a cell read differently
  from what it holds. The importer already quarantines ledger rows carrying them (with file, line and column);
  this is the writers' defence for anything else (returns memo, parameters, older snapshots).

Use :func:`write_cell` (or :func:`set_cell` for ``ws["B2"] = …``) for every value that is not a constant of the
code. :func:`unescape_text` undoes the apostrophe when a workbook the suite wrote is read back
(:func:`kokuho_nb.casework.ingest.text`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry :data:`FIXED_ZIP_TIME` (openpyxl would stamp the current time)."""

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,  # type: ignore[override]
                 compresslevel: Any = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,  # type: ignore[override]
              compresslevel: Any = None) -> None:
        with open(filename, "rb") as fh:
            self.writestr(self._info(str(arcname or filename)), fh.read())


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise with fixed zip timestamps and the workbook's own (fixed) properties."""
    out = io.BytesIO()
    with _FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    return out.getvalue()


def save(wb: Workbook, path: Path) -> Path:
    """Write ``wb`` to ``path`` with :func:`workbook_bytes` (through a temporary file: never half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(workbook_bytes(wb))
    tmp.replace(path)
    return path


# --- cells ----------------------------------------------------------------------------------------------------

#: Characters that make a cell a formula when they start it (OWASP "CSV injection", also for spreadsheets).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that neutralises such a text (Excel's own way of saying "this is text").
TEXT_PREFIX = "'"

# XML 1.0 forbids C0 controls but tab/LF/CR, and U+FFFE/U+FFFF; DEL and C1 controls are legal XML but never
# meaningful in ledger text; bidi embeddings/overrides/isolates and marks reorder what is displayed.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE_CHARS_RE = re.compile(f"[{_CONTROL}{_BIDI}\ufffe\uffff]")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")


def clean_text(text: str) -> str:
    """``text`` without XML-illegal characters, other control characters or bidi overrides."""
    return UNSAFE_CHARS_RE.sub("", text)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (starts with ``= + - @``, tab or CR and is not a
    plain number)."""
    return bool(text) and text.startswith(FORMULA_START) and not _NUMBER_RE.match(text)


_PLAIN_TYPES = frozenset({type(None), bool, int, float, Decimal, dt.date, dt.datetime, dt.time, dt.timedelta})


@lru_cache(maxsize=1 << 16)
def _safe_text(text: str) -> str:
    # a pure function of the text: lists repeat the same few thousand values (areas, stages, reasons) per sheet
    text = clean_text(text)
    return TEXT_PREFIX + text if is_formula_like(text) else text


def safe_cell_value(v: Any) -> Any:
    """``v`` as it may be given to an openpyxl cell: text cleaned and neutralised (see the module docstring);
    numbers, booleans, dates and ``None`` unchanged; numpy scalars as Python values; anything else as text."""
    kind = type(v)
    if kind is str:
        return _safe_text(v)
    if kind in _PLAIN_TYPES or isinstance(v, bool | int | float | Decimal | dt.date | dt.time | dt.timedelta):
        return v
    if hasattr(v, "item"):  # numpy scalar
        try:
            return safe_cell_value(v.item())
        except (TypeError, ValueError):
            pass
    return _safe_text(v if isinstance(v, str) else str(v))


def write_cell(ws: Any, row: int, col: int, v: Any) -> Any:
    """``ws.cell(row, col)`` set to :func:`safe_cell_value` of ``v`` and stored as text when it is text (never a
    formula); returns the cell."""
    value = safe_cell_value(v)
    cell = ws.cell(row=row, column=col, value=value)
    if type(value) is str:
        cell.data_type = "s"
    return cell


def set_cell(ws: Any, ref: str, v: Any) -> Any:
    """:func:`write_cell` by reference (``"B2"``)."""
    cell = ws[ref]
    return write_cell(ws, cell.row, cell.column, v)


def unescape_text(v: Any) -> Any:
    """A text cell read back from a workbook the suite wrote, without the apostrophe :func:`safe_cell_value` added."""
    if isinstance(v, str) and v.startswith(TEXT_PREFIX) and is_formula_like(v[len(TEXT_PREFIX):]):
        return v[len(TEXT_PREFIX):]
    return v
