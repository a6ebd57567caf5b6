"""The law columns of the case view, per household as of a date — vectorised over the whole ledger.

``law_instalments(ledger, as_of)`` gives the same facts per instalment (延滞金, limitation date, expiring /
expired, first seizure date) for case pages and lists.

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
- ``entaikin_partial`` (bool) and ``entaikin_through`` (date): when the 延滞金 rate of a calendar year up to
  ``as_of`` is not in ``parameters/law/entaikin.yaml`` yet (:func:`kokuho_nb.law.entaikin.rate_gap`), the view
  does not stop: 延滞金 is accrued up to December 31 of the year before, ``entaikin_partial`` marks the
  households with an instalment that accrues days beyond it, and ``entaikin_through`` is that day for them
  (``as_of`` otherwise). ``attrs["entaikin_notice"]`` holds the Japanese notice (None without a gap), as does
  :func:`kokuho_nb.law.rate_gap_notice`. Explicit calculations (``compute``) still refuse in that case.

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

from kokuho_nb import params
from kokuho_nb.frames import household_codes, index_of, int_index_of
from kokuho_nb.law import limitation as lim
from kokuho_nb.law._params import lp as parameter
from kokuho_nb.law.calendar import _map_unique, add_months_minpo_vec, next_business_day, shift_due_dates_vec
from kokuho_nb.law.entaikin import RateGap, first_fiscal_year, rate_for, rate_gap, rules

KEY = ["household_id", "fiscal_year", "instalment"]
DAY = np.timedelta64(1, "D")
OUT_COLUMNS = ["entaikin", "nearest_limitation", "n_expiring", "n_expired", "seizure_possible",
               "first_seizure_date", "under_suspension", "entaikin_through", "entaikin_partial"]


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
    years = int(parameter("law.deadlines.suspension_extinction_years").at(as_of))
    # 地方税法15条の7第4項: the day at whose end 3 years have passed (as deadlines.suspension_extinction).
    ext = pd.Series(add_months_minpo_vec(starts.to_numpy() + np.timedelta64(1, "D"), 12 * years).to_numpy(),
                    index=s.index)
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


def _entaikin(ch: pd.DataFrame, pays: pd.DataFrame, susp: pd.DataFrame, as_of: dt.date,
              gap: RateGap | None = None) -> tuple[pd.Series, pd.Series]:
    """延滞金 per instalment as of ``as_of``, and whether it stops short at ``gap.through`` (the rate of
    ``gap.year`` is missing and the instalment accrues days in that year or later, outside 執行停止: exactly the
    instalments for which :func:`kokuho_nb.law.entaikin.compute` up to ``as_of`` would refuse). Those days are
    left out, so the amount is the one accrued up to ``gap.through``. ``ch`` has a RangeIndex equal to its
    ``iid`` column."""
    n = len(ch)
    out = np.zeros(n, dtype=np.int64)
    partial = np.zeros(n, dtype=bool)
    t_days = int(np.datetime64(as_of, "D").astype(np.int64))
    r = rules("premium", as_of)
    first = first_fiscal_year("premium", as_of)
    if first is None:
        return pd.Series(out, index=ch.index), pd.Series(partial, index=ch.index)
    amount_eff = (ch["amount"] - ch["written_off"]).to_numpy().astype(np.int64)
    due_s = _days(ch["due_s"])
    cand = (ch["fiscal_year"].to_numpy() >= first) & (due_s < t_days) & (amount_eff >= r.min_base)
    if not cand.any():
        return pd.Series(out, index=ch.index), pd.Series(partial, index=ch.index)
    S_all = due_s + 1
    lower_all = np.zeros(n, dtype=np.int64)
    lower_all[cand] = _days(add_months_minpo_vec(ch["due_s"].to_numpy()[cand] + np.timedelta64(1, "D"),
                                                 r.switch_months))
    hc_all = ch["hc"].to_numpy()

    # Segments of constant unpaid amount: up to each payment day (inclusive), then from the day after.
    piid = pays["iid"].to_numpy()
    pm = cand[piid]
    piid = piid[pm]
    pd_days = _days(pays["paid_date"])[pm]
    pamt = pays["amount"].to_numpy().astype(np.int64)[pm]
    order = np.lexsort((pd_days, piid))
    piid, pd_days, pamt = piid[order], pd_days[order], pamt[order]
    if len(piid):  # one row per (instalment, day)
        first_of = np.ones(len(piid), dtype=bool)
        first_of[1:] = (piid[1:] != piid[:-1]) | (pd_days[1:] != pd_days[:-1])
        grp = np.cumsum(first_of) - 1
        pamt = np.bincount(grp, weights=pamt).astype(np.int64)
        piid, pd_days = piid[first_of], pd_days[first_of]
    cum = np.cumsum(pamt)
    new_inst = np.ones(len(piid), dtype=bool)
    new_inst[1:] = piid[1:] != piid[:-1]
    inst_start_cum = np.maximum.accumulate(np.where(new_inst, cum - pamt, 0)) if len(piid) else cum
    cum_in = cum - inst_start_cum  # cumulative within the instalment
    prev_cum = cum_in - pamt
    prev_d = np.where(new_inst, np.iinfo(np.int64).min // 2, np.roll(pd_days, 1))
    last_of = np.ones(len(piid), dtype=bool)
    last_of[:-1] = piid[1:] != piid[:-1]
    paid_total = np.zeros(n, dtype=np.int64)
    paid_total[piid[last_of]] = cum_in[last_of]
    last_day = np.full(n, np.iinfo(np.int64).min // 2, dtype=np.int64)
    last_day[piid[last_of]] = pd_days[last_of]
    ci = np.nonzero(cand)[0]
    iid = np.concatenate([piid, ci])
    start = np.concatenate([prev_d + 1, last_day[ci] + 1])
    end = np.concatenate([pd_days, np.full(len(ci), t_days, dtype=np.int64)])
    paid_before = np.concatenate([prev_cum, paid_total[ci]])
    start = np.maximum(start, S_all[iid])
    remaining = amount_eff[iid] - paid_before
    for_base = remaining if r.partial_reduces else amount_eff[iid]
    base = np.where((remaining > 0) & (for_base >= r.min_base), for_base // r.base_unit * r.base_unit, 0)
    keep = (start <= end) & (base > 0)
    iid, start, end, base = iid[keep], start[keep], end[keep], base[keep]
    if not len(iid):
        return pd.Series(out, index=ch.index), pd.Series(partial, index=ch.index)
    lower_end = lower_all[iid]

    # Pieces: segment x rate kind x calendar year.
    y0 = int(np.datetime64(int(start.min()), "D").astype("datetime64[Y]").astype(int)) + 1970
    y1 = int(np.datetime64(int(end.max()), "D").astype("datetime64[Y]").astype(int)) + 1970
    years = np.arange(y0, y1 + 1)
    ystart = np.array([np.datetime64(f"{y}-01-01", "D").astype(np.int64) for y in years])
    yend = np.array([np.datetime64(f"{y}-12-31", "D").astype(np.int64) for y in years])
    cols: dict[str, list[np.ndarray]] = {"iid": [], "a": [], "b": [], "kind": [], "year": [], "base": []}
    for k, (lo, hi) in enumerate(((start, np.minimum(end, lower_end)), (np.maximum(start, lower_end + 1), end))):
        a = np.maximum(lo[:, None], ystart[None, :])
        b = np.minimum(hi[:, None], yend[None, :])
        ri, yi = np.nonzero(b >= a)
        for key, val in (("iid", iid[ri]), ("a", a[ri, yi]), ("b", b[ri, yi]),
                         ("kind", np.full(len(ri), k)), ("year", years[yi]), ("base", base[ri])):
            cols[key].append(val)
    pc = {key: np.concatenate(v) for key, v in cols.items()}
    pdays = pc["b"] - pc["a"] + 1

    # Waive days under 執行停止.
    if r.suspension_waived and len(susp):
        sd = pd.DataFrame({"household_id": susp["hc"].to_numpy(), "start": _days(susp["start"]),
                           "end": _days(susp["end"])})
        sd = _merge_intervals(sd)
        phc = hc_all[pc["iid"]]
        sel = np.nonzero(np.isin(phc, sd["household_id"].to_numpy()))[0]
        if len(sel):
            m = pd.DataFrame({"pid": sel, "household_id": phc[sel], "a": pc["a"][sel], "b": pc["b"][sel]}).merge(
                sd, on="household_id")
            ov = np.clip(np.minimum(m["b"], m["end"]) - np.maximum(m["a"], m["start"]) + 1, 0, None)
            pdays = pdays - np.bincount(m["pid"].to_numpy(), weights=ov.to_numpy(), minlength=len(pdays)).astype(
                np.int64)
    live = pdays > 0
    if gap is not None:  # days from the first year without a rate: flagged, not charged
        beyond = live & (pc["year"] >= gap.year)
        partial[np.unique(pc["iid"][beyond])] = True
        live &= ~beyond

    # Exact arithmetic with integers: rate = num / den for every (year, kind) used.
    rk = pc["year"] * 2 + pc["kind"]
    rates: dict[int, Fraction] = {}
    for key in sorted(set(np.unique(rk[live]).tolist())):
        rates[key] = rate_for(key // 2, "lower" if key % 2 == 0 else "higher")  # raises naming the year
    den = lcm(*(f.denominator for f in rates.values())) if rates else 1
    lut = np.zeros(int(rk.max()) + 1, dtype=np.int64)
    for key, f in rates.items():
        lut[key] = int(f * den)
    num = np.where(live, pc["base"].astype(np.int64) * lut[rk] * pdays, 0)
    per = np.zeros(n, dtype=np.int64)
    np.add.at(per, pc["iid"], num)
    denom = den * r.days_per_year * r.result_unit
    total = (per // denom) * r.result_unit
    out = np.where(total >= r.min_result, total, 0).astype(np.int64)
    return pd.Series(out, index=ch.index), pd.Series(partial, index=ch.index)


def _codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Integer household codes (position in ``index``; -1 when unknown)."""
    return index_of(index, values.to_numpy())


