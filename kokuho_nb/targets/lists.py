"""A month's target lists: triage once, select each list, record what was issued.

- :func:`triage_for_month` loads the snapshot in force at the start of the month, builds the case view as
  of the 1st, reads the accepted returns and the meeting's decisions, triages every household, and caches
  the result as ``<store>/targets/<month>/triage.parquet`` (one computation per month, not per officer).
- :func:`select_lists` is pure: from the triage table it builds each officer's list (capacity, own areas
  plus meeting-assigned cases, 臨場催告 slots paced to 20% of the caseload over the year), the guidance
  centre's phone / SMS / visit lists paced to the annual targets, and the specialists' queue.
- :func:`issue_month` records the lists in the case-work DB (``target_issues`` / ``target_items``). Once a
  month is issued, asking again returns the recorded lists unchanged unless ``reissue=True`` (then a new
  revision is computed and recorded).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import value
from kokuho_nb.store.db import transaction
from kokuho_nb.store.paths import resolve_store
from kokuho_nb.targets import months
from kokuho_nb.targets.db import current_revision, open_db

log = logging.getLogger(__name__)

CENTRE_LISTS = {"CENTRE_PHONE": ("PHONE", "phone"), "CENTRE_SMS": ("SMS", "sms"), "CENTRE_VISIT": ("CENTRE_VISIT", "visit")}
SPECIALIST_LIST = "SPECIALISTS"
#: Next actions for which an officer's 臨場催告 slot is a sensible way to make the contact.
CONTACT_ACTIONS = ("FIELD_VISIT", "EARLY_CONTACT", "RECONTACT", "RENEW_LIMITATION", "FOLLOW_DECISION")
FIELD_VISIT_METHOD = "臨場催告"

#: Item fields stored in the payload and shown in the workbook.
PAYLOAD_COLUMNS = [
    "household_id", "name_kana", "area", "stage", "amount_band", "income_class", "focus", "total_arrears",
    "carried_unpaid", "current_overdue", "oldest_due_date", "nearest_limitation", "has_phone", "language",
    "foreign", "reasons", "primary_reason", "next_action", "planned_method", "priority", "prio_amount",
    "prio_ability", "prio_urgency", "prio_no_contact", "prio_rule", "suspension_ground", "inquiry_mode",
    "leaflet_language", "immigration_link", "meeting_decision",
]


def cache_dir(store: str | Path | None, month: str) -> Path:
    return resolve_store(store) / "targets" / month


def is_synthetic(store: str | Path | None, snapshot_id: str | None, source: str | None = None) -> bool:
    """Whether a snapshot came from the synthetic ward (the shared rule in :mod:`kokuho_nb.store.snapshots`)."""
    from kokuho_nb.store.snapshots import snapshot_is_synthetic

    return snapshot_is_synthetic(resolve_store(store), snapshot_id, source)


# --- triage for a month -------------------------------------------------------------------------------------


@dataclass
class MonthTriage:
    month: str
    as_of: dt.date
    snapshot_id: str | None
    synthetic: bool
    table: pd.DataFrame
    staff: pd.DataFrame
    contacts: pd.DataFrame  # ledger contacts + accepted returns, as of the month start


def _load_ledger(store: str | Path | None, as_of: dt.date) -> Any:
    from kokuho_nb.store.snapshots import list_snapshots, load_snapshot

    snaps = list_snapshots(resolve_store(store))
    if not snaps:
        raise UserError(t("targets.month.no_snapshot", as_of=as_of.isoformat()), "no snapshot")
    earlier = [s for s in snaps if str(s["as_of"]) <= as_of.isoformat()]
    if earlier:
        return load_snapshot(resolve_store(store), as_of=as_of)
    # Only later snapshots: the case view and the history are derived as of the date from dated records.
    log.info("no snapshot on or before %s; using the earliest one (%s) as of that date", as_of, snaps[0]["id"])
    return load_snapshot(resolve_store(store), snapshot_id=snaps[0]["id"])


def officer_codes(store: str | Path | None, month: str, *, fresh: bool = False) -> list[str]:
    """The collection officers whose lists ``month`` will have: the issued ones (unless ``fresh``, for a
    reissue), else the staff of the snapshot the month's triage will use (read without loading the ledger)."""
    conn = open_db(store)
    try:
        rev = current_revision(conn, months.parse_month(month))
        if rev and not fresh:
            rows = conn.execute("SELECT list_code FROM target_issues WHERE month = ? AND revision = ? AND "
                                "kind = 'officer' ORDER BY list_code", (month, rev)).fetchall()
            return [r[0] for r in rows]
    finally:
        conn.close()
    from kokuho_nb.store.snapshots import list_snapshots, snapshot_path

    as_of = months.month_start(month).isoformat()
    snaps = list_snapshots(resolve_store(store))
    if not snaps:
        raise UserError(t("targets.month.no_snapshot", as_of=as_of), "no snapshot")
    earlier = [s for s in snaps if str(s["as_of"]) <= as_of]
    sid = (earlier[-1] if earlier else snaps[0])["id"]
    path = snapshot_path(resolve_store(store), sid) / "staff.parquet"
    staff = pd.read_parquet(path, columns=["officer_code", "name", "role", "areas"])
    return list(officers_of(staff)["officer_code"])


