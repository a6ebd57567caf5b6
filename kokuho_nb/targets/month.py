"""A month's files: the workbooks of the issued lists and the HTML summary, and the papermill month run.

- :func:`render_lists` (called by ``notebooks/target_lists.ipynb``) writes the workbooks of some or all of a
  month's issued lists into the month folder, and optionally the HTML summary. It issues the month first
  when nobody has (idempotent), so the notebook also works on its own.
- :func:`run_month` is ``kokuho-nb month run``: issue (or reissue) once in this process — triage is computed
  once per month — then fan the rendering out over notebook runs, each producing a batch of officers
  (:func:`kokuho_nb.runner.start_many`: a process pool sized to the cores, started before the issue step so
  that kernels start meanwhile; a timeout per run, failures collected). Executed notebooks are kept beside the outputs.
"""

from __future__ import annotations

import hashlib
import html
import logging
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import value
from kokuho_nb.store.db import transaction
from kokuho_nb.store.paths import resolve_outputs, resolve_store
from kokuho_nb.targets import months
from kokuho_nb.targets.db import open_db
from kokuho_nb.targets.lists import (
    IssueResult,
    cache_dir,
    issue_lock,
    issue_month,
    load_items,
    load_pacing,
    officer_codes,
)
from kokuho_nb.targets.workbook import ListMeta, write_workbook

log = logging.getLogger(__name__)

NOTEBOOK = "target_lists"


def month_dir(out_root: str | Path | None, month: str) -> Path:
    return resolve_outputs(out_root) / months.parse_month(month)


def list_label(kind: str) -> str:
    """Japanese name of a list kind (officer / specialist / centre_phone / centre_sms / centre_visit)."""
    return t("targets.actors.officer") if kind == "officer" else t(f"targets.queues.{kind}")


def _codes(officers: str | Sequence[str] | None) -> list[str] | None:
    """'all' / None -> None (every list); 'none' -> no officer; 'K01,K02' or a sequence -> the codes."""
    if officers is None:
        return None
    if isinstance(officers, str):
        if officers.strip().lower() in ("", "all"):
            return None
        if officers.strip().lower() == "none":
            return []
        return [c.strip() for c in officers.split(",") if c.strip()]
    return [str(c) for c in officers]


def render_lists(
    store: str | Path | None,
    month: str,
    out_dir: str | Path,
    *,
    officers: str | Sequence[str] | None = "all",
    centre: bool = True,
    summary: bool = True,
) -> dict[str, Any]:
    """Write the workbooks of ``month``'s issued lists into ``out_dir``; returns what was written.

    ``officers``: 'all' (every officer), or officer codes; ``centre``: also the centre and specialists' lists;
    ``summary``: also the HTML summary. Files of an issued list are identical on every run.
    """
    month = months.parse_month(month)
    issue = issue_month(store, month)
    wanted = _codes(officers)
    known = {lst.list_code for lst in issue.lists if lst.kind == "officer"}
    if wanted is not None:
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UserError(t("targets.month.unknown_officer", code=",".join(unknown)), f"unknown officers {unknown}")
    out = Path(out_dir)
    written: list[dict[str, Any]] = []
    conn = open_db(store)
    try:
        for lst in issue.lists:
            if lst.kind == "officer" and wanted is not None and lst.list_code not in wanted:
                continue
            if lst.kind != "officer" and not centre:
                continue
            items = load_items(store, month, lst.list_code, issue.revision)
            meta = ListMeta(month, lst.list_code, issue.revision, lst.kind, lst.owner_code, lst.owner_name,
                            issue.issued_at, issue.synthetic)
            path = write_workbook(meta, items, out)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            with transaction(conn):
                conn.execute(
                    "UPDATE target_issues SET file_name = ?, file_sha256 = ? WHERE month = ? AND list_code = ? "
                    "AND revision = ?", (path.name, digest, month, lst.list_code, issue.revision))
            written.append({"list_code": lst.list_code, "kind": lst.kind, "path": str(path), "rows": len(items),
                            "sha256": digest})
    finally:
        conn.close()
    result: dict[str, Any] = {"month": month, "revision": issue.revision, "files": written}
    if summary:
        result["summary"] = str(write_summary(store, issue, out))
    return result


# --- HTML summary -------------------------------------------------------------------------------------------


