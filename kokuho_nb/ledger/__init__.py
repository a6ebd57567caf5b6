"""Ledger import: reading the standard export (標準連携ファイル), normalising, validating, quarantining.

Modules: :mod:`schema` (the contract in ``parameters/ledger/standard.yaml``), :mod:`mapping` (other vendors'
layouts), :mod:`reader` (folder/zip, encodings, CSV), :mod:`normalize` (cell normalisers),
:mod:`validate` (rows -> accepted tables + quarantine), :mod:`report`, :mod:`importer` (the whole import),
:mod:`model` (the :class:`~kokuho_nb.store.tables.Ledger` dataclass).
"""