def triage_for_month(store: str | Path | None, month: str, *, ledger: Any = None) -> MonthTriage:
    """Triage every household as of the first day of ``month`` (see module docstring)."""
    from kokuho_nb.cases import cached_case_view, case_view
    from kokuho_nb.targets.db import accepted_contacts
    from kokuho_nb.targets.decisions import assigned_cases
    from kokuho_nb.triage import triage_frame

    month = months.parse_month(month)
    as_of = months.month_start(month)
    led = ledger if ledger is not None else _load_ledger(store, as_of)
    cv = case_view(led, as_of) if ledger is not None else cached_case_view(led, as_of, store=store)
    returned = accepted_contacts(store, until=(as_of - dt.timedelta(days=1)).isoformat())
    contacts = led.contacts
    if len(returned):
        contacts = pd.concat([contacts, returned.astype({c: contacts[c].dtype for c in returned.columns
                                                        if c in contacts and str(contacts[c].dtype) != "object"})],
                             ignore_index=True)
    assigned = assigned_cases(store, month)
    table = triage_frame(
        cv, as_of, contacts=contacts, inquiries=led.inquiries, dispositions=led.dispositions,
        payments=led.payments, assigned=assigned,
    )
    names = led.households.set_index("household_id")["name_kana"]
    table["name_kana"] = table["household_id"].map(names)
    staff = led.staff
    return MonthTriage(month, as_of, led.snapshot_id, is_synthetic(store, led.snapshot_id, led.source), table, staff,
                       contacts[contacts["date"] < pd.Timestamp(as_of)])


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
    off = staff[staff["role"] == "徴収吏員"][["officer_code", "name", "areas"]].copy()
    return off.sort_values("officer_code").reset_index(drop=True)


def field_visits_done(contacts: pd.DataFrame, month: str) -> pd.Series:
    """臨場催告 per officer from the start of the pacing year to the start of ``month``."""
    first, _ = months.pacing_position(month)
    start, end = pd.Timestamp(months.month_start(first)), pd.Timestamp(months.month_start(month))
    sel = contacts[(contacts["method"] == FIELD_VISIT_METHOD) & (contacts["date"] >= start) & (contacts["date"] < end)]
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
    chosen["planned_method"] = np.where(chosen.index.isin(visits.index), FIELD_VISIT_METHOD, "")
    chosen.loc[chosen["next_action"] == "FIELD_VISIT", "planned_method"] = FIELD_VISIT_METHOD
    return chosen


def select_lists(
    triage: pd.DataFrame,
    staff: pd.DataFrame,
    month: str,
    *,
    field_done: pd.Series | None = None,
    centre_done: dict[str, int] | None = None,
    centre_since: str | None = None,
) -> list[ListPlan]:
    """All of ``month``'s lists from a triage table (pure; see module docstring).

    ``field_done``: 臨場催告 per officer so far in the pacing year; ``centre_done``: centre items issued so far
    in the pacing year per list; ``centre_since``: the first month of this pacing year with issued lists
    (the centre's targets are pro-rated from there, so a ward starting mid-year is not asked to catch up
    the months before it used the lists).
    """
    as_of = months.month_start(month)
    capacity = int(value("target_lists.officer_capacity", as_of))
    share = float(value("target_lists.field_visit_share", as_of))
    annual = value("target_lists.centre_annual", as_of)
    spec_cap = int(value("target_lists.specialist_capacity", as_of))
    _, k = months.pacing_position(month)
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
        quota = min(months.paced_quota(annual_visits, k, done), capacity)
        pool = by_owner.get(off.officer_code, queued.iloc[0:0])
        items = select_officer_list(pool, capacity, quota)
        plans.append(ListPlan(off.officer_code, "officer", off.officer_code, off.name, items, {
            "caseload": load, "field_annual_target": annual_visits, "field_done_ytd": done,
            "field_quota": quota, "field_planned": int((items["planned_method"] == FIELD_VISIT_METHOD).sum()),
            "capacity": capacity, "pool": len(pool), "months_elapsed": k,
        }))

    spec = _rank(queued[queued["queue"] == "specialist"])
    if spec_cap > 0:
        spec = spec.head(spec_cap)
    plans.append(ListPlan(SPECIALIST_LIST, "specialist", None, None, spec.assign(planned_method=""),
                          {"pool": int((queued["queue"] == "specialist").sum())}))

    centre = queued[queued["queue"] == "centre"]
    first, _ = months.pacing_position(month)
    since = max(centre_since or month, first)
    active = months.pacing_position(month)[1] - months.pacing_position(since)[1] + 1
    for code, (action, key) in CENTRE_LISTS.items():
        pool = _rank(centre[centre["next_action"] == action])
        done = int(centre_done.get(code, 0))
        quota = months.paced_quota(float(annual[key]), active, done)
        plans.append(ListPlan(code, f"centre_{key}", None, None, pool.head(quota).assign(planned_method=""), {
            "annual_target": int(annual[key]), "done_ytd": done, "quota": quota, "pool": len(pool),
            "months_elapsed": k, "months_active": active,
        }))
    return plans


