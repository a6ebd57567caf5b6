"""The meeting's part of ``kokuho-nb demo``: build a month's pack and (for past months) simulate the
meeting filling in its 決定事項 sheet, then ingest it, so the next month's lists and pack carry the decisions.

Called by the demo after a month's lists and returns: ``meeting_month(store, month, out_root)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from kokuho_nb.labels import t
from kokuho_nb.meeting.common import meeting_config, month_end
from kokuho_nb.meeting.decisions import FIELDS, SHEET_HEADER_ROW, ingest_decisions


def fill_simulated_decisions(workbook: Path, dest: Path, categories: dict[str, list[str]]) -> Path:
    """Copy of the pack's workbook with every row decided per ``demo_decisions`` (first category of a case)."""
    cfg = meeting_config()["demo_decisions"]
    wb = load_workbook(workbook)
    ws = wb[t("meeting.decisions_sheet")]
    month = str(ws["B2"].value)
    col = {f: FIELDS.index(f) + 1 for f in FIELDS}
    for r in range(SHEET_HEADER_ROW + 1, ws.max_row + 1):
        ref = ws.cell(row=r, column=col["ref"]).value
        if not ref:
            continue
        if str(ws.cell(row=r, column=col["kind"]).value) == t("meeting.decisions.kind_case"):
            hh = str(ws.cell(row=r, column=col["household_id"]).value)
            rule = cfg["cases"][categories.get(hh, ["large_stalled"])[0]]
        else:
            rule = cfg["proposals"]
        ws.cell(row=r, column=col["decision_type"], value=rule["decision_type"])
        ws.cell(row=r, column=col["owner_role"], value=rule["owner_role"])
        ws.cell(row=r, column=col["note"], value=t("common.synthetic_mark"))
        ws.cell(row=r, column=col["decided_at"], value=month_end(month).isoformat())
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def meeting_month(store: str | Path | None, month: str, out_root: str | Path, *, decide: bool = True,
                  notebook: bool = False) -> dict[str, Any]:
    """Build ``month``'s pack under ``out_root/month/`` (through the papermill notebook when ``notebook``)
    and, when ``decide``, simulate and ingest the meeting's decisions. Returns paths and counts."""
    from kokuho_nb.meeting import build_pack, write_outputs

    out_dir = Path(out_root) / month
    if notebook:
        from kokuho_nb.commands.meeting import build_month

        paths = build_month(month, str(store) if store else None, str(out_root))
        pack = None
    else:
        pack = build_pack(month, store)
        paths = write_outputs(pack, out_dir)
    result: dict[str, Any] = {"month": month, **{k: str(v) for k, v in paths.items()}}
    if decide:
        if pack is None:
            pack = build_pack(month, store)
        cats = {r["household_id"]: r["categories"] for r in pack.section("difficult").data["shown"]}
        filled = fill_simulated_decisions(Path(paths["xlsx"]), out_dir / "decisions" /
                                          f"meeting_{month}_決定事項_模擬.xlsx", cats)
        report = ingest_decisions(filled, store)
        result["decisions"] = report.to_dict()
    return result
