"""A month's target lists: triage once, select each list, record what was issued.

- :func:`triage_for_month` takes the snapshot in force at the start of the month, builds the case view as
  of the 1st, reads the accepted returns and the meeting's decisions, and triages every household (one
  computation per month, not per officer; the issued revision keeps the table, :mod:`kokuho_nb.casework.issued`).
- :func:`select_lists` is pure: from the triage table it builds each officer's list (capacity, own areas
  plus meeting-assigned cases, 臨場催告 slots paced to 20% of the caseload over the year), the guidance
  centre's phone / SMS / visit lists paced to the annual targets, and the specialists' queue.
- :func:`issue_month` records the lists in the case-work DB (:mod:`kokuho_nb.casework.issued`). Once a
  month is issued, asking again returns the recorded lists unchanged unless ``reissue=True`` (then a new
  revision is computed and recorded).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.cases import cached_case_view, case_view
from kokuho_nb.casework import contacts as casework_contacts
from kokuho_nb.casework import issued
from kokuho_nb.casework.decisions import assigned_cases
from kokuho_nb.casework.issued import IssuedList, IssueResult, ListToIssue, issue_lock
from kokuho_nb.contract import codes
from kokuho_nb.months import Month, paced_quota, pacing_position
from kokuho_nb.params import value
from kokuho_nb.store import Ledger, Store
from kokuho_nb.triage import triage_frame

log = logging.getLogger(__name__)

CENTRE_LISTS = {"CENTRE_PHONE": ("PHONE", "phone"), "CENTRE_SMS": ("SMS", "sms"), "CENTRE_VISIT": ("CENTRE_VISIT", "visit")}
SPECIALIST_LIST = "SPECIALISTS"
#: Next actions for which an officer's 臨場催告 slot is a sensible way to make the contact.
CONTACT_ACTIONS = ("FIELD_VISIT", "EARLY_CONTACT", "RECONTACT", "RENEW_LIMITATION", "FOLLOW_DECISION")

__all__ = ["IssueResult", "IssuedList", "MonthTriage", "ListPlan", "issue_lock", "issue_month", "month_snapshot",
           "officer_codes", "select_lists", "triage_for_month"]


# --- triage for a month -------------------------------------------------------------------------------------


@dataclass
class MonthTriage:
    month: Month
    as_of: dt.date
    snapshot_id: str | None
    synthetic: bool
    table: pd.DataFrame
    staff: pd.DataFrame
    contacts: pd.DataFrame  # ledger contacts + accepted returns, as of the month start


def officer_codes(store: Store, month: Month | str, *, fresh: bool = False) -> list[str]:
    """The collection officers whose lists ``month`` will have: the issued ones (unless ``fresh``, for a
    reissue), else the staff of the snapshot the month's triage will use."""
    month = Month.parse(month)
    rev = issued.current_revision(store, month)
    if rev and not fresh:
        return issued.officer_lists(store, month, rev)
    staff = store.ledger_for(month.start).staff
    return list(officers_of(staff)["officer_code"])


def month_snapshot(store: Store, month: Month | str) -> str | None:
    """The snapshot a fresh issue of ``month`` would use now (the one :func:`triage_for_month` reads: the latest
    on or before the 1st, else the earliest); None when the store has none."""
    month = Month.parse(month)
    return store.snapshot_for(month.start).id if store.snapshots() else None


def triage_for_month(store: Store, month: Month | str, *, ledger: Ledger | None = None) -> MonthTriage:
    """Triage every household as of the first day of ``month`` (see module docstring).

    ``ledger``: a ledger you built or changed (computed, not cached); by default the store's snapshot in force on
    the 1st."""
    month = Month.parse(month)
    as_of = month.start
    led = ledger if ledger is not None else store.ledger_for(as_of)
    cv = case_view(led, as_of) if ledger is not None else cached_case_view(led, as_of, store=store)
    history = casework_contacts.merge(led.contacts,
                                      casework_contacts.accepted_contacts(store, as_of - dt.timedelta(days=1)))
    table = triage_frame(
        cv, as_of, contacts=history, inquiries=led.inquiries, dispositions=led.dispositions,
        payments=led.payments, assigned=assigned_cases(store, month),
    )
    names = led.households.set_index("household_id")["name_kana"]
    table["name_kana"] = table["household_id"].map(names)
    return MonthTriage(month, as_of, led.snapshot_id, store.synthetic(led.snapshot_id, led.source), table, led.staff,
                       history[history["date"] < pd.Timestamp(as_of)])