# --- issuing ------------------------------------------------------------------------------------------------


@dataclass
class IssuedList:
    list_code: str
    kind: str
    owner_code: str | None
    owner_name: str | None
    n_items: int
    pacing: dict[str, Any]


@dataclass
class IssueResult:
    month: str
    revision: int
    newly_issued: bool
    as_of: str
    snapshot_id: str | None
    synthetic: bool
    issued_at: str
    lists: list[IssuedList]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def message(self) -> str:
        if not self.newly_issued:
            return t("targets.month.already_issued", month=self.month, revision=self.revision)
        count = {lst.kind: 0 for lst in self.lists}
        for lst in self.lists:
            count[lst.kind] = count.get(lst.kind, 0) + lst.n_items
        return t("targets.month.issued", month=self.month, revision=self.revision,
                 officers=sum(1 for x in self.lists if x.kind == "officer"), officer_rows=count.get("officer", 0),
                 specialist_rows=count.get("specialist", 0), phone=count.get("centre_phone", 0),
                 sms=count.get("centre_sms", 0), visit=count.get("centre_visit", 0))


def _centre_since(conn: Any, month: str) -> str | None:
    """The first month of ``month``'s pacing year with issued lists (None when none before ``month``)."""
    first, _ = months.pacing_position(month)
    row = conn.execute("SELECT MIN(month) FROM target_issues WHERE month >= ? AND month < ?", (first, month)).fetchone()
    return row[0] if row and row[0] else None


def _centre_done(conn: Any, month: str) -> dict[str, int]:
    first, _ = months.pacing_position(month)
    rows = conn.execute(
        "SELECT s.list_code, SUM(s.n_items) FROM target_issues s "
        "JOIN (SELECT month, MAX(revision) AS revision FROM target_issues GROUP BY month) m "
        "USING (month, revision) WHERE s.month >= ? AND s.month < ? AND s.kind LIKE 'centre_%' "
        "GROUP BY s.list_code",
        (first, month),
    ).fetchall()
    return {r[0]: int(r[1] or 0) for r in rows}


def payloads(items: pd.DataFrame) -> list[str]:
    """One JSON object per item with the :data:`PAYLOAD_COLUMNS` (dates as ISO dates, NA as null), vectorised."""
    if not len(items):
        return []
    columns: dict[str, Any] = {}
    for col in PAYLOAD_COLUMNS:
        s = items[col] if col in items else pd.Series(None, index=items.index, dtype=object)
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
        columns[col] = s
    frame = pd.DataFrame(columns, index=items.index)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=4)
    return text.rstrip("\n").split("\n")


def read_issue(conn: Any, month: str, revision: int) -> IssueResult | None:
    rows = conn.execute(
        "SELECT list_code, kind, owner_code, owner_name, n_items, as_of, snapshot_id, synthetic, issued_at "
        "FROM target_issues WHERE month = ? AND revision = ? ORDER BY kind, list_code",
        (month, revision),
    ).fetchall()
    if not rows:
        return None
    lists = [IssuedList(r["list_code"], r["kind"], r["owner_code"], r["owner_name"], r["n_items"], {}) for r in rows]
    first = rows[0]
    return IssueResult(month, revision, False, first["as_of"], first["snapshot_id"], bool(first["synthetic"]),
                       first["issued_at"], lists)


