"""Assemble the monthly meeting pack from the store: six sections, the decisions rows, and the outputs
(HTML without code, A4 PDF, Excel workbook with the 決定事項 sheet) under ``outputs/YYYY-MM/``."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.meeting import activity as s2
from kokuho_nb.meeting import analysis as s6
from kokuho_nb.meeting import difficult as s4
from kokuho_nb.meeting import key_targets as s1
from kokuho_nb.meeting import next_month as s5
from kokuho_nb.meeting import officers as s3
from kokuho_nb.meeting.casefacts import broken_pledges, last_progress
from kokuho_nb.meeting.common import Section, meeting_config, threshold
from kokuho_nb.meeting.figures import ChargeBook, monthly_figures
from kokuho_nb.meeting.inputs import MeetingInputs, gather
from kokuho_nb.months import Month, current_fiscal_year, year_end
from kokuho_nb.params import value as param_value
from kokuho_nb.store import Store

OFFICER_ROLES = ("徴収吏員", "係長", "債権管理専門員", "特別整理専門員")


@dataclass
class MeetingPack:
    month: Month
    as_of: dt.date
    sections: list[Section]
    attendees: list[str]
    synthetic: bool
    decision_rows: list[dict[str, Any]]
    staff_codes: list[str]
    generated_at: str = field(default_factory=lambda: dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step (benchmarks)

    def __post_init__(self) -> None:
        self.month = Month.parse(self.month)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


# --- section 1 inputs ---------------------------------------------------------------------------------------

def key_target_frames(book: ChargeBook, as_of: dt.date) -> dict[str, Any]:
    """This year's month ends (June → the meeting month), the same months last year, last year's final
    and the year ends the ledger covers."""
    fy = current_fiscal_year(as_of)
    days = []
    d = dt.date(fy, 6, 30)
    while d < as_of:
        days.append(d)
        d = (Month.of(d) + 1).end
    days.append(as_of)
    monthly = monthly_figures(book, days)
    prior_days = [dt.date(x.year - 1, x.month, 28) for x in days]
    prior_days = [Month.of(x).end for x in prior_days]
    prior = monthly_figures(book, prior_days)
    finals = monthly_figures(book, [year_end(y) for y in range(fy - 4, fy) if year_end(y) <= as_of])
    has_data = finals[finals["current_charged"] > 0] if len(finals) else finals
    prior_final = None
    if len(has_data) and int(has_data.iloc[-1]["fiscal_year"]) == fy - 1:
        prior_final = float(has_data.iloc[-1]["total_rate"])
    if prior_final is None:
        prior = None
    return {"monthly": monthly, "prior": prior, "prior_final": prior_final, "year_ends": has_data}


# --- section 2 inputs ---------------------------------------------------------------------------------------

def activity_events(inp: MeetingInputs) -> tuple[pd.DataFrame, dict[str, tuple[float | None, str]]]:
    """Dated events per count target, and the level targets' values with their notes."""
    led = inp.ledger
    frames = []
    inq = led.inquiries
    if len(inq):
        frames.append(pd.DataFrame({"date": inq["inquiry_date"], "target": "inquiries_total"}))
        for mode, key in (("電子", "inquiries_electronic"), ("紙", "inquiries_paper")):
            sel = inq[inq["mode"] == mode]
            frames.append(pd.DataFrame({"date": sel["inquiry_date"], "target": key}))
    cfg = meeting_config()["centre_activity"]
    staff_codes = set(led.staff.loc[led.staff["role"].isin(OFFICER_ROLES), "officer_code"])
    c = inp.contacts
    by_centre = ~c["officer_code"].isin(staff_codes) | c["memo"].fillna("").astype(str).str.contains(
        str(cfg["memo_marker"]), regex=False)
    for key, rule in cfg["methods"].items():
        sel = c[(c["method"] == rule["method"]) & (by_centre | bool(rule["all"]))]
        frames.append(pd.DataFrame({"date": sel["date"], "target": key}))
    disp = led.dispositions
    for kind, key in (("差押", "seizures"), ("執行停止", "suspensions")):
        sel = disp[disp["kind"] == kind]
        frames.append(pd.DataFrame({"date": sel["start_date"], "target": key}))
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["date", "target"])

    levels: dict[str, tuple[float | None, str]] = {}
    hh = led.households
    insured = hh[hh["status"] == "加入中"]
    enrolled = int(insured["direct_debit"].fillna(False).astype(bool).sum())
    levels["direct_debit_rate"] = (
        100.0 * enrolled / len(insured) if len(insured) else None,
        t("meeting.s2.direct_debit_note", insured=len(insured), enrolled=enrolled),
    )
    ended = int(((hh["status"] == "喪失") & hh["employee_pension"].fillna(False).astype(bool)).sum())
    levels["pension_coverage_end"] = (None, t("meeting.s2.pension_note", n=ended))
    caseload = inp.cases[(inp.cases["total_arrears"] > 0) & inp.cases["officer_code"].notna()]
    officers = set(led.staff.loc[led.staff["role"] == "徴収吏員", "officer_code"])
    visits = c[(c["method"] == "臨場催告") & c["officer_code"].isin(officers)
               & (c["date"] >= pd.Timestamp(inp.year_start)) & (c["date"] <= pd.Timestamp(inp.as_of))]
    n_visits = int(visits.drop_duplicates(["officer_code", "household_id"]).shape[0])
    n_load = int(caseload["officer_code"].isin(officers).sum())
    levels["field_visit_share"] = (100.0 * n_visits / n_load if n_load else None,
                                   t("meeting.s2.visits_note", caseload=n_load, visits=n_visits))
    value, note_key = inp.training
    levels["training_rate"] = (value, t(f"meeting.s2.{note_key}"))
    return events, levels


