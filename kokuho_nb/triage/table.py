"""Steps 2 and 3 of triage: flags and rules on the case view joined with the history features, then the
triage table (:func:`triage_frame`): why a household needs work, what to do next, who does it, how urgently.

``flags`` from ``parameters/triage.yaml`` (pandas expressions) derive booleans such as ``no_answer`` or
``monitoring``; each rule's ``when`` expression gives a boolean column; a household's reasons are all rules that
hold, its queue is the actor of its heaviest *listable* reason, its next action that reason's action. A case
without a listable reason is never queued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from kokuho_nb import params
from kokuho_nb.contract import codes
from kokuho_nb.triage.features import BIG, FEATURES, history_features
from kokuho_nb.triage.priority import priority
from kokuho_nb.triage.routing import apply_meeting, meeting_effects
from kokuho_nb.triage.rules import PARAM_FILE, evaluate_expression, rules
from kokuho_nb.triage.rules import thresholds as rule_thresholds

_BOOL_COLUMNS = (
    "low_income", "foreign", "has_phone", "direct_debit", "insured", "employee_pension", "whereabouts_unknown",
    "focus", "seizure_possible",
)


def _plain_bool(s: pd.Series) -> np.ndarray:
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


_DAY_COLUMNS = ("days_since_reached", "days_since_contact", "days_since_payment", "days_since_inquiry",
                "days_since_answer", "days_to_limitation")


def _environment(frame: pd.DataFrame, as_of: dt.date, th: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The columns the expressions see (plain numpy booleans, defaults for missing features) and the flags."""
    env = frame.copy()
    for col in _BOOL_COLUMNS:
        env[col] = _plain_bool(env[col]) if col in env else False
    for col in FEATURES:
        if col not in env:
            env[col] = BIG if col in _DAY_COLUMNS else False
        elif env[col].dtype == object or str(env[col].dtype) == "boolean":
            env[col] = _plain_bool(env[col])
    env["total_arrears"] = env["total_arrears"].fillna(0).astype("int64")
    env["income_class"] = env["income_class"].astype(object).fillna("")
    ns: dict[str, Any] = {col: env[col].to_numpy() for col in env.columns}
    for name, expr in params.tree().file(PARAM_FILE)["flags"].items():
        env[name] = ns[name] = evaluate_expression(expr, ns, th, len(env))
    return env, ns


def _reasons(masks: np.ndarray, rule_codes: np.ndarray) -> np.ndarray:
    """Each row's reasons as ';'-joined codes: the (few) distinct rule patterns are joined once and mapped back."""
    if not len(masks):
        return np.zeros(0, dtype=object)
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _uniq, first_at, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.array([";".join(rule_codes[masks[i]]) for i in first_at], dtype=object)
    return texts[inverse.ravel()]


def _details(env: pd.DataFrame, ns: dict[str, Any], th: dict[str, Any], as_of: dt.date, is_suspension: np.ndarray,
             is_inquiry: np.ndarray, out: pd.DataFrame) -> None:
    """What the next action needs: the 執行停止 ground, the inquiry mode, the foreign residents' leaflet and link."""
    n = len(env)
    spec = params.tree().file(PARAM_FILE)
    # 執行停止: the 15条の7 ground proposed (first matching ground)
    ground = pd.Series(pd.NA, index=env.index, dtype="Int64")
    for g in reversed(spec["suspension_grounds"]):
        ground = ground.mask(evaluate_expression(g["when"], ns, th, n), int(g["ground"]))
    out["suspension_ground"] = ground.where(is_suspension, pd.NA).astype("Int64")
    # 財産調査: electronic from the start date unless an electronic inquiry went unanswered
    electronic_from = dt.date.fromisoformat(str(th["electronic_inquiry_start"]))
    electronic = (as_of >= electronic_from) & ~env["electronic_unanswered"].to_numpy()
    mode = codes().inquiry_mode
    out["inquiry_mode"] = np.where(is_inquiry, np.where(electronic, mode.electronic, mode.paper), "")
    # foreign residents: leaflet language and the immigration-office link in force
    foreign = env["foreign"].to_numpy()
    tree = params.tree()
    languages = set(tree.parameter("triage.foreign.leaflet_languages").at(as_of))
    fallback = tree.parameter("triage.foreign.leaflet_fallback").at(as_of)
    lang = env["language"].astype(object).fillna("") if "language" in env else pd.Series("", index=env.index)
    out["leaflet_language"] = np.where(foreign, np.where(lang.isin(languages), lang, fallback), "")
    link = tree.parameter("triage.foreign.immigration_link").get(as_of, default="")  # not yet in force: none
    out["immigration_link"] = np.where(foreign, link, "")


def evaluate(frame: pd.DataFrame, as_of: dt.date, *, thresholds: dict[str, Any] | None = None) -> pd.DataFrame:
    """Apply flags, rules and the priority formula to ``frame`` (case-view columns + history features).

    Returns one row per input row (same index) with the triage columns (see :func:`triage_frame`).
    """
    th = thresholds if thresholds is not None else rule_thresholds(as_of)
    env, ns = _environment(frame, as_of, th)
    active = rules(as_of)
    n = len(env)
    eligible = env["total_arrears"].to_numpy() > 0
    masks = np.zeros((n, len(active)), dtype=bool)
    for j, rule in enumerate(active):
        masks[:, j] = evaluate_expression(rule.when, ns, th, n) & eligible
    listable = np.array([r.listable for r in active], dtype=bool)
    lmask = masks[:, listable]
    lrules = [r for r in active if r.listable]
    has_primary = lmask.any(axis=1)
    pick = np.where(has_primary, lmask.argmax(axis=1), len(lrules))  # the heaviest listable reason, or none
    col_of = {r.code: j for j, r in enumerate(active)}

    def rule_holds(code: str) -> np.ndarray:
        return masks[:, col_of[code]] if code in col_of else np.zeros(n, bool)

    out = pd.DataFrame(index=env.index)
    out["reasons"] = _reasons(masks, np.array([r.code for r in active], dtype=object))
    out["primary_reason"] = np.array([r.code for r in lrules] + [""], dtype=object)[pick]
    out["queue"] = np.array([r.actor for r in lrules] + [""], dtype=object)[pick]
    out["next_action"] = np.array([r.action for r in lrules] + [""], dtype=object)[pick]
    out["monitoring"] = env["monitoring"].to_numpy()
    _details(env, ns, th, as_of, rule_holds("SUSPENSION_CANDIDATE"), rule_holds("PROPERTY_INQUIRY"), out)
    weight = np.array([r.weight for r in lrules] + [0], dtype=float)[pick]
    prio = priority(env, weight, has_primary, as_of)
    for col in prio.columns:
        out[col] = prio[col].to_numpy()
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
    th = rule_thresholds(as_of)
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
    decisions = meeting_effects(frame.index, assigned)
    frame["meeting_assigned"] = decisions["on_list"].to_numpy()
    frame["monitoring"] = frame["monitoring"].to_numpy() | decisions["monitor"].to_numpy()
    if "seizure_possible" not in frame:
        frame["seizure_possible"] = False
    result = evaluate(frame, as_of, thresholds=th)
    keep = [c for c in CASE_COLUMNS if c in frame]
    table = apply_meeting(frame[keep].join(result), decisions)  # the meeting's handling overrides the rules
    return table.reset_index(drop=True)
