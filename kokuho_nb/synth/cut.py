"""A snapshot of the synthetic ward: the timeline cut at an as-of date, as canonical ``Ledger`` tables.

What a ledger exported on ``as_of`` holds (``retain="ledger"``), with ``cfy = current_fiscal_year(as_of)``
and ``K = timeline.retain_full_years_back`` (1):

- charges of every household for fiscal years ``cfy-K`` .. ``cfy`` that are assessed by ``as_of``;
- older charges only if they were still unpaid when fiscal year ``cfy-K`` began (June 1 after
  ``year_end(cfy-K-1)``), i.e. the carried-over stock that fiscal year ``cfy-K`` starts from — so the
  collection statistics of ``cfy-K`` and ``cfy`` computed from the ledger are exact;
- every payment (≤ as_of) of those charges; 収納額 / 最終収納日 / 督促状発送日 / 不納欠損額 as of ``as_of``;
- contacts, inquiries and dispositions dated from that same June 1, plus dispositions still running;
- the staff in post on ``as_of`` and their training records.

``retain="all"`` keeps every charge and event of the timeline (the calibration uses it for earlier years).
A few late payments (one in eight that came 20+ days late, by a fixed rule on the row) are split in two
payments, so partial payments appear in the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from kokuho_nb.contract import codes
from kokuho_nb.months import current_fiscal_year, fiscal_year_of
from kokuho_nb.store.tables import Ledger
from kokuho_nb.synth import days as D
from kokuho_nb.synth.config import INCOME_CLASSES
from kokuho_nb.synth.timeline import DISP_KINDS, MEMOS, METHODS, RESULTS, TARGETS, Timeline

STATES = ("継続", "完了", "取消", "不履行")
INQ_RESULTS = ("有", "無", "未回答")


def household_ids(n: int) -> np.ndarray:
    """世帯番号: 8 digits with leading zeros (they must survive the import)."""
    return np.array([f"{i + 1:08d}" for i in range(n)], dtype=object)


def _dt(days: np.ndarray) -> pd.Series:
    return pd.Series(D.to_datetime64(days), dtype="datetime64[ns]")


def _bool(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="boolean")


def _int_na(values: np.ndarray, mask: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(mask, dtype=bool)))


def window_start_day(as_of: dt.date, full_years_back: int) -> int:
    """First day of the events/charges window (June 1 starting fiscal year ``cfy - K``)."""
    cfy = current_fiscal_year(as_of)
    return D.year_end_day(cfy - full_years_back - 1) + 1


@dataclass
class _Cut:
    """What every table of one cut needs: the timeline, the as-of day, the window start, the id lookup."""

    tl: Timeline
    as_of: dt.date
    a: int  # the as-of date as a day number
    win: int  # first day of the events window (-10**9: everything)
    cfy: int
    k: int
    retain: str
    id_values: np.ndarray
    categorical_ids: bool

    def ids(self, codes: np.ndarray) -> object:
        if self.categorical_ids:
            return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=self.id_values)
        return self.id_values[codes]


def cut(tl: Timeline, as_of: dt.date, *, retain: Literal["ledger", "all"] = "ledger",
        categorical_ids: bool = False) -> Ledger:
    """The ward as its delinquency system would export it on ``as_of``.

    ``categorical_ids=True`` gives ``household_id`` columns as pandas categoricals (same values; much faster
    to build and to group on millions of rows — the calibration uses it)."""
    k = int(tl.config.timeline["retain_full_years_back"])
    c = _Cut(tl, as_of, D.day(as_of), window_start_day(as_of, k) if retain == "ledger" else -10**9,
             current_fiscal_year(as_of), k, retain, household_ids(tl.households), categorical_ids)
    charges, payments = _charges_and_payments(c)
    staff, trainings = _staff_and_trainings(c)
    return Ledger(households=_households(c), charges=charges, staff=staff, payments=payments,
                  contacts=_contacts(c), inquiries=_inquiries(c), dispositions=_dispositions(c), trainings=trainings,
                  snapshot_id=None, as_of=as_of, source=f"synthetic seed={tl.seed}")


def _charges_and_payments(c: _Cut) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Charges visible on the as-of date with their state, and one payment per paid instalment (a few late ones
    split in two: the first half up to 45 days earlier)."""
    r, a = c.tl.rows, c.a
    visible = r["assess"] <= a
    if c.retain == "ledger":
        cut_day = c.win - 1
        visible &= (r["fy"] >= c.cfy - c.k) | ((r["paid"] > cut_day) & (r["wo"] > cut_day))
    idx = np.flatnonzero(visible)  # the timeline's rows are ordered by (fiscal year, household, instalment)
    h = r["hh"][idx]
    amount = r["amount"][idx].astype(np.int64)
    due = r["due"][idx].astype(np.int64)
    paid_day = r["paid"][idx].astype(np.int64)
    # split late payments: the first half up to 45 days earlier, never before the June 1 that starts the
    # collection year of the final payment (so both halves count in the same year's statistics)
    split = (paid_day < D.NEVER) & (paid_day - due >= 20) & (idx % 8 == 3) & (amount >= 2000)
    pd64 = np.minimum(paid_day, D.day(dt.date(2200, 1, 1))).astype("datetime64[D]")
    p_year = pd64.astype("datetime64[Y]").astype(np.int64) + 1970
    p_month = (pd64.astype("datetime64[M]").astype(np.int64) % 12) + 1
    start_year = np.where(p_month >= 6, p_year, p_year - 1)
    june1 = (np.array(start_year - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + np.timedelta64(5, "M"))
    june1 = june1.astype("datetime64[D]").astype(np.int64)
    day1 = np.maximum(paid_day - np.minimum((paid_day - due) // 2, 45), june1)
    split &= day1 < paid_day
    part1 = np.where(split, (amount // 2 // 100) * 100, 0)
    day1 = np.where(split, day1, D.NEVER)
    got2 = paid_day <= a
    got1 = split & (day1 <= a)
    paid = np.where(got2, amount, np.where(got1, part1, 0))
    last_paid = np.where(got2, paid_day, np.where(got1, day1, D.NEVER))
    demand = np.where(r["demand"][idx] <= a, r["demand"][idx], D.NEVER)
    written = np.where(r["wo"][idx] <= a, amount, 0)
    charges = pd.DataFrame({
        "household_id": c.ids(h),
        "fiscal_year": r["fy"][idx].astype(np.int64),
        "instalment": r["inst"][idx].astype(np.int64),
        "due_date": _dt(due),
        "amount": amount,
        "paid": paid.astype(np.int64),
        "last_paid_date": _dt(last_paid),
        "demand_sent_date": _dt(demand),
        "written_off": written.astype(np.int64),
    })
    p_first = np.flatnonzero(got1)
    p_full = np.flatnonzero(got2)
    p_idx = np.concatenate([p_first, p_full])
    p_amt = np.concatenate([part1[p_first], np.where(split[p_full], amount[p_full] - part1[p_full], amount[p_full])])
    p_day = np.concatenate([day1[p_first], paid_day[p_full]])
    p_order = np.argsort(p_idx * 2 + np.r_[np.zeros(len(p_first), np.int64), np.ones(len(p_full), np.int64)],
                         kind="stable")
    p_idx, p_amt, p_day = p_idx[p_order], p_amt[p_order], p_day[p_order]
    payments = pd.DataFrame({
        "household_id": c.ids(h[p_idx]),
        "fiscal_year": r["fy"][idx][p_idx].astype(np.int64),
        "instalment": r["inst"][idx][p_idx].astype(np.int64),
        "paid_date": _dt(p_day),
        "amount": p_amt.astype(np.int64),
    })
    return charges, payments


def _households(c: _Cut) -> pd.DataFrame:
    """Households insured at some point up to the as-of date (those who left are 喪失)."""
    hh, a = c.tl.hh, c.a
    join_day = np.array([D.day(dt.date(int(y), 4, 1)) for y in range(2000, 2040)], dtype=np.int64)
    jd = join_day[hh["join"].astype(int) - 2000]
    ld = np.where(hh["leave"] < 9999, join_day[np.minimum(hh["leave"].astype(int) + 1 - 2000, 39)], D.NEVER)
    hidx = np.flatnonzero(jd <= a)
    status = codes().status
    return pd.DataFrame({
        "household_id": c.ids(hidx),
        "name_kana": hh["name"][hidx],
        "area": np.array([f"{x + 1:02d}" for x in range(int(c.tl.config.population["areas"]))],
                         dtype=object)[hh["area"][hidx]],
        "income_class": np.array(INCOME_CLASSES, dtype=object)[hh["income"][hidx]],
        "nationality": np.where(hh["foreign"][hidx], "外国", "日本").astype(object),
        "language": hh["language"][hidx].astype(object),
        "has_phone": _bool(hh["phone"][hidx]),
        "direct_debit": _bool(hh["direct_debit"][hidx]),
        "status": np.where(ld[hidx] <= a, status.lost, status.insured).astype(object),
        "employee_pension": _bool(hh["pension"][hidx]),
        "whereabouts_unknown": _bool(hh["wu_day"][hidx] <= a),
    })


def _staff_and_trainings(c: _Cut) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staff in post on the as-of date (新任/転入 in the fiscal year they arrived) and their trainings."""
    ps, a = c.tl.persons, c.a
    in_post = (ps["start"] <= a) & (ps["end"] >= a)
    fy_start = D.day(dt.date(fiscal_year_of(c.as_of), 4, 1))
    category = np.where(ps["start"] >= fy_start, ps["arrival"], codes().category.continuing).astype(object)
    sidx = np.flatnonzero(in_post)
    staff = pd.DataFrame({
        "officer_code": ps["code"][sidx], "name": ps["name"][sidx], "team": ps["team"][sidx],
        "role": ps["role"][sidx], "areas": ps["areas"][sidx], "start_date": _dt(ps["start"][sidx]),
        "category": category[sidx],
    })
    tr = c.tl.trainings
    tmask = (tr["day"] <= a) & np.isin(tr["code"], ps["code"][sidx])
    t_order = np.lexsort((tr["day"][tmask], tr["code"][tmask]))
    trainings = pd.DataFrame({
        "officer_code": tr["code"][tmask][t_order], "course": tr["course"][tmask][t_order],
        "date": _dt(tr["day"][tmask][t_order]),
    })
    return staff, trainings


def _contacts(c: _Cut) -> pd.DataFrame:
    """Contacts in the window, each by the officer who held the area's slot that day."""
    co, hh, a = c.tl.contacts, c.tl.hh, c.a
    ci = np.flatnonzero((co["day"] <= a) & (co["day"] >= c.win))
    ci = ci[np.lexsort((ci, co["day"][ci], co["hh"][ci]))]
    officer = _officer_at(c.tl, hh["area_slot"][co["hh"][ci]], co["day"][ci])
    res = co["result"][ci].astype(int)
    promised = np.isin(res, [3, 4])
    contacts = pd.DataFrame({
        "household_id": c.ids(co["hh"][ci]),
        "date": _dt(co["day"][ci]),
        "officer_code": officer,
        "method": np.array(METHODS, dtype=object)[co["method"][ci].astype(int)],
        "result": np.array(RESULTS, dtype=object)[res],
        "promised_amount": _int_na(co["promised"][ci], promised & (co["promised"][ci] > 0)),
        "promised_date": _dt(np.where(promised, co["promised_day"][ci], D.NEVER)),
        "memo": np.array(MEMOS, dtype=object)[co["memo"][ci].astype(int)],
    })
    contacts.loc[contacts["memo"] == "", "memo"] = None
    return contacts


def _inquiries(c: _Cut) -> pd.DataFrame:
    """Property inquiries in the window; an answer shows once it came, 未回答 after 90 days without one."""
    q, a = c.tl.inquiries, c.a
    qi = np.flatnonzero((q["day"] <= a) & (q["day"] >= c.win))
    qi = qi[np.lexsort((qi, q["day"][qi], q["hh"][qi]))]
    answered = q["answer"][qi] <= a
    unanswered = q["result"][qi] == 2
    result = np.where(answered | (unanswered & (q["day"][qi] + 90 <= a)),
                      np.array(INQ_RESULTS, dtype=object)[q["result"][qi].astype(int)], None)
    mode = codes().inquiry_mode
    return pd.DataFrame({
        "household_id": c.ids(q["hh"][qi]),
        "inquiry_date": _dt(q["day"][qi]),
        "target_type": np.array(TARGETS, dtype=object)[q["target"][qi].astype(int)],
        "mode": np.where(q["mode"][qi] == 0, mode.electronic, mode.paper).astype(object),
        "answer_date": _dt(np.where(answered, q["answer"][qi], D.NEVER)),
        "result": result,
        "found_amount": _int_na(q["found"][qi], answered & (q["result"][qi] == 0)),
    })


def _dispositions(c: _Cut) -> pd.DataFrame:
    """Dispositions started in the window, and earlier ones still running."""
    d, a = c.tl.dispositions, c.a
    di = np.flatnonzero((d["start"] <= a) & ((d["start"] >= c.win) | (d["end"] > a)))
    di = di[np.lexsort((di, d["start"][di], d["hh"][di]))]
    kind = d["kind"][di].astype(int)
    running = d["end"][di] > a
    st = codes().state
    state = np.where(running, st.ongoing, np.array(STATES, dtype=object)[d["end_state"][di].astype(int)])
    state = np.where(kind == 4, st.completed, state)
    is_pledge = np.isin(kind, [2, 3])
    return pd.DataFrame({
        "household_id": c.ids(d["hh"][di]),
        "kind": np.array(DISP_KINDS, dtype=object)[kind],
        "start_date": _dt(d["start"][di]),
        "amount": _int_na(d["amount"][di], np.ones(len(di), dtype=bool)),
        "suspension_ground": _int_na(d["ground"][di], kind == 1),
        "monthly_amount": _int_na(d["monthly"][di], is_pledge),
        "instalments_count": _int_na(d["count"][di], is_pledge),
        "state": state.astype(object),
    })


def _officer_at(tl: Timeline, slots: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The officer holding the area's slot on each day (the slot's person then)."""
    ps = tl.persons
    officers = np.flatnonzero(ps["slot"] >= 0)
    key = ps["slot"][officers].astype(np.int64) * 10_000_000 + ps["start"][officers]
    order = np.argsort(key, kind="stable")
    key, officers = key[order], officers[order]
    q = slots.astype(np.int64) * 10_000_000 + days.astype(np.int64)
    pos = np.clip(np.searchsorted(key, q, side="right") - 1, 0, len(key) - 1)
    return ps["code"][officers[pos]]
