"""Section 3 担当者別進捗: per collection officer, the month's list and what became of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kokuho_nb.casework.contacts import reached_results
from kokuho_nb.contract import codes
from kokuho_nb.labels import t
from kokuho_nb.meeting.casefacts import broken_pledges, open_promises
from kokuho_nb.meeting.common import Chart, Section, Table, threshold
from kokuho_nb.report import charts


@dataclass(frozen=True)
class OfficerFacts:
    """What section 3 counts from: ``staff`` (officer_code, name, role); ``caseload`` (household_id, officer_code:
    households with arrears); ``issued`` (household_id, officer_code: the month's issued officer lists);
    ``contacts`` (canonical contacts: ledger + accepted returns); ``payments`` (household_id, paid_date, amount);
    ``dispositions``."""

    staff: pd.DataFrame
    caseload: pd.DataFrame
    issued: pd.DataFrame
    contacts: pd.DataFrame
    payments: pd.DataFrame
    dispositions: pd.DataFrame


@dataclass(frozen=True)
class Period:
    """The meeting month (its first day to ``as_of``), the activity year's start, and the 臨場催告 pace: the share
    of the caseload the year's target asks for by now, and the year's target (percent)."""

    as_of: dt.date
    month_start: dt.date
    year_start: dt.date
    visit_pace_pct: float
    visit_target_pct: float


def result_order() -> list[str]:
    """Contact results in the order the results mix shows them: reached first, then the rest."""
    r = codes().result
    return [r.contact, r.promise, r.pledge, r.absent, r.unreachable, r.refused, r.whereabouts_unknown, r.other]


def _month_work(f: OfficerFacts, period: Period) -> dict[str, Any]:
    """Per officer: list size, cases worked and reached this month, the results mix, yen collected on listed
    cases, caseload, 臨場催告 this year, open promises and broken pledges."""
    start, end = pd.Timestamp(period.month_start), pd.Timestamp(period.as_of)
    lookback = int(threshold("no_progress_months", period.as_of)) * 31
    c = f.contacts.copy()
    c["date"] = pd.to_datetime(c["date"])
    month_c = c[(c["date"] >= start) & (c["date"] <= end)]
    listed = f.issued[["household_id", "officer_code"]].drop_duplicates("household_id")
    worked_hh = month_c[month_c["household_id"].isin(listed["household_id"])]
    reached_hh = worked_hh[worked_hh["result"].isin(reached_results())]["household_id"]
    pay = f.payments.copy()
    pay["paid_date"] = pd.to_datetime(pay["paid_date"])
    month_pay = pay[(pay["paid_date"] >= start) & (pay["paid_date"] <= end)]
    visits = c[(c["method"] == codes().method.field_visit) & (c["date"] >= pd.Timestamp(period.year_start))
               & (c["date"] <= end)]
    owner = f.caseload.set_index("household_id")["officer_code"]
    promises = open_promises(c, period.as_of)
    broken = broken_pledges(c, f.payments, f.dispositions, period.as_of, lookback).drop_duplicates("household_id")
    return {
        "list_size": listed.groupby("officer_code").size(),
        "worked": listed[listed["household_id"].isin(worked_hh["household_id"])].groupby("officer_code").size(),
        "reached": listed[listed["household_id"].isin(reached_hh)].groupby("officer_code").size(),
        "mix": worked_hh.merge(listed, on="household_id", suffixes=("_c", "")).groupby(["officer_code", "result"])
        .size(),
        "collected": month_pay.merge(listed, on="household_id").groupby("officer_code")["amount"].sum(),
        "load": f.caseload.groupby("officer_code").size(),
        "visits": visits.drop_duplicates(["officer_code", "household_id"]).groupby("officer_code").size(),
        "open_by": promises["household_id"].map(owner).value_counts(),
        "broken_by": broken["household_id"].map(owner).value_counts(),
        "promises": promises,
        "broken": broken,
    }


def build_officers(facts: OfficerFacts, period: Period) -> Section:
    """Section 3: each collection officer's progress on the month's list, with the flags that need follow-up."""
    as_of, visit_pace_pct, visit_target_pct = period.as_of, period.visit_pace_pct, period.visit_target_pct
    tol = float(threshold("pace_tolerance", as_of))
    min_share = float(threshold("contacted_share_min", as_of))
    staff = facts.staff
    officers = staff[staff["role"] == codes().role.collector][["officer_code", "name"]].drop_duplicates("officer_code")
    w = _month_work(facts, period)
    list_size, worked, reached, mix, collected = w["list_size"], w["worked"], w["reached"], w["mix"], w["collected"]
    load, visits, open_by, broken_by = w["load"], w["visits"], w["open_by"], w["broken_by"]
    promises, broken = w["promises"], w["broken"]
    order = result_order()

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
        mix_text = " / ".join(f"{r}{int(mix[(code, r)])}" for r in order if (code, r) in mix.index)
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