def _payment_codes(ledger: Any, p: pd.DataFrame, hh_ids: pd.Index) -> np.ndarray:
    """Household codes of the rows ``p`` of :func:`instalment_payments` (memoised per payments table)."""
    pays = getattr(ledger, "payments", None)
    households = getattr(ledger, "households", None)
    if (pays is not None and households is not None and len(pays) and isinstance(pays.index, pd.RangeIndex)
            and pays.index.start == 0 and pays.index.step == 1):
        full = household_codes(pays, households)
        if full is not None:
            codes = full[p.index.to_numpy()]
            unknown = codes < 0
            if unknown.any() and len(hh_ids) > len(households):  # households known only from the charges
                codes = codes.copy()
                codes[unknown] = index_of(hh_ids, p["household_id"].to_numpy()[unknown])
            return codes
    return _codes(hh_ids, p["household_id"])


def _ikey(hc: np.ndarray, fy: pd.Series, inst: pd.Series) -> np.ndarray:
    return (hc.astype(np.int64) * 10_000 + fy.to_numpy().astype(np.int64)) * 1_000 + inst.to_numpy().astype(
        np.int64)


def _household_index(ledger: Any) -> tuple[pd.Index, np.ndarray]:
    """The households (世帯.csv's, then unknown ones of 調定.csv in order of appearance) and every charge row's
    code in it: one hash pass over the charges."""
    charges = ledger.charges
    households = getattr(ledger, "households", None)
    ids = charges["household_id"].to_numpy()
    if households is None:
        index = pd.Index(pd.unique(ids), name="household_id")
        return index, _codes(index, charges["household_id"])
    index = pd.Index(pd.unique(households["household_id"].to_numpy()), name="household_id")
    memo = household_codes(charges, households)  # shared with kokuho_nb.cases for the same ledger
    codes = memo if memo is not None else index_of(index, ids)
    missing = codes < 0
    if missing.any():
        codes = codes.copy()
        extra = pd.unique(ids[missing])
        index = pd.Index(np.concatenate([index.to_numpy(), extra]), name="household_id")
        codes[missing] = len(index) - len(extra) + pd.Index(extra).get_indexer(ids[missing])
    return index, codes