# --- the pack -----------------------------------------------------------------------------------------------

def build_sections(inp: MeetingInputs) -> tuple[list[Section], list[dict[str, Any]]]:
    led = inp.ledger
    book = ChargeBook(led.charges, led.payments, led.households)
    kt = key_target_frames(book, inp.as_of)
    sec1 = s1.build_key_targets(kt["monthly"], prior=kt["prior"], prior_final=kt["prior_final"],
                                year_ends=kt["year_ends"])

    events, levels = activity_events(inp)
    sec2 = s2.build_activity(events, levels, as_of=inp.as_of, year_start=inp.year_start, year_end=inp.year_end)

    low = list(param_value("case_view.low_income_classes", inp.as_of))
    sec6 = s6.build_analysis(inp.cases, inp.prev_cases, low_income=low)

    # From here on the month's issued lists are needed (read on first use, waiting for an issue in progress).
    share = s2.elapsed_share(inp.as_of, inp.year_start, inp.year_end)
    visit_target = float(param_value("plan_targets.activity.field_visit_share", max(inp.as_of, dt.date(2026, 6, 1))))
    caseload = inp.cases[(inp.cases["total_arrears"] > 0)][["household_id", "officer_code"]]
    officer_lists = inp.issued
    if "list_kind" in officer_lists and len(officer_lists):
        officer_lists = officer_lists[officer_lists["list_kind"] == "officer"]
    sec3 = s3.build_officers(
        s3.OfficerFacts(led.staff, caseload, officer_lists, inp.contacts, led.payments, led.dispositions),
        s3.Period(inp.as_of, inp.month_start, inp.year_start, visit_pace_pct=visit_target * share,
                  visit_target_pct=visit_target))

    lookback = int(threshold("no_progress_months", inp.as_of)) * 31
    lp = last_progress(inp.contacts, led.payments, led.dispositions, inp.as_of)
    broken = broken_pledges(inp.contacts, led.payments, led.dispositions, inp.as_of, lookback)
    contacted_ever = set(inp.contacts["household_id"])
    selected, counts = s4.select_difficult(inp.cases, lp, contacted_ever, broken, inp.revisit, as_of=inp.as_of)
    followup = s4.build_followup(inp.prev_decisions, inp.prev_cases, inp.cases, led.payments, inp.contacts,
                                 led.dispositions, inp.issued, since=inp.prev_as_of, as_of=inp.as_of)
    sec4 = s4.build_difficult(selected, counts, as_of=inp.as_of, followup=followup)

    nxt = inp.month + 1
    proposals = s5.derive_proposals(sec2.data, sec3.data, sec4.data, sec1.data, next_month=nxt,
                                    year_start=inp.year_start, year_end=inp.year_end)
    sec5 = s5.build_next_month(nxt, proposals)

    rows = decision_rows(sec4, proposals, inp.cases)
    return [sec1, sec2, sec3, sec4, sec5, sec6], rows


def decision_rows(sec4: Section, proposals: list[dict[str, Any]], cases: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per difficult case shown (C01…) and per proposal (P01…) for the 決定事項 sheet."""
    rows = []
    tab = sec4.table("cases")
    for _, r in tab.iterrows():
        rows.append({"kind": t("meeting.decisions.kind_case"), "ref": r[t("meeting.col.case_no")],
                     "household_id": r[t("meeting.col.household_id")], "summary": r[t("meeting.col.categories")],
                     "amount": int(r[t("meeting.col.total_arrears")]), "current_officer": r[t("meeting.col.officer")]})
    for p in proposals:
        rows.append({"kind": t("meeting.decisions.kind_proposal"), "ref": p["code"], "household_id": "",
                     "summary": f"{p['text']}（{p['basis']}）", "amount": None, "current_officer": ""})
    return rows


def build_pack(month: Month | str, store: Store | str | Path | None = None, *,
               synthetic: bool | None = None) -> MeetingPack:
    """The pack of ``month`` (a public entry point: the month and the store are parsed / opened here)."""
    started = time.perf_counter()
    inp = gather(Month.parse(month), Store.open(store), synthetic=synthetic)
    gathered = time.perf_counter()
    sections, rows = build_sections(inp)
    timings = {"gather_s": gathered - started, "sections_s": time.perf_counter() - gathered}
    staff_codes = sorted(inp.ledger.staff["officer_code"].astype(str))
    return MeetingPack(month=inp.month, as_of=inp.as_of, sections=sections,
                       attendees=list(meeting_config()["attendees"]["roles"]), synthetic=inp.synthetic,
                       decision_rows=rows, staff_codes=staff_codes, notes=inp.notes, timings=timings)
