"""The monthly meeting's decisions, simulated for the demo: the pack's 決定事項 sheet filled in as the meeting
would (rules in ``parameters/meeting.yaml`` ``demo_decisions``, stated assumptions), for the real decisions
ingest to read, so the next month's lists and pack carry the decisions. Every filled row says 模擬データ.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from kokuho_nb.casework.sheets import DECISION_FIELDS, DECISIONS_HEADER_ROW, decisions_sheet
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.params import load_yaml
from kokuho_nb.xlsx import write_cell


def fill_simulated_decisions(workbook: Path, dest: Path, categories: dict[str, list[str]]) -> Path:
    """Copy of the pack's workbook with every row decided per ``demo_decisions`` (first category of a case)."""
    cfg = load_yaml("meeting.yaml")["demo_decisions"]
    wb = load_workbook(workbook)
    ws = wb[decisions_sheet()]
    month = Month.parse(str(ws["B2"].value))
    col = {f: DECISION_FIELDS.index(f) + 1 for f in DECISION_FIELDS}
    for r in range(DECISIONS_HEADER_ROW + 1, ws.max_row + 1):
        ref = ws.cell(row=r, column=col["ref"]).value
        if not ref:
            continue
        if str(ws.cell(row=r, column=col["kind"]).value) == t("meeting.decisions.kind_case"):
            hh = str(ws.cell(row=r, column=col["household_id"]).value)
            rule = cfg["cases"][categories.get(hh, ["large_stalled"])[0]]
        else:
            rule = cfg["proposals"]
        write_cell(ws, r, col["decision_type"], rule["decision_type"])
        write_cell(ws, r, col["owner_role"], rule["owner_role"])
        write_cell(ws, r, col["note"], t("common.synthetic_mark"))
        write_cell(ws, r, col["decided_at"], month.end.isoformat())
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest
