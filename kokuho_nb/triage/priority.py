"""The priority score: the sum of its parts, each kept as a column (``prio_amount``, ``prio_ability``,
``prio_urgency``, ``prio_no_contact``, ``prio_rule``) so that an officer sees why a case ranks where it does.

Weights and scales: ``parameters/triage.yaml`` ``priority``. A case without a listable reason scores 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kokuho_nb import params

PRIORITY_PARTS = ("amount", "ability", "urgency", "no_contact", "rule")


def priority(env: pd.DataFrame, rule_weight: np.ndarray, has_primary: np.ndarray, as_of: dt.date) -> pd.DataFrame:
    """``prio_<part>`` for every part and their sum ``priority`` (rounded to 0.1), same index as ``env``."""
    p = params.at(as_of).triage.priority
    pw = p.weights
    cap = float(p.amount_cap)
    levels = p.ability_levels
    horizon = float(p.urgency_horizon_days)
    nocap = float(p.no_contact_cap_days)
    total = env["total_arrears"].to_numpy(dtype=float)
    ability = np.where(env["focus"].to_numpy(), levels["focus"],
                       np.where(env["low_income"].to_numpy(), levels["low_income"], levels["income"]))
    days_lim = env["days_to_limitation"].to_numpy(dtype=float)
    parts = {
        "amount": np.minimum(total / cap, 1.0),
        "ability": ability,
        "urgency": np.clip(1.0 - days_lim / horizon, 0.0, 1.0),
        "no_contact": np.minimum(env["days_since_reached"].to_numpy(dtype=float) / nocap, 1.0),
        "rule": rule_weight / 100.0,
    }
    out = pd.DataFrame(index=env.index)
    score = np.zeros(len(env))
    for part in PRIORITY_PARTS:
        value = np.where(has_primary, np.round(parts[part] * float(pw[part]), 1), 0.0)
        out[f"prio_{part}"] = value
        score = score + value
    out["priority"] = np.round(score, 1)
    return out
