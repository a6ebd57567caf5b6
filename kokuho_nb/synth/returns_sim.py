"""The officers' filled-in returns, simulated for the demo: what each worked case's result row would say.

:func:`simulate_results` draws, for a list's items, which cases were worked in the month and with what method and
result (rates in ``parameters/returns_simulation.yaml``, all stated assumptions); :func:`write_filled` writes
them into a copy of the issued workbook, as an officer would, for the real returns ingest to read. Everything
simulated is marked 模擬データ (memo column, workbook header/footer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from kokuho_nb.casework import ingest
from kokuho_nb.casework.sheets import (
    LIST_FIRST_ROW,
    LIST_HEADER_ROW,
    LIST_SHEET,
    RESULT_FIELDS,
    return_headers,
)
from kokuho_nb.contract import codes
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.params import load_yaml
from kokuho_nb.xlsx import save, set_cell

log = logging.getLogger(__name__)


def _sim() -> dict[str, Any]:
    spec = load_yaml("returns_simulation.yaml")
    return {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in spec.items()}


def _rng(seed: int, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("|".join([str(seed), *parts]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def simulate_results(items: pd.DataFrame, month: Month | str, list_code: str) -> pd.DataFrame:
    """Simulated results for a list's items: one row per worked case (date, method, result, promise, memo)."""
    month = Month.parse(month)
    sim = _sim()
    rng = _rng(int(sim["seed"]), str(month), list_code)
    n = len(items)
    if n == 0:
        return pd.DataFrame(columns=["rank", "contact_date", "method", "result", "promised_amount", "promised_date", "memo"])
    worked = rng.random(n) < float(sim["worked_share"])
    start, end = month.start, month.end
    days = pd.bdate_range(start, end)
    methods = items["next_action"].map(sim["method_by_action"]).fillna("文書")
    no_phone = ~items["has_phone"].fillna(False).astype(bool)
    methods = methods.where(~(methods.eq("電話") & no_phone), "文書")
    if "planned_method" in items:
        methods = methods.where(items["planned_method"].fillna("") == "", items["planned_method"])
    results = []
    for method in methods:
        shares = sim["results"][method]
        choices = list(shares)
        p = np.array([shares[c] for c in choices], dtype=float)
        results.append(choices[int(rng.choice(len(choices), p=p / p.sum()))])
    date_idx = rng.integers(0, len(days), n)
    contact = [days[i].date() for i in date_idx]
    ps = sim["promise_share"]
    share = rng.uniform(float(ps["amount_min"]), float(ps["amount_max"]), n)
    offset = rng.integers(int(ps["days_min"]), int(ps["days_max"]) + 1, n)
    out = pd.DataFrame({
        "rank": items["rank"].to_numpy(), "contact_date": contact, "method": methods.to_numpy(), "result": results,
    })
    promise = out["result"].isin(codes().result.undertaking).to_numpy()
    amount = np.maximum((items["total_arrears"].fillna(0).to_numpy() * share // 1000) * 1000, 1000).astype("int64")
    out["promised_amount"] = np.where(promise, amount, None)
    out["promised_date"] = [c + dt.timedelta(days=int(o)) if pr else None for c, o, pr in zip(contact, offset, promise, strict=True)]
    out["memo"] = t("targets.demo.memo")
    return out[worked].reset_index(drop=True)


def write_filled(issued: Path, results: pd.DataFrame, dest: Path) -> Path:
    """Fill the result columns of an issued workbook (as an officer would) and save it as ``dest``."""
    wb = load_workbook(issued)
    ws = wb[LIST_SHEET]
    header = [c.value for c in ws[LIST_HEADER_ROW]]
    letters = {f: ingest.letter(i) for f, i in ingest.header_columns(header, return_headers()).items()}
    assert set(RESULT_FIELDS) <= set(letters), "the issued workbook has every result column"
    for rec in results.to_dict("records"):
        r = LIST_FIRST_ROW + int(rec["rank"]) - 1
        set_cell(ws, f"{letters['contact_date']}{r}", rec["contact_date"])
        set_cell(ws, f"{letters['method']}{r}", rec["method"])
        set_cell(ws, f"{letters['result']}{r}", rec["result"])
        if rec["promised_amount"] is not None and not pd.isna(rec["promised_amount"]):
            set_cell(ws, f"{letters['promised_amount']}{r}", int(rec["promised_amount"]))
            set_cell(ws, f"{letters['promised_date']}{r}", rec["promised_date"])
        set_cell(ws, f"{letters['memo']}{r}", rec["memo"])
    dest.parent.mkdir(parents=True, exist_ok=True)
    return save(wb, dest)
