"""The derived case view: one row per household, as of a date (contract: docs/architecture.md "Case view").

Everything downstream — triage, target lists, the meeting pack, the officers' pages — reads a household's
situation from here, so the arithmetic is in one place:

- An instalment's paid amount on ``as_of`` is the sum of its payments (収納.csv) dated on or before
  ``as_of``. A ledger without payments falls back to 調定.csv's 収納額, counted only when its 最終収納日 is
  unknown or not after ``as_of`` (a later last payment means the instalment was still open on ``as_of``).
- unpaid = max(調定額 − paid − 不納欠損額, 0); an over-payment (過誤納) is reported as ``overpaid``, never as a
  negative arrear, and never offsets another instalment.
- 現年分 = fiscal years from :func:`kokuho_nb.months.current_fiscal_year` on; earlier years are 滞納繰越分.
- An instalment is *overdue* when its due date, moved to the next business day when it falls on a closed
  day (:func:`kokuho_nb.law.calendar.shift_due_date`), is before ``as_of``; *delinquent* (滞納) once its 督促状 was sent or
  the 督促 period (``case_stages.demand_grace_days``) after that date has passed.
- ``current_overdue`` / ``carried_unpaid`` are the overdue unpaid amounts of 現年分 / 滞納繰越分 (an earlier
  year's charge not yet due, e.g. a late 随時 assessment, counts in ``current_not_due`` until it is due);
  ``total_arrears`` is their sum.
- stage by the ordered rules in ``parameters/case_stages.yaml``; amount band, low income and 重点対象 by
  ``parameters/case_view.yaml``; the owning officer from 担当者.csv 担当地区.
- The law module's columns (延滞金, 時効, seizure) are merged from :func:`kokuho_nb.law.caseview.law_columns`.
  When a calendar year's 延滞金 rate is not in the parameters yet, 延滞金 is accrued up to the day before that
  year (``entaikin_partial`` / ``entaikin_through`` on the row) and ``attrs["entaikin_notice"]`` holds the
  Japanese notice (also :func:`kokuho_nb.law.rate_gap_notice`); ``attrs`` is set on cached views too.

All of it is vectorised (numpy/pandas on integer codes): about a second per million charge rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb import params
from kokuho_nb.errors import UserError
from kokuho_nb.frames import household_codes, index_of, int_index_of
from kokuho_nb.labels import t
from kokuho_nb.law.calendar import shift_due_date
from kokuho_nb.law.caseview import law_columns
from kokuho_nb.law.entaikin import rate_gap
from kokuho_nb.months import current_fiscal_year
from kokuho_nb.params import value
from kokuho_nb.store import Derived, Store

log = logging.getLogger(__name__)

#: The contract's columns, in order (docs/architecture.md).
BASE_COLUMNS = [
    "household_id", "area", "officer_code", "officer_name", "income_class", "low_income", "foreign",
    "language", "has_phone", "direct_debit", "insured", "employee_pension", "whereabouts_unknown",
    "current_overdue", "current_not_due", "carried_unpaid", "total_arrears", "oldest_due_date", "n_overdue",
    "stage", "amount_band", "focus",
]
#: Extra columns this module adds (used by the stage rules and shown in reports).
EXTRA_COLUMNS = ["current_delinquent", "n_delinquent", "total_unpaid", "overpaid", "written_off"]
#: Columns merged from :func:`kokuho_nb.law.caseview.law_columns`.
LAW_COLUMNS = ["entaikin", "nearest_limitation", "n_expiring", "seizure_possible", "first_seizure_date",
               "entaikin_through", "entaikin_partial"]
#: Columns a stage rule may test.
RULE_COLUMNS = [
    "carried_unpaid", "current_delinquent", "current_overdue", "current_not_due", "total_unpaid",
    "total_arrears", "n_overdue", "n_delinquent",
]
_OPS = {
    "gt": lambda s, v: s > v, "ge": lambda s, v: s >= v, "lt": lambda s, v: s < v,
    "le": lambda s, v: s <= v, "eq": lambda s, v: s == v, "ne": lambda s, v: s != v,
}


# --- due dates ---------------------------------------------------------------------------------------------


def _shift_dates(dates: pd.Series) -> pd.Series:
    """:func:`kokuho_nb.law.calendar.shift_due_date` over a column, one call per distinct date."""
    codes, uniques = pd.factorize(dates)  # a few hundred distinct due dates even in a big ledger
    shifted = pd.DatetimeIndex([shift_due_date(d.date()) for d in pd.DatetimeIndex(uniques)])
    out = shifted.take(np.where(codes < 0, 0, codes)) if len(shifted) else pd.DatetimeIndex([pd.NaT] * len(codes))
    values = out.values.copy()
    values[codes < 0] = np.datetime64("NaT")
    return pd.Series(values, index=dates.index, dtype="datetime64[ns]")


# --- per instalment ----------------------------------------------------------------------------------------


def _as_date(as_of: Any) -> dt.date:
    if isinstance(as_of, pd.Timestamp):
        return as_of.date()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    return dt.date.fromisoformat(str(as_of))


def _frame(ledger: Any, table: str) -> pd.DataFrame:
    frame = getattr(ledger, table, None)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


def _need(frame: pd.DataFrame, table: str, columns: list[str]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise UserError(t("cases.missing_table", table=table, column=column), f"{table}.{column} missing")


def charge_state(ledger: Any, as_of: Any) -> pd.DataFrame:
    """Every charge (instalment) with its state on ``as_of``.

    Columns: ``household_id, fiscal_year, instalment, due_date, shifted_due, amount, paid, written_off,
    unpaid, overpaid, current, overdue, delinquent``. ``paid`` is what was paid by ``as_of`` (see the module
    docstring), ``current`` marks 現年分.
    """
    day = _as_date(as_of)
    arrays = _charge_arrays(ledger, day, _household_index(ledger))
    arrays.pop("code")
    frame = pd.DataFrame(arrays)
    for column in ("due_date", "shifted_due"):
        frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def _dates(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_dtype(column.dtype):
        return column.to_numpy(dtype="datetime64[ns]")
    return pd.to_datetime(column).to_numpy(dtype="datetime64[ns]")


def _ids(column: pd.Series) -> pd.Series:
    return column if column.dtype == object else column.astype(str)


def _household_index(ledger: Any) -> pd.Index:
    households = _frame(ledger, "households")
    _need(households, "households", ["household_id"])
    return pd.Index(_ids(households["household_id"]))


def _charge_arrays(ledger: Any, day: dt.date, households: pd.Index) -> dict[str, np.ndarray]:
    """The per-charge state as numpy arrays; ``code`` is the household's position in ``households`` (-1: unknown)."""
    ts = pd.Timestamp(day)
    charges = _frame(ledger, "charges")
    _need(charges, "charges", ["household_id", "fiscal_year", "instalment", "due_date", "amount"])
    hid = _ids(charges["household_id"])
    out: dict[str, np.ndarray] = {
        "household_id": hid.to_numpy(),
        "fiscal_year": charges["fiscal_year"].to_numpy(dtype="int64"),
        "instalment": charges["instalment"].to_numpy(dtype="int64"),
        "due_date": _dates(charges["due_date"]),
        "amount": charges["amount"].to_numpy(dtype="int64"),
    }
    hh_frame = _frame(ledger, "households")
    memo = household_codes(charges, hh_frame)  # shared with the law columns of the same ledger
    code = memo if memo is not None else index_of(households, hid)
    out["code"] = code
    payments = _frame(ledger, "payments")
    p_codes = household_codes(payments, hh_frame) if "household_id" in payments.columns else None
    out["paid"] = _paid_as_of(charges, payments, ts, households, code, out, p_codes)
    if "written_off" in charges.columns:
        out["written_off"] = charges["written_off"].fillna(0).to_numpy(dtype="int64")
    else:
        out["written_off"] = np.zeros(len(hid), dtype="int64")
    net = out["amount"] - out["paid"] - out["written_off"]
    out["unpaid"] = np.clip(net, 0, None)
    out["overpaid"] = np.clip(-net, 0, None)
    shifted = _shift_dates(pd.Series(out["due_date"])).to_numpy(dtype="datetime64[ns]")
    out["shifted_due"] = shifted
    out["current"] = out["fiscal_year"] >= current_fiscal_year(day)
    now = ts.to_datetime64()
    overdue = shifted < now
    out["overdue"] = overdue
    grace = np.timedelta64(int(value("case_stages.demand_grace_days", day)), "D")
    past_grace = (shifted + grace) < now
    if "demand_sent_date" in charges.columns:
        demanded = _dates(charges["demand_sent_date"]) <= now
    else:
        demanded = np.zeros(len(hid), dtype=bool)
    out["delinquent"] = overdue & (past_grace | demanded)
    return out


