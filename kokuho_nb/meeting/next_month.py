"""Section 5 翌月の取組方針（案）: next month's items from the operating schedule, and proposals derived
from this month's figures, each with the number behind it (numbered P01…, used in the decisions sheet)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.meeting.activity import elapsed_share
from kokuho_nb.meeting.common import Section, Table
from kokuho_nb.months import Month
from kokuho_nb.params import load_yaml


def schedule_items(month: Month) -> list[dict[str, Any]]:
    sched = load_yaml("operating_schedule.yaml")
    mm = month.month
    return list(sched["months"].get(mm, [])) + list(sched.get("every_month", []))


def derive_proposals(
    activity: dict[str, Any],
    officers: dict[str, Any],
    difficult: dict[str, Any],
    key_targets: dict[str, Any],
    *,
    next_month: Month,
    year_start: dt.date,
    year_end: dt.date,
) -> list[dict[str, Any]]:
    """Proposals from the figures. Each: code, text, basis (the number behind it), section."""
    out: list[dict[str, Any]] = []
    share_next = elapsed_share(min(next_month.end, year_end), year_start, year_end)
    for key, s in activity["status"].items():
        if not s["behind"]:
            continue
        if s["kind"] == "count":
            need = max(0, math.ceil(s["target"] * share_next - s["actual"]))
            out.append({"text": t("meeting.s5.p_count", label=s["label"], need=f"{need:,}"),
                        "basis": t("meeting.s5.b_count", shortfall=f"{s['shortfall']:,.0f}", actual=f"{s['actual']:,.0f}",
                                   pace=f"{s['pace']:,.0f}"), "key": key, "number": need})
        elif s["kind"] == "per_officer_share":
            n = len(officers.get("flagged", []))
            out.append({"text": t("meeting.s5.p_visits", n=n),
                        "basis": t("meeting.s5.b_level", label=s["label"], actual=f"{s['actual']:.1f}%", pace=f"{s['pace']:.1f}%"),
                        "key": key, "number": n})
        else:
            out.append({"text": t(f"meeting.s5.p_level_{key}"), "key": key,
                        "basis": t("meeting.s5.b_level", label=s["label"], actual=f"{s['actual']:.1f}%",
                                   pace=f"{s['pace']:.1f}%"), "number": round(s["pace"] - s["actual"], 1)})
    flagged = officers.get("flagged", [])
    if flagged:
        out.append({"text": t("meeting.s5.p_officers", n=len(flagged), codes="、".join(flagged[:10])),
                    "basis": t("meeting.s5.b_officers", n=len(flagged)), "key": "officers", "number": len(flagged)})
    counts = difficult.get("counts", {})
    if counts.get("broken"):
        out.append({"text": t("meeting.s5.p_broken", n=f"{counts['broken']:,}"),
                    "basis": t("meeting.s5.b_cases", n=f"{counts['broken']:,}"), "key": "broken", "number": counts["broken"]})
    if counts.get("limitation"):
        out.append({"text": t("meeting.s5.p_limitation", n=f"{counts['limitation']:,}"),
                    "basis": t("meeting.s5.b_cases", n=f"{counts['limitation']:,}"), "key": "limitation",
                    "number": counts["limitation"]})
    if counts.get("large_never"):
        out.append({"text": t("meeting.s5.p_never", n=f"{counts['large_never']:,}"),
                    "basis": t("meeting.s5.b_cases", n=f"{counts['large_never']:,}"), "key": "large_never",
                    "number": counts["large_never"]})
    gap = key_targets.get("gap")
    if gap is not None and gap > 0:
        out.append({"text": t("meeting.s5.p_unpaid"), "basis": t("meeting.s5.b_unpaid", gap=f"{gap / 1e8:,.2f}億円"),
                    "key": "unpaid", "number": round(gap)})
    for i, p in enumerate(out, start=1):
        p["code"] = f"P{i:02d}"
    return out


def build_next_month(next_month: Month, proposals: list[dict[str, Any]]) -> Section:
    items = schedule_items(next_month)
    sched = pd.DataFrame({
        t("meeting.col.schedule_item"): [i["text"] for i in items],
        t("meeting.col.basis"): [i.get("basis", "") for i in items],
        t("meeting.col.assumption"): [t("meeting.s5.assumed") if i.get("assumption") else "" for i in items],
    })
    props = pd.DataFrame({
        t("meeting.col.proposal_no"): [p["code"] for p in proposals],
        t("meeting.col.proposal"): [p["text"] for p in proposals],
        t("meeting.col.basis_figure"): [p["basis"] for p in proposals],
        t("meeting.col.decision"): ["" for _ in proposals],
    }, columns=[t("meeting.col.proposal_no"), t("meeting.col.proposal"), t("meeting.col.basis_figure"),
                t("meeting.col.decision")])
    if proposals:
        conclusion = t("meeting.s5.conclusion", month=next_month.wareki(), n_items=len(items), n=len(proposals),
                       first=proposals[0]["text"])
    else:
        conclusion = t("meeting.s5.conclusion_none", month=next_month.wareki(), n_items=len(items))
    return Section(
        number=5, key="next_month", title=t("meeting.s5.title"), conclusion=conclusion,
        tables=[Table("schedule", t("meeting.s5.table_schedule", month=next_month.wareki()), sched,
                      t("meeting.s5.note_schedule")),
                Table("proposals", t("meeting.s5.table_proposals"), props)],
        data={"proposals": proposals, "schedule": items},
    )
