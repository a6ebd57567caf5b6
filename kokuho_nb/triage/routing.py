"""Who works a case: the monthly meeting's decisions override the rules' routing.

A case the meeting decided (``kokuho_nb.casework.decisions.assigned_cases``) is put on the list with the decided
action, assigned to the named collection officer, or moved to the specialists' queue; a 見守り decision keeps it
off the contact list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kokuho_nb.contract import codes

#: What each meeting list_action (parameters/meeting.yaml decision_types) means for the list.
MEETING_ACTIONS = {
    "差押": "SEIZE", "執行停止": "SUSPEND", "財産調査": "INQUIRY", "臨場催告": "FIELD_VISIT", "再接触": "RECONTACT",
    "assign": "FOLLOW_DECISION",
}


def meeting_effects(index: pd.Index, assigned: pd.DataFrame | None) -> pd.DataFrame:
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
    spec = (act == "assign") & role.isin(codes().role.specialists)
    eff["to_specialist"] = spec.to_numpy()
    eff["on_list"] = (act.isin([k for k in MEETING_ACTIONS if k != "assign"]) | ((act == "assign") & ~spec)).to_numpy()
    eff["monitor"] = (act == "monitor").to_numpy()
    eff["action"] = act.map(MEETING_ACTIONS).fillna("").to_numpy()
    eff["owner_code"] = np.where((act == "assign") & (role == codes().role.collector), owner, "")
    label = dec.get("decision_label", dec.get("decision_type", pd.Series("", index=index)))
    eff["decision_type"] = label.astype(object).fillna("").to_numpy()
    return eff


def apply_meeting(table: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The triage table with the meeting's routing applied (in place, returned)."""
    with_arrears = table["total_arrears"].to_numpy() > 0
    on_list = decisions["on_list"].to_numpy() & with_arrears
    table.loc[on_list, "next_action"] = decisions.loc[on_list, "action"].to_numpy()
    to_spec = decisions["to_specialist"].to_numpy() & with_arrears
    table.loc[to_spec, ["queue", "primary_reason", "next_action"]] = ["specialist", "MEETING_ASSIGNED",
                                                                      "SPECIALIST_REVIEW"]
    if to_spec.any():
        fix = to_spec & ~table["reasons"].str.contains("MEETING_ASSIGNED", regex=False).to_numpy()
        table.loc[fix, "reasons"] = ("MEETING_ASSIGNED;" + table.loc[fix, "reasons"]).str.rstrip(";")
    table["list_owner"] = decisions["owner_code"].where(decisions["owner_code"] != "", table["officer_code"])
    table["meeting_decision"] = decisions["decision_type"].to_numpy()
    return table


def queued(table: pd.DataFrame) -> pd.DataFrame:
    """The triaged households that need work (a listable reason), highest priority first."""
    sel = table[table["queue"] != ""]
    return sel.sort_values(["priority", "total_arrears", "household_id"], ascending=[False, False, True])
