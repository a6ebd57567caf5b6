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

from kokuho_nb.params import load_yaml, parameter

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
    "meeting_assigned": "the monthly meeting assigned the case (see kokuho_nb.targets.decisions)",
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
    from kokuho_nb.params import parameters_dir

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


def _days(as_of: pd.Timestamp, dates: pd.Series) -> pd.Series:
    """Whole days from ``dates`` to ``as_of`` (BIG where NaT)."""
    out = (as_of - dates).dt.days
    return out.fillna(BIG).astype("int64")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


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
    date. ``contacts`` is in the canonical contacts schema (the ledger's plus accepted returns).
    """
    th = thresholds if thresholds is not None else _thresholds(as_of)
    ts = pd.Timestamp(as_of)
    idx = pd.Index(households, name="household_id")
    out = pd.DataFrame(index=idx)

    # payments: last payment date
    pay = payments if payments is not None else _empty(["household_id", "paid_date", "amount"])
    pay = pay[pay["paid_date"] <= ts] if len(pay) else pay
    last_paid = pay.groupby("household_id")["paid_date"].max() if len(pay) else pd.Series(dtype="datetime64[ns]")
    last_paid = pd.to_datetime(last_paid.reindex(idx))
    out["days_since_payment"] = _days(ts, last_paid)

    # contacts
    con = contacts if contacts is not None else _empty(["household_id", "date", "method", "result"])
    if len(con):
        con = con[(con["date"] <= ts) & con["household_id"].isin(idx)]
    if len(con):
        con = con[["household_id", "date", "method", "result", "promised_amount", "promised_date"]].copy()
        reached = con["result"].isin(REACHED_RESULTS)
        last_reached = con.loc[reached].groupby("household_id")["date"].max().reindex(idx)
        last_any = con.groupby("household_id")["date"].max().reindex(idx)
        out["days_since_reached"] = _days(ts, pd.to_datetime(last_reached))
        out["days_since_contact"] = _days(ts, pd.to_datetime(last_any))
        # attempts after the household was last reached or last paid (whichever is later), within the window
        reset = pd.concat([pd.to_datetime(last_reached), last_paid], axis=1).max(axis=1)
        window_start = ts - pd.Timedelta(days=int(th["no_answer_window_days"]))
        reset = reset.fillna(window_start).clip(lower=window_start)
        con["reset"] = con["household_id"].map(reset)
        after = con[con["date"] > con["reset"]]
        g_letters = after[after["method"] == "文書"].groupby("household_id").size()
        no_ans = after[after["method"].isin(["電話", "SMS", "訪問", "臨場催告"]) & after["result"].isin(NO_ANSWER_RESULTS)]
        out["n_letters_unanswered"] = g_letters.reindex(idx).fillna(0).astype("int64")
        out["n_calls_unanswered"] = no_ans.groupby("household_id").size().reindex(idx).fillna(0).astype("int64")
        out["sms_tried"] = idx.isin(after.loc[after["method"] == "SMS", "household_id"].unique())
        out["centre_visit_tried"] = idx.isin(after.loc[after["method"] == "訪問", "household_id"].unique())
        recent = con["date"] > ts - pd.Timedelta(days=int(th["recent_contact_days"]))
        out["field_visit_recent"] = idx.isin(con.loc[recent & (con["method"] == "臨場催告"), "household_id"].unique())
        year = con["date"] > ts - pd.Timedelta(days=365)
        out["n_refusals"] = (
            con[year & (con["result"] == "拒否")].groupby("household_id").size().reindex(idx).fillna(0).astype("int64")
        )
        # the latest promise
        prom = con[con["result"].isin(PROMISE_RESULTS) & con["promised_date"].notna()]
        prom = prom.sort_values(["household_id", "date"]).drop_duplicates("household_id", keep="last")
        prom = prom.set_index("household_id")
        if len(prom) and len(pay):
            p = pay[pay["household_id"].isin(prom.index)][["household_id", "paid_date", "amount"]]
            p = p.join(prom["date"].rename("promise_contact"), on="household_id")
            paid_since = p[p["paid_date"] > p["promise_contact"]].groupby("household_id")["amount"].sum()
        else:
            paid_since = pd.Series(dtype="int64")
        prom_paid = paid_since.reindex(prom.index).fillna(0)
        needed = prom["promised_amount"].astype("Float64").fillna(1).astype(float) * float(th["promise_kept_ratio"])
        kept = prom_paid.astype(float) >= needed.clip(lower=1)
        due = pd.to_datetime(prom["promised_date"])
        grace = pd.Timedelta(days=int(th["promise_grace_days"]))
        pending = (~kept) & (due + grace >= ts)
        broken = (~kept) & (due + grace < ts)
        # a promise only counts while it is the latest time the household was reached
        is_latest = prom["date"] >= pd.to_datetime(last_reached.reindex(prom.index))
        kept_recent = kept & ((ts - due).dt.days <= int(th["monitor_days"]))
        out["promise_pending"] = idx.isin(prom.index[pending & is_latest])
        out["promise_kept_recent"] = idx.isin(prom.index[kept_recent])
        out["promise_broken"] = idx.isin(prom.index[broken & is_latest])
    else:
        for col in ("days_since_reached", "days_since_contact"):
            out[col] = BIG
        for col in ("n_letters_unanswered", "n_calls_unanswered", "n_refusals"):
            out[col] = 0
        for col in ("sms_tried", "centre_visit_tried", "field_visit_recent", "promise_pending",
                    "promise_kept_recent", "promise_broken"):
            out[col] = False

    # inquiries
    inq = inquiries if inquiries is not None else _empty(["household_id", "inquiry_date"])
    if len(inq):
        inq = inq[(inq["inquiry_date"] <= ts) & inq["household_id"].isin(idx)]
    if len(inq):
        out["days_since_inquiry"] = _days(ts, pd.to_datetime(inq.groupby("household_id")["inquiry_date"].max().reindex(idx)))
        answered = inq[inq["result"].isin(["有", "無"]) & inq["answer_date"].notna() & (inq["answer_date"] <= ts)]
        out["days_since_answer"] = _days(
            ts, pd.to_datetime(answered.groupby("household_id")["answer_date"].max().reindex(idx))
        )
        fresh = answered["answer_date"] > ts - pd.Timedelta(days=int(th["inquiry_fresh_days"]))
        found = answered[fresh & (answered["result"] == "有")]
        amount = found["found_amount"].astype("Float64").fillna(0).astype("int64")
        found_sum = amount.groupby(found["household_id"]).sum()
        out["found_amount"] = found_sum.reindex(idx).fillna(0).astype("int64")
        out["assets_found"] = out["found_amount"] > 0
        unanswered = inq[(inq["mode"] == "電子") & ((inq["result"] == "未回答") | inq["answer_date"].isna())]
        unanswered = unanswered[unanswered["inquiry_date"] < ts - pd.Timedelta(days=14)]
        out["electronic_unanswered"] = idx.isin(unanswered["household_id"].unique())
    else:
        out["days_since_inquiry"] = BIG
        out["days_since_answer"] = BIG
        out["found_amount"] = 0
        out["assets_found"] = False
        out["electronic_unanswered"] = False

    # dispositions
    dis = dispositions if dispositions is not None else _empty(["household_id", "kind", "start_date", "state"])
    if len(dis):
        dis = dis[(dis["start_date"] <= ts) & dis["household_id"].isin(idx)]

    def _has(kinds: tuple[str, ...], state: str) -> np.ndarray:
        if not len(dis):
            return np.zeros(len(idx), dtype=bool)
        sel = dis[dis["kind"].isin(kinds) & (dis["state"] == state)]
        return idx.isin(sel["household_id"].unique())

    out["seized_active"] = _has(("差押",), "継続")
    out["suspended_active"] = _has(("執行停止",), "継続")
    out["pledge_active"] = _has(("分納誓約", "換価の猶予"), "継続")
    out["pledge_broken"] = _has(("分納誓約",), "不履行") & ~out["pledge_active"].to_numpy()
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

    # reasons as ';'-joined codes: encode each row's rule pattern as bytes, map the (few) unique patterns
    codes = np.array([r.code for r in active], dtype=object)
    packed = np.packbits(masks, axis=1)
    keys = [bytes(row) for row in packed] if n else []
    pattern_text: dict[bytes, str] = {}
    for key, row in zip(keys, masks, strict=True):
        if key not in pattern_text:
            pattern_text[key] = ";".join(codes[row])
    reasons = [pattern_text[k] for k in keys]

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
    is_susp = out["reasons"].str.contains("SUSPENSION_CANDIDATE", regex=False)
    out["suspension_ground"] = ground.where(is_susp, pd.NA).astype("Int64")

    # 財産調査: electronic from the start date unless an electronic inquiry went unanswered
    electronic_from = dt.date.fromisoformat(str(th["electronic_inquiry_start"]))
    electronic = (as_of >= electronic_from) & ~env["electronic_unanswered"].to_numpy()
    is_inq = out["reasons"].str.contains("PROPERTY_INQUIRY", regex=False).to_numpy()
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

    ``assigned`` (optional, from :func:`kokuho_nb.targets.decisions.assigned_cases`) marks the cases the
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
    table.loc[to_spec & ~table["reasons"].str.contains("MEETING_ASSIGNED", regex=False).to_numpy(), "reasons"] = (
        "MEETING_ASSIGNED;" + table["reasons"]
    ).str.rstrip(";")
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
