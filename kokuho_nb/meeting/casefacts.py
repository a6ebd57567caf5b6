"""Per-household facts the meeting looks at: last progress, broken pledges and promises, open promises.

All functions take plain frames with the canonical column names (docs/architecture.md) and are vectorised.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kokuho_nb.casework.contacts import reached_results
from kokuho_nb.labels import t
from kokuho_nb.meeting.common import meeting_config


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def last_progress(
    contacts: pd.DataFrame, payments: pd.DataFrame, dispositions: pd.DataFrame, as_of: dt.date
) -> pd.Series:
    """Per household, the latest date (<= as_of) of a payment, a reached contact or a new disposition."""
    cfg = meeting_config()["progress"]
    end = _ts(as_of)
    parts = []
    if len(payments):
        p = payments[pd.to_datetime(payments["paid_date"]) <= end]
        parts.append(p.groupby("household_id")["paid_date"].max())
    if len(contacts):
        c = contacts[contacts["result"].isin(reached_results()) & (pd.to_datetime(contacts["date"]) <= end)]
        parts.append(c.groupby("household_id")["date"].max())
    if len(dispositions):
        d = dispositions[dispositions["kind"].isin(cfg["disposition_kinds"])
                         & (pd.to_datetime(dispositions["start_date"]) <= end)]
        parts.append(d.groupby("household_id")["start_date"].max())
    if not parts:
        return pd.Series(dtype="datetime64[ns]", name="last_progress")
    both = pd.concat([pd.to_datetime(s) for s in parts], axis=1).max(axis=1)
    both.name = "last_progress"
    return both


def broken_pledges(
    contacts: pd.DataFrame, payments: pd.DataFrame, dispositions: pd.DataFrame, as_of: dt.date,
    lookback_days: int,
) -> pd.DataFrame:
    """Households with a broken pledge: a 分納誓約 disposition in state 不履行, or a 納付約束 whose promised
    date passed (within ``lookback_days``) with no payment since the promise. Columns: household_id, kind,
    date (the promise/pledge date), amount."""
    end = _ts(as_of)
    out = []
    if len(dispositions):
        d = dispositions[(dispositions["kind"] == "分納誓約") & (dispositions["state"] == "不履行")]
        out.append(pd.DataFrame({"household_id": d["household_id"], "kind": t("meeting.s4.broken_pledge"),
                                 "date": pd.to_datetime(d["start_date"]),
                                 "amount": d["monthly_amount"].astype("Int64")}))
    if len(contacts):
        c = contacts[(contacts["result"] == "納付約束") & contacts["promised_date"].notna()].copy()
        c["promised_date"] = pd.to_datetime(c["promised_date"])
        c = c[(c["promised_date"] < end) & (c["promised_date"] >= end - pd.Timedelta(days=lookback_days))]
        if len(c):
            c = c.sort_values("date").drop_duplicates("household_id", keep="last")
            if len(payments):
                pay = payments[pd.to_datetime(payments["paid_date"]) <= end][["household_id", "paid_date"]]
                last_pay = pay.groupby("household_id")["paid_date"].max()
                paid_since = pd.to_datetime(c["household_id"].map(last_pay)) >= pd.to_datetime(c["date"])
                c = c[~paid_since.fillna(False)]
            out.append(pd.DataFrame({"household_id": c["household_id"], "kind": t("meeting.s4.broken_promise"),
                                     "date": c["promised_date"], "amount": c["promised_amount"].astype("Int64")}))
    if not out:
        return pd.DataFrame(columns=["household_id", "kind", "date", "amount"])
    return pd.concat(out, ignore_index=True)


def open_promises(contacts: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """納付約束 / 分納誓約 contacts whose promised date is on or after ``as_of`` (still to be kept)."""
    if not len(contacts):
        return contacts.iloc[0:0]
    c = contacts[contacts["result"].isin(["納付約束", "分納誓約"]) & contacts["promised_date"].notna()]
    c = c[(pd.to_datetime(c["promised_date"]) >= _ts(as_of)) & (pd.to_datetime(c["date"]) <= _ts(as_of))]
    return c.sort_values("date").drop_duplicates("household_id", keep="last")
