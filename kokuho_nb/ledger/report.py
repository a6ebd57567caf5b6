"""The import report: the ``--json`` document and its Japanese plain-text summary.

``to_dict()`` is exactly the document of issue 2 — ``{"ok", "snapshot", "files": {FILE: {rows_read,
rows_accepted, rows_quarantined, yen_read, yen_accepted, yen_quarantined}}, "quarantine": [{file, line, column,
value, reason}], "warnings": [{code, file, message}]}`` — plus ``as_of``, ``source``, ``mapping``,
``already_imported``, ``synthetic``, ``overpayments``, ``payment_mismatches`` and, for a refused import, ``error``.

Reconciliation, always: rows_read = rows_accepted + rows_quarantined and yen_read = yen_accepted +
yen_quarantined. yen counts 調定額 (調定.csv) or 金額 (収納.csv), 0 for other files. A yen cell that is not a
number at all is counted as 0 yen (in read and in quarantined) and a warning says how many such rows there are;
a readable but invalid amount (e.g. negative) is counted at its face value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kokuho_nb.labels import t

SUMMARY_QUARANTINE_LINES = 20
SUMMARY_OVERPAYMENT_LINES = 10


def file_counts(rows_read: int = 0, rows_accepted: int = 0, yen_read: int = 0, yen_accepted: int = 0) -> dict:
    return {
        "rows_read": int(rows_read),
        "rows_accepted": int(rows_accepted),
        "rows_quarantined": int(rows_read - rows_accepted),
        "yen_read": int(yen_read),
        "yen_accepted": int(yen_accepted),
        "yen_quarantined": int(yen_read - yen_accepted),
    }


@dataclass
class ImportReport:
    ok: bool
    snapshot_id: str | None = None
    as_of: dt.date | None = None
    source: str | None = None
    mapping: str | None = None
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    overpayments: list[dict[str, Any]] = field(default_factory=list)
    payment_mismatches: list[dict[str, Any]] = field(default_factory=list)
    #: accepted text cells a spreadsheet could take for a formula: {file, line, column, value} (issue 16 §1)
    formula_like: list[dict[str, Any]] = field(default_factory=list)
    already_imported: bool = False
    synthetic: bool = False  # the ledger carries the synthetic ward's 模擬データ marker file
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step (not in the JSON document)

    def warn(self, code: str, message: str, file: str | None = None, **extra: Any) -> None:
        self.warnings.append({"code": code, "file": file, "message": message, **extra})

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "ok": self.ok,
            "snapshot": self.snapshot_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "source": self.source,
            "mapping": self.mapping,
            "already_imported": self.already_imported,
            "synthetic": self.synthetic,
            "files": self.files,
            "quarantine": self.quarantine,
            "warnings": self.warnings,
            "overpayments": self.overpayments,
            "payment_mismatches": self.payment_mismatches,
            "formula_like": self.formula_like,
        }
        if self.error is not None:
            doc["error"] = self.error
        return doc

    def summary_ja(self) -> str:
        """The plain-text Japanese summary printed without ``--json``."""
        out = [t("ledger.summary.title")]
        if not self.ok:
            out.append(t("ledger.summary.refused"))
            if self.error:
                out.append(f"  {self.error}")
            return "\n".join(out)
        out.append(t("ledger.summary.snapshot", snapshot=self.snapshot_id,
                     as_of=self.as_of.isoformat() if self.as_of else "-"))
        if self.already_imported:
            out.append(t("ledger.summary.already"))
        if self.synthetic:
            out.append(t("common.synthetic_banner"))
        for file, c in self.files.items():
            out.append(t("ledger.summary.file_line", file=file, **c))
            if c["yen_read"] or c["yen_accepted"]:
                out.append(t("ledger.summary.file_yen", **c))
        if self.quarantine:
            out.append(t("ledger.summary.quarantine_head", count=len(self.quarantine)))
            for q in self.quarantine[:SUMMARY_QUARANTINE_LINES]:
                out.append(t("ledger.summary.quarantine_line", **q))
            if len(self.quarantine) > SUMMARY_QUARANTINE_LINES:
                out.append(t("ledger.summary.quarantine_more", count=len(self.quarantine) - SUMMARY_QUARANTINE_LINES))
        if self.formula_like:
            out.append(t("ledger.summary.formula_head", count=len(self.formula_like)))
            for f in self.formula_like[:SUMMARY_QUARANTINE_LINES]:
                out.append(t("ledger.summary.formula_line", **f))
            if len(self.formula_like) > SUMMARY_QUARANTINE_LINES:
                out.append(t("ledger.summary.quarantine_more", count=len(self.formula_like) - SUMMARY_QUARANTINE_LINES))
        if self.overpayments:
            out.append(t("ledger.summary.overpayments_head", count=len(self.overpayments)))
            for o in self.overpayments[:SUMMARY_OVERPAYMENT_LINES]:
                out.append(t("ledger.summary.overpayment_line", **o))
            if len(self.overpayments) > SUMMARY_OVERPAYMENT_LINES:
                out.append(t("ledger.summary.quarantine_more",
                             count=len(self.overpayments) - SUMMARY_OVERPAYMENT_LINES))
        if self.warnings:
            out.append(t("ledger.summary.warnings_head"))
            out.extend(f"  {w['message']}" for w in self.warnings)
        return "\n".join(out)
