"""Section 4 処理困難事案: the cases the meeting must decide, with their facts and empty decision boxes,
plus what became of last month's decisions."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kokuho_nb.labels import t
from kokuho_nb.meeting.common import Section, Table, threshold

CATEGORIES = ("large_stalled", "broken", "limitation", "large_never", "revisit")


def select_difficult(
    cases: pd.DataFrame,
    last_progress: pd.Series,
    contacted_ever: set[str] | pd.Index,
    broken: pd.DataFrame,
    revisit: set[str] | pd.Index,
    *,
    as_of: dt.date,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Every difficult case (before the per-category cap): one row per household with ``categories``
    (list of category keys). Returns the frame and the count per category."""
    large = int(threshold("large_case_yen", as_of))
    months = int(threshold("no_progress_months", as_of))
    warn = int(threshold("limitation_warning_days", as_of))
    owed = cases[cases["total_arrears"] > 0].set_index("household_id")
    lp = pd.to_datetime(owed.index.map(last_progress)) if len(last_progress) else pd.Series(pd.NaT, index=owed.index)
    lp = pd.Series(lp, index=owed.index)
    cutoff = pd.Timestamp(as_of) - pd.DateOffset(months=months)
    is_large = owed["total_arrears"] >= large
    flags = pd.DataFrame(index=owed.index)
    flags["large_stalled"] = is_large & (lp.isna() | (lp < cutoff))
    flags["broken"] = owed.index.isin(set(broken["household_id"]))
    lim = pd.to_datetime(owed["nearest_limitation"]) if "nearest_limitation" in owed else pd.Series(pd.NaT, index=owed.index)
    flags["limitation"] = (lim >= pd.Timestamp(as_of)) & (lim <= pd.Timestamp(as_of) + pd.Timedelta(days=warn))
    flags["large_never"] = is_large & ~owed.index.isin(set(contacted_ever))
    flags["revisit"] = owed.index.isin(set(revisit))
    counts = {k: int(flags[k].sum()) for k in CATEGORIES}
    any_flag = flags.any(axis=1)
    sel = owed[any_flag].copy()
    joined = pd.Series("", index=sel.index)
    for k in CATEGORIES:  # vectorised: "large_stalled,broken," -> ["large_stalled", "broken"]
        joined = joined.where(~flags.loc[any_flag, k], joined + k + ",")
    sel["categories"] = joined.str.rstrip(",").str.split(",")
    sel["last_progress"] = lp[any_flag]
    broken_kind = broken.drop_duplicates("household_id").set_index("household_id")["kind"] if len(broken) else pd.Series(dtype=str)
    sel["broken_kind"] = sel.index.map(broken_kind)
    return sel.reset_index(), counts


