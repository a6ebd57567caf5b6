"""The officer's target-list workbook (openpyxl): prints on A4 landscape, takes the month-end results.

Layout of sheet ``ターゲットリスト``: title (row 1), instructions and 模擬データ (row 2), headers (row 3, repeated on
every printed page), one case per row from row 4. Column A holds the hidden key ``month|list|revision|household``
used to read the returns back; the result columns (対応日, 手段, 結果, 約束金額, 約束日, メモ) are the only
unlocked cells and carry drop-down / date / whole-number validation. A hidden sheet ``管理情報`` records the
month, list, revision and owner.

The bytes are deterministic: workbook properties carry the issue time recorded in the DB, and the zip entries
get a fixed timestamp, so regenerating an issued list gives an identical file.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kokuho_nb.casework.returns import contact_codes
from kokuho_nb.casework.sheets import (
    LIST_FIRST_ROW,
    LIST_HEADER_ROW,
    LIST_META_SHEET,
    LIST_SHEET,
    RESULT_FIELDS,
    item_key,
)
from kokuho_nb.labels import t, table
from kokuho_nb.law import rate_gap_notice
from kokuho_nb.months import Month
from kokuho_nb.xlsx import clean_text, save, set_cell, write_cell

SHEET = LIST_SHEET
META_SHEET = LIST_META_SHEET
HEADER_ROW = LIST_HEADER_ROW
FIRST_ROW = LIST_FIRST_ROW

#: (key in i18n targets.workbook.columns, payload field or None for a result column, number format)
SHOWN = [
    ("no", None, None), ("household_id", "household_id", "@"), ("name_kana", "name_kana", None),
    ("area", "area", None), ("stage", "stage", None), ("total_arrears", "total_arrears", "#,##0"),
    ("carried_unpaid", "carried_unpaid", "#,##0"), ("oldest_due_date", "oldest_due_date", "yyyy/mm/dd"),
    ("nearest_limitation", "nearest_limitation", "yyyy/mm/dd"), ("phone", "has_phone", None),
    ("language", "language", None), ("reasons", "reasons", None), ("next_action", "next_action", None),
    ("planned", "planned_method", None), ("priority", "priority", "0.0"), ("prio_amount", "prio_amount", "0.0"),
    ("prio_ability", "prio_ability", "0.0"), ("prio_urgency", "prio_urgency", "0.0"),
    ("prio_no_contact", "prio_no_contact", "0.0"), ("prio_rule", "prio_rule", "0.0"),
]
RESULT_COLUMNS = RESULT_FIELDS
WRAP_WIDTH = {"name_kana": 14, "reasons": 30, "next_action": 28, "memo": 22}
LINE_HEIGHT = 13.0


@dataclass(frozen=True)
class ListMeta:
    month: Month
    list_code: str
    revision: int
    kind: str
    owner_code: str | None
    owner_name: str | None
    issued_at: str
    synthetic: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "month", Month.parse(self.month))


def column_letters() -> dict[str, str]:
    """Column letter of each shown / result column key (A is the hidden key column)."""
    keys = [k for k, _, _ in SHOWN] + RESULT_COLUMNS
    return {"key": "A", **{k: get_column_letter(i + 2) for i, k in enumerate(keys)}}


def owner_label(meta: ListMeta) -> tuple[str, str]:
    """(name, code) shown in the title and header."""
    if meta.kind == "officer":
        return meta.owner_name or "", meta.owner_code or meta.list_code
    queue = {"specialist": "specialist"}.get(meta.kind, meta.kind)
    return t(f"targets.queues.{queue}"), meta.list_code


def reasons_text(item: dict[str, Any]) -> str:
    parts = []
    for code in (item.get("reasons") or "").split(";"):
        if code:
            parts.append(t(f"targets.reasons.{code}"))
    if item.get("meeting_decision"):
        parts.insert(0, f"会議決定：{item['meeting_decision']}")
    return "／".join(parts)


def action_text(item: dict[str, Any]) -> str:
    action = item.get("next_action") or ""
    parts = [t(f"targets.actions.{action}")] if action else []
    if item.get("suspension_ground"):
        parts.append(t("targets.suspension_ground", ground=item["suspension_ground"]))
    if item.get("inquiry_mode") and action == "INQUIRY":
        parts.append(t("targets.inquiry_mode", mode=item["inquiry_mode"]))
    if item.get("leaflet_language"):
        parts.append(t("targets.leaflet", language=item["leaflet_language"]))
    if item.get("immigration_link"):
        parts.append(t("targets.immigration", link=item["immigration_link"]))
    return "／".join(parts)


def _width(text: Any) -> int:
    s = "" if text is None else str(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _cell_value(field: str | None, item: dict[str, Any]) -> Any:
    if field is None:
        return None
    v = item.get(field)
    if v is None:
        return None
    if field in ("oldest_due_date", "nearest_limitation"):
        return dt.date.fromisoformat(str(v))
    if field == "has_phone":
        return "有" if v else "無"
    if field == "reasons":
        return reasons_text(item)
    if field == "next_action":
        return action_text(item)
    return v


def build_workbook(meta: ListMeta, items: pd.DataFrame) -> Workbook:
    """The workbook for one issued list (``items`` from :func:`kokuho_nb.targets.lists.load_items`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    name, code = owner_label(meta)
    label = meta.month.label()
    synthetic = t("common.synthetic_banner") if meta.synthetic else ""
    letters = column_letters()
    heads = table("targets.workbook.columns")
    keys = ["key"] + [k for k, _, _ in SHOWN] + RESULT_COLUMNS
    last_col = get_column_letter(len(keys))

    bold = Font(bold=True)
    set_cell(ws, "B1", t("targets.workbook.title", month_label=label, name=name, code=code))
    ws["B1"].font = Font(bold=True, size=14)
    ws["B2"] = t("targets.workbook.note")
    if synthetic:
        ws[f"{letters['contact_date']}1"] = synthetic
        ws[f"{letters['contact_date']}1"].font = Font(bold=True, color="C00000", size=12)
    # 延滞金 accrued short of the lists' date (the year's rate is not in parameters/law/entaikin.yaml yet)
    entaikin_notice = rate_gap_notice(meta.month.start)
    if entaikin_notice:  # row 2 over the result columns, wrapped (printed on the first page)
        cell = ws[f"{letters['contact_date']}2"]
        cell.value = entaikin_notice
        cell.font = Font(bold=True, color="9C5700")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"{letters['contact_date']}2:{letters[RESULT_COLUMNS[-1]]}2")
        ws.row_dimensions[2].height = LINE_HEIGHT * 3 + 2
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for i, key in enumerate(keys):
        cell = ws.cell(row=HEADER_ROW, column=i + 1, value=heads[key])
        cell.font = bold
        cell.fill = input_fill if key in RESULT_COLUMNS else head_fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    widths = {key: _width(heads[key]) for key in keys}
    # Styles are registered once on a scratch sheet and their StyleArray copied to each cell: assigning
    # style objects cell by cell makes openpyxl hash them every time (the main cost for long lists).
    scratch = wb.create_sheet("_styles")
    protos: dict[str, Any] = {}

    def proto(name: str, fmt: str | None, wrap: bool, fill: PatternFill | None, locked: bool) -> None:
        cell = scratch.cell(row=len(protos) + 1, column=1)
        cell.border = border
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")
        if fmt:
            cell.number_format = fmt
        if fill is not None:
            cell.fill = fill
        cell.protection = Protection(locked=locked)
        protos[name] = cell._style

    for key, _, fmt in SHOWN:
        proto(key, fmt, key in WRAP_WIDTH, None, True)
    for key in RESULT_COLUMNS:
        fmt = "yyyy/mm/dd" if key in ("contact_date", "promised_date") else "#,##0" if key == "promised_amount" else None
        proto(key, fmt, key == "memo", input_fill, False)
    wb.remove(scratch)

    records = items.to_dict("records")
    shown_cols = [(j + 2, key, field, fmt) for j, (key, field, fmt) in enumerate(SHOWN)]
    result_cols = [(column_index_from_string(letters[key]), key) for key in RESULT_COLUMNS]
    for n, item in enumerate(records):
        r = FIRST_ROW + n
        lines = 1
        write_cell(ws, r, 1, item_key(meta.month, meta.list_code, meta.revision, item["household_id"]))
        for col, key, field, fmt in shown_cols:
            v = n + 1 if key == "no" else _cell_value(field, item)
            cell = write_cell(ws, r, col, v)
            cell._style = copy(protos[key])
            if key in WRAP_WIDTH:
                lines = max(lines, -(-_width(v) // (WRAP_WIDTH[key] - 1)))
            w = 10 if isinstance(v, dt.date) else _width(f"{v:,}" if isinstance(v, int) and fmt == "#,##0" else v)
            if w > widths[key]:
                widths[key] = w
        ws.row_dimensions[r].height = LINE_HEIGHT * min(max(lines, 2), 4) + 2
    # the (empty) result cells take their style from their column: fewer cells to write for long lists
    for col, key in result_cols:
        dim = ws.column_dimensions[get_column_letter(col)]
        dim._style = copy(protos[key])
        for top in range(1, HEADER_ROW):  # keep the title rows plain (a cell's own style beats its column's)
            ws.cell(row=top, column=col).protection = Protection(locked=True)
    end_row = FIRST_ROW + max(len(records), 1) - 1

    for key in keys:
        col = letters[key]
        if key in WRAP_WIDTH:
            width = WRAP_WIDTH[key]
        elif key in ("contact_date", "promised_date"):
            width = 11
        elif key in ("method", "result", "promised_amount"):
            width = 10
        elif key.startswith("prio_"):
            width = max(widths[key], 4) + 1
        else:
            width = min(max(widths[key], 4) + 2, 24)
        ws.column_dimensions[col].width = width
    ws.column_dimensions["A"].hidden = True

    # drop-downs and checks on the result columns
    codes = contact_codes()
    start, end = meta.month.start, meta.month.end
    rng = lambda key: f"{letters[key]}{FIRST_ROW}:{letters[key]}{end_row}"  # noqa: E731
    dv_method = DataValidation(type="list", formula1='"' + ",".join(codes["method"]) + '"', allow_blank=True,
                               showErrorMessage=True, errorTitle="手段", error="一覧から選んでください。")
    dv_result = DataValidation(type="list", formula1='"' + ",".join(codes["result"]) + '"', allow_blank=True,
                               showErrorMessage=True, errorTitle="結果", error="一覧から選んでください。")
    dv_date = DataValidation(type="date", operator="between", formula1=f"DATE({start.year},{start.month},{start.day})",
                             formula2=f"DATE({end.year},{end.month},{end.day})", allow_blank=True,
                             showErrorMessage=True, errorTitle="対応日",
                             error=f"{start:%Y/%m/%d}～{end:%Y/%m/%d} の日付を入力してください。")
    dv_pdate = DataValidation(type="date", operator="greaterThanOrEqual",
                              formula1=f"DATE({start.year},{start.month},{start.day})", allow_blank=True,
                              showErrorMessage=True, errorTitle="約束日", error="対応月以降の日付を入力してください。")
    dv_amount = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                               showErrorMessage=True, errorTitle="約束金額", error="0以上の整数（円）を入力してください。")
    for dv, key in ((dv_method, "method"), (dv_result, "result"), (dv_date, "contact_date"),
                    (dv_pdate, "promised_date"), (dv_amount, "promised_amount")):
        dv.add(rng(key))
        ws.add_data_validation(dv)

    # print set-up: A4 landscape, fit to width, header row on every page, header/footer
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * 2 + 2
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"B1:{last_col}{end_row}"
    ws.freeze_panes = f"E{FIRST_ROW}"
    ws.auto_filter.ref = f"B{HEADER_ROW}:{last_col}{end_row}"
    ws.oddHeader.left.text = clean_text(t("targets.workbook.header_left", month_label=label, name=name, code=code))
    ws.oddHeader.right.text = synthetic
    ws.oddFooter.center.text = t("targets.workbook.footer_center")
    ws.oddFooter.left.text = t("targets.workbook.footer_left", issued=meta.issued_at[:10], revision=meta.revision)
    ws.oddFooter.right.text = synthetic
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False

    meta_ws = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate((
        ("month", str(meta.month)), ("list_code", meta.list_code), ("revision", meta.revision), ("kind", meta.kind),
        ("owner_code", meta.owner_code or ""), ("owner_name", meta.owner_name or ""),
        ("issued_at", meta.issued_at), ("synthetic", "1" if meta.synthetic else "0"), ("n_items", len(records)),
    ), start=1):
        write_cell(meta_ws, i, 1, k)
        write_cell(meta_ws, i, 2, v)
    meta_ws.sheet_state = "hidden"
    meta_ws.protection.sheet = True

    fixed = dt.datetime.fromisoformat(meta.issued_at.replace("Z", "+00:00")).replace(tzinfo=None)
    wb.properties.creator = "kokuho-nb"
    wb.properties.lastModifiedBy = "kokuho-nb"
    wb.properties.title = clean_text(t("targets.workbook.title", month_label=label, name=name, code=code))
    wb.properties.created = fixed
    wb.properties.modified = fixed
    if meta.synthetic:
        wb.properties.keywords = t("common.synthetic_mark")
    return wb


def file_name(month: Month, list_code: str) -> str:
    return f"target_list_{month}_{list_code}.xlsx"


def write_workbook(meta: ListMeta, items: pd.DataFrame, out_dir: str | Path) -> Path:
    """Write the list's workbook into ``out_dir`` (file name carries the list / officer code)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return save(build_workbook(meta, items), out / file_name(meta.month, meta.list_code))
