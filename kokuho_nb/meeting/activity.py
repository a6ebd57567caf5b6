"""Section 2 年間活動目標: every annual activity target of the plan, year to date against a pace line.

Count targets (財産調査, センター電話/SMS/訪問, 差押, 執行停止, ねんきんネット資格喪失) are counted from dated
events; the pace line is the annual target × the elapsed share of the activity year (by days). Level
targets (口座振替加入率, 研修受講率) are compared with the target itself; 臨場催告 (per officer) with
20% × the elapsed share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.meeting.common import Chart, Section, Table, threshold
from kokuho_nb.months import Month
from kokuho_nb.params import load_yaml, parameter_from_node
from kokuho_nb.report import charts


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    kind: str  # count / share / per_officer_share
    value: float
    unit: str
    reference: str


def targets(on: dt.date) -> list[Target]:
    """The plan's activity targets in force on ``on`` (parameters/plan_targets.yaml ``activity``)."""
    out = []
    for key, node in load_yaml("plan_targets.yaml")["activity"].items():
        p = parameter_from_node(f"plan_targets.activity.{key}", node)
        on_date = max(on, p.first_date)  # before the plan starts, show its first targets
        out.append(Target(key, p.description, str(p.metadata.get("kind")), float(p.at(on_date)),
                          str(p.unit), str(p.reference)))
    return out


def elapsed_share(as_of: dt.date, start: dt.date, end: dt.date) -> float:
    total = (end - start).days + 1
    return min(max(((as_of - start).days + 1) / total, 0.0), 1.0)


