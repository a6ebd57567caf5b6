"""The parts of a printed workbook that staff fill in and the suite reads back: the contract between the writers
(the target-list workbook, the meeting pack's 決定事項 sheet) and the readers (:mod:`.returns`, :mod:`.decisions`).

Readers find these columns by their Japanese headers, so a writer may add, remove or reorder the columns it only
shows; the fields here keep their headers.
"""

from __future__ import annotations

from kokuho_nb.labels import t, table

# --- the target-list workbook --------------------------------------------------------------------------------

#: The list sheet and the hidden management sheet (month, list, revision, owner).
LIST_SHEET = "ターゲットリスト"
LIST_META_SHEET = "管理情報"
LIST_HEADER_ROW = 3
LIST_FIRST_ROW = 4
#: The hidden key column (``month|list|revision|household``), always column A.
KEY_FIELD = "key"
#: The result columns an officer fills in, in order.
RESULT_FIELDS = ["contact_date", "method", "result", "promised_amount", "promised_date", "memo"]


def list_header(field: str) -> str:
    """The Japanese header of a target-list column (``targets.workbook.columns`` in i18n)."""
    return str(table("targets.workbook.columns")[field])


#: A shown column the reader points at when the household itself is the problem (when the sheet has it).
HOUSEHOLD_FIELD = "household_id"


def return_headers() -> dict[str, str]:
    """Header of the key column and of each result column."""
    return {f: list_header(f) for f in [KEY_FIELD, *RESULT_FIELDS]}


def item_key(month: object, list_code: str, revision: int, household_id: str) -> str:
    """The hidden key of a row of an issued list."""
    return f"{month}|{list_code}|{revision}|{household_id}"


# --- the meeting pack's decisions sheet -------------------------------------------------------------------------

DECISIONS_HEADER_ROW = 4
DECISIONS_MONTH_CELL = "B2"
#: The decisions sheet's columns, in order.
DECISION_FIELDS = ["kind", "ref", "household_id", "summary", "amount", "current_officer", "decision_type",
                   "owner_role", "owner_code", "note", "decided_at"]
#: Columns the sheet only shows (a reader doesn't need them).
DECISION_INFO_FIELDS = ("summary", "amount", "current_officer")


def decisions_sheet() -> str:
    return t("meeting.decisions_sheet")


def decision_headers() -> list[str]:
    return [t(f"meeting.decisions.col.{f}") for f in DECISION_FIELDS]
