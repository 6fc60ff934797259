"""Where analytics run: an Ibis connection and the events table on it.

Every metric in ``analytics/`` is a function from Ibis tables to an Ibis expression; this
module is the one place that knows which engine executes them. DuckDB is the embedded
default; the same expressions are meant to run on PySpark at scale.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from socialsight.schema import EVENT_SCHEMA
from socialsight.store.store import Store


def connect() -> Any:
    """A fresh in-process DuckDB engine, in UTC whatever the machine's zone."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


def events_table(store: Store, con: Any | None = None) -> ir.Table:
    """The committed events of ``store`` as an Ibis table (empty but typed when none)."""
    con = con or connect()
    parts = [str(p) for p in store.committed_parts()]
    if not parts:
        return ibis.memtable(EVENT_SCHEMA.empty_table())
    table: ir.Table = con.read_parquet(parts, union_by_name=True)
    return table


@ibis.udf.scalar.builtin(name="timezone")  # type: ignore[untyped-decorator]
def _duckdb_timezone(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB's timezone(zone, timestamptz) -> local wall-clock timestamp."""


def local_time(ts: ir.TimestampValue, zone: str) -> ir.TimestampValue:
    """Wall-clock time in ``zone`` (daylight saving honoured) of a UTC timestamp column."""
    result: ir.TimestampValue = _duckdb_timezone(zone, ts)
    return result
