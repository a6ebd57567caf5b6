"""The pack's Excel workbook: one sheet per table, and the 決定事項 sheet (one row per difficult case and per
proposal) whose 処理方針 / 担当役職 / 担当者コード cells are drop-downs fed from a hidden 選択肢 sheet, so the
lists come from ``parameters/meeting.yaml`` and the ledger's staff."""

from __future__ import annotations

import re
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kokuho_nb.casework.decisions import FIELDS, MONTH_CELL, SHEET_HEADER_ROW, decision_types, headers
from kokuho_nb.labels import t
from kokuho_nb.meeting.common import meeting_config
from kokuho_nb.meeting.pack import MeetingPack
from kokuho_nb.xlsx import set_cell, write_cell

THIN = Side(style="thin", color="666666")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDDDDD")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
FONT = "IPAexGothic"


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]\*\?/\\:]", "", text)[:28] or "table"
    base, n = name, 2
    while name in used:
        name = f"{base[:26]}_{n}"
        n += 1
    used.add(name)
    return name


def _cell_value(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()  # numpy scalar -> Python
    return v


def _styled(ws, **style: object) -> object:  # type: ignore[no-untyped-def]
    """The style array of a scratch cell given ``style`` once: copying it to other cells skips openpyxl's
    hashing of Font/Border objects on every assignment (the slow part of styling cell by cell)."""
    c = ws.cell(row=1, column=1)
    saved = copy(c._style)
    for key, value in style.items():
        setattr(c, key, value)
    arr = copy(c._style)
    c._style = saved
    return arr


def _write_frame(ws, frame: pd.DataFrame, start_row: int) -> None:  # type: ignore[no-untyped-def]
    head = _styled(ws, font=Font(name=FONT, bold=True), fill=HEAD_FILL, border=BORDER,
                   alignment=Alignment(wrap_text=True, vertical="top"))
    plain = _styled(ws, border=BORDER, font=Font(name=FONT))
    money = _styled(ws, border=BORDER, font=Font(name=FONT), number_format="#,##0")
    for j, col in enumerate(frame.columns, start=1):
        c = write_cell(ws, start_row, j, str(col))
        c._style = copy(head)
    for i, row in enumerate(frame.itertuples(index=False), start=start_row + 1):
        for j, v in enumerate(row, start=1):
            c = write_cell(ws, i, j, _cell_value(v))
            value = c.value
            c._style = copy(money if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000
                            else plain)
    for j, col in enumerate(frame.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:, j - 1].head(200)]) if len(frame) else len(str(col))
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, width * 1.6), 60)


def write_workbook(pack: MeetingPack, path: Path) -> Path:
    wb = Workbook()
    used: set[str] = set()
    # 決定事項 first: it is what the meeting fills in.
    ws = wb.active
    ws.title = t("meeting.decisions_sheet")
    used.add(ws.title)
    set_cell(ws, "A1", t("meeting.decisions.sheet_title", month=pack.month.wareki()) + (
        f"　{t('common.synthetic_banner')}" if pack.synthetic else ""))
    ws["A1"].font = Font(name=FONT, bold=True, size=12)
    ws["A2"] = t("meeting.decisions.month_label")
    set_cell(ws, MONTH_CELL, str(pack.month))
    ws["A3"] = t("meeting.decisions.instructions")
    hdr = headers()
    for j, h in enumerate(hdr, start=1):
        c = write_cell(ws, SHEET_HEADER_ROW, j, h)
        c.font, c.fill, c.border = Font(name=FONT, bold=True), HEAD_FILL, BORDER
    for i, r in enumerate(pack.decision_rows, start=SHEET_HEADER_ROW + 1):
        for j, f in enumerate(FIELDS, start=1):
            c = write_cell(ws, i, j, _cell_value(r.get(f)))
            c.border, c.font = BORDER, Font(name=FONT)
            if f == "amount" and c.value is not None:
                c.number_format = "#,##0"
    last = SHEET_HEADER_ROW + max(len(pack.decision_rows), 1)
    widths = {"kind": 6, "ref": 6, "household_id": 12, "summary": 50, "amount": 12, "current_officer": 16,
              "decision_type": 22, "owner_role": 16, "owner_code": 12, "note": 30, "decided_at": 12}
    for j, f in enumerate(FIELDS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths[f]
    ws.freeze_panes = ws.cell(row=SHEET_HEADER_ROW + 1, column=3)
    ws.print_title_rows = f"{SHEET_HEADER_ROW}:{SHEET_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.right.text = "&P / &N"

    # The drop-down lists live on a hidden sheet (no 255-character limit, edited from parameters).
    opts = wb.create_sheet(t("meeting.options_sheet"))
    used.add(opts.title)
    types = decision_types()
    lists = {
        "kind": [t("meeting.decisions.kind_case"), t("meeting.decisions.kind_proposal")],
        "decision_type": [d["code"] for d in types],
        "owner_role": list(meeting_config()["owner_roles"]),
        "owner_code": pack.staff_codes,
    }
    for j, (key, values) in enumerate(lists.items(), start=1):
        write_cell(opts, 1, j, key)
        for i, v in enumerate(values, start=2):
            write_cell(opts, i, j, v)
        letter = get_column_letter(j)
        ref = f"'{opts.title}'!${letter}$2:${letter}${max(2, len(values) + 1)}"
        dv = DataValidation(type="list", formula1=f"={ref}", allow_blank=True, showErrorMessage=True,
                            errorTitle=t("meeting.decisions.dv_title"), error=t("meeting.decisions.dv_list"))
        col = get_column_letter(FIELDS.index(key) + 1)
        dv.add(f"{col}{SHEET_HEADER_ROW + 1}:{col}{last}")
        ws.add_data_validation(dv)
    date_dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True,
                             showErrorMessage=True, errorTitle=t("meeting.decisions.dv_title"), error=t("meeting.decisions.dv_date"))
    col = get_column_letter(FIELDS.index("decided_at") + 1)
    date_dv.add(f"{col}{SHEET_HEADER_ROW + 1}:{col}{last}")
    ws.add_data_validation(date_dv)
    opts.sheet_state = "hidden"

    for s in pack.sections:
        for tab in s.tables:
            if tab.frame is None or tab.frame.empty and len(tab.frame.columns) == 0:
                continue
            sh = wb.create_sheet(_sheet_name(f"{s.number}_{tab.title}", used))
            set_cell(sh, "A1", f"{s.number}. {s.title}　{tab.title}" + (f"　{t('common.synthetic_mark')}" if pack.synthetic
                                                                           else ""))
            sh["A1"].font = Font(name=FONT, bold=True)
            _write_frame(sh, tab.frame, 3)
            sh.freeze_panes = "A4"
            if len(tab.frame) and len(tab.frame.columns):  # filter buttons on the header row
                sh.auto_filter.ref = f"A3:{get_column_letter(len(tab.frame.columns))}{len(tab.frame) + 3}"
            if tab.note:
                write_cell(sh, len(tab.frame) + 5, 1, tab.note).font = Font(name=FONT, size=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
