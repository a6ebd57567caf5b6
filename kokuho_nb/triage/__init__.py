"""Triage: for every household as of a date, why it needs work, what to do next, who does it, how urgently.

The rules are data (``parameters/triage.yaml``), each tied to the section of the action plan it implements. The
work is in three vectorised steps:

1. :mod:`.features` turns the history — payments, contacts (the ledger's 折衝記録 plus the accepted month-end
   returns), promises, property inquiries, dispositions — into one row of features per household;
2. :mod:`.table` applies the flags and :mod:`.rules` (pandas expressions) to the case view joined with them:
   reasons, the primary reason, the queue and the next action, plus the 執行停止 ground, the inquiry mode and the
   foreign residents' leaflet;
3. :mod:`.priority` scores each queued case (its parts kept as columns) and :mod:`.routing` applies the monthly
   meeting's decisions.

:func:`triage_frame` is the entry point (one row per household).
"""

from kokuho_nb.triage.features import BIG, FEATURES, history_features
from kokuho_nb.triage.priority import PRIORITY_PARTS
from kokuho_nb.triage.routing import queued
from kokuho_nb.triage.rules import Rule, rule_reference, rules
from kokuho_nb.triage.table import CASE_COLUMNS, evaluate, triage_frame

__all__ = ["BIG", "CASE_COLUMNS", "FEATURES", "PRIORITY_PARTS", "Rule", "evaluate", "history_features", "queued",
           "rule_reference", "rules", "triage_frame"]
