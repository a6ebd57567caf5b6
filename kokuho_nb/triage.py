"""Triage: for every household as of a date, why it needs work, what to do next, who does it, how urgently.

The rules are data (``parameters/triage.yaml``), each tied to the section of the action plan it implements.
The work is in three vectorised steps:

1. :func:`history_features` turns the contact history (the ledger's 折衝記録 plus the accepted month-end
   returns from the case-work DB), the property inquiries, the dispositions and the payments into one row
   of features per household (:data:`FEATURES`).
2. ``flags`` from the YAML (pandas expressions) derive booleans such as ``no_answer`` or ``monitoring``.
3. Each rule's ``when`` expression gives a boolean column; a household's reasons are all rules that hold,
   its queue is the actor of its heaviest *listable* reason, its next action that reason's action.

The priority score (formula in the YAML ``priority`` node) is the sum of its parts, each kept as a column
(``prio_amount``, ``prio_ability``, ``prio_urgency``, ``prio_no_contact``, ``prio_rule``) so that an officer
sees why a case ranks where it does. A case without a listable reason is never queued.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb.frames import index_of
from kokuho_nb.params import load_yaml, parameter, parameters_dir

log = logging.getLogger(__name__)

PARAM_FILE = "triage.yaml"
BIG = 99_999  # "never" in day counts (no contact, no payment, no inquiry)

#: Contact results that mean the household was reached (a conversation or an undertaking).
REACHED_RESULTS = ("接触", "納付約束", "分納誓約", "拒否")
#: Results of a phone call / SMS / visit that mean nobody answered.
NO_ANSWER_RESULTS = ("不在", "不通")
PROMISE_RESULTS = ("納付約束", "分納誓約")

#: Features computed from the history (besides the case-view columns), by name -> meaning.
FEATURES: dict[str, str] = {
    "days_since_reached": "days since the last contact that reached the household (BIG if never)",
    "days_since_contact": "days since any contact attempt (BIG if never)",
    "n_letters_unanswered": "letters (文書) since the household was last reached or last paid",
    "n_calls_unanswered": "phone/SMS/visits with 不在/不通 since the household was last reached or last paid",
    "sms_tried": "an SMS was sent since the household was last reached",
    "centre_visit_tried": "the guidance centre visited (訪問) since the household was last reached",
    "field_visit_recent": "an officer field visit (臨場催告) within recent_contact_days",
    "n_refusals": "拒否 results within the last 365 days",
    "days_since_payment": "days since the last payment (BIG if never)",
    "days_since_inquiry": "days since the last property inquiry was sent",
    "days_since_answer": "days since the last answered (有/無) inquiry",
    "assets_found": "an answered inquiry found property (有, 発見額 > 0) within inquiry_fresh_days",
    "found_amount": "yen found by those inquiries",
    "electronic_unanswered": "an electronic inquiry got no answer (paper recommended)",
    "seized_active": "a 差押 in state 継続",
    "suspended_active": "a 執行停止 in state 継続",
    "pledge_active": "a 分納誓約 or 換価の猶予 in state 継続",
    "pledge_broken": "a 分納誓約 in state 不履行 and no active pledge",
    "pledge_kept": "an active pledge with a payment within 62 days",
    "promise_pending": "the latest 納付約束/分納誓約 contact has a promise date not yet passed (+grace)",
    "promise_kept_recent": "the latest promise was kept (paid) and its date is within monitor_days",
    "promise_broken": "the latest promise date passed (+grace) without the promised payment",
    "monitoring": "promise pending or recently kept, or an active pledge being paid",
    "meeting_assigned": "the monthly meeting assigned the case (see kokuho_nb.casework.decisions)",
    "days_to_limitation": "days from the triage date to nearest_limitation (BIG if none)",
}

ACTORS = ("officer", "specialist", "centre")
PRIORITY_PARTS = ("amount", "ability", "urgency", "no_contact", "rule")


@dataclass(frozen=True)
class Rule:
    code: str
    actor: str
    weight: int
    listable: bool
    action: str
    when: str
    reference: str
    since: dt.date | None = None


def _thresholds(as_of: dt.date) -> dict[str, Any]:
    spec = load_yaml(PARAM_FILE)["thresholds"]
    return {name: parameter(f"triage.thresholds.{name}").at(as_of) for name in spec}


@lru_cache(maxsize=8)
def _rules_cached(mtime_key: str) -> tuple[Rule, ...]:
    spec = load_yaml(PARAM_FILE)
    rules = []
    for item in spec["rules"]:
        if item["actor"] not in ACTORS:
            raise ValueError(f"triage rule {item['code']}: unknown actor {item['actor']}")
        since = item.get("since")
        rules.append(
            Rule(
                code=str(item["code"]),
                actor=str(item["actor"]),
                weight=int(item["weight"]),
                listable=bool(item["listable"]),
                action=str(item["action"]),
                when=str(item["when"]),
                reference=str(item["reference"]),
                since=dt.date.fromisoformat(str(since)) if since else None,
            )
        )
    rules.sort(key=lambda r: -r.weight)
    return tuple(rules)


def rules(as_of: dt.date | None = None) -> tuple[Rule, ...]:
    """The triage rules in force on ``as_of`` (all when None), heaviest first."""

    path = parameters_dir() / PARAM_FILE
    found = _rules_cached(f"{path}:{path.stat().st_mtime}")
    if as_of is None:
        return found
    return tuple(r for r in found if r.since is None or r.since <= as_of)


def rule_reference(code: str) -> str:
    """The plan section / legal reference of a reason code."""
    for r in rules():
        if r.code == code:
            return r.reference
    raise KeyError(code)


# --- step 1: features from the history -----------------------------------------------------------------


def history_features(
    households: pd.Index,
    as_of: dt.date,
    *,
    contacts: pd.DataFrame | None = None,
    inquiries: pd.DataFrame | None = None,
    dispositions: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    thresholds: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per household in ``households`` with the history features (:data:`FEATURES`).

    Only records dated on or before ``as_of`` count, so a later snapshot can be triaged as of an earlier
    date. ``contacts`` is in the canonical contacts schema (the ledger's plus accepted returns). Households
    are mapped to integer positions once per table; everything after that is numpy on integers.
    """
    th = thresholds if thresholds is not None else _thresholds(as_of)
    ts = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
    day = np.timedelta64(1, "D")
    idx = pd.Index(households, name="household_id")
    n = len(idx)
    never = np.datetime64("NaT", "ns")
    out = pd.DataFrame(index=idx)

    def codes_of(frame: pd.DataFrame) -> np.ndarray:
        # Arrow's string hash (same positions as idx.get_indexer, ~2x faster on the millions of payment rows)
        return index_of(idx, frame["household_id"]) if len(frame) else np.zeros(0, dtype=np.int64)

    def latest(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """Per household, the latest of ``dates`` (NaT when none)."""
        res = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        if len(codes):
            np.maximum.at(res, codes, dates.astype("datetime64[ns]").astype(np.int64))
        res = res.view("datetime64[ns]")
        res[res == np.datetime64(np.iinfo(np.int64).min, "ns")] = never
        return res

    def days_since(dates: np.ndarray) -> np.ndarray:
        missing = np.isnat(dates)
        delta = (ts - np.where(missing, ts, dates)) // day
        return np.where(missing, BIG, delta).astype(np.int64)

    def any_of(codes: np.ndarray) -> np.ndarray:
        return np.bincount(codes, minlength=n)[:n] > 0 if len(codes) else np.zeros(n, dtype=bool)

    def count(codes: np.ndarray) -> np.ndarray:
        return np.bincount(codes, minlength=n)[:n].astype(np.int64) if len(codes) else np.zeros(n, dtype=np.int64)

    # payments: last payment date
    if payments is not None and len(payments):
        pc = codes_of(payments)
        pdates = payments["paid_date"].to_numpy(dtype="datetime64[ns]")
        pamount = payments["amount"].to_numpy(dtype=np.int64)
        keep = (pc >= 0) & (pdates <= ts)
        pc, pdates, pamount = pc[keep], pdates[keep], pamount[keep]
    else:
        pc, pdates, pamount = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]"), np.zeros(0, np.int64)
    last_paid = latest(pc, pdates)
    out["days_since_payment"] = days_since(last_paid)

    # contacts
    if contacts is not None and len(contacts):
        cc = codes_of(contacts)
        cdates = contacts["date"].to_numpy(dtype="datetime64[ns]")
        keep = (cc >= 0) & (cdates <= ts)
        cc, cdates = cc[keep], cdates[keep]
        method = contacts["method"].to_numpy(dtype=object)[keep]
        result = contacts["result"].to_numpy(dtype=object)[keep]
        pamt = contacts["promised_amount"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[keep]
        pdue = contacts["promised_date"].to_numpy(dtype="datetime64[ns]")[keep]
    else:
        cc, cdates = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]")
        method = result = np.zeros(0, dtype=object)
        pamt, pdue = np.zeros(0), np.zeros(0, "datetime64[ns]")
    reached = np.isin(result, REACHED_RESULTS)
    last_reached = latest(cc[reached], cdates[reached])
    out["days_since_reached"] = days_since(last_reached)
    out["days_since_contact"] = days_since(latest(cc, cdates))
    # attempts after the household was last reached or last paid (whichever is later), within the window
    window_start = ts - int(th["no_answer_window_days"]) * day
    reset = np.fmax(np.fmax(last_reached, last_paid), window_start)
    after = cdates > reset[cc] if len(cc) else np.zeros(0, dtype=bool)
    is_call = np.isin(method, ["電話", "SMS", "訪問", "臨場催告"]) & np.isin(result, NO_ANSWER_RESULTS)
    out["n_letters_unanswered"] = count(cc[after & (method == "文書")])
    out["n_calls_unanswered"] = count(cc[after & is_call])
    out["sms_tried"] = any_of(cc[after & (method == "SMS")])
    out["centre_visit_tried"] = any_of(cc[after & (method == "訪問")])
    recent = cdates > ts - int(th["recent_contact_days"]) * day
    out["field_visit_recent"] = any_of(cc[recent & (method == "臨場催告")])
    year = cdates > ts - 365 * day
    out["n_refusals"] = count(cc[year & (result == "拒否")])
    # the latest promise (a promise only counts while it is the latest time the household was reached)
    is_prom = np.isin(result, PROMISE_RESULTS) & ~np.isnat(pdue)
    order = np.lexsort((cdates[is_prom], cc[is_prom]))
    pcodes, pdate_c = cc[is_prom][order], cdates[is_prom][order]
    pdue_s, pamt_s = pdue[is_prom][order], pamt[is_prom][order]
    last_of = np.ones(len(pcodes), dtype=bool)
    if len(pcodes):
        last_of[:-1] = pcodes[:-1] != pcodes[1:]
    pcodes, pdate_c, pdue_s, pamt_s = pcodes[last_of], pdate_c[last_of], pdue_s[last_of], pamt_s[last_of]
    promise_contact = np.full(n, never)
    promise_contact[pcodes] = pdate_c
    pc_date = promise_contact[pc] if len(pc) else np.zeros(0, "datetime64[ns]")
    paid_after = (pdates > pc_date) & ~np.isnat(pc_date) if len(pc) else np.zeros(0, dtype=bool)
    paid_since = np.bincount(pc[paid_after], weights=pamount[paid_after], minlength=n)[:n] if len(pc) else np.zeros(n)
    needed = np.clip(np.nan_to_num(pamt_s, nan=1.0) * float(th["promise_kept_ratio"]), 1, None)
    kept = paid_since[pcodes] >= needed
    grace = int(th["promise_grace_days"]) * day
    pending = ~kept & (pdue_s + grace >= ts)
    broken = ~kept & (pdue_s + grace < ts)
    is_latest = pdate_c >= np.where(np.isnat(last_reached[pcodes]), pdate_c, last_reached[pcodes])
    kept_recent = kept & ((ts - pdue_s) // day <= int(th["monitor_days"]))
    out["promise_pending"] = any_of(pcodes[pending & is_latest])
    out["promise_kept_recent"] = any_of(pcodes[kept_recent])
    out["promise_broken"] = any_of(pcodes[broken & is_latest])

    # inquiries
    if inquiries is not None and len(inquiries):
        qc = codes_of(inquiries)
        qdate = inquiries["inquiry_date"].to_numpy(dtype="datetime64[ns]")
        keep = (qc >= 0) & (qdate <= ts)
        qc, qdate = qc[keep], qdate[keep]
        adate = inquiries["answer_date"].to_numpy(dtype="datetime64[ns]")[keep]
        qres = inquiries["result"].to_numpy(dtype=object)[keep]
        qmode = inquiries["mode"].to_numpy(dtype=object)[keep]
        qfound = inquiries["found_amount"].astype("Float64").to_numpy(dtype=float, na_value=0.0)[keep]
    else:
        qc, qdate, adate = np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]"), np.zeros(0, "datetime64[ns]")
        qres = qmode = np.zeros(0, dtype=object)
        qfound = np.zeros(0)
    out["days_since_inquiry"] = days_since(latest(qc, qdate))
    answered = np.isin(qres, ["有", "無"]) & ~np.isnat(adate) & (adate <= ts)
    out["days_since_answer"] = days_since(latest(qc[answered], adate[answered]))
    fresh = answered & (adate > ts - int(th["inquiry_fresh_days"]) * day) & (qres == "有")
    found = np.bincount(qc[fresh], weights=qfound[fresh], minlength=n)[:n] if len(qc) else np.zeros(n)
    out["found_amount"] = found.astype(np.int64)
    out["assets_found"] = out["found_amount"].to_numpy() > 0
    unanswered = (qmode == "電子") & ((qres == "未回答") | np.isnat(adate)) & (qdate < ts - 14 * day)
    out["electronic_unanswered"] = any_of(qc[unanswered])

    # dispositions
    if dispositions is not None and len(dispositions):
        dc = codes_of(dispositions)
        ddate = dispositions["start_date"].to_numpy(dtype="datetime64[ns]")
        keep = (dc >= 0) & (ddate <= ts)
        dc = dc[keep]
        kind = dispositions["kind"].to_numpy(dtype=object)[keep]
        state = dispositions["state"].to_numpy(dtype=object)[keep]
    else:
        dc, kind, state = np.zeros(0, np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)

    def has(kinds: tuple[str, ...], st: str) -> np.ndarray:
        return any_of(dc[np.isin(kind, kinds) & (state == st)])

    out["seized_active"] = has(("差押",), "継続")
    out["suspended_active"] = has(("執行停止",), "継続")
    out["pledge_active"] = has(("分納誓約", "換価の猶予"), "継続")
    out["pledge_broken"] = has(("分納誓約",), "不履行") & ~out["pledge_active"].to_numpy()
    out["pledge_kept"] = out["pledge_active"] & (out["days_since_payment"] <= 62)
    out["monitoring"] = out["promise_pending"] | out["promise_kept_recent"] | out["pledge_kept"]
    return out


