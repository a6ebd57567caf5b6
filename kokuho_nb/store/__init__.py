"""The case store: immutable ledger snapshots (Parquet) and case-work records (SQLite, WAL)."""
