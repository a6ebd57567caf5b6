"""The import log: one row per import attempt (refused ones included), counts only.

The quarantined rows themselves are in the snapshot's ``quarantine.parquet``.
"""

from __future__ import annotations

import json
from typing import Any

from kokuho_nb.store.db import _now, transaction
from kokuho_nb.store.store import Store


def record_import(
    store: Store,
    report: dict[str, Any],
    *,
    as_of: str | None = None,
    source: str | None = None,
) -> int:
    """Log one import (successful or refused) from its ``--json`` report; returns the log row id.

    ``report`` is ``ImportReport.to_dict()``: ``ok``, ``snapshot``, ``files`` (per-file row and yen counts),
    ``quarantine`` and ``warnings``. Only counts are logged (the quarantined rows themselves are in the
    snapshot's ``quarantine.parquet``). ``as_of`` and ``source`` default to the report's keys of that name,
    and ``as_of`` to the date at the start of the snapshot id (``<as_of>_<hash>``).
    """
    snapshot = report.get("snapshot")
    as_of = as_of or report.get("as_of") or (str(snapshot)[:10] if snapshot else None)
    source = source or report.get("source")
    quarantine = report.get("quarantine") or []
    warnings = report.get("warnings") or []
    counts = {
        "files": report.get("files") or {},
        "quarantined_rows": len(quarantine),
        "warnings": len(warnings),
    }
    conn = store.db()
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO import_log(snapshot_id, as_of, source, imported_at, ok, counts) VALUES (?, ?, ?, ?, ?, ?)",
            (
                None if snapshot is None else str(snapshot),
                None if as_of is None else str(as_of),
                None if source is None else str(source),
                _now(),
                1 if report.get("ok") else 0,
                json.dumps(counts, ensure_ascii=False, sort_keys=True),
            ),
        )
        return int(cur.lastrowid or 0)


def list_imports(store: Store) -> list[dict[str, Any]]:
    """The import log, oldest first, with ``counts`` decoded."""
    rows = store.db().execute(
        "SELECT id, snapshot_id, as_of, source, imported_at, ok, counts FROM import_log ORDER BY id"
    ).fetchall()
    return [
        {
            "id": r["id"],
            "snapshot_id": r["snapshot_id"],
            "as_of": r["as_of"],
            "source": r["source"],
            "imported_at": r["imported_at"],
            "ok": bool(r["ok"]),
            "counts": json.loads(r["counts"]),
        }
        for r in rows
    ]