def summary_tables(store: str | Path | None, issue: IssueResult) -> dict[str, pd.DataFrame]:
    """The summary's tables (Japanese headers): officers, centre, reasons."""
    pacing = load_pacing(store, issue.month, issue.revision)
    officers = [
        {
            t("targets.summary.col_officer"): f"{lst.owner_name}（{lst.list_code}）",
            t("targets.summary.col_rows"): lst.n_items,
            t("targets.summary.col_caseload"): pacing.get(lst.list_code, {}).get("caseload"),
            t("targets.summary.col_field_quota"): pacing.get(lst.list_code, {}).get("field_planned"),
            t("targets.summary.col_field_ytd"): pacing.get(lst.list_code, {}).get("field_done_ytd"),
            t("targets.summary.col_field_target"): pacing.get(lst.list_code, {}).get("field_annual_target"),
        }
        for lst in issue.lists if lst.kind == "officer"
    ]
    centre = []
    for lst in issue.lists:
        if lst.kind.startswith("centre_") or lst.kind == "specialist":
            p = pacing.get(lst.list_code, {})
            name = t(f"targets.queues.{lst.kind}")
            centre.append({
                t("targets.summary.col_list"): name,
                t("targets.summary.col_annual"): p.get("annual_target"),
                t("targets.summary.col_ytd_before"): p.get("done_ytd"),
                t("targets.summary.col_this_month"): lst.n_items,
            })
    reasons = pd.DataFrame()
    triage_path = cache_dir(store, issue.month) / "triage.parquet"
    if triage_path.is_file():
        tri = pd.read_parquet(triage_path, columns=["reasons", "total_arrears"])
        tri = tri[tri["reasons"] != ""]
        exploded = tri.assign(reason=tri["reasons"].str.split(";")).explode("reason")
        grp = exploded.groupby("reason").agg(cases=("reason", "size"), yen=("total_arrears", "sum"))
        grp = grp.sort_values("cases", ascending=False)
        reasons = pd.DataFrame({
            t("targets.summary.col_reason"): [t(f"targets.reasons.{c}") for c in grp.index],
            t("targets.summary.col_cases"): grp["cases"].to_numpy(),
            t("targets.summary.col_yen"): [f"{int(v):,}" for v in grp["yen"]],
        })
    return {"officers": pd.DataFrame(officers), "centre": pd.DataFrame(centre), "reasons": reasons}


def summary_html(store: str | Path | None, issue: IssueResult) -> str:
    from datetime import date

    from kokuho_nb.law import rate_gap_notice

    tables = summary_tables(store, issue)
    label = months.month_label(issue.month)
    title = t("targets.summary.title", month_label=label)
    banner = f'<p class="synthetic">{html.escape(t("common.synthetic_banner"))}</p>' if issue.synthetic else ""
    gap = rate_gap_notice(date.fromisoformat(str(issue.as_of)[:10]))  # 延滞金 short of as_of (missing rate)
    notice = f'<p class="entaikin-notice">{html.escape(gap)}</p>' if gap else ""

    def render(df: pd.DataFrame) -> str:
        return df.to_html(index=False, border=0, classes="tbl", na_rep="", float_format=lambda x: f"{x:,.0f}")

    return (
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:'IPAexGothic','Noto Sans CJK JP',sans-serif;margin:2em;}"
        ".synthetic{color:#c00;font-weight:bold;} table.tbl{border-collapse:collapse;margin-bottom:1.5em;}"
        ".entaikin-notice{border-left:4px solid #e0b400;background:#fff4ce;padding:4px 8px;}"
        ".tbl th,.tbl td{border:1px solid #999;padding:2px 8px;} .tbl td{text-align:right;}"
        ".tbl th{background:#ddebf7;} .tbl td:first-child{text-align:left;}</style></head><body>"
        f"{banner}<h1>{html.escape(title)}</h1>"
        f"<p>第{issue.revision}版　基準日 {html.escape(issue.as_of)}　発行 {html.escape(issue.issued_at[:10])}</p>"
        f"{notice}"
        f"<h2>{t('targets.summary.officers')}</h2>{render(tables['officers'])}"
        f"<h2>{t('targets.summary.centre')}・{t('targets.summary.specialists')}</h2>{render(tables['centre'])}"
        f"<h2>{t('targets.summary.reasons')}</h2>{render(tables['reasons'])}"
        f"{banner}</body></html>"
    )


def write_summary(store: str | Path | None, issue: IssueResult, out_dir: str | Path) -> Path:
    path = Path(out_dir) / f"target_lists_summary_{issue.month}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(summary_html(store, issue), encoding="utf-8")
    return path


# --- the papermill month run --------------------------------------------------------------------------------


def _issued_sizes(store: Path, month: str) -> dict[str, int]:
    """Rows per officer list (and '_centre' for the rest) of the month's latest issue, when there is one."""
    conn = open_db(store)
    try:
        rows = conn.execute(
            "SELECT list_code, kind, n_items FROM target_issues WHERE month = ? AND revision = "
            "(SELECT MAX(revision) FROM target_issues WHERE month = ?)", (month, month)).fetchall()
    finally:
        conn.close()
    sizes = {r["list_code"]: int(r["n_items"]) for r in rows if r["kind"] == "officer"}
    if rows:
        sizes["_centre"] = sum(int(r["n_items"]) for r in rows if r["kind"] != "officer")
    return sizes


