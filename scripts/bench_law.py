"""Benchmark: ``kokuho_nb.law.caseview.law_columns`` on a ward-sized ledger (模擬データ, generated here).

Usage: ``.venv/bin/python scripts/bench_law.py [--households 100000] [--as-of 2026-11-26] [--seed 1]``

Uses the latest snapshot of ``--store DIR`` (e.g. the imported synthetic ward) when given; otherwise builds a
vectorised random ledger with FY2025 and FY2026 instalments (10 a year, month-end due dates), on-time,
late, partial and unpaid instalments, 督促状, 差押 / 執行停止 / 分納誓約 and 分納誓約 contacts.
Prints rows and seconds; figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import pandas as pd

from kokuho_nb.law.caseview import law_columns
from kokuho_nb.store.tables import Ledger


def build(households: int, seed: int, as_of: dt.date) -> Ledger:
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:07d}" for i in range(1, households + 1)], dtype=object)
    dues = []
    for fy in (2025, 2026):
        for k in range(1, 11):
            month = 5 + k
            year, m = fy + (month > 12), (month - 1) % 12 + 1
            due = (pd.Timestamp(year=year, month=m, day=1) + pd.offsets.MonthEnd(0))
            if due.date() <= as_of:
                dues.append((fy, k, due))
    n_inst = len(dues)
    hh = np.repeat(ids, n_inst)
    fy = np.tile([d[0] for d in dues], households)
    inst = np.tile([d[1] for d in dues], households)
    due = np.tile(np.array([d[2].to_datetime64() for d in dues]), households)
    n = len(hh)
    amount = rng.choice([1500, 4000, 8000, 15400, 23000, 41000, 98000], n)
    style = rng.random(n)
    ontime = style < 0.78
    late = (style >= 0.78) & (style < 0.90)
    partial = (style >= 0.90) & (style < 0.95)
    day = np.timedelta64(1, "D")
    pay_hh, pay_fy, pay_inst, pay_date, pay_amt = [], [], [], [], []
    for mask, offset, share in ((ontime, -rng.integers(0, 10, n), 1.0), (late, rng.integers(1, 240, n), 1.0),
                                (partial, rng.integers(-5, 120, n), 0.4)):
        idx = np.nonzero(mask)[0]
        d = due[idx] + offset[idx] * day
        keep = d <= np.datetime64(as_of)
        idx, d = idx[keep], d[keep]
        pay_hh.append(hh[idx])
        pay_fy.append(fy[idx])
        pay_inst.append(inst[idx])
        pay_date.append(d)
        pay_amt.append(np.maximum((amount[idx] * share).astype(np.int64), 1))
    payments = pd.DataFrame({"household_id": np.concatenate(pay_hh), "fiscal_year": np.concatenate(pay_fy),
                             "instalment": np.concatenate(pay_inst), "paid_date": np.concatenate(pay_date),
                             "amount": np.concatenate(pay_amt)})
    demand = np.where(~ontime, due + rng.integers(10, 21, n) * day, np.datetime64("NaT"))
    charges = pd.DataFrame({"household_id": hh, "fiscal_year": fy, "instalment": inst, "due_date": due,
                            "amount": amount, "paid": 0, "last_paid_date": pd.NaT,
                            "demand_sent_date": pd.to_datetime(demand), "written_off": 0})
    nd = households // 20
    dispositions = pd.DataFrame({
        "household_id": rng.choice(ids, nd), "kind": rng.choice(["差押", "執行停止", "分納誓約"], nd),
        "start_date": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 500, nd), unit="D"),
        "state": rng.choice(["継続", "完了", "取消"], nd, p=[0.7, 0.2, 0.1])})
    nc = households // 10
    contacts = pd.DataFrame({
        "household_id": rng.choice(ids, nc), "result": rng.choice(["分納誓約", "接触", "不在"], nc),
        "date": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 500, nc), unit="D")})
    households_df = pd.DataFrame({"household_id": ids})
    return Ledger(households=households_df, charges=charges, payments=payments, dispositions=dispositions,
                  contacts=contacts, as_of=as_of, source="模擬データ（bench_law）")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", help="use the latest snapshot of this store (e.g. the synthetic ward) instead")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    t0 = time.perf_counter()
    if args.store:
        from kokuho_nb.store import Store

        ledger = Store(args.store).load()
    else:
        ledger = build(args.households, args.seed, as_of)
    t1 = time.perf_counter()
    cols = law_columns(ledger, as_of)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"households={len(cols):,} charges={len(ledger.charges):,} payments={len(ledger.payments):,}")
    print(f"build {t1 - t0:.1f}s  law_columns {t2 - t1:.1f}s  peak RSS {rss:,.0f} MiB")
    print(f"entaikin>0: {(cols['entaikin'] > 0).sum():,} households, total {cols['entaikin'].sum():,} yen; "
          f"seizure_possible {cols['seizure_possible'].sum():,}; n_expiring {cols['n_expiring'].sum():,}")


if __name__ == "__main__":
    main()
