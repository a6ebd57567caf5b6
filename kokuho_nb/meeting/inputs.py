"""Gather everything the pack needs for a month from the store: the ledger snapshot, the case views at
this and last month's end, contacts (ledger + accepted returns), issued lists, last month's decisions,
training completion. Section builders never read the store themselves."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.fiscal import fiscal_year_of
from kokuho_nb.meeting.common import activity_year, add_months, month_end, month_start, parse_month

log = logging.getLogger(__name__)

CONTACT_COLUMNS = ["household_id", "date", "officer_code", "method", "result", "promised_amount", "promised_date", "memo"]


@dataclass
class MeetingInputs:
    month: str
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
    store: Path | None = None
    notes: list[str] = field(default_factory=list)
    _issued: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def issued(self) -> pd.DataFrame:
        """The month's issued list items, read on first use: a pack built while the month is being issued
        (``kokuho-nb month all`` runs both at once) waits for the issue there, after its other sections."""
        if self._issued is None:
            self._issued = self.issued_loader()
        return self._issued


def _optional(module: str, name: str) -> Any:
    """A function of another module, or None when that module isn't installed yet."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def is_synthetic(ledger: Any, store: Path | None) -> bool:
    """Whether the snapshot came from the synthetic ward (the shared rule in :mod:`kokuho_nb.store.snapshots`)."""
    from kokuho_nb.store.snapshots import snapshot_is_synthetic

    return snapshot_is_synthetic(store, getattr(ledger, "snapshot_id", None), getattr(ledger, "source", None))


def merge_contacts(ledger_contacts: pd.DataFrame, returns: pd.DataFrame | None) -> pd.DataFrame:
    """Ledger contacts plus accepted returns, without counting one contact twice (same household, date,
    officer, method and result)."""
    frames = [ledger_contacts.reindex(columns=CONTACT_COLUMNS)]
    if returns is not None and len(returns):
        frames.append(returns.reindex(columns=CONTACT_COLUMNS))
    c = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    c["date"] = pd.to_datetime(c["date"])
    c["promised_date"] = pd.to_datetime(c["promised_date"])
    c["household_id"] = c["household_id"].astype(str)
    return c.drop_duplicates(["household_id", "date", "officer_code", "method", "result"]).reset_index(drop=True)


def _ledger_for(store: Path, end: dt.date) -> Any:
    """The latest snapshot as of ``end``; for a past month with only later snapshots, the earliest of them
    (everything is then derived as of ``end`` from dated records, as the target lists do)."""
    from kokuho_nb.store.snapshots import list_snapshots, load_snapshot

    snaps = list_snapshots(store)
    if snaps and not any(str(s["as_of"]) <= end.isoformat() for s in snaps):
        log.info("no snapshot on or before %s; using the earliest one (%s) as of that date", end, snaps[0]["id"])
        return load_snapshot(store, snapshot_id=snaps[0]["id"])
    return load_snapshot(store, as_of=end)


def _issued_items(store: Path, month: str) -> pd.DataFrame:
    """The month's issued items (officer code and list kind), read under the month's issue lock, so that a
    pack built while the lists are being issued waits for them instead of reading the previous revision."""
    issued_fn = _optional("kokuho_nb.targets.db", "issued_items")
    if issued_fn is None:
        issued = pd.DataFrame(columns=["household_id", "owner_code", "kind"])
    else:
        from kokuho_nb.targets.lists import issue_lock

        with issue_lock(store, month):
            issued = issued_fn(store, month)
    return issued.rename(columns={"owner_code": "officer_code", "kind": "list_kind"})


def gather(month: str, store: str | Path | None, *, synthetic: bool | None = None) -> MeetingInputs:
    from kokuho_nb.cases import cached_case_view
    from kokuho_nb.meeting.decisions import decisions_for_month, revisit_households
    from kokuho_nb.store.paths import resolve_store

    month = parse_month(month)
    store_path = resolve_store(store)
    end = month_end(month)
    ledger = _ledger_for(store_path, end)
    as_of = min(end, ledger.as_of) if ledger.as_of else end
    prev_as_of = month_end(add_months(month, -1))
    notes: list[str] = []
    # Both views come from the store's case-view cache (keyed by this snapshot and date; computed and kept on
    # the first call, so a rebuild of the pack, or lists issued for the month, don't compute them again).
    cases = cached_case_view(ledger, as_of, store=store_path)
    prev_cases = cached_case_view(ledger, prev_as_of, store=store_path, with_law=False)
    notice = cases.attrs.get("entaikin_notice")  # a year's 延滞金 rate missing: accrued only up to its start
    if notice:
        notes.append(str(notice))

    returns_fn = _optional("kokuho_nb.targets.db", "accepted_contacts")
    returns = returns_fn(store_path, until=as_of.isoformat()) if returns_fn else None
    contacts = merge_contacts(ledger.contacts, returns)
    contacts = contacts[contacts["date"] <= pd.Timestamp(as_of)]

    issued_loader = functools.partial(_issued_items, store_path, month)
    ys, ye = activity_year(as_of)

    rate_fn = _optional("kokuho_nb.training.records", "completion_rate")
    training: tuple[float | None, str]
    if rate_fn is None:
        training = (None, "training_missing")
    else:
        rate = float(rate_fn(ledger, store_path, fiscal_year_of(ys)))  # a share 0..1, NaN when nobody is in scope
        training = (None, "training_nobody") if math.isnan(rate) else (100.0 * rate, "training_note")
    return MeetingInputs(
        month=month, as_of=as_of, prev_as_of=prev_as_of, month_start=month_start(month), year_start=ys, year_end=ye,
        ledger=ledger, cases=cases, prev_cases=prev_cases, contacts=contacts, issued_loader=issued_loader,
        prev_decisions=decisions_for_month(store_path, add_months(month, -1)),
        revisit=revisit_households(store_path, month),
        training=training,
        synthetic=is_synthetic(ledger, store_path) if synthetic is None else synthetic,
        store=store_path, notes=notes,
    )