def _paid_as_of(charges: pd.DataFrame, payments: pd.DataFrame, ts: pd.Timestamp, households: pd.Index,
                code: np.ndarray, arrays: dict[str, np.ndarray], p_codes: np.ndarray | None = None) -> np.ndarray:
    """Paid per charge row on ``ts``: from the payments when there are any, else from 収納額 + 最終収納日."""
    if len(payments):
        _need(payments, "payments", ["household_id", "fiscal_year", "instalment", "paid_date", "amount"])
        by_then = _dates(payments["paid_date"]) <= ts.to_datetime64()
        if p_codes is not None:  # every payment row's household code, already known
            p_code = p_codes[by_then]
        else:
            p_code = index_of(households, _ids(payments["household_id"])[by_then])
        p_key = _charge_key(p_code, payments["fiscal_year"].to_numpy(dtype="int64")[by_then],
                            payments["instalment"].to_numpy(dtype="int64")[by_then])
        c_key = _charge_key(code, arrays["fiscal_year"], arrays["instalment"])
        known = p_key >= 0
        amounts = payments["amount"].to_numpy(dtype="int64")[by_then][known]
        pos = int_index_of(c_key, p_key[known])
        if pos is not None:  # the contract's key: one row per (household, year, instalment)
            hit = pos >= 0
            return np.bincount(pos[hit], weights=amounts[hit], minlength=len(c_key)).round().astype("int64")
        sums = pd.Series(amounts).groupby(p_key[known]).sum()
        return sums.reindex(c_key, fill_value=0).to_numpy(dtype="int64")
    _need(charges, "charges", ["paid"])
    paid = charges["paid"].fillna(0).to_numpy(dtype="int64")
    if "last_paid_date" in charges.columns:
        last = pd.to_datetime(charges["last_paid_date"])
        counted = (last.isna() | (last <= ts)).to_numpy()
        paid = np.where(counted, paid, 0)
    return paid