# --- steps 2 and 3: flags, rules, priority ---------------------------------------------------------------

_BOOL_COLUMNS = (
    "low_income", "foreign", "has_phone", "direct_debit", "insured", "employee_pension", "whereabouts_unknown",
    "focus", "seizure_possible",
)


def _plain_bool(s: pd.Series) -> np.ndarray:
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


@lru_cache(maxsize=256)
def _compile(expr: str) -> Any:
    return compile(expr.replace("@", ""), f"<triage: {expr}>", "eval")


def _eval(expr: str, columns: dict[str, Any], thresholds: dict[str, Any], n: int) -> np.ndarray:
    """Evaluate a rule expression (pandas-query syntax: & | ~, comparisons, ``@threshold``) on numpy columns.

    Expressions come from the parameters folder (trusted configuration); no builtins are available to them.
    """
    result = eval(_compile(expr), {"__builtins__": {}}, {**thresholds, **columns})  # noqa: S307
    return np.broadcast_to(np.asarray(result, dtype=bool), (n,)).copy()


def evaluate(frame: pd.DataFrame, as_of: dt.date, *, thresholds: dict[str, Any] | None = None) -> pd.DataFrame:
    """Apply flags, rules and the priority formula to ``frame`` (case-view columns + history features).

    Returns one row per input row (same index) with the triage columns (see :func:`triage_frame`).
    """
    th = thresholds if thresholds is not None else _thresholds(as_of)
    spec = load_yaml(PARAM_FILE)
    env = frame.copy()
    for col in _BOOL_COLUMNS:
        env[col] = _plain_bool(env[col]) if col in env else False
    for col in FEATURES:
        if col not in env:
            env[col] = False if col not in ("days_since_reached", "days_since_contact", "days_since_payment",
                                            "days_since_inquiry", "days_since_answer", "days_to_limitation") else BIG
        elif env[col].dtype == object or str(env[col].dtype) == "boolean":
            env[col] = _plain_bool(env[col])
    env["total_arrears"] = env["total_arrears"].fillna(0).astype("int64")
    env["income_class"] = env["income_class"].astype(object).fillna("")
    ns: dict[str, Any] = {col: env[col].to_numpy() for col in env.columns}
    for name, expr in spec["flags"].items():
        env[name] = ns[name] = _eval(expr, ns, th, len(env))

    active = rules(as_of)
    n = len(env)
    eligible = env["total_arrears"].to_numpy() > 0
    masks = np.zeros((n, len(active)), dtype=bool)
    for j, rule in enumerate(active):
        masks[:, j] = _eval(rule.when, ns, th, n) & eligible
    listable = np.array([r.listable for r in active], dtype=bool)
    lmask = masks[:, listable]
    lrules = [r for r in active if r.listable]
    has_primary = lmask.any(axis=1)
    first = np.where(has_primary, lmask.argmax(axis=1), -1)

    # reasons as ';'-joined codes: the (few) distinct rule patterns are joined once and mapped back
    codes = np.array([r.code for r in active], dtype=object)
    col_of = {r.code: j for j, r in enumerate(active)}
    if n:
        packed = np.ascontiguousarray(np.packbits(masks, axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        uniq, first_at, inverse = np.unique(keys, return_index=True, return_inverse=True)
        texts = np.array([";".join(codes[masks[i]]) for i in first_at], dtype=object)
        reasons = texts[inverse.ravel()]
    else:
        reasons = np.zeros(0, dtype=object)

    primary_code = np.array([r.code for r in lrules] + [""], dtype=object)
    pick = np.where(first >= 0, first, len(lrules))
    actor_arr = np.array([r.actor for r in lrules] + [""], dtype=object)
    action_arr = np.array([r.action for r in lrules] + [""], dtype=object)
    weight_arr = np.array([r.weight for r in lrules] + [0], dtype=float)

    out = pd.DataFrame(index=env.index)
    out["reasons"] = reasons
    out["primary_reason"] = primary_code[pick]
    out["queue"] = actor_arr[pick]
    out["next_action"] = action_arr[pick]
    out["monitoring"] = env["monitoring"].to_numpy()

    # 執行停止: the 15条の7 ground proposed (first matching ground)
    ground = pd.Series(pd.NA, index=env.index, dtype="Int64")
    for g in reversed(spec["suspension_grounds"]):
        hit = _eval(g["when"], ns, th, n)
        ground = ground.mask(hit, int(g["ground"]))
    is_susp = masks[:, col_of["SUSPENSION_CANDIDATE"]] if "SUSPENSION_CANDIDATE" in col_of else np.zeros(n, bool)
    out["suspension_ground"] = ground.where(is_susp, pd.NA).astype("Int64")

    # 財産調査: electronic from the start date unless an electronic inquiry went unanswered
    electronic_from = dt.date.fromisoformat(str(th["electronic_inquiry_start"]))
    electronic = (as_of >= electronic_from) & ~env["electronic_unanswered"].to_numpy()
    is_inq = masks[:, col_of["PROPERTY_INQUIRY"]] if "PROPERTY_INQUIRY" in col_of else np.zeros(n, bool)
    out["inquiry_mode"] = np.where(is_inq, np.where(electronic, "電子", "紙"), "")

    # foreign residents: leaflet language and the immigration-office link in force
    foreign = env["foreign"].to_numpy()
    languages = set(parameter("triage.foreign.leaflet_languages").at(as_of))
    fallback = parameter("triage.foreign.leaflet_fallback").at(as_of)
    lang = env["language"].astype(object).fillna("") if "language" in env else pd.Series("", index=env.index)
    leaflet = np.where(lang.isin(languages), lang, fallback)
    out["leaflet_language"] = np.where(foreign, leaflet, "")
    try:
        link = parameter("triage.foreign.immigration_link").at(as_of)
    except Exception:  # not yet in force on as_of
        link = ""
    out["immigration_link"] = np.where(foreign, link, "")

    # priority
    pw = parameter("triage.priority.weights").at(as_of)
    cap = float(parameter("triage.priority.amount_cap").at(as_of))
    levels = parameter("triage.priority.ability_levels").at(as_of)
    horizon = float(parameter("triage.priority.urgency_horizon_days").at(as_of))
    nocap = float(parameter("triage.priority.no_contact_cap_days").at(as_of))
    total = env["total_arrears"].to_numpy(dtype=float)
    ability = np.where(
        env["focus"].to_numpy(), levels["focus"], np.where(env["low_income"].to_numpy(), levels["low_income"], levels["income"])
    )
    days_lim = env["days_to_limitation"].to_numpy(dtype=float)
    parts = {
        "amount": np.minimum(total / cap, 1.0),
        "ability": ability,
        "urgency": np.clip(1.0 - days_lim / horizon, 0.0, 1.0),
        "no_contact": np.minimum(env["days_since_reached"].to_numpy(dtype=float) / nocap, 1.0),
        "rule": weight_arr[pick] / 100.0,
    }
    score = np.zeros(n)
    for part in PRIORITY_PARTS:
        value = np.round(parts[part] * float(pw[part]), 1)
        value = np.where(has_primary, value, 0.0)
        out[f"prio_{part}"] = value
        score = score + value
    out["priority"] = np.round(score, 1)
    for col in ("no_answer", "recently_contacted", "assets_found", "found_amount", "days_since_reached",
                "days_to_limitation", "inquiry_done", "large"):
        out[col] = env[col].to_numpy()
    return out


#: Case-view columns carried into the triage table.
CASE_COLUMNS = [
    "household_id", "area", "officer_code", "officer_name", "income_class", "low_income", "focus", "stage",
    "amount_band", "total_arrears", "current_overdue", "carried_unpaid", "oldest_due_date", "nearest_limitation",
    "entaikin", "language", "foreign", "has_phone", "direct_debit", "whereabouts_unknown",
]


def triage_frame(
    cases: pd.DataFrame,
    as_of: dt.date,
    *,
    contacts: pd.DataFrame | None = None,
    inquiries: pd.DataFrame | None = None,
    dispositions: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    assigned: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Triage a case view (contract columns) with its history; one row per household.

    ``assigned`` (optional, from :func:`kokuho_nb.casework.decisions.assigned_cases`) marks the cases the
    meeting assigned (reason MEETING_ASSIGNED). Columns: the case columns in :data:`CASE_COLUMNS`, then
    ``reasons`` (';'-joined codes), ``primary_reason``, ``queue`` (officer/specialist/centre or ''),
    ``next_action``, ``suspension_ground``, ``inquiry_mode``, ``leaflet_language``, ``immigration_link``,
    ``priority`` and its parts ``prio_*``, and the deciding features.
    """
    th = _thresholds(as_of)
    cv = cases.set_index("household_id", drop=False)
    feats = history_features(
        cv.index, as_of, contacts=contacts, inquiries=inquiries, dispositions=dispositions, payments=payments,
        thresholds=th,
    )
    frame = cv.join(feats)
    ts = pd.Timestamp(as_of)
    limitation = pd.to_datetime(frame["nearest_limitation"]) if "nearest_limitation" in frame else None
    if limitation is None:
        frame["days_to_limitation"] = BIG
    else:
        frame["days_to_limitation"] = (limitation - ts).dt.days.fillna(BIG).astype("int64")
    decisions = _meeting_effects(frame.index, assigned)
    frame["meeting_assigned"] = decisions["on_list"].to_numpy()
    frame["monitoring"] = frame["monitoring"].to_numpy() | decisions["monitor"].to_numpy()
    if "seizure_possible" not in frame:
        frame["seizure_possible"] = False
    result = evaluate(frame, as_of, thresholds=th)
    keep = [c for c in CASE_COLUMNS if c in frame]
    table = frame[keep].join(result)
    # the meeting's handling overrides the rules' routing
    on_list = decisions["on_list"].to_numpy() & (table["total_arrears"].to_numpy() > 0)
    table.loc[on_list, "next_action"] = decisions.loc[on_list, "action"].to_numpy()
    to_spec = decisions["to_specialist"].to_numpy() & (table["total_arrears"].to_numpy() > 0)
    table.loc[to_spec, ["queue", "primary_reason", "next_action"]] = ["specialist", "MEETING_ASSIGNED", "SPECIALIST_REVIEW"]
    if to_spec.any():
        fix = to_spec & ~table["reasons"].str.contains("MEETING_ASSIGNED", regex=False).to_numpy()
        table.loc[fix, "reasons"] = ("MEETING_ASSIGNED;" + table.loc[fix, "reasons"]).str.rstrip(";")
    table["list_owner"] = decisions["owner_code"].where(decisions["owner_code"] != "", table["officer_code"])
    table["meeting_decision"] = decisions["decision_type"].to_numpy()
    return table.reset_index(drop=True)


#: What each meeting list_action (parameters/meeting.yaml decision_types) means for the list.
MEETING_ACTIONS = {
    "差押": "SEIZE", "執行停止": "SUSPEND", "財産調査": "INQUIRY", "臨場催告": "FIELD_VISIT", "再接触": "RECONTACT",
    "assign": "FOLLOW_DECISION",
}
SPECIALIST_ROLES = ("特別整理専門員", "債権管理専門員")


def _meeting_effects(index: pd.Index, assigned: pd.DataFrame | None) -> pd.DataFrame:
    """Per household: on_list / monitor / to_specialist, the action, the named officer, the decision label."""
    eff = pd.DataFrame(index=index)
    eff["on_list"] = False
    eff["monitor"] = False
    eff["to_specialist"] = False
    eff["action"] = ""
    eff["owner_code"] = ""
    eff["decision_type"] = ""
    if assigned is None or not len(assigned):
        return eff
    dec = assigned.drop_duplicates("household_id", keep="last").set_index("household_id").reindex(index)
    act = dec["list_action"].astype(object).fillna("")
    role = dec.get("assign_role", pd.Series("", index=index)).astype(object).fillna("")
    owner = dec.get("owner_code", pd.Series("", index=index)).astype(object).fillna("")
    spec = (act == "assign") & role.isin(SPECIALIST_ROLES)
    eff["to_specialist"] = spec.to_numpy()
    eff["on_list"] = (act.isin([k for k in MEETING_ACTIONS if k != "assign"]) | ((act == "assign") & ~spec)).to_numpy()
    eff["monitor"] = (act == "monitor").to_numpy()
    eff["action"] = act.map(MEETING_ACTIONS).fillna("").to_numpy()
    eff["owner_code"] = np.where((act == "assign") & (role == "徴収吏員"), owner, "")
    label = dec.get("decision_label", dec.get("decision_type", pd.Series("", index=index)))
    eff["decision_type"] = label.astype(object).fillna("").to_numpy()
    return eff


def queued(table: pd.DataFrame) -> pd.DataFrame:
    """The triaged households that need work (a listable reason), highest priority first."""
    sel = table[table["queue"] != ""]
    return sel.sort_values(["priority", "total_arrears", "household_id"], ascending=[False, False, True])
