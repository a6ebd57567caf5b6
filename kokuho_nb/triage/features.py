"""Step 1 of triage: one row of history features per household (:data:`FEATURES`), one function per source.

The sources are the payments (収納), the contacts (the ledger's 折衝記録 plus the accepted month-end returns),
the promises made in those contacts, the property inquiries (財産調査) and the dispositions (滞納処分). Only
records dated on or before ``as_of`` count, so a later snapshot can be triaged as of an earlier date.
Households are mapped to integer positions once per table; everything after that is numpy on integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.contract import codes
from kokuho_nb.frames import index_of

BIG = 99_999  # "never" in day counts (no contact, no payment, no inquiry)
NEVER = np.datetime64("NaT", "ns")
DAY = np.timedelta64(1, "D")

#: Features computed from the history (besides the case-view columns), by name -> meaning.
FEATURES: dict[str, str] = {
    "days_since_reached": "days since the last contact that reached the household (BIG if never)",
    "days_since_contact": "days since any contact attempt (BIG if never)",
    "n_letters_unanswered": "letters (文書) since the household was last reached or last paid",
    "n_calls_unanswered": "phone/SMS/visits with 不在/不通 since the household was last reached or last paid",
    "sms_tried": "an SMS was sent since the household was last reached",
    "centre_visit_tried": "the guidance centre visited (訪問) since the household was last reached",
    "field_visit_recent": "an officer field visit (臨場催告) within recent_contact_days",
    "n_refusals": "拒否 results within the last 365 days",
    "days_since_payment": "days since the last payment (BIG if never)",
    "days_since_inquiry": "days since the last property inquiry was sent",
    "days_since_answer": "days since the last answered (有/無) inquiry",
    "assets_found": "an answered inquiry found property (有, 発見額 > 0) within inquiry_fresh_days",
    "found_amount": "yen found by those inquiries",
    "electronic_unanswered": "an electronic inquiry got no answer (paper recommended)",
    "seized_active": "a 差押 in state 継続",
    "suspended_active": "a 執行停止 in state 継続",
    "pledge_active": "a 分納誓約 or 換価の猶予 in state 継続",
    "pledge_broken": "a 分納誓約 in state 不履行 and no active pledge",
    "pledge_kept": "an active pledge with a payment within 62 days",
    "promise_pending": "the latest 納付約束/分納誓約 contact has a promise date not yet passed (+grace)",
    "promise_kept_recent": "the latest promise was kept (paid) and its date is within monitor_days",
    "promise_broken": "the latest promise date passed (+grace) without the promised payment",
    "monitoring": "promise pending or recently kept, or an active pledge being paid",
    "meeting_assigned": "the monthly meeting assigned the case (see kokuho_nb.casework.decisions)",
    "days_to_limitation": "days from the triage date to nearest_limitation (BIG if none)",
}


class Households:
    """Per-household reductions over records already mapped to household positions ``0..n-1``."""

    def __init__(self, index: pd.Index, as_of: dt.date) -> None:
        self.index = index
        self.n = len(index)
        self.ts = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")

    def codes_of(self, frame: pd.DataFrame) -> np.ndarray:
        """Each record's household position (-1 unknown); Arrow's string hash, ~2x pandas' on millions of rows."""
        return index_of(self.index, frame["household_id"]) if len(frame) else np.zeros(0, dtype=np.int64)

    def latest(self, codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """Per household, the latest of ``dates`` (NaT when none)."""
        res = np.full(self.n, np.iinfo(np.int64).min, dtype=np.int64)
        if len(codes):
            np.maximum.at(res, codes, dates.astype("datetime64[ns]").astype(np.int64))
        res = res.view("datetime64[ns]")
        res[res == np.datetime64(np.iinfo(np.int64).min, "ns")] = NEVER
        return res

    def days_since(self, dates: np.ndarray) -> np.ndarray:
        missing = np.isnat(dates)
        delta = (self.ts - np.where(missing, self.ts, dates)) // DAY
        return np.where(missing, BIG, delta).astype(np.int64)

    def any_of(self, codes: np.ndarray) -> np.ndarray:
        return np.bincount(codes, minlength=self.n)[: self.n] > 0 if len(codes) else np.zeros(self.n, dtype=bool)

    def count(self, codes: np.ndarray) -> np.ndarray:
        if not len(codes):
            return np.zeros(self.n, dtype=np.int64)
        return np.bincount(codes, minlength=self.n)[: self.n].astype(np.int64)

    def total(self, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if not len(codes):
            return np.zeros(self.n)
        return np.bincount(codes, weights=weights, minlength=self.n)[: self.n]


@dataclass
class Payments:
    """The payments on or before the date: household position, date, yen."""

    codes: np.ndarray
    dates: np.ndarray
    amounts: np.ndarray
    last: np.ndarray  # per household: the latest payment date (NaT: none)


@dataclass
class Contacts:
    """The contacts on or before the date and, per household, when it was last reached."""

    codes: np.ndarray
    dates: np.ndarray
    method: np.ndarray
    result: np.ndarray
    promised_amount: np.ndarray
    promised_date: np.ndarray
    last_reached: np.ndarray


def payment_features(hh: Households, payments: pd.DataFrame | None, out: pd.DataFrame) -> Payments:
    if payments is not None and len(payments):
        pc = hh.codes_of(payments)
        pdates = payments["paid_date"].to_numpy(dtype="datetime64[ns]")
        pamount = payments["amount"].to_numpy(dtype=np.int64)
        keep = (pc >= 0) & (pdates <= hh.ts)
        pc, pdates, pamount = pc[keep], pdates[keep], pamount[keep]
    else:
        pc, pdates, pamount = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]"), np.zeros(0, np.int64)
    last = hh.latest(pc, pdates)
    out["days_since_payment"] = hh.days_since(last)
    return Payments(pc, pdates, pamount, last)


def contact_features(hh: Households, contacts: pd.DataFrame | None, paid: Payments, th: dict[str, Any],
                     out: pd.DataFrame) -> Contacts:
    """Reached / attempted / unanswered counts since the household was last reached or last paid."""
    if contacts is not None and len(contacts):
        cc = hh.codes_of(contacts)
        cdates = contacts["date"].to_numpy(dtype="datetime64[ns]")
        keep = (cc >= 0) & (cdates <= hh.ts)
        cc, cdates = cc[keep], cdates[keep]
        method = contacts["method"].to_numpy(dtype=object)[keep]
        result = contacts["result"].to_numpy(dtype=object)[keep]
        pamt = contacts["promised_amount"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[keep]
        pdue = contacts["promised_date"].to_numpy(dtype="datetime64[ns]")[keep]
    else:
        cc, cdates = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]")
        method = result = np.zeros(0, dtype=object)
        pamt, pdue = np.zeros(0), np.zeros(0, "datetime64[ns]")
    m, r = codes().method, codes().result
    reached = np.isin(result, r.reached)
    last_reached = hh.latest(cc[reached], cdates[reached])
    out["days_since_reached"] = hh.days_since(last_reached)
    out["days_since_contact"] = hh.days_since(hh.latest(cc, cdates))
    # attempts after the household was last reached or last paid (whichever is later), within the window
    window_start = hh.ts - int(th["no_answer_window_days"]) * DAY
    reset = np.fmax(np.fmax(last_reached, paid.last), window_start)
    after = cdates > reset[cc] if len(cc) else np.zeros(0, dtype=bool)
    is_call = np.isin(method, [m.phone, m.sms, m.centre_visit, m.field_visit]) & np.isin(result, r.no_answer)
    out["n_letters_unanswered"] = hh.count(cc[after & (method == m.letter)])
    out["n_calls_unanswered"] = hh.count(cc[after & is_call])
    out["sms_tried"] = hh.any_of(cc[after & (method == m.sms)])
    out["centre_visit_tried"] = hh.any_of(cc[after & (method == m.centre_visit)])
    recent = cdates > hh.ts - int(th["recent_contact_days"]) * DAY
    out["field_visit_recent"] = hh.any_of(cc[recent & (method == m.field_visit)])
    year = cdates > hh.ts - 365 * DAY
    out["n_refusals"] = hh.count(cc[year & (result == r.refused)])
    return Contacts(cc, cdates, method, result, pamt, pdue, last_reached)


def promise_features(hh: Households, c: Contacts, paid: Payments, th: dict[str, Any], out: pd.DataFrame) -> None:
    """The latest undertaking (納付約束 / 分納誓約): pending, kept lately, or broken. A promise only counts while
    it is the latest time the household was reached."""
    is_prom = np.isin(c.result, codes().result.undertaking) & ~np.isnat(c.promised_date)
    order = np.lexsort((c.dates[is_prom], c.codes[is_prom]))
    pcodes, pdate_c = c.codes[is_prom][order], c.dates[is_prom][order]
    pdue_s, pamt_s = c.promised_date[is_prom][order], c.promised_amount[is_prom][order]
    last_of = np.ones(len(pcodes), dtype=bool)
    if len(pcodes):
        last_of[:-1] = pcodes[:-1] != pcodes[1:]
    pcodes, pdate_c, pdue_s, pamt_s = pcodes[last_of], pdate_c[last_of], pdue_s[last_of], pamt_s[last_of]
    promise_contact = np.full(hh.n, NEVER)
    promise_contact[pcodes] = pdate_c
    pc_date = promise_contact[paid.codes] if len(paid.codes) else np.zeros(0, "datetime64[ns]")
    paid_after = (paid.dates > pc_date) & ~np.isnat(pc_date) if len(paid.codes) else np.zeros(0, dtype=bool)
    paid_since = hh.total(paid.codes[paid_after], paid.amounts[paid_after])
    needed = np.clip(np.nan_to_num(pamt_s, nan=1.0) * float(th["promise_kept_ratio"]), 1, None)
    kept = paid_since[pcodes] >= needed
    grace = int(th["promise_grace_days"]) * DAY
    pending = ~kept & (pdue_s + grace >= hh.ts)
    broken = ~kept & (pdue_s + grace < hh.ts)
    last_reached = c.last_reached[pcodes]
    is_latest = pdate_c >= np.where(np.isnat(last_reached), pdate_c, last_reached)
    kept_recent = kept & ((hh.ts - pdue_s) // DAY <= int(th["monitor_days"]))
    out["promise_pending"] = hh.any_of(pcodes[pending & is_latest])
    out["promise_kept_recent"] = hh.any_of(pcodes[kept_recent])
    out["promise_broken"] = hh.any_of(pcodes[broken & is_latest])


def inquiry_features(hh: Households, inquiries: pd.DataFrame | None, th: dict[str, Any], out: pd.DataFrame) -> None:
    """When the household was last inquired about and answered; assets found lately; electronic inquiries
    left unanswered (paper recommended)."""
    if inquiries is not None and len(inquiries):
        qc = hh.codes_of(inquiries)
        qdate = inquiries["inquiry_date"].to_numpy(dtype="datetime64[ns]")
        keep = (qc >= 0) & (qdate <= hh.ts)
        qc, qdate = qc[keep], qdate[keep]
        adate = inquiries["answer_date"].to_numpy(dtype="datetime64[ns]")[keep]
        qres = inquiries["result"].to_numpy(dtype=object)[keep]
        qmode = inquiries["mode"].to_numpy(dtype=object)[keep]
        qfound = inquiries["found_amount"].astype("Float64").to_numpy(dtype=float, na_value=0.0)[keep]
    else:
        qc, qdate, adate = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]"), np.zeros(0, "datetime64[ns]")
        qres = qmode = np.zeros(0, dtype=object)
        qfound = np.zeros(0)
    ir = codes().inquiry_result
    out["days_since_inquiry"] = hh.days_since(hh.latest(qc, qdate))
    answered = np.isin(qres, [ir.found, ir.none]) & ~np.isnat(adate) & (adate <= hh.ts)
    out["days_since_answer"] = hh.days_since(hh.latest(qc[answered], adate[answered]))
    fresh = answered & (adate > hh.ts - int(th["inquiry_fresh_days"]) * DAY) & (qres == ir.found)
    out["found_amount"] = hh.total(qc[fresh], qfound[fresh]).astype(np.int64)
    out["assets_found"] = out["found_amount"].to_numpy() > 0
    unanswered = ((qmode == codes().inquiry_mode.electronic) & ((qres == ir.unanswered) | np.isnat(adate))
                  & (qdate < hh.ts - 14 * DAY))
    out["electronic_unanswered"] = hh.any_of(qc[unanswered])


def disposition_features(hh: Households, dispositions: pd.DataFrame | None, out: pd.DataFrame) -> None:
    """Seizures, suspensions and pledges in force; a broken pledge; a pledge being paid."""
    if dispositions is not None and len(dispositions):
        dc = hh.codes_of(dispositions)
        ddate = dispositions["start_date"].to_numpy(dtype="datetime64[ns]")
        keep = (dc >= 0) & (ddate <= hh.ts)
        dc = dc[keep]
        kind = dispositions["kind"].to_numpy(dtype=object)[keep]
        state = dispositions["state"].to_numpy(dtype=object)[keep]
    else:
        dc, kind, state = np.zeros(0, np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    d, s = codes().disposition, codes().state

    def has(kinds: tuple[str, ...], st: str) -> np.ndarray:
        return hh.any_of(dc[np.isin(kind, kinds) & (state == st)])

    out["seized_active"] = has((d.seizure,), s.ongoing)
    out["suspended_active"] = has((d.suspension,), s.ongoing)
    out["pledge_active"] = has(d.arrangement, s.ongoing)
    out["pledge_broken"] = has((d.pledge,), s.broken) & ~out["pledge_active"].to_numpy()
    out["pledge_kept"] = out["pledge_active"] & (out["days_since_payment"] <= 62)


def history_features(
    households: pd.Index,
    as_of: dt.date,
    *,
    contacts: pd.DataFrame | None = None,
    inquiries: pd.DataFrame | None = None,
    dispositions: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    thresholds: dict[str, Any],
) -> pd.DataFrame:
    """One row per household in ``households`` with the history features (:data:`FEATURES`).

    ``contacts`` is in the canonical contacts schema (the ledger's plus accepted returns)."""
    hh = Households(pd.Index(households, name="household_id"), as_of)
    out = pd.DataFrame(index=hh.index)
    paid = payment_features(hh, payments, out)
    contacted = contact_features(hh, contacts, paid, thresholds, out)
    promise_features(hh, contacted, paid, thresholds, out)
    inquiry_features(hh, inquiries, thresholds, out)
    disposition_features(hh, dispositions, out)
    out["monitoring"] = out["promise_pending"] | out["promise_kept_recent"] | out["pledge_kept"]
    return out
