"""A random ledger (模擬データ) for checking the vectorised law columns against the scalar rules.

Not the calibrated synthetic ward (that is :mod:`kokuho_nb.synth`): this one stresses the law edge cases —
partial payments, payments on and before due dates, 督促状, 差押, 分納誓約, 執行停止 — on a few fiscal years.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kokuho_nb.store.tables import Ledger


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def random_ledger(households: int = 200, *, seed: int = 1, as_of: dt.date = dt.date(2026, 11, 26),
                  fiscal_years: tuple[int, ...] = (2024, 2025, 2026)) -> Ledger:
    rng = np.random.default_rng(seed)
    ids = [f"{i:07d}" for i in range(1, households + 1)]
    hh = pd.DataFrame({"household_id": ids, "area": rng.choice(["A01", "A02"], households)})
    rows, pays = [], []
    for h in ids:
        for fy in fiscal_years:
            for k in range(1, 11):
                month = 5 + k  # June .. March
                year = fy + (month > 12)
                due = _month_end(year, (month - 1) % 12 + 1)
                if due > as_of + dt.timedelta(days=60):
                    continue
                amount = int(rng.choice([1500, 2000, 2999, 8000, 15400, 30000, 123456]))
                paid = 0
                last = None
                style = rng.random()
                if style < 0.35:  # on time in full
                    pays.append((h, fy, k, due - dt.timedelta(days=int(rng.integers(0, 5))), amount))
                    paid, last = amount, pays[-1][3]
                elif style < 0.65:  # partial and/or late payments
                    remaining = amount
                    day = due - dt.timedelta(days=int(rng.integers(0, 10)))
                    for _ in range(int(rng.integers(1, 4))):
                        day = day + dt.timedelta(days=int(rng.integers(0, 120)))
                        part = int(min(remaining, rng.integers(1, amount + 1)))
                        if part <= 0:
                            break
                        pays.append((h, fy, k, day, part))
                        remaining -= part
                        paid += part
                        last = day
                demand = due + dt.timedelta(days=int(rng.integers(10, 21))) if rng.random() < 0.7 else None
                rows.append((h, fy, k, due, amount, paid, last, demand, 0))
    charges = pd.DataFrame(rows, columns=["household_id", "fiscal_year", "instalment", "due_date", "amount",
                                          "paid", "last_paid_date", "demand_sent_date", "written_off"])
    payments = pd.DataFrame(pays, columns=["household_id", "fiscal_year", "instalment", "paid_date", "amount"])
    for df, cols in ((charges, ["due_date", "last_paid_date", "demand_sent_date"]), (payments, ["paid_date"])):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    disp = []
    for h in rng.choice(ids, max(households // 5, 1), replace=False):
        kind = str(rng.choice(["差押", "執行停止", "分納誓約", "換価の猶予"]))
        start = dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
        state = str(rng.choice(["継続", "完了", "取消"], p=[0.6, 0.25, 0.15]))
        disp.append((h, kind, pd.Timestamp(start), 1 if kind == "執行停止" else None, state))
    dispositions = pd.DataFrame(disp, columns=["household_id", "kind", "start_date", "suspension_ground",
                                               "state"])
    cont = []
    for h in rng.choice(ids, max(households // 4, 1), replace=False):
        day = dt.date(2025, 3, 1) + dt.timedelta(days=int(rng.integers(0, 600)))
        cont.append((h, pd.Timestamp(day), str(rng.choice(["分納誓約", "接触", "不在"]))))
    contacts = pd.DataFrame(cont, columns=["household_id", "date", "result"])
    return Ledger(households=hh, charges=charges, payments=payments, dispositions=dispositions,
                  contacts=contacts, as_of=as_of, source="模擬データ（law sample）")