def build_activity(
    events: pd.DataFrame,
    levels: dict[str, tuple[float | None, str]],
    *,
    as_of: dt.date,
    year_start: dt.date,
    year_end: dt.date,
) -> Section:
    """``events``: one row per counted event, columns ``date`` and ``target`` (a count target key);
    ``levels``: for level and per-officer targets, ``key -> (value in %, note)`` (value ``None`` when
    it can't be computed; the note says why)."""
    share = elapsed_share(as_of, year_start, year_end)
    tol = float(threshold("pace_tolerance", as_of))
    months_left = max(1, (year_end.year - as_of.year) * 12 + year_end.month - as_of.month)
    ev = events.copy()
    ev["date"] = pd.to_datetime(ev["date"])
    in_year = ev[(ev["date"] >= pd.Timestamp(year_start)) & (ev["date"] <= pd.Timestamp(as_of))]
    counts = in_year.groupby("target").size()

    rows: list[dict[str, Any]] = []
    status: dict[str, dict[str, Any]] = {}
    for tg in targets(as_of):
        if tg.kind == "count":
            actual: float | None = float(counts.get(tg.key, 0))
            pace = tg.value * share
            note = levels.get(tg.key, (None, ""))[1]
            if tg.key in levels and levels[tg.key][0] is None:
                actual = None
        elif tg.kind == "per_officer_share":
            actual, note = levels.get(tg.key, (None, t("meeting.s2.no_data")))
            pace = tg.value * share
        else:
            actual, note = levels.get(tg.key, (None, t("meeting.s2.no_data")))
            pace = tg.value
        if actual is None:
            state = t("meeting.s2.status_unknown")
            behind = None
        else:
            behind = actual < pace * (1 - tol)
            state = t("meeting.s2.status_behind") if behind else t("meeting.s2.status_ok")
        shortfall = None if actual is None else max(pace - actual, 0.0)
        per_month = None
        if tg.kind == "count" and actual is not None:
            per_month = max(tg.value - actual, 0.0) / months_left
        status[tg.key] = {"label": tg.label, "kind": tg.kind, "target": tg.value, "actual": actual,
                          "pace": pace, "behind": behind, "shortfall": shortfall, "per_month": per_month}
        rows.append(
            {
                t("meeting.col.target_name"): tg.label,
                t("meeting.col.annual_target"): tg.value,
                t("meeting.col.unit"): t(f"meeting.unit.{tg.unit}"),
                t("meeting.col.ytd"): actual,
                t("meeting.col.pace"): round(pace, 1),
                t("meeting.col.shortfall"): None if shortfall is None else round(shortfall, 1),
                t("meeting.col.achieved"): None if actual is None or not tg.value else round(100 * actual / tg.value, 1),
                t("meeting.col.state"): state,
                t("meeting.col.per_month_needed"): None if per_month is None else round(per_month),
                t("meeting.col.note"): note,
                t("meeting.col.reference"): tg.reference,
            }
        )
    table = pd.DataFrame(rows)
    behind_keys = [k for k, s in status.items() if s["behind"]]
    if behind_keys:
        worst = max(behind_keys, key=lambda k: (s := status[k])["shortfall"] / max(s["target"], 1))
        w = status[worst]
        conclusion = t("meeting.s2.conclusion_behind", n=len(behind_keys), total=len(status), label=w["label"],
                       actual=_fmt(w["actual"], w["kind"]), pace=_fmt(w["pace"], w["kind"]),
                       shortfall=_fmt(w["shortfall"], w["kind"]))
    else:
        conclusion = t("meeting.s2.conclusion_ok", total=len(status), share=f"{share * 100:.0f}%")

    # Trend: cumulative % of the annual target by month for the count targets, with the pace line.
    months = []
    m = year_start.replace(day=1)
    while m <= as_of:
        months.append(str(Month.of(m)))
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    # "YYYY-MM" through numpy month precision: Series.dt.strftime formats every row in Python (~3 s for the
    # default ward's contacts); in_year holds no NaT (filtered on the year's dates above).
    in_year = in_year.assign(month=in_year["date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
                             .astype(str))
    per_month = in_year.groupby(["target", "month"]).size()
    series: dict[str, list[float | None]] = {}
    trend_rows = []
    for tg in targets(as_of):
        if tg.kind != "count" or status[tg.key]["actual"] is None:
            continue
        cum = 0.0
        vals: list[float | None] = []
        for mo in months:
            n = float(per_month.get((tg.key, mo), 0))
            cum += n
            vals.append(round(100 * cum / tg.value, 2))
            trend_rows.append({t("meeting.col.month"): mo, t("meeting.col.target_name"): tg.label,
                               t("meeting.col.monthly_count"): int(n), t("meeting.col.cumulative"): int(cum)})
        series[tg.label] = vals
    pace_line = []
    for mo in months:
        y, mm = int(mo[:4]), int(mo[5:])
        last_day = (dt.date(y, mm, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        pace_line.append(round(100 * elapsed_share(min(last_day, year_end), year_start, year_end), 2))
    series[t("meeting.s2.series_pace")] = pace_line  # type: ignore[assignment]
    chart_trend = charts.line_chart(months, series, title=t("meeting.s2.chart_trend"), ylabel=t("meeting.s2.ylabel_pct"),
                                    yformat="{:.0f}", height=3.4)
    labels = [s["label"] for s in status.values() if s["actual"] is not None and s["target"]]
    achieved = [100 * s["actual"] / s["target"] for s in status.values() if s["actual"] is not None and s["target"]]
    paces = [100 * s["pace"] / s["target"] for s in status.values() if s["actual"] is not None and s["target"]]
    chart_bars = charts.progress_bars(labels, achieved, paces, title=t("meeting.s2.chart_bars"),
                                      xlabel=t("meeting.s2.ylabel_pct"), achieved_label=t("meeting.col.ytd"),
                                      pace_label=t("meeting.col.pace"))
    return Section(
        number=2,
        key="activity",
        title=t("meeting.s2.title"),
        conclusion=conclusion,
        tables=[
            Table("targets", t("meeting.s2.table_targets"), table,
                  t("meeting.s2.note_targets", start=year_start.isoformat(), end=year_end.isoformat(),
                    share=f"{share * 100:.1f}%", tol=f"{tol * 100:.0f}%")),
            Table("trend", t("meeting.s2.table_trend"), pd.DataFrame(trend_rows), printed=False),
        ],
        charts=[Chart("bars", t("meeting.s2.chart_bars"), chart_bars),
                Chart("trend", t("meeting.s2.chart_trend"), chart_trend)],
        data={"status": status, "elapsed_share": share, "months_left": months_left},
    )


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}%" if kind != "count" else f"{value:,.0f}件"
