"""Hand-built case views and histories for the triage / target-list tests (no synthetic ward needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

AS_OF = dt.date(2026, 9, 1)

_DEFAULTS: dict[str, Any] = {
    "area": "A01", "officer_code": "K01", "officer_name": "足立 太郎", "income_class": "軽減なし",
    "low_income": False, "foreign": False, "language": "日本語", "has_phone": False, "direct_debit": True,
    "insured": True, "employee_pension": False, "whereabouts_unknown": False, "current_overdue": 0,
    "current_not_due": 0, "carried_unpaid": 100_000, "total_arrears": 100_000,
    "oldest_due_date": pd.Timestamp("2025-06-30"), "n_overdue": 3, "stage": "滞納初期",
    "amount_band": "50万円未満", "focus": True, "entaikin": 0, "nearest_limitation": pd.Timestamp("2027-07-01"),
    "n_expiring": 0, "seizure_possible": True, "first_seizure_date": pd.Timestamp("2025-08-01"),
}


def case(household_id: str, **overrides: Any) -> dict[str, Any]:
    row = {"household_id": household_id, **_DEFAULTS, **overrides}
    if row["low_income"] and "focus" not in overrides:
        row["focus"] = False
        row["income_class"] = overrides.get("income_class", "軽減5割")
    if row["total_arrears"] >= 500_000 and "focus" not in overrides:
        row["focus"] = False
        row["amount_band"] = "50万円以上"
    return row


def cases(*rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for col in ("low_income", "foreign", "has_phone", "direct_debit", "insured", "employee_pension",
                "whereabouts_unknown", "focus", "seizure_possible"):
        df[col] = df[col].astype("boolean")
    return df


def contacts(*rows: tuple) -> pd.DataFrame:
    """rows: (household_id, date, method, result[, promised_amount, promised_date])."""
    recs = []
    for r in rows:
        hid, date, method, result = r[:4]
        amount = r[4] if len(r) > 4 else None
        pdate = r[5] if len(r) > 5 else None
        recs.append({
            "household_id": hid, "date": pd.Timestamp(date), "officer_code": "K01", "method": method,
            "result": result, "promised_amount": amount, "promised_date": pd.Timestamp(pdate) if pdate else pd.NaT,
            "memo": None,
        })
    df = pd.DataFrame(recs, columns=["household_id", "date", "officer_code", "method", "result",
                                     "promised_amount", "promised_date", "memo"])
    df["promised_amount"] = df["promised_amount"].astype("Int64")
    df["date"] = pd.to_datetime(df["date"])
    df["promised_date"] = pd.to_datetime(df["promised_date"])
    return df


def inquiries(*rows: tuple) -> pd.DataFrame:
    """rows: (household_id, inquiry_date, mode, answer_date, result, found_amount)."""
    df = pd.DataFrame(
        [{"household_id": r[0], "inquiry_date": pd.Timestamp(r[1]), "target_type": "預貯金", "mode": r[2],
          "answer_date": pd.Timestamp(r[3]) if r[3] else pd.NaT, "result": r[4], "found_amount": r[5]} for r in rows],
        columns=["household_id", "inquiry_date", "target_type", "mode", "answer_date", "result", "found_amount"],
    )
    df["found_amount"] = df["found_amount"].astype("Int64")
    for c in ("inquiry_date", "answer_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def dispositions(*rows: tuple) -> pd.DataFrame:
    """rows: (household_id, kind, start_date, state)."""
    df = pd.DataFrame(
        [{"household_id": r[0], "kind": r[1], "start_date": pd.Timestamp(r[2]), "amount": None,
          "suspension_ground": None, "monthly_amount": None, "instalments_count": None, "state": r[3]} for r in rows],
        columns=["household_id", "kind", "start_date", "amount", "suspension_ground", "monthly_amount",
                 "instalments_count", "state"],
    )
    df["start_date"] = pd.to_datetime(df["start_date"])
    return df


def payments(*rows: tuple) -> pd.DataFrame:
    """rows: (household_id, paid_date, amount)."""
    df = pd.DataFrame(
        [{"household_id": r[0], "fiscal_year": 2025, "instalment": 1, "paid_date": pd.Timestamp(r[1]),
          "amount": r[2]} for r in rows],
        columns=["household_id", "fiscal_year", "instalment", "paid_date", "amount"],
    )
    df["paid_date"] = pd.to_datetime(df["paid_date"])
    df["amount"] = df["amount"].astype("int64")
    return df
