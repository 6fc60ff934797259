"""The store: Parquet events by day plus an embedded DuckDB ledger (see store.store)."""