def plan_jobs(officer_codes: list[str], *, processes: int, per_job: int, centre: bool,
              sizes: dict[str, int] | None = None, centre_rows: int = 0) -> list[dict[str, Any]]:
    """Split officers into notebook runs: at least one per worker, at most ``per_job`` officers each.

    The first run also writes the centre / specialists' lists (``centre_rows`` rows in all) and the summary;
    officers are dealt to the run with the fewest rows so far (``sizes``: rows per officer), so that the runs
    finish together.
    """
    n = max(1, min(len(officer_codes) or 1, max(processes, math.ceil(len(officer_codes) / max(per_job, 1)))))
    load = [0] * n
    batches: list[list[str]] = [[] for _ in range(n)]
    if centre:
        load[0] = centre_rows
    for code in officer_codes:
        open_jobs = [i for i in range(n) if len(batches[i]) < per_job] or list(range(n))
        i = min(open_jobs, key=lambda j: (load[j], j))
        batches[i].append(code)
        load[i] += (sizes or {}).get(code, 1)
    return [{"officers": batch, "centre": centre and i == 0} for i, batch in enumerate(batches)]


def run_month(
    store: str | Path | None,
    month: str,
    out_root: str | Path | None = None,
    *,
    officer: str | None = None,
    reissue: bool = False,
    processes: int | None = None,
    timeout: float | None = None,
    synthetic: bool | None = None,
    other_jobs: Sequence[Any] = (),
    list_runs: int | None = None,
) -> dict[str, Any]:
    """``kokuho-nb month run``: issue the month once, then render it through papermill; see module docstring.

    ``other_jobs`` (:class:`kokuho_nb.runner.Job`) share the pool and start first, while the month is issued
    (``kokuho-nb month all``: the meeting pack and the exercise sheets); ``list_runs``: how many notebook runs
    the lists are split into (default: one per worker).

    Returns ``{"ok", "month", "revision", "issue" (message), "out_dir", "runs": [...], "failures": [...]}``;
    ``runs`` holds the other jobs' runs first, then the lists'.
    """
    from kokuho_nb.runner import Job, start_many

    month = months.parse_month(month)
    store_path = resolve_store(store)
    began, cpu_began = time.perf_counter(), time.process_time()
    as_of = months.month_start(month)
    workers = processes or os.cpu_count() or 1
    per_job = int(value("target_lists.run.officers_per_job", as_of))
    limit = float(timeout or value("target_lists.run.timeout_seconds", as_of))
    out = month_dir(out_root, month)
    out.mkdir(parents=True, exist_ok=True)
    with issue_lock(store_path, month):
        # Plan the notebook runs from the staff list, start them, and issue while their kernels start: the
        # notebooks wait on the issue lock, then render what was issued (triage is computed once, here).
        previous = _issued_sizes(store_path, month)
        codes = officer_codes(store_path, month, fresh=reissue)
        if officer:
            wanted = _codes(officer) or []
            unknown = [c for c in wanted if c not in codes]
            if unknown:
                raise UserError(t("targets.month.unknown_officer", code=",".join(unknown)),
                                f"unknown officers {unknown}")
            codes = wanted
        capacity = int(value("target_lists.officer_capacity", as_of))
        annual = value("target_lists.centre_annual", as_of)
        sizes = {c: previous.get(c, capacity) for c in codes}
        centre_rows = previous.get("_centre", math.ceil(sum(float(v) for v in annual.values()) / 12))
        batches = plan_jobs(codes, processes=list_runs or workers, per_job=per_job, centre=officer is None, sizes=sizes,
                            centre_rows=centre_rows)
        jobs = list(other_jobs) + [
            Job(
                name=NOTEBOOK,
                parameters={"month": month, "officer": ",".join(batch["officers"]) or "none",
                            "store": str(store_path), "out_dir": str(out), "centre": batch["centre"]},
                out_dir=out,
                output_name=f"target_lists_{month}_{i + 1:02d}",
                html=batch["centre"],
            )
            for i, batch in enumerate(batches)
        ]
        # The pool's workers are forked here, from this single thread, before the issue step allocates the
        # ledger (forking is then safe and cheap); they start their kernels while this process issues.
        pending = start_many(jobs, processes=workers, timeout=limit)
        try:
            issue = issue_month(store_path, month, reissue=reissue, synthetic=synthetic, lock=False)
        except BaseException:
            pending.cancel()  # the notebooks would only wait for the lock and try again
            raise
        issued, cpu_issued = time.perf_counter(), time.process_time()
    summary = pending.wait()
    rendered = time.perf_counter()
    runs = [{"name": r.job.output_name, "ok": r.ok, "seconds": round(r.seconds, 2),
             "notebook": str(r.notebook) if r.notebook else None, "error": r.error} for r in summary.results]
    return {
        "ok": summary.ok, "month": month, "revision": issue.revision, "newly_issued": issue.newly_issued,
        "issue": issue.message(), "out_dir": str(out), "runs": runs,
        "failures": [r for r in runs if not r["ok"]], "run_message": summary.message(),
        "seconds": {"issue": round(issued - began, 2), "issue_cpu": round(cpu_issued - cpu_began, 2),
                    "notebooks": round(rendered - issued, 2)},
        "processes": workers,
    }
