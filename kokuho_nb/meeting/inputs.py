"""Gather everything the pack needs for a month from the store: the ledger snapshot, the case views at
this and last month's end, contacts (ledger + accepted returns), issued lists, last month's decisions,
training completion. Section builders never read the store themselves."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kokuho_nb.cases import cached_case_view
from kokuho_nb.casework import contacts as casework_contacts
from kokuho_nb.casework import issued as casework_issued
from kokuho_nb.casework.decisions import decisions_for_month, revisit_households
from kokuho_nb.casework.training_records import completion_rate
from kokuho_nb.months import Month, activity_year, fiscal_year_of
from kokuho_nb.store import Store

log = logging.getLogger(__name__)


@dataclass
class MeetingInputs:
    month: Month
    as_of: dt.date
    prev_as_of: dt.date
    month_start: dt.date
    year_start: dt.date
    year_end: dt.date
    ledger: Any
    cases: pd.DataFrame
    prev_cases: pd.DataFrame
    contacts: pd.DataFrame
    issued_loader: Callable[[], pd.DataFrame]
    prev_decisions: pd.DataFrame
    revisit: set[str]
    training: tuple[float | None, str]
    synthetic: bool
    store: Store | None = None
    notes: list[str] = field(default_factory=list)
    _issued: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def issued(self) -> pd.DataFrame:
        """The month's issued list items, read on first use: a pack built while the month is being issued
        (``kokuho-nb month all`` runs both at once) waits for the issue there, after its other sections."""
        if self._issued is None:
            self._issued = self.issued_loader()
        return self._issued


def _issued_items(store: Store, month: Month) -> pd.DataFrame:
    """The month's issued items (officer code and list kind), read under the month's issue lock, so that a
    pack built while the lists are being issued waits for them instead of reading the previous revision."""
    with casework_issued.issue_lock(store, month):
        issued = casework_issued.issued_items(store, month)
    return issued.rename(columns={"owner_code": "officer_code", "kind": "list_kind"})


def gather(month: Month, store: Store, *, synthetic: bool | None = None) -> MeetingInputs:
    end = month.end
    ledger = store.ledger_for(end)
    as_of = min(end, ledger.as_of) if ledger.as_of else end
    prev_as_of = (month - 1).end
    notes: list[str] = []
    # Both views come from the store's derived cache (keyed by this snapshot and date; computed and kept on the
    # first call, so a rebuild of the pack, or lists issued for the month, don't compute them again).
    cases = cached_case_view(ledger, as_of, store=store)
    prev_cases = cached_case_view(ledger, prev_as_of, store=store, with_law=False)
    notice = cases.attrs.get("entaikin_notice")  # a year's 延滞金 rate missing: accrued only up to its start
    if notice:
        notes.append(str(notice))

    contacts = casework_contacts.history(store, ledger.contacts, as_of)

    ys, ye = activity_year(as_of)
    rate = float(completion_rate(ledger, store, fiscal_year_of(ys)))  # a share 0..1, NaN when nobody is in scope
    training: tuple[float | None, str] = (None, "training_nobody") if math.isnan(rate) else (100.0 * rate,
                                                                                               "training_note")
    return MeetingInputs(
        month=month, as_of=as_of, prev_as_of=prev_as_of, month_start=month.start, year_start=ys, year_end=ye,
        ledger=ledger, cases=cases, prev_cases=prev_cases, contacts=contacts,
        issued_loader=functools.partial(_issued_items, store, month),
        prev_decisions=decisions_for_month(store, month - 1),
        revisit=revisit_households(store, month),
        training=training,
        synthetic=store.synthetic(ledger.snapshot_id, ledger.source) if synthetic is None else synthetic,
        store=store, notes=notes,
    )
