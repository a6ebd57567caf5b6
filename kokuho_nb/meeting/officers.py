"""Section 3 担当者別進捗: per collection officer, the month's list and what became of it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kokuho_nb.casework.contacts import reached_results
from kokuho_nb.labels import t
from kokuho_nb.meeting.casefacts import broken_pledges, open_promises
from kokuho_nb.meeting.common import Chart, Section, Table, threshold
from kokuho_nb.report import charts

RESULT_ORDER = ["接触", "納付約束", "分納誓約", "不在", "不通", "拒否", "居所不明", "その他"]


def build_officers(
    staff: pd.DataFrame,
    caseload: pd.DataFrame,
    issued: pd.DataFrame,
    contacts: pd.DataFrame,
    payments: pd.DataFrame,
    dispositions: pd.DataFrame,
    *,
    as_of: dt.date,
    month_start: dt.date,
    year_start: dt.date,
    visit_pace_pct: float,
    visit_target_pct: float,
) -> Section:
    """``staff``: officer_code, name, role; ``caseload``: household_id, officer_code (households with arrears);
    ``issued``: household_id, officer_code (the month's issued officer lists); ``contacts``: canonical
    contacts (ledger + accepted returns); ``payments``: household_id, paid_date, amount."""
    tol = float(threshold("pace_tolerance", as_of))
    min_share = float(threshold("contacted_share_min", as_of))
    lookback = int(threshold("no_progress_months", as_of)) * 31
    officers = staff[staff["role"] == "徴収吏員"][["officer_code", "name"]].drop_duplicates("officer_code")
    start, end = pd.Timestamp(month_start), pd.Timestamp(as_of)
    c = contacts.copy()
    c["date"] = pd.to_datetime(c["date"])
    month_c = c[(c["date"] >= start) & (c["date"] <= end)]
    listed = issued[["household_id", "officer_code"]].drop_duplicates("household_id")

    list_size = listed.groupby("officer_code").size()
    worked_hh = month_c[month_c["household_id"].isin(listed["household_id"])]
    worked = listed[listed["household_id"].isin(worked_hh["household_id"])].groupby("officer_code").size()
    reached_hh = worked_hh[worked_hh["result"].isin(reached_results())]["household_id"]
    reached = listed[listed["household_id"].isin(reached_hh)].groupby("officer_code").size()
    mix = (worked_hh.merge(listed, on="household_id", suffixes=("_c", ""))
           .groupby(["officer_code", "result"]).size())

    pay = payments.copy()
    pay["paid_date"] = pd.to_datetime(pay["paid_date"])
    month_pay = pay[(pay["paid_date"] >= start) & (pay["paid_date"] <= end)]
    collected = (month_pay.merge(listed, on="household_id").groupby("officer_code")["amount"].sum())

    load = caseload.groupby("officer_code").size()
    visits = c[(c["method"] == "臨場催告") & (c["date"] >= pd.Timestamp(year_start)) & (c["date"] <= end)]
    visits = visits.drop_duplicates(["officer_code", "household_id"]).groupby("officer_code").size()

    owner = caseload.set_index("household_id")["officer_code"]
    promises = open_promises(c, as_of)
    open_by = promises["household_id"].map(owner).value_counts()
    broken = broken_pledges(c, payments, dispositions, as_of, lookback).drop_duplicates("household_id")
    broken_by = broken["household_id"].map(owner).value_counts()

    rows = []
    flags = []
    for _, o in officers.sort_values("officer_code").iterrows():
        code = o["officer_code"]
        n_list = int(list_size.get(code, 0))
        n_worked = int(worked.get(code, 0))
        n_reached = int(reached.get(code, 0))
        n_load = int(load.get(code, 0))
        n_visits = int(visits.get(code, 0))
        visit_pct = 100.0 * n_visits / n_load if n_load else None
        worked_share = n_worked / n_list if n_list else None
        reasons = []
        if worked_share is not None and worked_share < min_share:
            reasons.append(t("meeting.s3.flag_contacts", share=f"{worked_share * 100:.0f}%", min=f"{min_share * 100:.0f}%"))
        if visit_pct is not None and visit_pct < visit_pace_pct * (1 - tol):
            reasons.append(t("meeting.s3.flag_visits", pct=f"{visit_pct:.1f}%", pace=f"{visit_pace_pct:.1f}%"))
        mix_text = " / ".join(f"{r}{int(mix[(code, r)])}" for r in RESULT_ORDER if (code, r) in mix.index)
        flags.append(bool(reasons))
        rows.append({
            t("meeting.col.officer_code"): code,
            t("meeting.col.officer_name"): o["name"],
            t("meeting.col.list_size"): n_list,
            t("meeting.col.worked"): n_worked,
            t("meeting.col.worked_share"): None if worked_share is None else round(100 * worked_share, 1),
            t("meeting.col.reached_share"): None if not n_list else round(100 * n_reached / n_list, 1),
            t("meeting.col.results_mix"): mix_text,
            t("meeting.col.collected_listed"): int(collected.get(code, 0)),
            t("meeting.col.caseload"): n_load,
            t("meeting.col.field_visits"): n_visits,
            t("meeting.col.field_visit_share"): None if visit_pct is None else round(visit_pct, 1),
            t("meeting.col.open_promises"): int(open_by.get(code, 0)),
            t("meeting.col.broken"): int(broken_by.get(code, 0)),
            t("meeting.col.flag"): "；".join(reasons) if reasons else "",
        })
    table = pd.DataFrame(rows)
    n_flag = sum(flags)
    total_list = int(list_size.sum()) if len(list_size) else 0
    total_worked = int(worked.sum()) if len(worked) else 0
    if total_list == 0:
        conclusion = t("meeting.s3.conclusion_nolist", n=len(officers))
    else:
        conclusion = t("meeting.s3.conclusion", n=len(officers), flagged=n_flag, listed=f"{total_list:,}",
                       worked=f"{total_worked:,}", share=f"{100 * total_worked / total_list:.1f}%",
                       collected=f"{int(collected.sum()):,}円")
    chart = None
    if len(table):
        chart = charts.bar_chart(
            list(table[t("meeting.col.officer_code")]),
            [0.0 if pd.isna(v) else float(v) for v in table[t("meeting.col.field_visit_share")]],
            title=t("meeting.s3.chart_visits"), ylabel="%",
            threshold=(visit_pace_pct, t("meeting.s3.visit_pace_label", target=f"{visit_target_pct:.0f}%")),
            flagged=flags, yformat="{:.0f}", height=3.0,
        )
    return Section(
        number=3,
        key="officers",
        landscape=True,
        title=t("meeting.s3.title"),
        conclusion=conclusion,
        tables=[Table("officers", t("meeting.s3.table"), table,
                      t("meeting.s3.note", min=f"{min_share * 100:.0f}%", pace=f"{visit_pace_pct:.1f}%"))],
        charts=[Chart("visits", t("meeting.s3.chart_visits"), chart)] if chart else [],
        data={"flagged": [r[t("meeting.col.officer_code")] for r, f in zip(rows, flags, strict=True) if f],
              "list_total": total_list, "worked_total": total_worked,
              "collected_total": int(collected.sum()) if len(collected) else 0,
              "broken_total": int(len(broken)), "open_promises_total": int(len(promises))},
    )
