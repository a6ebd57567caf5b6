"""Collection statistics (収納率, 収入未済額 …) of a fiscal year, computed from the payments.

Definitions (the plan's and the usual ward accounting; "year end" = 年度末 = May 31 after the year, the end of
the closing period 出納整理期間, :func:`kokuho_nb.months.year_end`):

- **現年分** of fiscal year ``fy``: the charges of ``fy``. 調定額 = their amounts; 収納額 = payments on them
  dated on or before the year end, capped per instalment at its amount (an over-payment 過誤納 is refunded,
  not revenue); 不納欠損額 = their write-offs dated on or before the year end.
- **滞納繰越分** of ``fy``: the charges of earlier years. Their 調定額 is the **carried-over balance at the
  start of the year**: per instalment ``max(amount − payments dated ≤ year_end(fy−1) − write-offs dated
  ≤ year_end(fy−1), 0)``, i.e. the previous year's 収入未済額 brought forward on June 1. 収納額 = payments
  dated after ``year_end(fy−1)`` and on or before ``year_end(fy)``, capped at that balance; 不納欠損額 =
  write-offs dated in the same window (capped at what remains).
- 収入未済額 = 調定額 − 収納額 − 不納欠損額 at the year end; 収納率 = 収納額 ÷ 調定額 (percent).
  **総合** = 現年分 + 滞納繰越分.
- **Write-off dates.** 調定.csv gives only the amount written off (不納欠損額), not when. The date comes from the
  household's 不納欠損 rows in 滞納処分.csv: the household's written-off instalments, oldest first (due date,
  year, instalment), are matched in order against its 不納欠損 records, oldest first, by cumulative amount;
  an instalment takes the date of the record that covers its last yen. Write-off that no record covers is
  dated at its limitation estimate — two years after the day after the 督促状 (or the due date when no
  督促状 is recorded) — and never later than the ledger's as-of date.
- ``exclude_whereabouts_unknown=True`` leaves out (of 調定, 収納, 不納欠損 and 未済 alike) the charges of
  households flagged 居所不明 in the ledger's 世帯.csv — the flag as of the ledger's date (the ledger keeps
  no history of it).
- Payments that match no charge row are ignored here (the importer reports them).

The same code gives the position at any date within the year (:func:`position_at`), which
:func:`monthly_series` uses for the month-end series of the meeting pack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.months import year_end

KEYS = ["household_id", "fiscal_year", "instalment"]
PARTS = ("current", "carried", "total")
LIMITATION_FALLBACK_YEARS = 2  # 国民健康保険法110条 (used only to date write-offs no 不納欠損 record covers)


@dataclass
class _Prepared:
    fiscal_year: int
    start: pd.Timestamp  # year_end(fy - 1)
    amount: np.ndarray
    is_current: np.ndarray
    before: np.ndarray  # payments dated <= start
    pay_ci: np.ndarray  # charge index of each payment dated > start
    pay_day: np.ndarray  # datetime64[ns] of those payments
    pay_amt: np.ndarray
    wo_amount: np.ndarray
    wo_date: np.ndarray  # datetime64[ns]


def _charge_index(charges: pd.DataFrame, other: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Household codes of ``charges`` and, for each row of ``other`` (payments), the position of its charge
    row in ``charges`` (-1 when none; the first row when a key repeats). Integer keys and a sort instead of
    string merges: fast on millions of rows."""
    a, b = charges["household_id"], other["household_id"]
    if (isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype)
            and a.cat.categories.equals(b.cat.categories)):
        codes = a.cat.codes.to_numpy(dtype=np.int64)
        o_codes = b.cat.codes.to_numpy(dtype=np.int64)
    else:
        both = np.concatenate([a.to_numpy(dtype=object), b.to_numpy(dtype=object)])
        codes_all, _uniques = pd.factorize(both, sort=False)
        codes = codes_all[: len(charges)].astype(np.int64)
        o_codes = codes_all[len(charges):].astype(np.int64)
    ch_key = codes * 40_000 + charges["fiscal_year"].to_numpy(dtype=np.int64) * 16 + charges["instalment"].to_numpy(
        dtype=np.int64)
    o_key = o_codes * 40_000 + other["fiscal_year"].to_numpy(dtype=np.int64) * 16 + other["instalment"].to_numpy(
        dtype=np.int64)
    order = np.argsort(ch_key, kind="stable")
    sk = ch_key[order]
    at = np.minimum(np.searchsorted(sk, o_key, side="left"), max(len(sk) - 1, 0))
    if len(sk) == 0:
        return codes, np.full(len(o_key), -1, dtype=np.int64)
    hit = sk[at] == o_key
    return codes, np.where(hit, order[at], -1).astype(np.int64)


