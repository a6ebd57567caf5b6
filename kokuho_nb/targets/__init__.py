"""Monthly target lists (ターゲットリスト), the guidance centre's and specialists' lists, month-end returns.

- :mod:`.lists` triage once per month, select and record each list (:func:`issue_month`);
- :mod:`.workbook` the officer's A4 Excel workbook (deterministic bytes);
- :mod:`.month` render a month's files and run its notebooks (:func:`run_month`);
- :mod:`.returns` ingest filled-in workbooks (:func:`ingest_returns`);
- :mod:`.decisions` the seam to the meeting's decisions (:func:`assigned_cases`);
- :mod:`.demo` several months of the routine with simulated returns (:func:`run_demo`).
"""
