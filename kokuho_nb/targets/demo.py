"""Several months of the target-list routine on the synthetic ward, for ``kokuho-nb demo``.

:func:`run_demo` replays each past month of the plan (from ``target_lists.plan_start``, June 2026, to the
month before ``as_of``): it issues and writes the month's lists, simulates the officers' and the centre's
filled-in workbooks (rates in ``parameters/returns_simulation.yaml``, all stated assumptions), writes them
under ``<out>/YYYY-MM/returns/`` and ingests them through the real returns path, so that each month's triage
reads the previous months' results. Then it runs the current month with papermill (:func:`run_month`).
Everything simulated is marked 模擬データ (memo column, workbook header/footer, the store's issue records).
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

from kokuho_nb.labels import t
from kokuho_nb.params import load_yaml, value
from kokuho_nb.store.paths import resolve_outputs, resolve_store
from kokuho_nb.targets import months
from kokuho_nb.targets.lists import _load_ledger, issue_month, load_items
from kokuho_nb.targets.month import render_lists, run_month
from kokuho_nb.targets.returns import ingest_returns
from kokuho_nb.targets.workbook import FIRST_ROW, column_letters, workbook_bytes

log = logging.getLogger(__name__)


def _sim() -> dict[str, Any]:
    spec = load_yaml("returns_simulation.yaml")
    return {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in spec.items()}


def _rng(seed: int, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("|".join([str(seed), *parts]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def simulate_results(items: pd.DataFrame, month: str, list_code: str, *, planned: pd.Series | None = None) -> pd.DataFrame:
    """Simulated results for a list's items: one row per worked case (date, method, result, promise, memo)."""
    sim = _sim()
    rng = _rng(int(sim["seed"]), month, list_code)
    n = len(items)
    if n == 0:
        return pd.DataFrame(columns=["rank", "contact_date", "method", "result", "promised_amount", "promised_date", "memo"])
    worked = rng.random(n) < float(sim["worked_share"])
    start, end = months.month_start(month), months.month_end(month)
    days = pd.bdate_range(start, end)
    methods = items["next_action"].map(sim["method_by_action"]).fillna("文書")
    no_phone = ~items["has_phone"].fillna(False).astype(bool)
    methods = methods.where(~(methods.eq("電話") & no_phone), "文書")
    if "planned_method" in items:
        methods = methods.where(items["planned_method"].fillna("") == "", items["planned_method"])
    results = []
    for method in methods:
        shares = sim["results"][method]
        codes = list(shares)
        p = np.array([shares[c] for c in codes], dtype=float)
        results.append(codes[int(rng.choice(len(codes), p=p / p.sum()))])
    date_idx = rng.integers(0, len(days), n)
    contact = [days[i].date() for i in date_idx]
    ps = sim["promise_share"]
    share = rng.uniform(float(ps["amount_min"]), float(ps["amount_max"]), n)
    offset = rng.integers(int(ps["days_min"]), int(ps["days_max"]) + 1, n)
    out = pd.DataFrame({
        "rank": items["rank"].to_numpy(), "contact_date": contact, "method": methods.to_numpy(), "result": results,
    })
    promise = out["result"].isin(["納付約束", "分納誓約"]).to_numpy()
    amount = np.maximum((items["total_arrears"].fillna(0).to_numpy() * share // 1000) * 1000, 1000).astype("int64")
    out["promised_amount"] = np.where(promise, amount, None)
    out["promised_date"] = [c + dt.timedelta(days=int(o)) if pr else None for c, o, pr in zip(contact, offset, promise, strict=True)]
    out["memo"] = t("targets.demo.memo")
    return out[worked].reset_index(drop=True)


def write_filled(issued: Path, results: pd.DataFrame, dest: Path) -> Path:
    """Fill the result columns of an issued workbook (as an officer would) and save it as ``dest``."""
    wb = load_workbook(issued)
    ws = wb.worksheets[0]
    letters = column_letters()
    for rec in results.to_dict("records"):
        r = FIRST_ROW + int(rec["rank"]) - 1
        ws[f"{letters['contact_date']}{r}"] = rec["contact_date"]
        ws[f"{letters['method']}{r}"] = rec["method"]
        ws[f"{letters['result']}{r}"] = rec["result"]
        if rec["promised_amount"] is not None and not pd.isna(rec["promised_amount"]):
            ws[f"{letters['promised_amount']}{r}"] = int(rec["promised_amount"])
            ws[f"{letters['promised_date']}{r}"] = rec["promised_date"]
        ws[f"{letters['memo']}{r}"] = rec["memo"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(workbook_bytes(wb))
    return dest


def simulate_month(store: str | Path | None, month: str, out_dir: Path, *, ledger: Any = None) -> dict[str, Any]:
    """Issue and write ``month``'s lists, simulate and ingest their returns; returns counts."""
    issue = issue_month(store, month, ledger=ledger, synthetic=True)
    rendered = render_lists(store, month, out_dir)
    files = []
    for f in rendered["files"]:
        items = load_items(store, month, f["list_code"], issue.revision)
        results = simulate_results(items, month, f["list_code"])
        if not len(results):
            continue
        dest = out_dir / "returns" / Path(f["path"]).name.replace(".xlsx", "_記入済_模擬.xlsx")
        files.append(write_filled(Path(f["path"]), results, dest))
    report = ingest_returns(store, files)
    d = report.to_dict()
    return {
        "month": month, "revision": issue.revision, "lists": len(rendered["files"]),
        "listed": sum(f["rows"] for f in rendered["files"]), "returns_files": len(files),
        "accepted": sum(v["rows_accepted"] for v in d["files"].values()),
        "rejected": sum(v["rows_rejected"] for v in d["files"].values()), "out_dir": str(out_dir),
    }


def run_demo(store: str | Path | None, out_dir: str | Path | None, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Replay the plan's past months with simulated returns, then run the current month (see module doc)."""
    as_of_date = dt.date.fromisoformat(str(as_of)) if as_of else dt.date.today()
    store_path = resolve_store(store)
    out_root = resolve_outputs(out_dir)
    current = months.month_of(as_of_date)
    first = str(value("target_lists.plan_start", as_of_date))
    past = months.months_between(first, months.add_months(current, -1))
    ledgers: dict[str | None, Any] = {}
    done = []
    for month in past:
        led = _load_ledger(store_path, months.month_start(month))
        led = ledgers.setdefault(led.snapshot_id, led)
        done.append(simulate_month(store_path, month, out_root / month, ledger=led))
        log.info("demo month %s: %s", month, done[-1])
    ledgers.clear()
    # the current month: issued as synthetic, rendered through the papermill notebooks
    issue_month(store_path, current, synthetic=True)
    now = run_month(store_path, current, out_root)
    return {"ok": bool(now["ok"]), "past_months": done, "current": now, "out_dir": str(out_root)}
