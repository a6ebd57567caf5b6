"""The law columns of the case view, per household as of a date — vectorised over the whole ledger.

``law_columns(ledger, as_of)`` returns a DataFrame indexed by ``household_id`` with

- ``entaikin`` (int yen): 延滞金 accrued as of ``as_of`` over the household's instalments (each instalment
  rounded on its own, as :func:`kokuho_nb.law.entaikin.compute` does with ``until`` = the day of full
  payment, or ``as_of`` while unpaid). Payments of 延滞金 itself are not in the ledger, so this is the
  amount charged, not the amount still owed.
- ``nearest_limitation`` (date): the earliest limitation date (時効完成日) on or after ``as_of`` among unpaid
  instalments; ``n_expiring``: unpaid instalments whose limitation date falls within the warning window
  (``law.limitation.warning_months``); ``n_expired``: unpaid, not written off, limitation date already past.
- ``seizure_possible`` (bool): an unpaid instalment, within its limitation period, whose 督促状 was sent and
  whose 10 days have passed, and no 執行停止 in force; ``first_seizure_date``: the earliest such date among
  unpaid instalments with a 督促状 (may be in the future).
- ``under_suspension`` (bool): a 執行停止 in force on ``as_of``.

Ledger interpretation (documented assumptions):
- unpaid as of ``as_of`` = amount − written_off − payments dated up to ``as_of``; without a payments table,
  ``charges.paid`` is taken as paid on ``last_paid_date`` (or the due date when that is unknown).
- household-level renewals (差押 and 分納誓約 in dispositions whose state is not 取消, and contacts whose
  result is 分納誓約) apply to every instalment of the household already past its due date on that day.
- a 執行停止 (not 取消) runs from its start date to ``as_of`` while 継続, else to its 3-year extinction day.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.law import limitation as lim
from kokuho_nb.law._params import lp as parameter
from kokuho_nb.law.calendar import _map_unique, add_months_minpo_vec, next_business_day, shift_due_dates_vec
from kokuho_nb.law.deadlines import suspension_extinction
from kokuho_nb.law.entaikin import first_fiscal_year, rate_for, rules

KEY = ["household_id", "fiscal_year", "instalment"]
DAY = np.timedelta64(1, "D")
OUT_COLUMNS = ["entaikin", "nearest_limitation", "n_expiring", "n_expired", "seizure_possible",
               "first_seizure_date", "under_suspension"]


def _days(s: pd.Series) -> np.ndarray:
    """datetime64 -> int days since 1970-01-01."""
    return np.asarray(s, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _from_days(a: np.ndarray) -> np.ndarray:
    return a.astype("datetime64[D]").astype("datetime64[ns]")


def instalment_payments(ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """Payments (household_id, fiscal_year, instalment, paid_date, amount) dated up to ``as_of``."""
    t = pd.Timestamp(as_of)
    pays = getattr(ledger, "payments", None)
    if pays is not None and len(pays):
        p = pays[KEY + ["paid_date", "amount"]]
        return p[p["paid_date"].notna() & (p["paid_date"] <= t)]
    ch = ledger.charges
    p = ch.loc[ch["paid"] > 0, KEY + ["paid", "last_paid_date", "due_date"]].copy()
    p["paid_date"] = p["last_paid_date"].fillna(p["due_date"])
    p = p.rename(columns={"paid": "amount"})[KEY + ["paid_date", "amount"]]
    return p[p["paid_date"] <= t]


def household_suspensions(ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """執行停止 intervals (household_id, start, end) known on ``as_of`` (inclusive dates)."""
    d = getattr(ledger, "dispositions", None)
    cols = ["household_id", "start", "end", "active"]
    if d is None or not len(d):
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in
                             zip(cols, ["object", "datetime64[ns]", "datetime64[ns]", "bool"], strict=True)})
    t = pd.Timestamp(as_of)
    s = d[(d["kind"] == "執行停止") & d["start_date"].notna() & (d["start_date"] <= t)]
    s = s[s["state"].fillna("継続") != "取消"]
    starts = s["start_date"]
    ext = pd.to_datetime(starts.map(lambda x: pd.Timestamp(suspension_extinction(x.date()).date))) \
        if len(s) else starts
    ongoing = (s["state"].fillna("継続") == "継続").to_numpy()
    out = pd.DataFrame({"household_id": s["household_id"].to_numpy(), "start": starts.to_numpy(),
                        "end": ext.clip(upper=t).to_numpy()})
    out["active"] = ongoing & (ext.to_numpy() >= t.to_datetime64())
    return out.reset_index(drop=True)


def _merge_intervals(df: pd.DataFrame) -> pd.DataFrame:
    """Union of (household_id, start, end) intervals (int days), per household."""
    if df.empty:
        return df
    df = df.sort_values(["household_id", "start"]).reset_index(drop=True)
    prev_end = df.groupby("household_id")["end"].cummax().groupby(df["household_id"]).shift(1)
    new = prev_end.isna() | (df["start"] > prev_end + 1)
    gid = new.cumsum()
    return df.groupby(gid).agg(household_id=("household_id", "first"), start=("start", "min"),
                               end=("end", "max")).reset_index(drop=True)


def _entaikin(ch: pd.DataFrame, pays: pd.DataFrame, susp: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """延滞金 per instalment (index of ``ch``) as of ``as_of``."""
    out = pd.Series(0, index=ch.index, dtype="int64")
    t_days = int(np.datetime64(as_of, "D").astype(np.int64))
    r = rules("premium", as_of)
    first = first_fiscal_year("premium", as_of)
    if first is None:
        return out
    amount_eff = (ch["amount"] - ch["written_off"]).to_numpy()
    due_s = _days(ch["due_s"])
    cand = (ch["fiscal_year"].to_numpy() >= first) & (due_s < t_days) & (amount_eff >= r.min_base)
    if not cand.any():
        return out
    e = ch.loc[cand, ["household_id", "iid", "due_s"]].copy()
    e["amount_eff"] = amount_eff[cand]
    e["S"] = _days(e["due_s"]) + 1
    e["lower_end"] = _days(add_months_minpo_vec(e["due_s"] + pd.Timedelta(days=1), r.switch_months)).astype(
        np.int64)
    e = e.set_index("iid")

    # Segments of constant unpaid amount: up to each payment day (inclusive), then from the day after.
    p = pays[pays["iid"].isin(e.index)]
    p = p.assign(d=_days(p["paid_date"])).groupby(["iid", "d"], as_index=False)["amount"].sum()
    p = p.sort_values(["iid", "d"])
    p["cum"] = p.groupby("iid")["amount"].cumsum()
    p["prev_cum"] = p["cum"] - p["amount"]
    p["prev_d"] = p.groupby("iid")["d"].shift(1)
    seg_pay = pd.DataFrame({"iid": p["iid"].to_numpy(), "start": (p["prev_d"] + 1).to_numpy(),
                            "end": p["d"].to_numpy(), "paid_before": p["prev_cum"].to_numpy()})
    last = p.groupby("iid").agg(d=("d", "last"), cum=("cum", "last"))
    fin = pd.DataFrame({"iid": e.index.to_numpy()})
    fin["start"] = fin["iid"].map(last["d"] + 1)
    fin["end"] = t_days
    fin["paid_before"] = fin["iid"].map(last["cum"]).fillna(0)
    seg = pd.concat([seg_pay, fin], ignore_index=True)
    S = e["S"].reindex(seg["iid"]).to_numpy()
    start = np.where(seg["start"].isna(), S, np.maximum(seg["start"].fillna(0).to_numpy(), S)).astype(np.int64)
    end = seg["end"].to_numpy().astype(np.int64)
    remaining = e["amount_eff"].reindex(seg["iid"]).to_numpy() - seg["paid_before"].to_numpy().astype(np.int64)
    for_base = remaining if r.partial_reduces else e["amount_eff"].reindex(seg["iid"]).to_numpy()
    base = np.where((remaining > 0) & (for_base >= r.min_base), for_base // r.base_unit * r.base_unit, 0)
    keep = (start <= end) & (base > 0)
    iid = seg["iid"].to_numpy()[keep]
    start, end, base = start[keep], end[keep], base[keep]
    if not len(iid):
        return out
    lower_end = e["lower_end"].reindex(iid).to_numpy()

    # Pieces: segment x rate kind x calendar year.
    y0 = int(np.datetime64(int(start.min()), "D").astype("datetime64[Y]").astype(int)) + 1970
    y1 = int(np.datetime64(int(end.max()), "D").astype("datetime64[Y]").astype(int)) + 1970
    years = np.arange(y0, y1 + 1)
    ystart = np.array([np.datetime64(f"{y}-01-01", "D").astype(np.int64) for y in years])
    yend = np.array([np.datetime64(f"{y}-12-31", "D").astype(np.int64) for y in years])
    pieces = []
    for k, (klo, khi) in enumerate(((None, lower_end), (lower_end + 1, None))):
        lo = start if klo is None else np.maximum(start, klo)
        hi = end if khi is None else np.minimum(end, khi)
        a = np.maximum(lo[:, None], ystart[None, :])
        b = np.minimum(hi[:, None], yend[None, :])
        ok = b >= a
        ri, yi = np.nonzero(ok)
        pieces.append(pd.DataFrame({"iid": iid[ri], "a": a[ri, yi], "b": b[ri, yi], "kind": k,
                                    "year": years[yi], "base": base[ri]}))
    pc = pd.concat(pieces, ignore_index=True)
    pc["days"] = pc["b"] - pc["a"] + 1

    # Waive days under 執行停止.
    if r.suspension_waived and len(susp):
        sd = pd.DataFrame({"household_id": susp["household_id"].to_numpy(), "start": _days(susp["start"]),
                           "end": _days(susp["end"])})
        sd = _merge_intervals(sd)
        pc["household_id"] = e["household_id"].reindex(pc["iid"]).to_numpy()
        pc["pid"] = np.arange(len(pc))
        m = pc[pc["household_id"].isin(sd["household_id"])][["pid", "household_id", "a", "b"]].merge(
            sd, on="household_id")
        ov = (np.minimum(m["b"], m["end"]) - np.maximum(m["a"], m["start"]) + 1).clip(lower=0)
        waived = ov.groupby(m["pid"]).sum()
        pc["days"] = pc["days"] - pc["pid"].map(waived).fillna(0).astype(np.int64)
        pc = pc[pc["days"] > 0]

    # Exact arithmetic with integers: rate = num / den for every (year, kind) used.
    used = pc[["year", "kind"]].drop_duplicates()
    rates: dict[tuple[int, int], Fraction] = {}
    for year, kind in sorted(used.itertuples(index=False, name=None)):
        rates[(year, kind)] = rate_for(int(year), "lower" if kind == 0 else "higher")  # raises naming the year
    den = lcm(*(f.denominator for f in rates.values())) if rates else 1
    num_table = {key: int(f * den) for key, f in rates.items()}
    rk = pc["year"].to_numpy() * 2 + pc["kind"].to_numpy()
    lut = {y * 2 + k: v for (y, k), v in num_table.items()}
    rnum = pd.Series(rk).map(lut).to_numpy().astype(np.int64)
    num = pc["base"].to_numpy().astype(np.int64) * rnum * pc["days"].to_numpy().astype(np.int64)
    per = pd.Series(num).groupby(pc["iid"].to_numpy()).sum()
    denom = den * r.days_per_year * r.result_unit
    total = (per // denom) * r.result_unit
    total = total.where(total >= r.min_result, 0)
    out.loc[ch.index[cand]] = ch.loc[cand, "iid"].map(total).fillna(0).astype(np.int64).to_numpy()
    return out


def law_columns(ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """Per household as of ``as_of``: 延滞金, limitation, seizure columns (see the module docstring)."""
    if isinstance(as_of, pd.Timestamp):
        as_of = as_of.date()
    t = pd.Timestamp(as_of)
    charges = ledger.charges
    hh_ids = pd.Index(pd.unique(pd.concat([
        getattr(ledger, "households", pd.DataFrame({"household_id": []}))["household_id"],
        charges["household_id"]], ignore_index=True)), name="household_id")
    res = pd.DataFrame(index=hh_ids)
    res["entaikin"] = np.int64(0)
    res["nearest_limitation"] = pd.Series(pd.NaT, index=hh_ids, dtype="datetime64[ns]")
    res["n_expiring"] = np.int64(0)
    res["n_expired"] = np.int64(0)
    res["seizure_possible"] = False
    res["first_seizure_date"] = pd.Series(pd.NaT, index=hh_ids, dtype="datetime64[ns]")
    res["under_suspension"] = False
    if charges.empty:
        return res

    ch = charges[KEY + ["due_date", "amount", "written_off", "demand_sent_date"]].copy()
    ch["written_off"] = ch["written_off"].fillna(0).astype(np.int64)
    ch["iid"] = np.arange(len(ch))
    ch = ch[ch["due_date"].notna() & (ch["due_date"] <= t)]
    ch["due_s"] = shift_due_dates_vec(ch["due_date"])
    pays = instalment_payments(ledger, as_of).merge(ch[KEY + ["iid"]], on=KEY, how="inner")
    paid = pays.groupby("iid")["amount"].sum()
    ch["paid_asof"] = ch["iid"].map(paid).fillna(0).astype(np.int64)
    ch["unpaid"] = (ch["amount"] - ch["written_off"] - ch["paid_asof"]).clip(lower=0)
    susp = household_suspensions(ledger, as_of)
    active = set(susp.loc[susp["active"], "household_id"])
    res["under_suspension"] = res.index.isin(list(active))

    # 延滞金
    ent = _entaikin(ch, pays, susp, as_of)
    res["entaikin"] = ent.groupby(ch["household_id"]).sum().reindex(hh_ids).fillna(0).astype(np.int64)

    # 時効
    u = ch[(ch["unpaid"] > 0) & (ch["due_s"] < t)].copy()
    if u.empty:
        return res
    years = lim.period_years(as_of)
    u["lim"] = add_months_minpo_vec(u["due_s"] + pd.Timedelta(days=1), 12 * years).to_numpy()
    ev = _renewal_events(ledger, u, pays, as_of)
    if len(ev):
        ev = ev.sort_values(["iid", "date"]).reset_index(drop=True)
        ev["k"] = ev.groupby("iid").cumcount()
        lim_s = u.set_index("iid")["lim"]
        for k in range(int(ev["k"].max()) + 1):
            rows = ev[ev["k"] == k]
            cur = lim_s.reindex(rows["iid"]).to_numpy()
            ok = rows["date"].to_numpy() <= cur
            rows = rows[ok]
            if rows.empty:
                continue
            new = add_months_minpo_vec(rows["date"] + pd.to_timedelta(rows["offset"], unit="D"),
                                       12 * years).to_numpy()
            newer = np.maximum(new, lim_s.reindex(rows["iid"]).to_numpy())
            lim_s.loc[rows["iid"].to_numpy()] = newer
        u["lim"] = u["iid"].map(lim_s).to_numpy()
    horizon = pd.Timestamp(lim.warning_horizon(as_of))
    alive = u["lim"] >= t
    g = u["household_id"]
    res["nearest_limitation"] = u["lim"].where(alive).groupby(g).min().reindex(hh_ids)
    res["n_expiring"] = (alive & (u["lim"] <= horizon)).groupby(g).sum().reindex(hh_ids).fillna(0).astype(
        np.int64)
    res["n_expired"] = (~alive).groupby(g).sum().reindex(hh_ids).fillna(0).astype(np.int64)

    # 差押 possible: 督促状 sent, its 10 days passed, unpaid, within limitation, no 執行停止 in force.
    d = u[u["demand_sent_date"].notna() & alive].copy()
    if len(d):
        d["fs"] = first_seizure_dates(d["demand_sent_date"])
        res["first_seizure_date"] = d.groupby("household_id")["fs"].min().reindex(hh_ids)
        can = (d["fs"] <= t).groupby(d["household_id"]).any().reindex(hh_ids).fillna(False).astype(bool)
        res["seizure_possible"] = can & ~res["under_suspension"]
    return res


def _first_seizure(day: dt.date) -> dt.date:
    days = int(parameter("law.deadlines.seizure_after_days").at(day))
    last = day + dt.timedelta(days=days - 1)
    if bool(parameter("law.deadlines.seizure_period_extends_on_holiday").at(day)):
        last = next_business_day(last)
    return last + dt.timedelta(days=1)


def first_seizure_dates(sent: pd.Series) -> pd.Series:
    """Vectorised :func:`kokuho_nb.law.deadlines.first_seizure` dates (same index)."""
    return pd.Series(_map_unique(sent, _first_seizure), index=sent.index)


def _renewal_events(ledger: Any, u: pd.DataFrame, pays: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """(iid, date, offset) limitation-renewal events for the unpaid instalments ``u``, up to ``as_of``."""
    t = pd.Timestamp(as_of)
    parts = []
    if lim.renewal_enabled("demand", as_of):
        dm = u[u["demand_sent_date"].notna() & (u["demand_sent_date"] <= t) & (u["demand_sent_date"] > u["due_s"])]
        parts.append(pd.DataFrame({"iid": dm["iid"].to_numpy(), "date": dm["demand_sent_date"].to_numpy(),
                                   "offset": lim.restart_offset("demand", as_of)}))
    hh_events = []
    d = getattr(ledger, "dispositions", None)
    if d is not None and len(d):
        ok = d["start_date"].notna() & (d["start_date"] <= t) & (d["state"].fillna("継続") != "取消")
        if lim.renewal_enabled("seizure", as_of):
            s = d[ok & (d["kind"] == "差押")]
            hh_events.append(s[["household_id", "start_date"]].rename(columns={"start_date": "date"}))
        if lim.renewal_enabled("pledge", as_of):
            s = d[ok & (d["kind"] == "分納誓約")]
            hh_events.append(s[["household_id", "start_date"]].rename(columns={"start_date": "date"}))
    c = getattr(ledger, "contacts", None)
    if c is not None and len(c) and lim.renewal_enabled("pledge", as_of):
        s = c[(c["result"] == "分納誓約") & c["date"].notna() & (c["date"] <= t)]
        hh_events.append(s[["household_id", "date"]])
    if hh_events:
        he = pd.concat(hh_events, ignore_index=True).drop_duplicates()
        he = he[he["household_id"].isin(u["household_id"])]
        m = u[["iid", "household_id", "due_s"]].merge(he, on="household_id")
        m = m[m["date"] > m["due_s"]]
        parts.append(pd.DataFrame({"iid": m["iid"].to_numpy(), "date": m["date"].to_numpy(), "offset": 1}))
    if lim.renewal_enabled("payment", as_of) and len(pays):
        pm = pays[pays["iid"].isin(u["iid"])].merge(u[["iid", "due_s"]], on="iid")
        pm = pm[pm["paid_date"] > pm["due_s"]]
        parts.append(pd.DataFrame({"iid": pm["iid"].to_numpy(), "date": pm["paid_date"].to_numpy(), "offset": 1}))
    if not parts:
        return pd.DataFrame(columns=["iid", "date", "offset"])
    ev = pd.concat(parts, ignore_index=True)
    ev["date"] = pd.to_datetime(ev["date"])
    return ev.drop_duplicates()