# --- selection (pure) ---------------------------------------------------------------------------------------


@dataclass
class ListPlan:
    list_code: str
    kind: str  # officer / specialist / centre_phone / centre_sms / centre_visit
    owner_code: str | None
    owner_name: str | None
    items: pd.DataFrame
    pacing: dict[str, Any] = field(default_factory=dict)


def officers_of(staff: pd.DataFrame) -> pd.DataFrame:
    """Collection officers (徴収吏員), by code."""
    off = staff[staff["role"] == codes().role.collector][["officer_code", "name", "areas"]].copy()
    return off.sort_values("officer_code").reset_index(drop=True)


def field_visits_done(contacts: pd.DataFrame, month: Month) -> pd.Series:
    """臨場催告 per officer from the start of the pacing year to the start of ``month``."""
    first, _ = pacing_position(month)
    start, end = pd.Timestamp(first.start), pd.Timestamp(month.start)
    sel = contacts[(contacts["method"] == codes().method.field_visit) & (contacts["date"] >= start) & (contacts["date"] < end)]
    return sel.groupby("officer_code").size()


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["priority", "total_arrears", "household_id"], ascending=[False, False, True])


#: The columns :func:`select_officer_list` decides on.
_SELECT_COLUMNS = ["priority", "total_arrears", "household_id", "primary_reason", "next_action", "recently_contacted"]


def select_officer_list(pool: pd.DataFrame, capacity: int, field_quota: int) -> pd.DataFrame:
    """One officer's list from their queued cases: meeting cases first, ``field_quota`` 臨場催告 slots, then
    the highest priorities up to ``capacity``. ``planned_method`` is 臨場催告 on the slots.

    The choice is made on the few deciding columns (the triage table is wide and this runs once per officer:
    ~600 times for a national-size ledger); the chosen rows are taken from ``pool`` once at the end."""
    slim = pool[[c for c in _SELECT_COLUMNS if c in pool]] if pool.index.is_unique else pool
    ranked = _rank(slim)
    meeting = ranked[ranked["primary_reason"] == "MEETING_ASSIGNED"]
    rest = ranked[ranked["primary_reason"] != "MEETING_ASSIGNED"]
    quota = min(field_quota, max(capacity - len(meeting), 0))
    visits = rest[rest["next_action"] == "FIELD_VISIT"].head(quota)
    if len(visits) < quota:
        unreached = rest[rest["next_action"].isin(CONTACT_ACTIONS) & ~rest.index.isin(visits.index)
                         & ~rest["recently_contacted"].astype(bool)]
        visits = pd.concat([visits, unreached.head(quota - len(visits))])
    room = max(capacity - len(meeting) - len(visits), 0)
    others = rest[~rest.index.isin(visits.index)].head(room)
    picked = _rank(pd.concat([meeting, visits, others]))
    chosen = (pool.loc[picked.index] if slim is not pool else picked).copy()
    field_visit = codes().method.field_visit
    chosen["planned_method"] = np.where(chosen.index.isin(visits.index), field_visit, "")
    chosen.loc[chosen["next_action"] == "FIELD_VISIT", "planned_method"] = field_visit
    return chosen