def _charge_key(code: np.ndarray, fiscal_year: np.ndarray, instalment: np.ndarray) -> np.ndarray:
    """One int64 per (household, fiscal year, instalment); -1 where the household is unknown."""
    year = fiscal_year - 1900
    if len(year) and (year.min() < 0 or year.max() >= 1000 or instalment.min() < 0 or instalment.max() >= 1000):
        raise UserError(t("cases.missing_table", table="charges", column="fiscal_year/instalment"),
                        "fiscal_year or instalment out of range")
    key = code.astype("int64") * 1_000_000 + year * 1000 + instalment
    return np.where(code < 0, -1, key)


# --- per household -----------------------------------------------------------------------------------------


def case_view(ledger: Any, as_of: Any, *, with_law: bool = True) -> pd.DataFrame:
    """One row per household of ``ledger.households`` as of ``as_of`` (columns: see the module docstring).

    ``with_law=False`` leaves out the law module's columns (faster where 延滞金 and 時効 aren't needed).
    """
    day = _as_date(as_of)
    params.refresh()  # a parameter file edited while this process runs is read now
    households = _frame(ledger, "households")
    index = _household_index(ledger)
    n = len(index)
    arrays = _charge_arrays(ledger, day, index)
    code = arrays["code"]
    keep = code >= 0
    if not keep.all():
        log.warning("case view: %d charge rows for households not in 世帯.csv ignored", int((~keep).sum()))
        arrays = {k: v[keep] for k, v in arrays.items()}
        code = arrays["code"]

    unpaid = arrays["unpaid"]
    current = arrays["current"]
    overdue = arrays["overdue"]
    delinquent = arrays["delinquent"]
    open_ = unpaid > 0

    def total(mask: np.ndarray | None, values: np.ndarray = unpaid) -> np.ndarray:
        weights = values if mask is None else np.where(mask, values, 0)
        return np.bincount(code, weights=weights, minlength=n).round().astype("int64")

    view = pd.DataFrame({"household_id": index.to_numpy()})
    view["current_overdue"] = total(current & overdue)
    view["current_not_due"] = total(~overdue)
    view["carried_unpaid"] = total(~current & overdue)
    view["current_delinquent"] = total(current & delinquent)
    view["total_arrears"] = view["current_overdue"] + view["carried_unpaid"]
    view["total_unpaid"] = total(None)
    view["overpaid"] = total(None, arrays["overpaid"])
    view["written_off"] = total(None, arrays["written_off"])
    view["n_overdue"] = np.bincount(code, weights=open_ & overdue, minlength=n).astype("int64")
    view["n_delinquent"] = np.bincount(code, weights=open_ & delinquent, minlength=n).astype("int64")
    arrears = open_ & overdue
    oldest = pd.Series(arrays["due_date"][arrears]).groupby(code[arrears]).min()
    view["oldest_due_date"] = oldest.reindex(np.arange(n)).to_numpy(dtype="datetime64[ns]")

    _add_household_columns(view, households, day)
    _add_officers(view, _frame(ledger, "staff"), day)
    view["stage"] = stages(view, day)
    threshold = int(value("case_view.amount_band_threshold", day))
    man = f"{threshold / 10_000:g}"
    below = view["total_arrears"] < threshold
    view["amount_band"] = np.where(below, t("cases.band_below", man=man), t("cases.band_at_or_above", man=man))
    view["focus"] = (view["total_arrears"] > 0) & below & ~view["low_income"]

    columns = BASE_COLUMNS + EXTRA_COLUMNS
    view = view[columns]
    if with_law:
        view = _merge_law(view, ledger, day)
    _set_law_attrs(view, day, with_law)
    return view


