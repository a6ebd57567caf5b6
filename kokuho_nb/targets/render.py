"""A month's files: the workbooks of the issued lists and the HTML summary.

:func:`render_lists` (called by ``notebooks/target_lists.ipynb``) writes the workbooks of some or all of a month's
issued lists into the month folder, and optionally the HTML summary. It issues the month first when nobody has
(idempotent), so the notebook also works on its own. Files of an issued list are identical on every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.casework import issued
from kokuho_nb.casework.issued import IssueResult
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.law import rate_gap_notice
from kokuho_nb.months import Month
from kokuho_nb.store import Store
from kokuho_nb.targets.lists import issue_month
from kokuho_nb.targets.workbook import ListMeta, write_workbook

log = logging.getLogger(__name__)


def list_label(kind: str) -> str:
    """Japanese name of a list kind (officer / specialist / centre_phone / centre_sms / centre_visit)."""
    return t("targets.actors.officer") if kind == "officer" else t(f"targets.queues.{kind}")


def parse_officers(officers: str | Sequence[str] | None) -> list[str] | None:
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
    store: Store | str | Path | None,
    month: Month | str,
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
    store, month = Store.open(store), Month.parse(month)
    issue = issue_month(store, month)
    wanted = parse_officers(officers)
    known = {lst.list_code for lst in issue.lists if lst.kind == "officer"}
    if wanted is not None:
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UserError(t("targets.month.unknown_officer", code=",".join(unknown)), f"unknown officers {unknown}")
    out = Path(out_dir)
    written: list[dict[str, Any]] = []
    for lst in issue.lists:
        if lst.kind == "officer" and wanted is not None and lst.list_code not in wanted:
            continue
        if lst.kind != "officer" and not centre:
            continue
        items = issued.load_items(store, month, lst.list_code, issue.revision)
        meta = ListMeta(month, lst.list_code, issue.revision, lst.kind, lst.owner_code, lst.owner_name,
                        issue.issued_at, issue.synthetic)
        path = write_workbook(meta, items, out)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        issued.record_file(store, month, lst.list_code, issue.revision, path.name, digest)
        written.append({"list_code": lst.list_code, "kind": lst.kind, "path": str(path), "rows": len(items),
                        "sha256": digest})
    result: dict[str, Any] = {"month": str(month), "revision": issue.revision, "files": written}
    if summary:
        result["summary"] = str(write_summary(store, issue, out))
    return result


# --- HTML summary -------------------------------------------------------------------------------------------


def summary_tables(store: Store, issue: IssueResult) -> dict[str, pd.DataFrame]:
    """The summary's tables (Japanese headers): officers, centre, reasons."""
    pacing = issued.load_pacing(store, issue.month, issue.revision)
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
    tri = issued.load_triage(store, issue.month, issue.revision, columns=["reasons", "total_arrears"])
    if tri is not None:
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


def summary_html(store: Store, issue: IssueResult) -> str:
    tables = summary_tables(store, issue)
    label = issue.month.label()
    title = t("targets.summary.title", month_label=label)
    banner = f'<p class="synthetic">{html.escape(t("common.synthetic_banner"))}</p>' if issue.synthetic else ""
    gap = rate_gap_notice(dt.date.fromisoformat(str(issue.as_of)[:10]))  # 延滞金 short of as_of (missing rate)
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


def write_summary(store: Store, issue: IssueResult, out_dir: str | Path) -> Path:
    path = Path(out_dir) / f"target_lists_summary_{issue.month}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(summary_html(store, issue), encoding="utf-8")
    return path
