"""The embedded DuckDB database: catalog, ingest ledger and rejects.

Connections are short-lived (open, do one thing, close) so that a reader such as the dashboard
and a running ingest rarely meet; when they do, the open is retried for a while. DuckDB runs in
UTC whatever the machine's zone, so that date parts computed in SQL never depend on ``TZ``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from socialsight.errors import SocialsightError
from socialsight.store.duck import duckdb

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    fingerprint_len INTEGER NOT NULL,
    compression TEXT NOT NULL,
    format TEXT NOT NULL,
    byte_offset BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_ingest TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    committed TIMESTAMPTZ NOT NULL,
    offset_from BIGINT NOT NULL,
    offset_to BIGINT NOT NULL,
    line_from BIGINT NOT NULL,
    line_to BIGINT NOT NULL,
    records BIGINT NOT NULL,
    rejects BIGINT NOT NULL,
    catalog_version TEXT NOT NULL,
    parts TEXT[] NOT NULL
);
CREATE TABLE IF NOT EXISTS reject_counts (
    file_id TEXT NOT NULL, batch_id TEXT NOT NULL, reason TEXT NOT NULL, lines BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS reject_samples (
    file_id TEXT NOT NULL, batch_id TEXT NOT NULL, reason TEXT NOT NULL, line BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS parser_states (
    file_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_services (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, owner TEXT,
    leaning TEXT, version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_domains (domain TEXT PRIMARY KEY, service_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS declared_uses (
    unit TEXT NOT NULL, service TEXT NOT NULL, purpose TEXT, owner TEXT, fallback TEXT,
    tolerable_downtime_hours DOUBLE, source TEXT NOT NULL, line BIGINT NOT NULL,
    imported TIMESTAMPTZ NOT NULL, PRIMARY KEY (unit, service)
);
"""

SUMMARIES_DDL = """
CREATE TABLE IF NOT EXISTS summary_parts (
    key TEXT NOT NULL, kind TEXT NOT NULL, day DATE NOT NULL, part TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS summary_batches (key TEXT NOT NULL, batch_id TEXT NOT NULL);
"""
"""The summaries' own database (``summaries/summaries.duckdb``, analytics/summaries.py): the
parts of each settings key and local day, and the committed batches they cover. Apart from
the ledger, so that building summaries (a cache) never changes the store's database."""

# How long a command waits for another process (an ingest) to release the database.
LOCK_WAIT_SECONDS = 30.0


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    # "different configuration": another thread of this process has the file open
    # read-write while this one asks read-only (or the reverse); it closes soon.
    return "lock" in text or "conflicting" in text or "different configuration" in text


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to the store database, retried while another process holds it."""
    con = open_connection(path, read_only)
    try:
        yield con
    finally:
        con.close()


def open_connection(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the store database (the caller closes it), retried while another
    process holds it."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                raise SocialsightError(f"cannot open the store database {path}: {exc}") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        con.execute("SET TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


def create(path: Path) -> None:
    """Create the tables (idempotent)."""
    with connect(path) as con:
        create_tables(con)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables on an open connection (idempotent)."""
    con.execute(DDL)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
        [str(SCHEMA_VERSION)],
    )


_TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", DDL)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """:func:`create_tables` when a table of :data:`DDL` is missing (a store made by an
    older version). Looking costs a third of running the DDL, on every ingest's start."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables()"
        " WHERE schema_name = 'main' AND list_contains(?, table_name)",
        [_TABLES],
    ).fetchone()
    if not row or row[0] != len(_TABLES):
        create_tables(con)
