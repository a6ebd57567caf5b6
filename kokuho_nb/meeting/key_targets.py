"""Section 1 重点目標: 収入未済額 and 収納率 month by month against the plan's path, the published history
beside the store's own figures, and the 23-ward comparison."""

from __future__ import annotations

import pandas as pd

from kokuho_nb.era import fiscal_year_label
from kokuho_nb.format import oku
from kokuho_nb.format import percent as pct
from kokuho_nb.labels import t
from kokuho_nb.meeting import plan
from kokuho_nb.meeting.common import Chart, Section, Table
from kokuho_nb.months import year_end
from kokuho_nb.report import charts


def _pace(row: pd.Series, prior: pd.DataFrame | None, prior_final: float | None) -> float | None:
    """Monthly pace line for 総合収納率: last year's same-month rate + (this year's target − last year's final)."""
    target = plan.rate_target(int(row["fiscal_year"]))
    if prior is None or prior_final is None or target is None or pd.isna(prior_final):
        return None
    prev_month = f"{int(row['month'][:4]) - 1:04d}{row['month'][4:]}"
    same = prior[prior["month"] == prev_month]
    if same.empty or pd.isna(same["total_rate"].iloc[0]):
        return None
    return round(float(same["total_rate"].iloc[0]) + target - prior_final, 2)


def build_key_targets(
    monthly: pd.DataFrame,
    *,
    prior: pd.DataFrame | None = None,
    prior_final: float | None = None,
    year_ends: pd.DataFrame | None = None,
) -> Section:
    """``monthly``: rows of :func:`figures.monthly_figures` for this year's months up to the meeting month
    (the last row is the meeting month). ``prior``: the same for last year's months; ``prior_final``: last
    year's year-end 総合収納率; ``year_ends``: the store's figures at past year ends (history table)."""
    m = monthly.sort_values("as_of").reset_index(drop=True).copy()
    m["path"] = [plan.unpaid_path(d) for d in m["as_of"]]
    m["gap"] = m["unpaid"] - m["path"]
    m["pace"] = [_pace(r, prior, prior_final) for _, r in m.iterrows()]
    m["target"] = [plan.rate_target(int(y)) for y in m["fiscal_year"]]
    last = m.iloc[-1]

    if pd.isna(last["path"]):
        conclusion = t("meeting.s1.conclusion_nopath", unpaid=oku(last["unpaid"]), rate=pct(last["total_rate"]))
    else:
        key = "above" if last["gap"] > 0 else "below"
        conclusion = t(
            f"meeting.s1.conclusion_{key}",
            unpaid=oku(last["unpaid"]),
            path=oku(last["path"]),
            gap=oku(abs(last["gap"])),
            rate=pct(last["total_rate"]),
            pace=pct(last["pace"]) if last["pace"] is not None else t("meeting.none"),
            target=pct(last["target"]),
        )

    h = t  # brevity
    monthly_table = pd.DataFrame(
        {
            h("meeting.col.month"): m["month"],
            h("meeting.col.unpaid"): m["unpaid"],
            h("meeting.col.unpaid_path"): m["path"].round(0),
            h("meeting.col.unpaid_gap"): m["gap"].round(0),
            h("meeting.col.current_rate"): m["current_rate"],
            h("meeting.col.carried_rate"): m["carried_rate"],
            h("meeting.col.total_rate"): m["total_rate"],
            h("meeting.col.rate_pace"): m["pace"],
            h("meeting.col.rate_target"): m["target"],
        }
    )

    # Published history beside the store's figures at the same year ends.
    hist = plan.history()
    store_by_fy: dict[int, pd.Series] = {}
    if year_ends is not None and len(year_ends):
        for _, r in year_ends.iterrows():
            store_by_fy[int(r["fiscal_year"])] = r
    rows = []
    published_unpaid = {pd.Timestamp(u["date"]).date(): u["amount"] for u in hist["unpaid"]}
    years = sorted({int(r["fiscal_year"]) for r in hist["total_rate"]}
                   | {d.year - 1 for d in published_unpaid} | set(store_by_fy))
    rate_by_fy = {int(r["fiscal_year"]): r for r in hist["total_rate"]}
    for fy in years:
        pub = rate_by_fy.get(fy, {})
        st = store_by_fy.get(fy)
        rows.append(
            {
                h("meeting.col.fiscal_year"): fiscal_year_label(fy),
                h("meeting.col.pub_rate"): pub.get("rate"),
                h("meeting.col.pub_rank"): pub.get("rank"),
                h("meeting.col.pub_unpaid"): published_unpaid.get(year_end(fy)),
                h("meeting.col.store_rate"): None if st is None else st["total_rate"],
                h("meeting.col.store_unpaid"): None if st is None else st["unpaid"],
            }
        )
    history_table = pd.DataFrame(rows)

    wc = plan.ward_comparison()
    latest_year = max(wc["years"])
    wy = wc["years"][latest_year]
    ward_rows = [
        {
            h("meeting.col.ward"): name,
            h("meeting.col.total_rate"): w.get("rate"),
            h("meeting.col.rank"): w.get("rank"),
            h("meeting.col.status"): w.get("status"),
        }
        for name, w in wy["wards"].items()
    ]
    ward_rows.append({h("meeting.col.ward"): t("meeting.s1.ward_average"),
                      h("meeting.col.total_rate"): wy.get("ward_average"),
                      h("meeting.col.rank"): None, h("meeting.col.status"): t("meeting.s1.from_plan")})
    ward_table = pd.DataFrame(ward_rows)
    n_missing = sum(1 for w in wy["wards"].values() if w.get("rate") is None)

    # Charts: the unpaid path over the plan period with the actual months; the rate with its pace line.
    months = list(m["month"])
    chart_unpaid = charts.line_chart(
        months,
        {t("meeting.s1.series_actual"): list(m["unpaid"] / 1e8),
         t("meeting.s1.series_path"): [None if pd.isna(v) else v / 1e8 for v in m["path"]]},
        title=t("meeting.s1.chart_unpaid"), ylabel=t("meeting.unit_oku"), yformat="{:,.2f}",
    )
    rate_series = {
        t("meeting.col.total_rate"): list(m["total_rate"]),
        t("meeting.col.current_rate"): list(m["current_rate"]),
        t("meeting.col.carried_rate"): list(m["carried_rate"]),
        t("meeting.col.rate_pace"): list(m["pace"]),
    }
    chart_rate = charts.line_chart(
        months, rate_series, title=t("meeting.s1.chart_rate"), ylabel="%", yformat="{:.0f}",
        hline=(float(last["target"]), t("meeting.col.rate_target")) if last["target"] is not None else None,
    )
    return Section(
        number=1,
        key="key_targets",
        title=t("meeting.s1.title"),
        conclusion=conclusion,
        tables=[
            Table("monthly", t("meeting.s1.table_monthly"), monthly_table, t("meeting.s1.note_monthly")),
            Table("history", t("meeting.s1.table_history"), history_table, t("meeting.s1.note_history")),
            Table("wards", t("meeting.s1.table_wards", year=wy["label"]), ward_table,
                  t("meeting.s1.note_wards", n=n_missing)),
        ],
        charts=[Chart("unpaid", t("meeting.s1.chart_unpaid"), chart_unpaid),
                Chart("rate", t("meeting.s1.chart_rate"), chart_rate)],
        data={
            "unpaid": int(last["unpaid"]),
            "path": None if pd.isna(last["path"]) else float(last["path"]),
            "gap": None if pd.isna(last["gap"]) else float(last["gap"]),
            "total_rate": float(last["total_rate"]),
            "pace": last["pace"],
            "target": last["target"],
        },
    )
