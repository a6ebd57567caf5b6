"""Law as data: the ward calendar, 延滞金, 時効, procedural deadlines and the case-view law columns.

Every rate, threshold and period is read from ``parameters/law/*.yaml`` via :mod:`kokuho_nb.params`.
"""
