"""Where analytics run: an Ibis connection and the events table on it.

Every metric in ``analytics/`` is a function from Ibis tables to an Ibis expression; this
module is the one place that knows which engine executes them. DuckDB is the embedded
default; the same expressions are meant to run on PySpark at scale.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from socialsight.schema import EVENT_SCHEMA
from socialsight.store.store import Store


def connect() -> Any:
    """A fresh in-process DuckDB engine, in UTC whatever the machine's zone."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    # A long query must not draw DuckDB's progress bar into a command's (JSON) output.
    con.raw_sql("SET enable_progress_bar = false")
    return con


def events_table(store: Store, con: Any | None = None) -> ir.Table:
    """The committed events of ``store`` as an Ibis table (empty but typed when none)."""
    con = con or connect()
    parts = [str(p) for p in store.committed_parts()]
    if not parts:
        return ibis.memtable(EVENT_SCHEMA.empty_table())
    table: ir.Table = con.read_parquet(parts, union_by_name=True)
    return table


_UTC_DAY = re.compile(r"(?:^|/)day=(\d{4}-\d{2}-\d{2})/")


def part_utc_day(part: str) -> date | None:
    """The UTC day of an event part, from its partition directory (``events/day=...``);
    None when its path does not say.

    >>> part_utc_day("events/day=2026-03-02/0a1b-0.parquet")
    datetime.date(2026, 3, 2)
    """
    found = _UTC_DAY.search(part)
    return date.fromisoformat(found.group(1)) if found else None


def events_between(
    store: Store,
    start: datetime,
    end: datetime,
    con: Any | None = None,
    committed: list[str] | None = None,
) -> ir.Table:
    """Like :func:`events_table`, reading only the parts whose UTC day overlaps
    [``start``, ``end``] (a part whose day is unknown is always read): the events of a short
    stretch of time without opening every part. Filter on ``@timestamp`` all the same.
    ``committed`` is the store's committed parts when the caller has listed them already."""
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    parts = []
    listed = committed if committed is not None else store.committed_parts_relative()
    for part in listed:
        day = part_utc_day(part)
        if day is None or first <= day <= last:
            parts.append(str(store.root / part))
    if not parts:
        return ibis.memtable(EVENT_SCHEMA.empty_table())
    con = con or connect()
    table: ir.Table = con.read_parquet(parts, union_by_name=True)
    return table


@ibis.udf.scalar.builtin(name="timezone")  # type: ignore[untyped-decorator]
def _duckdb_timezone(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB's timezone(zone, timestamptz) -> local wall-clock timestamp."""


def local_time(ts: ir.TimestampValue, zone: str) -> ir.TimestampValue:
    """Wall-clock time in ``zone`` (daylight saving honoured) of a UTC timestamp column."""
    result: ir.TimestampValue = _duckdb_timezone(zone, ts)
    return result


# Every zone in use changes its UTC offset on a quarter hour.
_OFFSET_STEP = timedelta(minutes=15)


def utc_offsets(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The UTC offsets (seconds) in force in ``zone`` between ``start`` and ``end``: one
    (from-instant, offset) pair per offset, the first from ``start``.

    >>> from datetime import UTC
    >>> [(t.isoformat(), o) for t, o in utc_offsets("America/Toronto",
    ...     datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))]
    [('2026-03-08T00:00:00+00:00', -18000), ('2026-03-08T07:00:00+00:00', -14400)]
    """
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    out = [(start, offset(start))]
    at = start
    while at < end:
        at += _OFFSET_STEP
        current = offset(at)
        if current != out[-1][1]:
            out.append((at, current))
    return out


@ibis.udf.scalar.builtin(name="epoch_us")  # type: ignore[untyped-decorator]
def _epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """DuckDB's epoch_us(timestamptz) -> microseconds since the epoch."""


@ibis.udf.scalar.builtin(name="make_timestamp")  # type: ignore[untyped-decorator]
def _make_timestamp(us: dt.int64) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB's make_timestamp(bigint microseconds) -> timestamp without zone."""


def epoch_us(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Microseconds since the epoch of a UTC timestamp column: integer arithmetic on it is
    much cheaper than interval arithmetic on time-zone-aware timestamps."""
    result: ir.IntegerValue = _epoch_us(ts)
    return result


def local_time_between(
    ts: ir.TimestampValue, zone: str, start: datetime, end: datetime
) -> ir.TimestampValue:
    """Like :func:`local_time` for timestamps known to lie in [start, end): the zone's
    offsets there are looked up once and added as integers, instead of converting every row
    through the time-zone database (several times faster on millions of events)."""
    offsets = utc_offsets(zone, start, end)
    shift: ir.IntegerValue
    if len(offsets) == 1:
        shift = ibis.literal(offsets[0][1] * 1_000_000)
    else:
        shift = ibis.cases(
            *[(ts < ibis.literal(nxt), off * 1_000_000)
              for (_, off), (nxt, _) in itertools.pairwise(offsets)],
            else_=offsets[-1][1] * 1_000_000,
        )  # fmt: skip
    result: ir.TimestampValue = _make_timestamp(_epoch_us(ts) + shift)
    return result