def _ts(d: dt.date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(d).normalize().to_datetime64(), "ns")


def writeoff_dates(ledger: Any) -> pd.Series:
    """The write-off date of every charge row with 不納欠損額 > 0 (index = the charges frame's index).

    See the module docstring for the rule (oldest instalments matched to the oldest 不納欠損 records).
    """
    ch = ledger.charges
    arr = _writeoff_dates_array(ledger)
    mask = ch["written_off"].to_numpy() > 0
    return pd.Series(arr[mask], index=ch.index[mask], dtype="datetime64[ns]")


def _writeoff_dates_array(ledger: Any) -> np.ndarray:
    """Write-off date per row of ``ledger.charges`` (NaT where nothing is written off)."""
    ch = ledger.charges
    full = np.full(len(ch), np.datetime64("NaT"), dtype="datetime64[ns]")
    wmask = ch["written_off"].to_numpy() > 0
    wo = ch.loc[wmask, KEYS + ["due_date", "written_off", "demand_sent_date"]]
    if wo.empty:
        return full
    disp = ledger.dispositions
    recs = disp.loc[disp["kind"] == "不納欠損", ["household_id", "start_date", "amount"]].dropna()
    codes, uniques = pd.factorize(pd.concat([wo["household_id"], recs["household_id"]], ignore_index=True))
    w_code = codes[: len(wo)].astype(np.int64)
    due = wo["due_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((wo["instalment"].to_numpy(), wo["fiscal_year"].to_numpy(), due, w_code))
    w_code = w_code[order]
    amt = wo["written_off"].to_numpy(dtype=np.int64)[order]
    cum = np.cumsum(amt)
    first = np.r_[True, w_code[1:] != w_code[:-1]]
    base = np.maximum.accumulate(np.where(first, cum - amt, 0))
    w_cum = cum - base
    demand = wo["demand_sent_date"].to_numpy(dtype="datetime64[ns]")
    fb = np.where(np.isnat(demand), wo["due_date"].to_numpy(dtype="datetime64[ns]"), demand)
    fallback = (pd.DatetimeIndex(fb) + pd.Timedelta(days=1) + pd.DateOffset(years=LIMITATION_FALLBACK_YEARS))
    fallback = fallback.to_numpy(dtype="datetime64[ns]")
    if getattr(ledger, "as_of", None) is not None:
        fallback = np.minimum(fallback, _ts(ledger.as_of))
    result = fallback[order].copy()
    if len(recs):
        r_code = codes[len(wo):].astype(np.int64)
        r_day = recs["start_date"].to_numpy(dtype="datetime64[ns]")
        r_order = np.lexsort((r_day.astype(np.int64), r_code))
        r_code, r_day = r_code[r_order], r_day[r_order]
        r_amt = recs["amount"].to_numpy(dtype=np.int64)[r_order]
        r_cum_all = np.cumsum(r_amt)
        r_first = np.r_[True, r_code[1:] != r_code[:-1]]
        r_cum = r_cum_all - np.maximum.accumulate(np.where(r_first, r_cum_all - r_amt, 0))
        # the record covering each instalment's last yen: first record of the household with r_cum >= w_cum
        big = np.int64(1) << 40
        r_key = r_code * big + r_cum
        w_key = w_code * big + w_cum
        pos = np.searchsorted(r_key, w_key, side="left")
        ok = pos < len(r_key)
        ok[ok] = r_code[pos[ok]] == w_code[ok]
        result[ok] = r_day[pos[ok]]
    out = np.empty_like(result)
    out[order] = result
    full[wmask] = out
    return full


def _prepare(ledger: Any, fiscal_year: int, exclude_whereabouts_unknown: bool) -> _Prepared:
    ch = ledger.charges
    mask = (ch["fiscal_year"] <= fiscal_year).to_numpy()
    if exclude_whereabouts_unknown:
        hh = ledger.households
        gone = hh.loc[hh["whereabouts_unknown"].fillna(False).astype(bool), "household_id"]
        mask &= ~ch["household_id"].isin(set(gone)).to_numpy()
    wo_date = _writeoff_dates_array(ledger)[mask]
    ch = ch[mask]
    start = _ts(year_end(fiscal_year - 1))
    pay = ledger.payments
    pay = pay[pay["fiscal_year"] <= fiscal_year]
    _codes, pos = _charge_index(ch, pay)
    known = pos >= 0
    ci = pos[known].astype(np.int64)
    pday = pay["paid_date"].to_numpy(dtype="datetime64[ns]")[known]
    pamt = pay["amount"].to_numpy(dtype=np.int64)[known]
    early = pday <= start
    before = np.bincount(ci[early], weights=pamt[early], minlength=len(ch)).astype(np.int64)
    return _Prepared(
        fiscal_year=fiscal_year, start=pd.Timestamp(start), amount=ch["amount"].to_numpy(dtype=np.int64),
        is_current=(ch["fiscal_year"] == fiscal_year).to_numpy(), before=before,
        pay_ci=ci[~early], pay_day=pday[~early], pay_amt=pamt[~early],
        wo_amount=ch["written_off"].to_numpy(dtype=np.int64), wo_date=wo_date,
    )


def _part(charged: int, collected: int, written_off: int) -> dict[str, Any]:
    return {
        "charged": int(charged),
        "collected": int(collected),
        "written_off": int(written_off),
        "outstanding": int(charged - collected - written_off),
        "rate": float(100.0 * int(collected) / int(charged)) if charged else None,
    }


def _position(p: _Prepared, at: dt.date) -> dict[str, dict[str, Any]]:
    at64 = _ts(at)
    start64 = np.datetime64(p.start.to_datetime64(), "ns")
    n = len(p.amount)
    m = p.pay_day <= at64
    during = np.bincount(p.pay_ci[m], weights=p.pay_amt[m], minlength=n).astype(np.int64)
    wo_known = ~np.isnat(p.wo_date)
    wo_before = np.where(wo_known & (p.wo_date <= start64), p.wo_amount, 0)
    wo_during = np.where(wo_known & (p.wo_date > start64) & (p.wo_date <= at64), p.wo_amount, 0)
    cur = p.is_current
    # 現年分
    c_charged = p.amount[cur]
    c_coll = np.minimum(p.before[cur] + during[cur], c_charged)
    c_wo = np.minimum(wo_before[cur] + wo_during[cur], c_charged - c_coll)
    # 滞納繰越分: balance carried in at the start of the year
    old = ~cur
    bal = np.maximum(p.amount[old] - p.before[old] - wo_before[old], 0)
    o_coll = np.minimum(during[old], bal)
    o_wo = np.minimum(wo_during[old], bal - o_coll)
    current = _part(c_charged.sum(), c_coll.sum(), c_wo.sum())
    carried = _part(bal.sum(), o_coll.sum(), o_wo.sum())
    total = _part(current["charged"] + carried["charged"], current["collected"] + carried["collected"],
                  current["written_off"] + carried["written_off"])
    return {"current": current, "carried": carried, "total": total}


def collection_stats(ledger: Any, fiscal_year: int, *, exclude_whereabouts_unknown: bool = False) -> dict:
    """現年分 / 滞納繰越分 / 総合 調定額, 収納額, 不納欠損額, 収入未済額 and 収納率 of ``fiscal_year`` at its year end.

    ``ledger`` is a :class:`kokuho_nb.store.tables.Ledger` (canonical tables). Returns ``{"fiscal_year",
    "year_end", "exclude_whereabouts_unknown", "complete", "current": {...}, "carried": {...}, "total": {...}}``
    where each part has ``charged, collected, written_off, outstanding`` (yen) and ``rate`` (percent, None
    when nothing was charged). ``complete`` is False when the ledger's as-of date is before the year end
    (the figures are then the position so far). See the module docstring for the exact definitions.
    """
    p = _prepare(ledger, fiscal_year, exclude_whereabouts_unknown)
    end = year_end(fiscal_year)
    as_of = getattr(ledger, "as_of", None)
    out: dict[str, Any] = {
        "fiscal_year": fiscal_year,
        "year_end": end.isoformat(),
        "exclude_whereabouts_unknown": exclude_whereabouts_unknown,
        "complete": as_of is None or as_of >= end,
    }
    out.update(_position(p, end))
    return out


def position_at(ledger: Any, fiscal_year: int, at: dt.date, *, exclude_whereabouts_unknown: bool = False) -> dict:
    """The same figures as :func:`collection_stats` but counting payments and write-offs up to ``at``."""
    p = _prepare(ledger, fiscal_year, exclude_whereabouts_unknown)
    return _position(p, at)


def month_ends(fiscal_year: int) -> list[dt.date]:
    """June 30 of the year … May 31 after it: the month ends at which the year's position is reported."""
    out = []
    for i in range(12):
        y, m = (fiscal_year, 6 + i) if 6 + i <= 12 else (fiscal_year + 1, 6 + i - 12)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append(nxt - dt.timedelta(days=1))
    return out


def monthly_series(ledger: Any, fiscal_year: int, *, exclude_whereabouts_unknown: bool = False) -> pd.DataFrame:
    """Month by month (June … May) 収入未済額 and 収納率 of ``fiscal_year``: one row per month end up to the
    ledger's as-of date, columns ``month_end`` and ``{part}_{charged,collected,written_off,outstanding,rate}``
    for part in current / carried / total. The 現年分 調定 is the whole year's (all instalments are assessed
    in June), so early months show a low 現年 rate by construction."""
    p = _prepare(ledger, fiscal_year, exclude_whereabouts_unknown)
    as_of = getattr(ledger, "as_of", None)
    rows = []
    for m_end in month_ends(fiscal_year):
        if as_of is not None and m_end > as_of:
            break
        pos = _position(p, m_end)
        row: dict[str, Any] = {"month_end": pd.Timestamp(m_end)}
        for part in PARTS:
            for k, v in pos[part].items():
                row[f"{part}_{k}"] = v
        rows.append(row)
    cols = ["month_end"] + [f"{part}_{k}" for part in PARTS
                            for k in ("charged", "collected", "written_off", "outstanding", "rate")]
    return pd.DataFrame(rows, columns=cols)


def arrears_by_household(ledger: Any, as_of: dt.date, max_fiscal_year: int) -> pd.Series:
    """Unpaid yen per household on ``as_of`` for charges of fiscal years up to ``max_fiscal_year``:
    ``max(amount − payments dated ≤ as_of − write-offs dated ≤ as_of, 0)`` per instalment, summed; only
    households with something unpaid (index = household_id, sorted)."""
    ch = ledger.charges
    mask = (ch["fiscal_year"] <= max_fiscal_year).to_numpy()
    wo_date = _writeoff_dates_array(ledger)[mask]
    ch = ch[mask]
    at = _ts(as_of)
    pay = ledger.payments
    pay = pay[(pay["fiscal_year"] <= max_fiscal_year) & (pay["paid_date"] <= at)]
    codes, pos = _charge_index(ch, pay)
    known = pos >= 0
    paid = np.bincount(pos[known], weights=pay["amount"].to_numpy(dtype=np.int64)[known], minlength=len(ch))
    wo = np.where(~np.isnat(wo_date) & (wo_date <= at), ch["written_off"].to_numpy(dtype=np.int64), 0)
    unpaid = np.maximum(ch["amount"].to_numpy(dtype=np.int64) - paid.astype(np.int64) - wo, 0)
    per = pd.Series(unpaid).groupby(codes, sort=False).sum()
    first_pos = pd.Series(np.arange(len(codes))).groupby(codes, sort=False).first()
    ids = ch["household_id"].iloc[first_pos.reindex(per.index).to_numpy()].astype(object).to_numpy()
    s = pd.Series(per.to_numpy(), index=pd.Index(ids, name="household_id")).sort_index()
    return s[s > 0].astype("int64")
