"""Monthly target lists (ターゲットリスト): the officers', the guidance centre's and the specialists' lists.

- :mod:`.lists` triage once per month, select and record each list (:func:`~.lists.issue_month`);
- :mod:`.workbook` the officer's A4 Excel workbook (deterministic bytes);
- :mod:`.render` write a month's workbooks and its HTML summary (:func:`~.render.render_lists`).

What was issued and what officers returned are case work (:mod:`kokuho_nb.casework`); the papermill month run
is a surface (:mod:`kokuho_nb.runs.month_run`).
"""