def _instalments(ledger: Any, as_of: dt.date, hh_ids: pd.Index,
                 charge_codes: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Per instalment due by ``as_of``: the law state (see :func:`law_instalments`), and the active-suspension
    flag per household code."""
    t = pd.Timestamp(as_of)
    nh = len(hh_ids)
    ch = ledger.charges[KEY + ["due_date", "amount", "written_off", "demand_sent_date"]]
    due = ch["due_date"]
    mask = (due.notna() & (due <= t)).to_numpy()
    ch = ch[mask].copy()
    ch["written_off"] = ch["written_off"].fillna(0).astype(np.int64)
    ch["hc"] = charge_codes[mask]
    ch["ikey"] = _ikey(ch["hc"].to_numpy(), ch["fiscal_year"], ch["instalment"])
    keys = np.sort(ch["ikey"].to_numpy())
    if len(keys) > 1 and (keys[1:] == keys[:-1]).any():  # the contract's key is unique: usually nothing to drop
        ch = ch.drop_duplicates("ikey")
    ch["iid"] = np.arange(len(ch))
    ch.index = pd.RangeIndex(len(ch))
    ch["due_s"] = shift_due_dates_vec(ch["due_date"]).to_numpy()
    ikeys = pd.Index(ch["ikey"].to_numpy())
    p = instalment_payments(ledger, as_of)
    p_keys = _ikey(_payment_codes(ledger, p, hh_ids), p["fiscal_year"], p["instalment"])
    found = int_index_of(ikeys.to_numpy(), p_keys)  # ikeys are unique (duplicates dropped above)
    p_iid = found if found is not None else ikeys.get_indexer(p_keys)
    pays = pd.DataFrame({"iid": p_iid, "paid_date": p["paid_date"].to_numpy(),
                         "amount": p["amount"].to_numpy().astype(np.int64)})
    pays = pays[pays["iid"] >= 0]
    paid = np.bincount(pays["iid"].to_numpy(), weights=pays["amount"].to_numpy(), minlength=len(ch))
    ch["paid_asof"] = paid.astype(np.int64)
    ch["unpaid"] = (ch["amount"] - ch["written_off"] - ch["paid_asof"]).clip(lower=0)
    susp = household_suspensions(ledger, as_of)
    susp["hc"] = _codes(hh_ids, susp["household_id"])
    active = np.zeros(nh, dtype=bool)
    active[susp.loc[susp["active"].astype(bool), "hc"].to_numpy()] = True

    gap = rate_gap(as_of)
    ent, part = _entaikin(ch, pays, susp, as_of, gap)
    ch["entaikin"] = ent.to_numpy()
    ch["entaikin_partial"] = part.to_numpy()
    ch["entaikin_through"] = np.where(part.to_numpy(), np.datetime64(gap.through if gap else as_of, "ns"),
                                      np.datetime64(as_of, "ns"))

    # 時効 of unpaid overdue instalments
    ch["limitation_date"] = pd.Series(pd.NaT, index=ch.index, dtype="datetime64[ns]")
    ch["first_seizure_date"] = pd.Series(pd.NaT, index=ch.index, dtype="datetime64[ns]")
    u = ch[(ch["unpaid"] > 0) & (ch["due_s"] < t)]
    if len(u):
        years = lim.period_years(as_of)
        lim_arr = np.full(len(ch), np.datetime64("NaT"), dtype="datetime64[ns]")
        lim_arr[u["iid"].to_numpy()] = add_months_minpo_vec(u["due_s"] + pd.Timedelta(days=1), 12 * years).to_numpy()
        ev = _renewal_events(ledger, u, pays, hh_ids, as_of)
        if len(ev):
            ev = ev.sort_values(["iid", "date"]).reset_index(drop=True)
            ev["k"] = ev.groupby("iid").cumcount()
            for k in range(int(ev["k"].max()) + 1):
                rows = ev[ev["k"] == k]
                iids = rows["iid"].to_numpy()
                ok = rows["date"].to_numpy() <= lim_arr[iids]
                rows, iids = rows[ok], iids[ok]
                if not len(rows):
                    continue
                new = add_months_minpo_vec(rows["date"] + pd.to_timedelta(rows["offset"], unit="D"),
                                           12 * years).to_numpy()
                lim_arr[iids] = np.maximum(new, lim_arr[iids])
        ch["limitation_date"] = lim_arr
        sent = ch["demand_sent_date"].to_numpy()
        dm = ~np.isnat(lim_arr) & ~np.isnat(sent)
        fs = np.full(len(ch), np.datetime64("NaT"), dtype="datetime64[ns]")
        if dm.any():
            fs[dm] = first_seizure_dates(pd.Series(sent[dm])).to_numpy()
        ch["first_seizure_date"] = fs
    lim_v = ch["limitation_date"].to_numpy()
    t64 = t.to_datetime64()
    horizon = np.datetime64(lim.warning_horizon(as_of), "ns")
    has = ~np.isnat(lim_v)
    ch["expired"] = has & (lim_v < t64)
    ch["expiring"] = has & (lim_v >= t64) & (lim_v <= horizon)
    return ch, active


def law_instalments(ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """The law state of every instalment due by ``as_of`` (one row per household × fiscal year × instalment).

    Columns: ``household_id, fiscal_year, instalment, due_date, due_shifted, amount, paid_asof, unpaid,
    entaikin, demand_sent_date, limitation_date`` (NaT unless unpaid and overdue), ``expiring`` (within the
    warning window), ``expired``, ``first_seizure_date`` (NaT unless unpaid, within limitation, 督促状 sent),
    ``entaikin_through``, ``entaikin_partial`` (延滞金 stops short at a year without a rate; see the module
    docstring). ``attrs`` as :func:`law_columns`.
    """
    if isinstance(as_of, pd.Timestamp):
        as_of = as_of.date()
    params.refresh()  # a parameter file edited while this process runs is read now
    ch, _active = _instalments(ledger, as_of, *_household_index(ledger))
    out = ch.rename(columns={"due_s": "due_shifted"})
    cols = KEY + ["due_date", "due_shifted", "amount", "paid_asof", "unpaid", "entaikin", "demand_sent_date",
                  "limitation_date", "expiring", "expired", "first_seizure_date", "entaikin_through",
                  "entaikin_partial"]
    res = out[cols].reset_index(drop=True)
    _set_attrs(res, as_of)
    return res


def _set_attrs(frame: pd.DataFrame, as_of: dt.date) -> None:
    """``attrs["entaikin_through"]`` (ISO date: attrs must stay JSON-safe for ``to_parquet``) and
    ``attrs["entaikin_notice"]`` (Japanese text or None)."""
    gap = rate_gap(as_of)
    frame.attrs["entaikin_through"] = (gap.through if gap is not None else as_of).isoformat()
    frame.attrs["entaikin_notice"] = gap.notice() if gap is not None else None


def law_columns(ledger: Any, as_of: dt.date) -> pd.DataFrame:
    """Per household as of ``as_of``: 延滞金, limitation, seizure columns (see the module docstring)."""
    if isinstance(as_of, pd.Timestamp):
        as_of = as_of.date()
    params.refresh()  # a parameter file edited while this process runs is read now
    t64 = pd.Timestamp(as_of).to_datetime64()
    hh_ids, charge_codes = _household_index(ledger)
    nh = len(hh_ids)
    res = pd.DataFrame(index=hh_ids)
    if ledger.charges.empty:
        res["entaikin"] = np.zeros(nh, dtype=np.int64)
        res["nearest_limitation"] = pd.Series(pd.NaT, index=hh_ids, dtype="datetime64[ns]")
        res["n_expiring"] = np.zeros(nh, dtype=np.int64)
        res["n_expired"] = np.zeros(nh, dtype=np.int64)
        res["seizure_possible"] = np.zeros(nh, dtype=bool)
        res["first_seizure_date"] = pd.Series(pd.NaT, index=hh_ids, dtype="datetime64[ns]")
        res["under_suspension"] = np.zeros(nh, dtype=bool)
        res["entaikin_through"] = np.full(nh, np.datetime64(as_of, "ns"))
        res["entaikin_partial"] = np.zeros(nh, dtype=bool)
        _set_attrs(res, as_of)
        return res
    ch, active = _instalments(ledger, as_of, hh_ids, charge_codes)
    hc = ch["hc"].to_numpy()
    lim_v = ch["limitation_date"].to_numpy()
    alive = ~np.isnat(lim_v) & (lim_v >= t64)
    fs = ch["first_seizure_date"].to_numpy()
    has_fs = alive & ~np.isnat(fs)
    res["entaikin"] = np.bincount(hc, weights=ch["entaikin"].to_numpy(), minlength=nh).astype(np.int64)
    res["nearest_limitation"] = _min_by(hc[alive], lim_v[alive], nh)
    res["n_expiring"] = np.bincount(hc[ch["expiring"].to_numpy()], minlength=nh).astype(np.int64)
    res["n_expired"] = np.bincount(hc[ch["expired"].to_numpy()], minlength=nh).astype(np.int64)
    res["first_seizure_date"] = _min_by(hc[has_fs], fs[has_fs], nh)
    can = np.bincount(hc[has_fs & (fs <= t64)], minlength=nh) > 0
    res["seizure_possible"] = can & ~active
    res["under_suspension"] = active
    part = np.bincount(hc[ch["entaikin_partial"].to_numpy()], minlength=nh) > 0
    gap = rate_gap(as_of)
    res["entaikin_through"] = np.where(part, np.datetime64(gap.through if gap else as_of, "ns"),
                                       np.datetime64(as_of, "ns")).astype("datetime64[ns]")
    res["entaikin_partial"] = part
    _set_attrs(res, as_of)
    return res


def _min_by(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-code minimum of datetime64 ``values`` (NaT where a code has none)."""
    big = np.iinfo(np.int64).max
    out = np.full(n, big, dtype=np.int64)
    np.minimum.at(out, codes, values.astype("datetime64[ns]").astype(np.int64))
    res = out.astype("datetime64[ns]")
    res[out == big] = np.datetime64("NaT")
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


def _renewal_events(ledger: Any, u: pd.DataFrame, pays: pd.DataFrame, hh_ids: pd.Index,
                    as_of: dt.date) -> pd.DataFrame:
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
        kinds = [k for k, switch in (("差押", "seizure"), ("分納誓約", "pledge")) if lim.renewal_enabled(switch, as_of)]
        s = d[ok & d["kind"].isin(kinds)]
        hh_events.append(pd.DataFrame({"hc": _codes(hh_ids, s["household_id"]), "date": s["start_date"].to_numpy()}))
    c = getattr(ledger, "contacts", None)
    if c is not None and len(c) and lim.renewal_enabled("pledge", as_of):
        s = c[(c["result"] == "分納誓約") & c["date"].notna() & (c["date"] <= t)]
        hh_events.append(pd.DataFrame({"hc": _codes(hh_ids, s["household_id"]), "date": s["date"].to_numpy()}))
    if hh_events:
        he = pd.concat(hh_events, ignore_index=True).drop_duplicates()
        he = he[he["hc"] >= 0]
        m = u[["iid", "hc", "due_s"]].merge(he, on="hc")
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