def cap_per_category(selected: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The largest ``max_cases_per_category`` cases of each category (by arrears), each household once;
    revisit cases are always kept (the meeting asked for them)."""
    cap = int(threshold("max_cases_per_category", as_of))
    keep: list[str] = []
    for k in CATEGORIES:
        in_cat = selected[selected["categories"].map(lambda c, k=k: k in c)]
        in_cat = in_cat.sort_values(["total_arrears", "household_id"], ascending=[False, True])
        ids = list(in_cat["household_id"]) if k == "revisit" else list(in_cat["household_id"].head(cap))
        keep.extend(i for i in ids if i not in keep)
    out = selected.set_index("household_id").loc[keep].reset_index()
    out["order"] = [min(CATEGORIES.index(c) for c in cats) for cats in out["categories"]]
    out = out.sort_values(["order", "total_arrears", "household_id"], ascending=[True, False, True])
    return out.drop(columns="order").reset_index(drop=True)


def _date(v: object) -> str:
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()


def build_difficult(
    selected: pd.DataFrame, counts: dict[str, int], *, as_of: dt.date, followup: pd.DataFrame | None = None
) -> Section:
    """``selected``: :func:`select_difficult` output; the section shows the capped list (case numbers
    C01…, used again in the decisions sheet) and, when given, last month's decisions and their outcome."""
    shown = cap_per_category(selected, as_of) if len(selected) else selected
    rows = []
    for i, r in enumerate(shown.itertuples(index=False), start=1):
        rows.append({
            t("meeting.col.case_no"): f"C{i:02d}",
            t("meeting.col.categories"): "・".join(t(f"meeting.s4.cat.{c}") for c in r.categories),
            t("meeting.col.household_id"): r.household_id,
            t("meeting.col.officer"): f"{r.officer_code or ''} {r.officer_name or ''}".strip(),
            t("meeting.col.total_arrears"): int(r.total_arrears),
            t("meeting.col.carried_unpaid"): int(r.carried_unpaid),
            t("meeting.col.stage"): r.stage,
            t("meeting.col.income_class"): r.income_class,
            t("meeting.col.last_progress"): _date(r.last_progress),
            t("meeting.col.limitation"): _date(getattr(r, "nearest_limitation", None)),
            t("meeting.col.broken_kind"): "" if pd.isna(r.broken_kind) else r.broken_kind,
            t("meeting.col.decision"): "",
            t("meeting.col.owner"): "",
        })
    table = pd.DataFrame(rows, columns=[
        t("meeting.col.case_no"), t("meeting.col.categories"), t("meeting.col.household_id"), t("meeting.col.officer"),
        t("meeting.col.total_arrears"), t("meeting.col.carried_unpaid"), t("meeting.col.stage"),
        t("meeting.col.income_class"), t("meeting.col.last_progress"), t("meeting.col.limitation"),
        t("meeting.col.broken_kind"), t("meeting.col.decision"), t("meeting.col.owner")])
    total = len(selected)
    amount = int(selected["total_arrears"].sum()) if total else 0
    conclusion = t("meeting.s4.conclusion", total=f"{total:,}", amount=f"{amount:,}円", shown=len(shown),
                   **{k: f"{v:,}" for k, v in counts.items()})
    tables = [Table("cases", t("meeting.s4.table"), table,
                    t("meeting.s4.note", cap=int(threshold("max_cases_per_category", as_of)),
                      months=int(threshold("no_progress_months", as_of)),
                      large=f"{int(threshold('large_case_yen', as_of)):,}円",
                      days=int(threshold("limitation_warning_days", as_of))))]
    tables.append(Table("all_cases", t("meeting.s4.table_all"), _all_cases_table(selected),
                        t("meeting.s4.note_all", total=f"{total:,}"), printed=False))
    if followup is not None:
        tables.append(Table("followup", t("meeting.s4.table_followup"), followup, t("meeting.s4.note_followup")))
    return Section(
        number=4, key="difficult", title=t("meeting.s4.title"), conclusion=conclusion, tables=tables, landscape=True,
        data={"counts": counts, "total": total, "amount": amount,
              "shown": shown[["household_id", "categories", "total_arrears"]].to_dict("records") if len(shown) else []},
    )


def _all_cases_table(selected: pd.DataFrame) -> pd.DataFrame:
    """Every difficult case (not only those shown for deliberation), for the workbook: specialists filter it
    by category, officer or amount; sorted by category order, then arrears (largest first)."""
    cols = [t("meeting.col.categories"), t("meeting.col.household_id"), t("meeting.col.officer"),
            t("meeting.col.total_arrears"), t("meeting.col.carried_unpaid"), t("meeting.col.stage"),
            t("meeting.col.income_class"), t("meeting.col.last_progress"), t("meeting.col.limitation"),
            t("meeting.col.broken_kind")]
    if not len(selected):
        return pd.DataFrame(columns=cols)
    order = [min(CATEGORIES.index(c) for c in cats) for cats in selected["categories"]]
    df = selected.assign(_order=order).sort_values(["_order", "total_arrears", "household_id"],
                                                   ascending=[True, False, True])
    limitation = df["nearest_limitation"] if "nearest_limitation" in df else pd.Series(None, index=df.index)
    return pd.DataFrame({
        cols[0]: ["・".join(t(f"meeting.s4.cat.{c}") for c in cats) for cats in df["categories"]],
        cols[1]: df["household_id"].astype(str).to_numpy(),
        cols[2]: [f"{c or ''} {n or ''}".strip() for c, n in zip(df["officer_code"].where(df["officer_code"].notna(), None),
                                                              df["officer_name"].where(df["officer_name"].notna(), None),
                                                              strict=True)],
        cols[3]: df["total_arrears"].astype("int64").to_numpy(),
        cols[4]: df["carried_unpaid"].astype("int64").to_numpy(),
        cols[5]: df["stage"].to_numpy(),
        cols[6]: df["income_class"].to_numpy(),
        cols[7]: [_date(v) for v in df["last_progress"]],
        cols[8]: [_date(v) for v in limitation],
        cols[9]: df["broken_kind"].where(df["broken_kind"].notna(), "").to_numpy(),
    }, columns=cols)


def build_followup(
    decisions: pd.DataFrame,
    cases_then: pd.DataFrame,
    cases_now: pd.DataFrame,
    payments: pd.DataFrame,
    contacts: pd.DataFrame,
    dispositions: pd.DataFrame,
    issued_now: pd.DataFrame,
    *,
    since: dt.date,
    as_of: dt.date,
) -> pd.DataFrame:
    """Last month's decisions and what became of them between ``since`` (exclusive) and ``as_of``."""
    cols = [t("meeting.col.item"), t("meeting.col.decision"), t("meeting.col.owner"), t("meeting.col.arrears_then"),
            t("meeting.col.arrears_now"), t("meeting.col.paid_since"), t("meeting.col.contacts_since"),
            t("meeting.col.dispositions_since"), t("meeting.col.on_list_now"), t("meeting.col.note")]
    if decisions is None or not len(decisions):
        return pd.DataFrame(columns=cols)
    lo, hi = pd.Timestamp(since), pd.Timestamp(as_of)
    then = cases_then.set_index("household_id")["total_arrears"]
    now = cases_now.set_index("household_id")["total_arrears"]
    p = payments[(pd.to_datetime(payments["paid_date"]) > lo) & (pd.to_datetime(payments["paid_date"]) <= hi)]
    paid = p.groupby("household_id")["amount"].sum()
    c = contacts[(pd.to_datetime(contacts["date"]) > lo) & (pd.to_datetime(contacts["date"]) <= hi)]
    ncont = c.groupby("household_id").size()
    d = dispositions[(pd.to_datetime(dispositions["start_date"]) > lo) & (pd.to_datetime(dispositions["start_date"]) <= hi)]
    disp = d.groupby("household_id")["kind"].agg(lambda s: "・".join(sorted(set(s))))
    listed = set(issued_now["household_id"]) if len(issued_now) else set()
    rows = []
    for r in decisions.sort_values(["item_kind", "item_ref"]).itertuples(index=False):
        hh = r.household_id if isinstance(r.household_id, str) and r.household_id else None
        owner = " ".join(x for x in (r.owner_role, r.owner_code) if isinstance(x, str) and x)
        if hh is None:
            rows.append({cols[0]: r.item_ref, cols[1]: r.decision_type, cols[2]: owner, cols[9]: r.note or ""})
            continue
        rows.append({
            cols[0]: hh, cols[1]: r.decision_type, cols[2]: owner,
            cols[3]: int(then.get(hh, 0)), cols[4]: int(now.get(hh, 0)), cols[5]: int(paid.get(hh, 0)),
            cols[6]: int(ncont.get(hh, 0)), cols[7]: disp.get(hh, ""),
            cols[8]: t("meeting.listed") if hh in listed else t("meeting.not_listed"), cols[9]: r.note or "",
        })
    return pd.DataFrame(rows, columns=cols)
