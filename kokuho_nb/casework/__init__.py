"""Case work: what the section's staff add to the store, month by month.

The issued target lists (:mod:`.issued`), the officers' month-end returns (:mod:`.returns`), the monthly meeting's
decisions (:mod:`.decisions`), trainees' attempts and the training records (:mod:`.attempts`,
:mod:`.training_records`), the contact history that merges the ledger with the returns (:mod:`.contacts`), and
the one reader of filled-in workbooks both returns and decisions use (:mod:`.ingest`). Each module owns its
tables in the store's case-work database. Products (target lists, meeting pack, OJT) read and write case work
only through these modules.
"""
