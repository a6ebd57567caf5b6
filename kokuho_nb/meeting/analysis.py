"""Section 6 滞納状況の分析: stage × amount band × income class in cases and yen (the plan's own analysis,
1(3)ア), the foreign residents' share and languages, and the change from the previous month."""

from __future__ import annotations

import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.meeting.common import Chart, Section, Table
from kokuho_nb.report import charts

INCOME_ORDER = ["軽減7割", "軽減5割", "軽減2割", "軽減なし", "未申告"]
STAGE_ORDER = ["未納段階", "滞納初期", "滞納中～後期"]


def _delinquent(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[cases["total_arrears"] > 0]


def _cross(d: pd.DataFrame, value: str | None) -> pd.DataFrame:
    if value is None:
        tab = pd.crosstab([d["stage"], d["amount_band"]], d["income_class"])
    else:
        tab = pd.crosstab([d["stage"], d["amount_band"]], d["income_class"], values=d[value], aggfunc="sum").fillna(0)
    cols = [c for c in INCOME_ORDER if c in tab.columns] + [c for c in tab.columns if c not in INCOME_ORDER]
    tab = tab[cols].astype("int64")
    tab[t("meeting.col.total")] = tab.sum(axis=1)
    tab.loc[(t("meeting.col.total"), ""), :] = tab.sum(axis=0)
    order = {s: i for i, s in enumerate(STAGE_ORDER + [t("meeting.col.total")])}
    tab = tab.sort_index(key=lambda idx: idx.map(lambda v: order.get(v, 99)) if idx.name == "stage" else idx)
    tab = tab.reset_index().rename(columns={"stage": t("meeting.col.stage"), "amount_band": t("meeting.col.amount_band")})
    return tab.astype({c: "int64" for c in tab.columns[2:]})


def build_analysis(cases: pd.DataFrame, prev_cases: pd.DataFrame | None, *, low_income: list[str]) -> Section:
    d = _delinquent(cases)
    n, amount = len(d), int(d["total_arrears"].sum())
    small = d
    # The band below the threshold is the one with the smaller arrears (labels come from parameters).
    if n:
        below = d.groupby("amount_band")["total_arrears"].max().idxmin()
        small = d[d["amount_band"] == below]
    small_cases = 100 * len(small) / n if n else 0.0
    small_yen = 100 * small["total_arrears"].sum() / amount if amount else 0.0
    small_low = 100 * small["income_class"].isin(low_income).mean() if len(small) else 0.0
    focus = int(d["focus"].fillna(False).astype(bool).sum()) if "focus" in d else 0
    foreign = d["foreign"].fillna(False).astype(bool)
    foreign_share = 100 * foreign.mean() if n else 0.0
    langs = (d[foreign]["language"].fillna(t("meeting.unknown")).value_counts()
             .rename_axis(t("meeting.col.language")).reset_index(name=t("meeting.col.cases")))

    summary = pd.DataFrame([
        {t("meeting.col.indicator"): t("meeting.s6.ind_small_cases"), t("meeting.col.value"): round(small_cases, 1),
         t("meeting.col.plan_value"): 95.0},
        {t("meeting.col.indicator"): t("meeting.s6.ind_small_yen"), t("meeting.col.value"): round(small_yen, 1),
         t("meeting.col.plan_value"): 72.0},
        {t("meeting.col.indicator"): t("meeting.s6.ind_small_low"), t("meeting.col.value"): round(small_low, 1),
         t("meeting.col.plan_value"): 70.0},
        {t("meeting.col.indicator"): t("meeting.s6.ind_focus"), t("meeting.col.value"): round(100 * focus / len(small), 1) if len(small) else 0.0,
         t("meeting.col.plan_value"): 30.0},
        {t("meeting.col.indicator"): t("meeting.s6.ind_foreign"), t("meeting.col.value"): round(foreign_share, 1),
         t("meeting.col.plan_value"): None},
    ])

    mom_rows = []
    pn = pa = None
    if prev_cases is not None and len(prev_cases):
        p = _delinquent(prev_cases)
        pn, pa = len(p), int(p["total_arrears"].sum())
        for stage in STAGE_ORDER + [t("meeting.col.total")]:
            cur = d if stage == t("meeting.col.total") else d[d["stage"] == stage]
            old = p if stage == t("meeting.col.total") else p[p["stage"] == stage]
            mom_rows.append({
                t("meeting.col.stage"): stage,
                t("meeting.col.prev_cases"): len(old), t("meeting.col.cases"): len(cur),
                t("meeting.col.diff_cases"): len(cur) - len(old),
                t("meeting.col.prev_amount"): int(old["total_arrears"].sum()),
                t("meeting.col.amount"): int(cur["total_arrears"].sum()),
                t("meeting.col.diff_amount"): int(cur["total_arrears"].sum() - old["total_arrears"].sum()),
            })
    mom = pd.DataFrame(mom_rows)
    if pn is None:
        conclusion = t("meeting.s6.conclusion_noprev", n=f"{n:,}", amount=f"{amount:,}円", small=f"{small_cases:.1f}%",
                       small_yen=f"{small_yen:.1f}%", foreign=f"{foreign_share:.1f}%")
    else:
        conclusion = t("meeting.s6.conclusion", n=f"{n:,}", amount=f"{amount:,}円", dn=f"{n - pn:+,}",
                       da=f"{amount - pa:+,}円", small=f"{small_cases:.1f}%", small_yen=f"{small_yen:.1f}%",
                       foreign=f"{foreign_share:.1f}%")
    stacks: dict[str, list[float]] = {}
    stages = [s for s in STAGE_ORDER if s in set(d["stage"].unique())]
    by = d.groupby(["income_class", "stage"])["total_arrears"].sum()
    for inc in [c for c in INCOME_ORDER if c in set(d["income_class"].unique())]:
        stacks[inc] = [float(by.get((inc, s), 0)) / 1e8 for s in stages]
    chart = charts.stacked_bars(stages, stacks, title=t("meeting.s6.chart"), ylabel=t("meeting.unit_oku"),
                                yformat="{:,.1f}") if stages else None
    tables = [
        Table("summary", t("meeting.s6.table_summary"), summary, t("meeting.s6.note_summary")),
        Table("cases", t("meeting.s6.table_cases"), _cross(d, None) if n else pd.DataFrame()),
        Table("amounts", t("meeting.s6.table_amounts"), _cross(d, "total_arrears") if n else pd.DataFrame()),
        Table("languages", t("meeting.s6.table_languages"), langs),
    ]
    if len(mom):
        tables.append(Table("mom", t("meeting.s6.table_mom"), mom))
    return Section(
        number=6, key="analysis", title=t("meeting.s6.title"), conclusion=conclusion, tables=tables,
        charts=[Chart("stages", t("meeting.s6.chart"), chart)] if chart else [],
        data={"delinquent": n, "amount": amount, "small_cases_pct": small_cases, "small_yen_pct": small_yen,
              "foreign_pct": foreign_share, "prev_delinquent": pn, "prev_amount": pa},
    )
