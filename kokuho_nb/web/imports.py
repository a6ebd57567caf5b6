"""取込レポート: the latest snapshot's import report (counts per file, quarantined rows, warnings).

It reads only the snapshot folder (``manifest.json`` and ``quarantine.parquet``): no ledger load, so the
page is quick even for the full ward.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from kokuho_nb.format import yen
from kokuho_nb.labels import t, table
from kokuho_nb.store import Store
from kokuho_nb.web import data as webdata
from kokuho_nb.web.common import esc, header_html, table_html

log = logging.getLogger("kokuho_nb.web")

QUARANTINE_ROWS_SHOWN = 200
WARNINGS_SHOWN = 200


def file_counts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per ledger file: ``file, rows, accepted, quarantined``.

    Taken from the report's per-file entries when present, else from the manifest's table counts.
    """
    report = manifest.get("report") or {}
    files = report.get("files")
    rows: list[dict[str, Any]] = []
    if isinstance(files, dict):
        files = [{"file": name, **(v if isinstance(v, dict) else {"rows": v})} for name, v in files.items()]
    if isinstance(files, list) and files:
        for f in files:
            if not isinstance(f, dict):
                continue
            accepted = _first(f, "rows_accepted", "accepted", "imported")
            quarantined = _first(f, "rows_quarantined", "quarantined", "rejected")
            total = _first(f, "rows_read", "rows", "read", "total")
            if total is None and accepted is not None:
                total = accepted + (quarantined or 0)
            rows.append({"file": _first(f, "file", "name", "path", "table") or "?", "rows": total,
                         "accepted": accepted, "quarantined": quarantined,
                         "yen_quarantined": _first(f, "yen_quarantined")})
        return rows
    counts = manifest.get("counts") or {}
    for name, n in counts.items():
        n = n.get("rows") if isinstance(n, dict) else n
        rows.append({"file": name, "rows": n, "accepted": n, "quarantined": None, "yen_quarantined": None})
    return rows


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def warnings(manifest: dict[str, Any]) -> list[str]:
    """The report's warnings as Japanese lines (file, line, column when given)."""
    report = manifest.get("report") or {}
    found = report.get("warnings") or []
    if isinstance(report.get("files"), list):
        for f in report["files"]:
            if isinstance(f, dict):
                found = list(found) + [dict(w, file=w.get("file", f.get("file"))) if isinstance(w, dict) else w
                                       for w in f.get("warnings") or []]
    lines = []
    for key in ("overpayments", "payment_mismatches"):
        if report.get(key):
            lines.append(t(f"web.imports.{key}", n=len(report[key])))
    for w in found:
        if isinstance(w, dict):
            where = "・".join(str(w[k]) for k in ("file", "line", "column") if w.get(k) not in (None, ""))
            text = w.get("message") or w.get("message_ja") or w.get("text") or ""
            text = str(text)
            lines.append(f"{where}: {text}" if where and not text.startswith(str(w.get("file") or "\0")) else text)
        else:
            lines.append(str(w))
    return lines


def quarantine(store: Store, snapshot_id: str) -> pd.DataFrame:
    """The rows the snapshot's import kept aside."""
    return store.quarantine(snapshot_id)


def report_html(manifest: dict[str, Any], quarantined: pd.DataFrame, *, synthetic: bool) -> str:
    meta = t("web.imports.summary", imported_at=manifest.get("imported_at", "—"), as_of=manifest.get("as_of", "—"),
             source=manifest.get("source", "—"))
    parts = [header_html(t("web.imports.title"), synthetic=synthetic, meta=meta), '<div class="kokuho-page">']
    parts.append(f"<h2>{esc(t('web.imports.counts_title'))}</h2>")
    counts = file_counts(manifest)
    parts.append(table_html(counts, {"file": t("web.imports.file"), "rows": t("web.imports.rows"),
                                     "accepted": t("web.imports.accepted"),
                                     "quarantined": t("web.imports.quarantined"),
                                     "yen_quarantined": t("web.imports.yen_quarantined")},
                            numeric={"rows", "accepted", "quarantined", "yen_quarantined"},
                            formats={"yen_quarantined": lambda v: "—" if v is None else yen(v)},
                            css_class="kokuho-table kokuho-counts"))
    parts.append(f"<h2>{esc(t('web.imports.quarantine_title'))}</h2>")
    n = len(quarantined)
    parts.append(f'<div class="kokuho-quarantine" data-rows="{n}">')
    if n == 0:
        parts.append(f'<p class="kokuho-note">{esc(t("web.imports.no_quarantine"))}</p>')
    else:
        shown = quarantined.head(QUARANTINE_ROWS_SHOWN)
        labels = table("web.imports.quarantine_columns")
        columns = {c: labels.get(c, str(c)) for c in shown.columns if c != "row"}  # not the raw row (JSON)
        parts.append(table_html(shown.astype(object).where(shown.notna(), None).to_dict("records"), columns))
        if n > QUARANTINE_ROWS_SHOWN:
            parts.append(f'<p class="kokuho-note">{esc(t("web.imports.more", n=n - QUARANTINE_ROWS_SHOWN))}</p>')
    parts.append("</div>")
    parts.append(f"<h2>{esc(t('web.imports.warnings_title'))}</h2>")
    lines = warnings(manifest)
    if not lines:
        parts.append(f'<p class="kokuho-note kokuho-warnings" data-count="0">{esc(t("web.imports.no_warnings"))}</p>')
    else:
        items = "".join(f"<li>{esc(x)}</li>" for x in lines[:WARNINGS_SHOWN])
        parts.append(f'<ul class="kokuho-warnings" data-count="{len(lines)}">{items}</ul>')
        if len(lines) > WARNINGS_SHOWN:
            parts.append(f'<p class="kokuho-note">{esc(t("web.imports.more", n=len(lines) - WARNINGS_SHOWN))}</p>')
    parts.append("</div>")
    return "".join(parts)


def build(store: Any = None) -> Any:
    import ipywidgets as w

    s = webdata.open_store(store)
    manifest = webdata.read_manifest(s)
    page = w.HTML(report_html(manifest, quarantine(s, str(manifest["id"])), synthetic=webdata.is_synthetic(manifest)))
    page.add_class("kokuho-page")
    return page
