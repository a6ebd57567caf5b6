"""The contact history: the ledger's 折衝記録 plus the results officers returned on their lists.

One definition for the whole suite of what a contact result means — ``codes().result.reached`` (the household was
reached: 接触, 納付約束, 分納誓約 and 拒否 — a refusal is an answer), ``no_answer`` (不在, 不通) and
``undertaking`` (納付約束, 分納誓約) in ``parameters/ledger/standard.yaml`` — used by triage, the meeting pack and
the pages alike.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kokuho_nb.casework import issued
from kokuho_nb.contract import codes
from kokuho_nb.store import Store

#: The canonical ``contacts`` columns (docs/architecture.md).
COLUMNS = ["household_id", "date", "officer_code", "method", "result", "promised_amount", "promised_date", "memo"]
#: What makes two records the same contact (a return that repeats a ledger record is counted once).
SAME_CONTACT = ["household_id", "date", "officer_code", "method", "result"]


def reached_results() -> tuple[str, ...]:
    """Results that mean the household was reached (a conversation took place)."""
    return codes().result.reached


def no_answer_results() -> tuple[str, ...]:
    return codes().result.no_answer


def undertaking_results() -> tuple[str, ...]:
    """Results that are an undertaking to pay (they carry a promised amount and date)."""
    return codes().result.undertaking


def accepted_contacts(store: Store, until: dt.date | None = None) -> pd.DataFrame:
    """The accepted month-end returns as contact records (canonical columns), dated on or before ``until``."""
    sql = ("SELECT household_id, date, officer_code, method, result, promised_amount, promised_date, memo "
           "FROM target_returns")
    args: tuple = ()
    if until is not None:
        sql += " WHERE date <= ?"
        args = (until.isoformat(),)
    rows = issued.db(store).execute(sql, args).fetchall()
    df = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    df["date"] = pd.to_datetime(df["date"])
    df["promised_date"] = pd.to_datetime(df["promised_date"])
    df["promised_amount"] = pd.to_numeric(df["promised_amount"]).astype("Int64")
    return df


def merge(ledger_contacts: pd.DataFrame, returns: pd.DataFrame | None) -> pd.DataFrame:
    """Ledger contacts plus the accepted returns the ledger does not already hold (same household, date,
    officer, method and result: a return the ward's system has since recorded is counted once). Dtypes follow
    the ledger's."""
    if returns is None or not len(returns):
        return ledger_contacts.reset_index(drop=True)
    extra = returns.reindex(columns=ledger_contacts.columns)
    extra = extra.astype({c: ledger_contacts[c].dtype for c in extra.columns
                          if c in ledger_contacts and str(ledger_contacts[c].dtype) != "object"})
    if len(ledger_contacts):
        known = pd.MultiIndex.from_frame(ledger_contacts[SAME_CONTACT].astype(str))
        extra = extra[~pd.MultiIndex.from_frame(extra[SAME_CONTACT].astype(str)).isin(known)]
    return pd.concat([ledger_contacts, extra], ignore_index=True)


def history(store: Store, ledger_contacts: pd.DataFrame, until: dt.date) -> pd.DataFrame:
    """Every contact on or before ``until``: the ledger's and the accepted returns, merged."""
    merged = merge(ledger_contacts, accepted_contacts(store, until))
    return merged[merged["date"] <= pd.Timestamp(until)].reset_index(drop=True)