def select_lists(
    triage: pd.DataFrame,
    staff: pd.DataFrame,
    month: Month | str,
    *,
    field_done: pd.Series | None = None,
    centre_done: dict[str, int] | None = None,
    centre_since: Month | str | None = None,
) -> list[ListPlan]:
    """All of ``month``'s lists from a triage table (pure; see module docstring).

    ``field_done``: 臨場催告 per officer so far in the pacing year; ``centre_done``: centre items issued so far
    in the pacing year per list; ``centre_since``: the first month of this pacing year with issued lists
    (the centre's targets are pro-rated from there, so a ward starting mid-year is not asked to catch up
    the months before it used the lists).
    """
    month = Month.parse(month)
    centre_since = Month.parse(centre_since) if centre_since is not None else None
    as_of = month.start
    capacity = int(value("target_lists.officer_capacity", as_of))
    share = float(value("target_lists.field_visit_share", as_of))
    annual = value("target_lists.centre_annual", as_of)
    spec_cap = int(value("target_lists.specialist_capacity", as_of))
    _, k = pacing_position(month)
    field_done = field_done if field_done is not None else pd.Series(dtype="int64")
    centre_done = centre_done or {}

    owner = triage["list_owner"].where(triage["list_owner"].notna() & (triage["list_owner"] != ""),
                                       triage["officer_code"])
    triage = triage.assign(list_owner=owner)
    delinquent = triage[triage["total_arrears"] > 0]
    caseload = delinquent.groupby("list_owner").size()
    # one consolidated copy: the per-officer pools below are then cut from a few blocks, not re-consolidated
    # ~600 times (the triage table is built column by column)
    queued = triage[triage["queue"] != ""].copy()
    by_owner = {code: grp for code, grp in queued[queued["queue"] == "officer"].groupby("list_owner")}

    plans: list[ListPlan] = []
    for off in officers_of(staff).itertuples(index=False):
        load = int(caseload.get(off.officer_code, 0))
        annual_visits = math.ceil(load * share - 1e-9)
        done = int(field_done.get(off.officer_code, 0))
        quota = min(paced_quota(annual_visits, k, done), capacity)
        pool = by_owner.get(off.officer_code, queued.iloc[0:0])
        items = select_officer_list(pool, capacity, quota)
        plans.append(ListPlan(off.officer_code, "officer", off.officer_code, off.name, items, {
            "caseload": load, "field_annual_target": annual_visits, "field_done_ytd": done,
            "field_quota": quota, "field_planned": int((items["planned_method"] == codes().method.field_visit).sum()),
            "capacity": capacity, "pool": len(pool), "months_elapsed": k,
        }))

    spec = _rank(queued[queued["queue"] == "specialist"])
    if spec_cap > 0:
        spec = spec.head(spec_cap)
    plans.append(ListPlan(SPECIALIST_LIST, "specialist", None, None, spec.assign(planned_method=""),
                          {"pool": int((queued["queue"] == "specialist").sum())}))

    centre = queued[queued["queue"] == "centre"]
    first, _ = pacing_position(month)
    since = max(centre_since or month, first)
    active = pacing_position(month)[1] - pacing_position(since)[1] + 1
    for code, (action, key) in CENTRE_LISTS.items():
        pool = _rank(centre[centre["next_action"] == action])
        done = int(centre_done.get(code, 0))
        quota = paced_quota(float(annual[key]), active, done)
        plans.append(ListPlan(code, f"centre_{key}", None, None, pool.head(quota).assign(planned_method=""), {
            "annual_target": int(annual[key]), "done_ytd": done, "quota": quota, "pool": len(pool),
            "months_elapsed": k, "months_active": active,
        }))
    return plans


# --- issuing ------------------------------------------------------------------------------------------------


def issue_month(
    store: Store | str | Path | None,
    month: Month | str,
    *,
    reissue: bool = False,
    ledger: Ledger | None = None,
    synthetic: bool | None = None,
    lock: bool = True,
) -> IssueResult:
    """Issue ``month``'s lists (or return the recorded ones); see the module docstring.

    ``lock=False`` when the caller already holds :func:`issue_lock` for the month. A public entry point: the
    store and the month are opened / parsed here when given as a path and text.
    """
    store, month = Store.open(store), Month.parse(month)
    if lock:
        with issue_lock(store, month):
            return issue_month(store, month, reissue=reissue, ledger=ledger, synthetic=synthetic, lock=False)
    rev = issued.current_revision(store, month)
    if rev and not reissue:
        found = issued.read_issue(store, month, rev)
        assert found is not None
        return found
    mt = triage_for_month(store, month, ledger=ledger)
    if synthetic is not None:
        mt.synthetic = synthetic
    first, _ = pacing_position(month)
    plans = select_lists(mt.table, mt.staff, month, field_done=field_visits_done(mt.contacts, month),
                         centre_done=issued.centre_items_issued(store, first, month),
                         centre_since=issued.first_issued_month(store, first, month))
    issued_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    result = issued.record_revision(
        store, month, [ListToIssue(p.list_code, p.kind, p.owner_code, p.owner_name, p.items, p.pacing) for p in plans],
        as_of=mt.as_of.isoformat(), snapshot_id=mt.snapshot_id, synthetic=mt.synthetic, issued_at=issued_at,
        base_revision=rev, reissue=reissue)
    if result.newly_issued:
        issued.save_revision_files(store, month, result.revision, mt.table,
                                   {plan.list_code: plan.pacing for plan in plans})
    return result