def _set_law_attrs(view: pd.DataFrame, day: dt.date, with_law: bool) -> None:
    """``attrs["entaikin_notice"]`` (text or None) and ``attrs["entaikin_through"]`` (ISO date) of a view with
    the law columns; neither without them. Values stay JSON-safe: ``to_parquet`` writes ``attrs``."""
    view.attrs.pop("entaikin_notice", None)
    view.attrs.pop("entaikin_through", None)
    if not with_law:
        return
    gap = rate_gap(day)  # the parameters the law columns were computed with (synced before them)
    view.attrs["entaikin_notice"] = gap.notice() if gap is not None else None
    view.attrs["entaikin_through"] = (gap.through if gap is not None else day).isoformat()  # JSON-safe (parquet)


def _bool(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return frame[column].astype("boolean")


def _add_household_columns(view: pd.DataFrame, households: pd.DataFrame, day: dt.date) -> None:
    hh = households.reset_index(drop=True)

    def text(column: str) -> Any:
        return hh[column].astype("string").to_numpy() if column in hh.columns else pd.NA

    view["area"] = text("area")
    view["income_class"] = text("income_class")
    low = set(value("case_view.low_income_classes", day))
    view["low_income"] = (
        hh["income_class"].isin(low).to_numpy(dtype=bool) if "income_class" in hh.columns else False
    )
    if "nationality" in hh.columns:
        nat = hh["nationality"].astype("string")
        view["foreign"] = (nat == "外国").astype("boolean").to_numpy()
    else:
        view["foreign"] = pd.array([pd.NA] * len(hh), dtype="boolean")
    view["language"] = text("language")
    for column in ("has_phone", "direct_debit", "employee_pension", "whereabouts_unknown"):
        view[column] = _bool(hh, column).to_numpy()
    if "status" in hh.columns:
        view["insured"] = (hh["status"].astype("string") == "加入中").astype("boolean").to_numpy()
    else:
        view["insured"] = pd.array([pd.NA] * len(hh), dtype="boolean")


def area_owners(staff: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """``area, officer_code, officer_name``: one owner per area (see ``case_view.area_owner_roles``)."""
    empty = pd.DataFrame({"area": pd.Series(dtype="string"), "officer_code": pd.Series(dtype="string"),
                          "officer_name": pd.Series(dtype="string")})
    if staff.empty or "areas" not in staff.columns:
        return empty
    roles = list(value("case_view.area_owner_roles", day))
    frame = pd.DataFrame({
        "officer_code": staff["officer_code"].astype("string"),
        "officer_name": staff["name"].astype("string") if "name" in staff.columns else pd.NA,
        "areas": staff["areas"].map(_split_areas),
        "rank": staff["role"].map(lambda r: roles.index(r) if r in roles else len(roles))
        if "role" in staff.columns else 0,
    }).explode("areas").rename(columns={"areas": "area"}).dropna(subset=["area"])
    frame = frame.sort_values(["area", "rank", "officer_code"], kind="stable").drop_duplicates("area")
    return frame[["area", "officer_code", "officer_name"]].astype("string").reset_index(drop=True)


def _split_areas(areas: Any) -> list[str]:
    if isinstance(areas, list | tuple | np.ndarray):
        items = [str(a) for a in areas]
    elif areas is None or (isinstance(areas, float) and np.isnan(areas)) or areas is pd.NA:
        return []
    else:
        items = str(areas).split(";")
    return [a.strip() for a in items if a and a.strip()]


def _add_officers(view: pd.DataFrame, staff: pd.DataFrame, day: dt.date) -> None:
    owners = area_owners(staff, day).set_index("area")
    area = pd.Series(view["area"], dtype="string")
    view["officer_code"] = area.map(owners["officer_code"]).astype("string").to_numpy()
    view["officer_name"] = area.map(owners["officer_name"]).astype("string").to_numpy()


def stages(view: pd.DataFrame, day: dt.date) -> pd.Series:
    """The stage of each row by the ordered rules of ``case_stages.rules`` (first match wins)."""
    rules = value("case_stages.rules", day)
    result = pd.Series(pd.NA, index=view.index, dtype="string")
    undecided = np.ones(len(view), dtype=bool)
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or "stage" not in rule:
            raise UserError(t("cases.bad_stage_rule", index=number, problem="stage がありません"), "rule without stage")
        holds = np.ones(len(view), dtype=bool)
        for column, tests in (rule.get("when") or {}).items():
            if column not in RULE_COLUMNS:
                raise UserError(t("cases.bad_stage_rule", index=number, problem=f"列 {column} は使えません"),
                                f"unknown column {column}")
            if not isinstance(tests, dict):
                raise UserError(t("cases.bad_stage_rule", index=number, problem=f"{column} の条件の形"),
                                "condition must be a mapping")
            for op, operand in tests.items():
                if op not in _OPS:
                    raise UserError(t("cases.bad_stage_rule", index=number, problem=f"比較 {op} は使えません"),
                                    f"unknown operator {op}")
                holds &= _OPS[op](view[column].to_numpy(), operand)
        chosen = undecided & holds
        result[chosen] = str(rule["stage"])
        undecided &= ~holds
    return result


# --- law columns seam --------------------------------------------------------------------------------------


def _merge_law(view: pd.DataFrame, ledger: Any, day: dt.date) -> pd.DataFrame:
    law = law_columns(ledger, day)
    if "household_id" in law.columns:
        law = law.set_index("household_id")
    law = law[[c for c in law.columns if c not in view.columns]]
    merged = view.merge(law, how="left", left_on="household_id", right_index=True)
    return merged.reset_index(drop=True)


#: The parameter files and the code the case view is computed from (its cache key: :func:`view_key`).
VIEW_PARAMETERS = ("case_stages.yaml", "case_view.yaml", "law/")
VIEW_CODE = ("kokuho_nb.cases", "kokuho_nb.law", "kokuho_nb.frames", "kokuho_nb.months", "i18n/cases.yaml")


def view_key(snapshot_id: str, day: dt.date) -> str:
    """The derived-cache key of the case view of ``snapshot_id`` as of ``day``."""
    return Derived.key("case_view", inputs={"snapshot": snapshot_id, "as_of": day.isoformat()},
                       params_of=VIEW_PARAMETERS, code=VIEW_CODE)


def view_path(store: Store, snapshot_id: str, day: dt.date, *, with_law: bool = True) -> Path:
    suffix = "" if with_law else "_base"
    return store.derived.path("case_view", f"{snapshot_id}_{day.isoformat()}_{view_key(snapshot_id, day)}{suffix}")


def load_case_view(store: Store, as_of: Any = None, *, with_law: bool = True) -> pd.DataFrame:
    """The case view from a store: the snapshot in force on ``as_of`` (default: the latest), viewed as of
    ``as_of`` (default: the snapshot's own date). Read from the store's derived cache when it is there (the
    snapshot is then not loaded at all)."""
    day = _as_date(as_of) if as_of is not None else None
    snap = store.snapshot_for(day)
    return _cached(store, snap.id, day or snap.as_of, with_law, None)


def cached_case_view(ledger: Any, as_of: Any, *, store: Store | None = None, with_law: bool = True) -> pd.DataFrame:
    """:func:`case_view` of a ledger loaded unchanged from ``store`` (its ``snapshot_id`` names the cache entry).

    A ledger that did not come from a store snapshot (no ``snapshot_id``, or no store) is computed.
    """
    day = _as_date(as_of)
    sid = getattr(ledger, "snapshot_id", None)
    if not sid or store is None:
        return case_view(ledger, day, with_law=with_law)
    return _cached(store, str(sid), day, with_law, ledger)


def _cached(store: Store, sid: str, day: dt.date, with_law: bool, ledger: Any) -> pd.DataFrame:
    """Memory or file, else computed and kept. A ``with_law=False`` request is served from a full view when
    there is one."""
    derived = store.derived
    view: pd.DataFrame | None = None
    full = view_path(store, sid, day, with_law=True)
    hit = derived.read_frame(full)
    if hit is not None:
        view = hit if with_law else hit[BASE_COLUMNS + EXTRA_COLUMNS].copy()
    elif not with_law:
        view = derived.read_frame(view_path(store, sid, day, with_law=False))
    if view is None:
        led = ledger if ledger is not None else store.load(sid)
        computed = case_view(led, day, with_law=with_law)
        derived.write_frame(full if with_law else view_path(store, sid, day, with_law=False), computed)
        view = computed.copy()
    _set_law_attrs(view, day, with_law)
    return view