@contextmanager
def issue_lock(store: str | Path | None, month: str) -> Iterator[None]:
    """An exclusive lock on issuing ``month`` (a ``flock`` on ``<store>/targets/<month>/.issue.lock``).

    Whoever issues holds it, so a notebook that asks for the month's lists while the month run is still
    computing them waits and then reads what was issued, instead of computing them a second time. Not
    re-entrant: take it once per process (see ``issue_month(..., lock=False)``).
    """
    folder = cache_dir(store, months.parse_month(month))
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".issue.lock", "a+") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the DB transaction still guards the records
            yield
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def issue_month(
    store: str | Path | None,
    month: str,
    *,
    reissue: bool = False,
    ledger: Any = None,
    synthetic: bool | None = None,
    lock: bool = True,
) -> IssueResult:
    """Issue ``month``'s lists (or return the recorded ones); see the module docstring.

    ``lock=False`` when the caller already holds :func:`issue_lock` for the month.
    """
    month = months.parse_month(month)
    if lock:
        with issue_lock(store, month):
            return issue_month(store, month, reissue=reissue, ledger=ledger, synthetic=synthetic, lock=False)
    conn = open_db(store)
    try:
        rev = current_revision(conn, month)
        if rev and not reissue:
            found = read_issue(conn, month, rev)
            assert found is not None
            return found
        mt = triage_for_month(store, month, ledger=ledger)
        if synthetic is not None:
            mt.synthetic = synthetic
        plans = select_lists(mt.table, mt.staff, month, field_done=field_visits_done(mt.contacts, month),
                             centre_done=_centre_done(conn, month), centre_since=_centre_since(conn, month))
        folder = cache_dir(store, month)
        folder.mkdir(parents=True, exist_ok=True)
        issued_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with transaction(conn):
            latest = current_revision(conn, month)
            if latest and not reissue:  # another process issued meanwhile: theirs stands
                found = read_issue(conn, month, latest)
                assert found is not None
                return found
            if latest > rev:  # another process reissued meanwhile
                found = read_issue(conn, month, latest)
                assert found is not None
                return found
            revision = latest + 1
            for plan in plans:
                conn.execute(
                    "INSERT INTO target_issues(month, list_code, revision, kind, owner_code, owner_name, as_of, "
                    "snapshot_id, synthetic, issued_at, n_items) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (month, plan.list_code, revision, plan.kind, plan.owner_code, plan.owner_name,
                     mt.as_of.isoformat(), mt.snapshot_id, int(mt.synthetic), issued_at, len(plan.items)),
                )
                it = plan.items
                planned = it["planned_method"].fillna("") if "planned_method" in it else pd.Series("", index=it.index)
                conn.executemany(
                    "INSERT INTO target_items(month, list_code, revision, rank, household_id, owner_code, queue, "
                    "primary_reason, reasons, next_action, planned_method, priority, total_arrears, payload) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(month, plan.list_code, revision, i + 1, hid, plan.owner_code, queue, primary, reasons, action,
                      method, float(prio), int(total), text)
                     for i, (hid, queue, primary, reasons, action, method, prio, total, text) in enumerate(zip(
                         it["household_id"], it["queue"], it["primary_reason"], it["reasons"], it["next_action"],
                         planned, it["priority"], it["total_arrears"], payloads(it), strict=True))],
                )
        mt.table.to_parquet(folder / "triage.parquet", index=False)
        pacing = {plan.list_code: plan.pacing for plan in plans}
        (folder / f"pacing-r{revision}.json").write_text(
            json.dumps(pacing, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
        lists = [IssuedList(p.list_code, p.kind, p.owner_code, p.owner_name, len(p.items), p.pacing) for p in plans]
        return IssueResult(month, revision, True, mt.as_of.isoformat(), mt.snapshot_id, mt.synthetic, issued_at,
                           lists)
    finally:
        conn.close()


def load_pacing(store: str | Path | None, month: str, revision: int) -> dict[str, Any]:
    path = cache_dir(store, month) / f"pacing-r{revision}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_items(store: str | Path | None, month: str, list_code: str, revision: int) -> pd.DataFrame:
    """The items of one issued list with their payload expanded (rank order)."""
    conn = open_db(store)
    try:
        rows = conn.execute(
            "SELECT rank, payload FROM target_items WHERE month = ? AND list_code = ? AND revision = ? ORDER BY rank",
            (month, list_code, revision),
        ).fetchall()
    finally:
        conn.close()
    recs = [{"rank": r["rank"], **json.loads(r["payload"])} for r in rows]
    return pd.DataFrame(recs, columns=["rank", *PAYLOAD_COLUMNS])
