"""The meeting's decisions as the target lists read them: :func:`assigned_cases`.

The meeting module owns the ``meeting_decisions`` table (CREATE TABLE in docs/architecture.md, "Meeting
module") and the reader :func:`kokuho_nb.meeting.decisions.case_decisions_for_lists`; this seam is the only
place the lists touch it, so a change there is a change here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

COLUMNS = ["household_id", "decision_type", "decision_label", "list_action", "assign_role", "owner_code", "note",
           "meeting_month"]


def _any_decisions(store: str | Path | None) -> bool:
    from kokuho_nb.store.db import connect

    conn = connect(store)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meeting_decisions'").fetchone()
        if not found:
            return False
        return conn.execute("SELECT 1 FROM meeting_decisions WHERE item_kind = 'case' LIMIT 1").fetchone() is not None
    finally:
        conn.close()


def assigned_cases(store: str | Path | None, month: str) -> pd.DataFrame:
    """Cases the monthly meeting decided for ``month``'s lists (decided at the previous month's meeting).

    Columns: ``household_id, decision_type, decision_label, list_action, assign_role, owner_code, note,
    meeting_month`` (see docs/architecture.md). Empty when the meeting module or its table is absent.
    """
    if not _any_decisions(store):  # nothing decided yet: don't load the meeting package (it is heavy)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    try:
        from kokuho_nb.meeting.decisions import case_decisions_for_lists
    except ImportError:  # the meeting module is optional for the lists
        log.info("meeting module not available: no meeting decisions for %s", month)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame = case_decisions_for_lists(store, month)
    for col in COLUMNS:
        if col not in frame:
            frame[col] = None
    return frame[COLUMNS].reset_index(drop=True)
