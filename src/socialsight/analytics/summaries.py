"""Materialised summaries: what ``dependencies`` and ``outages`` need, per local day, kept
as Parquet beside the events so that those questions read thousands of rows, not millions.

Five tables, each one row per key and local day, computed by DuckDB from the events:

* ``usage``: per (unit, service, person, day), :func:`dependencies.usage_days`;
* ``presence``: per (unit, person, day), the first and last request of anyone at all (a
  unit's active people, the store's first and last event, the people of a unit);
* ``hourly``: per (service, day, local hour), requests and people
  (:func:`outages.hourly_counts`);
* ``buckets``: the 5-minute buckets bad by the error rule (:func:`outages.bad_buckets`);
* ``services``: per (service, category, unit, person, day), :func:`services.service_days`.

They depend on settings (time zone, working days, holidays, office hours, session gap), so
they live under ``summaries/<key>/`` where the key is a hash of those settings
(:func:`summary_key`); a settings change makes a new key, built when first needed. Every row
depends on its own local day's events only, so after new batches only the local days they
touch are recomputed (:func:`refresh_summaries`). Their own database
(``summaries/summaries.duckdb``) lists the parts of each key and day (``summary_parts``) and
the committed batches they cover (``summary_batches``); parts
are written under temporary names, renamed, then listed in one transaction, so a reader never
sees a half-written summary.

>>> from socialsight.config import Settings
>>> len(summary_key(Settings()))
16
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow.parquet as pq

from socialsight.analytics import dependencies, outages, services
from socialsight.analytics.calendar import Window, holidays, in_window, local_columns
from socialsight.analytics.engine import connect, part_utc_day
from socialsight.config import Settings
from socialsight.errors import InputError
from socialsight.schema import EVENT_SCHEMA
from socialsight.store import database
from socialsight.store.store import Store

SUMMARY_VERSION = 2
"""Bumped whenever a summary's definition changes: a new version is a new key."""
SUMMARIES_DIR = "summaries"
DB_NAME = "summaries.duckdb"
KINDS = ("usage", "presence", "hourly", "buckets", "services")
EVENTS_PER_PASS = 8_000_000
DAYS_PER_PASS = 7
"""A build computes its local days in passes of consecutive days, each of at most
:data:`DAYS_PER_PASS` days and about :data:`EVENTS_PER_PASS` events (a busier day is a pass
alone). A pass's memory grows with the groups it aggregates (people x services x days: a
month of 50M events in one pass needed 2 GB), so short passes keep the peak flat whatever the
volume; but each pass also reads the day before its first (sessions continued from it), so
shorter passes cost more CPU."""
QUIET_PASS_EVENTS = 1_000_000
"""A pass of fewer events than this may hold more than :data:`DAYS_PER_PASS` days: small
stores are built in one pass (each pass has a fixed cost of about a third of a second)."""
BUILD_MEMORY_LIMIT = "1GB"
"""DuckDB's memory limit while building (beyond it, it spills to a temporary directory
under the store): a guard for days far busier than usual."""
OBSOLETE_GRACE_SECONDS = 300.0
"""A part replaced by a refresh is deleted this long after, so that a reader that listed it
just before the refresh committed can still read it."""


def summary_key(settings: Settings) -> str:
    """The key of the summaries for ``settings``: a hash of every setting they depend on."""
    payload = {
        "version": SUMMARY_VERSION,
        "zone": settings.timezone,
        "office": [settings.office_start.isoformat(), settings.office_end.isoformat()],
        "working_days": sorted(settings.working_days),
        "holidays": sorted(d.isoformat() for d in holidays(settings)),
        "gap_minutes": settings.scoring.session_gap_minutes,
        "dependencies": [list(dependencies.WRITE_METHODS), dependencies.UPLOAD_BYTES,
                         dependencies.UNKNOWN_UNIT],
        "outages": [outages.BUCKET_MINUTES, outages.MIN_FAILED, outages.MIN_FAILED_PEOPLE,
                    outages.ERROR_SHARE],
    }  # fmt: skip
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def presence_days(events: ir.Table, settings: Settings, window: Window) -> ir.Table:
    """Per (unit, person, local day) of ``window``: the ``first`` and ``last`` request, of
    any kind (blocked, unclassified, people outside the directory included)."""
    e = local_columns(in_window(events, window), settings, window)
    return e.group_by(
        unit=e["organization.unit"], person=e["person.pseudonym"], day=e["_day"]
    ).aggregate(first=e["@timestamp"].min(), last=e["@timestamp"].max())


def build_expressions(events: ir.Table, settings: Settings, window: Window) -> dict[str, ir.Table]:
    """The summaries of ``window``'s local days, as expressions over ``events``, which
    must hold the events of the day before the window too (sessions continued from it)."""
    before = Window(window.since - timedelta(days=1), window.until, window.zone)
    usage = dependencies.usage_days(events, settings, before)
    return {
        "usage": usage.filter(usage["day"] >= window.since),
        "services": services.service_days(events, window),
        "presence": presence_days(events, settings, window),
        **outages.summary_tables(events, settings, window),
    }


@dataclass(frozen=True)
class RefreshStats:
    """What :func:`refresh_summaries` did."""

    key: str
    new_batches: int
    days_recomputed: int
    rebuilt: bool
    """True when every day was recomputed (first build of the key, or batches vanished)."""
    seconds: float


class Summaries:
    """The committed summaries of one key, as Ibis tables on one connection (each opened on
    first use)."""

    def __init__(self, key: str, parts: dict[str, list[str]], settings: Settings, con: Any):
        self.key = key
        self._parts = parts
        self._settings = settings
        self._con = con
        self._tables: dict[str, ir.Table] = {}

    def table(self, kind: str) -> ir.Table:
        """The summary ``kind`` (one of :data:`KINDS`)."""
        if kind not in self._tables:
            parts = self._parts.get(kind, [])
            self._tables[kind] = (
                self._con.read_parquet(parts) if parts else _empty(kind, self._settings)
            )
        return self._tables[kind]

    @property
    def usage(self) -> ir.Table:
        """Per (unit, service, person, local day): :func:`dependencies.usage_days`."""
        return self.table("usage")

    @property
    def presence(self) -> ir.Table:
        """Per (unit, person, local day): :func:`presence_days`."""
        return self.table("presence")

    @property
    def hourly(self) -> ir.Table:
        """Per (service, local day, local hour): :func:`outages.hourly_counts`."""
        return self.table("hourly")

    @property
    def services(self) -> ir.Table:
        """Per (service, category, unit, person, local day): :func:`services.service_days`."""
        return self.table("services")

    @property
    def buckets(self) -> ir.Table:
        """The bad 5-minute buckets: :func:`outages.bad_buckets`."""
        return self.table("buckets")

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The first and last event of the store (UTC)."""
        p = self.presence
        row = p.aggregate(first=p["first"].min(), last=p["last"].max()).to_pyarrow()
        return row["first"][0].as_py(), row["last"][0].as_py()

    def bounds_table(self) -> ir.Table:
        """A table whose ``@timestamp`` column holds the first and last event of the store
        (what :func:`calendar.data_window` reads), on this connection."""
        p = self.presence
        edges = p.aggregate(first=p["first"].min(), last=p["last"].max())
        first = edges.select(edges["first"].name("@timestamp"))
        last = edges.select(edges["last"].name("@timestamp"))
        return first.union(last)

    def unit_people(self, unit: str) -> int:
        """Distinct people of ``unit`` with any request, over all the data."""
        p = self.presence
        count = p.filter(p["unit"] == unit)["person"].nunique().to_pyarrow().as_py()
        return int(count or 0)


def _lock_path(store: Store) -> Path:
    directory = store.root / SUMMARIES_DIR
    directory.mkdir(exist_ok=True)
    return directory / ".lock"


@contextmanager
def _build_lock(store: Store) -> Iterator[None]:
    """Held while summaries are built: one builder at a time, across threads and processes
    (each holder opens the file anew, and flock locks belong to the open file)."""
    fd = os.open(_lock_path(store), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _db_path(store: Store) -> Path:
    return store.root / SUMMARIES_DIR / DB_NAME


def _covered(store: Store, key: str) -> set[str] | None:
    """The batches the summaries of ``key`` cover; None before any summary was built."""
    path = _db_path(store)
    if not path.is_file():
        return None
    with database.connect(path, read_only=True) as con:
        rows = con.execute("SELECT batch_id FROM summary_batches WHERE key = ?", [key])
        return {str(row[0]) for row in rows.fetchall()}


def _stale(store: Store, key: str) -> tuple[int, int] | None:
    """(new batches, covered batches that vanished) for ``key``; None when no summary was
    ever built in this store."""
    covered = _covered(store, key)
    if covered is None:
        return None
    committed = {batch for batch, _ in store.committed_batches()}
    return len(committed - covered), len(covered - committed)


def supported(settings: Settings) -> bool:
    """True when summaries can answer for ``settings`` (a session gap of at most
    :data:`dependencies.MAX_SUMMARY_GAP_MINUTES`); otherwise read the events."""
    return settings.scoring.session_gap_minutes <= dependencies.MAX_SUMMARY_GAP_MINUTES


def is_fresh(store: Store, settings: Settings) -> bool:
    """True when the summaries of ``settings`` cover every committed batch."""
    stale = _stale(store, summary_key(settings))
    return stale == (0, 0)


def refresh_summaries(store: Store, settings: Settings) -> RefreshStats:
    """Bring the summaries of ``settings`` up to date with the committed batches and return
    what was done. Only the local days that new batches touch are recomputed; a new key (or
    batches that vanished from the store) recomputes every day. Cheap when nothing changed
    (two small queries). Safe to call from several threads or processes: one builds, the others wait
    and then find it done.

    >>> refresh_summaries(Store.open(Path("socialsight-data/store")), Settings())  # doctest: +SKIP
    RefreshStats(key='...', new_batches=1, days_recomputed=3, rebuilt=False, seconds=0.4)
    """
    started = time.perf_counter()
    if not supported(settings):
        raise InputError(
            f"session_gap_minutes {settings.scoring.session_gap_minutes:g} is longer than the "
            f"summaries support ({dependencies.MAX_SUMMARY_GAP_MINUTES:g})"
        )
    key = summary_key(settings)
    if _stale(store, key) == (0, 0):
        return RefreshStats(key, 0, 0, False, round(time.perf_counter() - started, 3))
    with _build_lock(store):
        with database.connect(_db_path(store)) as con:
            con.execute(database.SUMMARIES_DDL)
        stats = _refresh_locked(store, settings, key)
    return RefreshStats(key, stats[0], stats[1], stats[2], round(time.perf_counter() - started, 3))


def _refresh_locked(store: Store, settings: Settings, key: str) -> tuple[int, int, bool]:
    committed = store.committed_batches()
    with database.connect(_db_path(store), read_only=True) as con:
        covered = {
            str(row[0])
            for row in con.execute(
                "SELECT batch_id FROM summary_batches WHERE key = ?", [key]
            ).fetchall()
        }
        old_parts = con.execute(
            "SELECT kind, day, part FROM summary_parts WHERE key = ?", [key]
        ).fetchall()
    batches = [(batch, parts, batch in covered) for batch, parts in committed]
    vanished = len(covered - {batch for batch, _ in committed})
    rebuild = bool(vanished) or not any(done for *_, done in batches)
    new = [b for b in batches if not b[2]]
    if not new and not rebuild:
        return 0, 0, False  # another builder finished while this one waited for the lock
    all_parts = [part for _, parts, _ in batches for part in parts]
    touched = all_parts if rebuild else [part for _, parts, _ in new for part in parts]
    zone = ZoneInfo(settings.timezone)
    days = _local_days(touched, zone)
    if days is None:  # a part outside the day layout: recompute everything
        rebuild = True
        days = _local_days(all_parts, zone) or set()
    # A day's sessions may continue from the day before: the day after a touched one too.
    days |= {day + timedelta(days=1) for day in days}
    root = store.root / SUMMARIES_DIR / key
    written = _write_days(store, settings, root, sorted(days), all_parts) if days else []
    replaced = [(kind, day, part) for kind, day, part in old_parts if rebuild or day in days]
    with database.connect(_db_path(store)) as con:
        con.execute("BEGIN")
        try:
            if rebuild:
                con.execute("DELETE FROM summary_parts WHERE key = ?", [key])
                con.execute("DELETE FROM summary_batches WHERE key = ?", [key])
            else:
                con.execute(
                    "DELETE FROM summary_parts WHERE key = ? AND list_contains(?, day)",
                    [key, sorted(days)],
                )
            if written:
                con.executemany(
                    "INSERT INTO summary_parts VALUES (?, ?, ?, ?)",
                    [[key, kind, day, part] for kind, day, part in written],
                )
            claimed = [b[0] for b in batches] if rebuild else [b[0] for b in new]
            if claimed:
                con.executemany(
                    "INSERT INTO summary_batches VALUES (?, ?)",
                    [[key, batch] for batch in claimed],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    _retire(store, [part for *_, part in replaced], root, {p for *_, p in written})
    return len(new), len(days), rebuild


def _local_days(parts: list[str], zone: ZoneInfo) -> set[date] | None:
    """The local days that events of ``parts`` (partitioned by UTC day) may fall on; None
    when a part's UTC day cannot be read from its path."""
    out: set[date] = set()
    for utc_day in {_utc_day(part) for part in parts}:
        if utc_day is None:
            return None
        start = datetime.combine(utc_day, datetime.min.time(), UTC)
        first = start.astimezone(zone).date()
        last = (start + timedelta(days=1) - timedelta(microseconds=1)).astimezone(zone).date()
        out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return out


def _utc_day(part: str) -> date | None:
    return part_utc_day(part)


def _runs(
    days: list[date],
    events: dict[date, int] | None = None,
    budget: int = EVENTS_PER_PASS,
    most_days: int = DAYS_PER_PASS,
) -> list[tuple[date, date]]:
    """Consecutive runs of sorted ``days`` as (first, last) pairs, each of at most
    ``most_days`` days (any number while their events stay under :data:`QUIET_PASS_EVENTS`)
    whose ``events`` (an estimate per day) add up to at most ``budget``, or of one day
    whatever its number.

    >>> d = [date(2026, 3, n) for n in (2, 3, 4, 6)]
    >>> [(a.day, b.day) for a, b in _runs(d)]
    [(2, 4), (6, 6)]
    >>> [(a.day, b.day) for a, b in _runs(d, {d[0]: 2, d[1]: 2, d[2]: 9}, budget=5)]
    [(2, 3), (4, 4), (6, 6)]
    >>> busy = {day: 600_000 for day in d}
    >>> [(a.day, b.day) for a, b in _runs(d, busy, most_days=2)]
    [(2, 3), (4, 4), (6, 6)]
    >>> [(a.day, b.day) for a, b in _runs(d, most_days=2)]  # quiet days: no cut
    [(2, 4), (6, 6)]
    """
    counts = events or {}
    runs: list[tuple[date, date]] = []
    load = 0
    for day in days:
        n = counts.get(day, 0)
        follows = bool(runs) and day == runs[-1][1] + timedelta(days=1)
        short = (day - runs[-1][0]).days < most_days if runs else True
        if follows and load + n <= budget and (short or load + n <= QUIET_PASS_EVENTS):
            runs[-1] = (runs[-1][0], day)
            load += n
        else:
            runs.append((day, day))
            load = n
    return runs


def _events_per_day(store: Store, parts: list[str], days: list[date]) -> dict[date, int]:
    """Events per UTC day of the ``parts`` of ``days``, from their Parquet footers: an
    estimate of each local day's (they differ by the zone's offset)."""
    wanted = set(days)
    counts: dict[date, int] = {}
    for part in parts:
        day = _utc_day(part)
        if day is not None and day in wanted:
            rows = pq.read_metadata(store.root / part).num_rows
            counts[day] = counts.get(day, 0) + rows
    return counts


def _write_days(
    store: Store, settings: Settings, root: Path, days: list[date], all_parts: list[str]
) -> list[tuple[str, date, str]]:
    """Compute the summaries of ``days`` from the committed ``all_parts`` and write one
    Parquet part per kind and day; return (kind, day, part relative to the store root)."""
    con = connect()
    staging = root / f".build-{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    # A path this module made under the store root; quotes doubled all the same.
    spill = str(staging / "spill").replace("'", "''")
    con.raw_sql(f"SET temp_directory = '{spill}'")
    con.raw_sql(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
    generation = uuid.uuid4().hex[:12]
    written: list[tuple[str, date, str]] = []
    try:
        per_day = _events_per_day(store, all_parts, days)
        for first, last in _runs(days, per_day, EVENTS_PER_PASS, DAYS_PER_PASS):
            window = Window(first, last, settings.timezone)
            # With the day before: sessions continued from it (build_expressions).
            before = Window(first - timedelta(days=1), last, settings.timezone)
            parts = _parts_between(store, all_parts, before)
            if not parts:
                continue
            events = con.read_parquet(parts, union_by_name=True)
            for kind, expr in build_expressions(events, settings, window).items():
                target = staging / f"{kind}-{first.isoformat()}"
                _copy_by_day(con, expr, target)
                for directory in sorted(target.glob("_p=*")):
                    day = date.fromisoformat(directory.name[3:])
                    for n, path in enumerate(sorted(directory.glob("*.parquet"))):
                        final = root / kind / f"{day.isoformat()}-{generation}-{n}.parquet"
                        final.parent.mkdir(parents=True, exist_ok=True)
                        with open(path, "rb") as handle:
                            os.fsync(handle.fileno())
                        os.replace(path, final)
                        written.append((kind, day, final.relative_to(store.root).as_posix()))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        con.disconnect()
    return written


def _parts_between(store: Store, parts: list[str], window: Window) -> list[str]:
    """Absolute paths of the ``parts`` whose UTC day overlaps ``window``."""
    first, last = window.start_utc.date(), (window.end_utc - timedelta(microseconds=1)).date()
    out = []
    for part in parts:
        utc_day = _utc_day(part)
        if utc_day is None or first <= utc_day <= last:
            out.append(str(store.root / part))
    return out


def _copy_by_day(con: Any, expr: ir.Table, target: Path) -> None:
    """Write ``expr`` as Parquet under ``target``, one directory ``_p=<day>`` per local day
    (DuckDB streams it: the summaries never sit whole in memory)."""
    from ibis.backends.sql.datatypes import DuckDBType

    # Every column cast to the type Ibis declares: DuckDB would otherwise write its own (a
    # sum of BIGINT is a HUGEINT, which Parquet stores as a DOUBLE). In SQL, because Ibis
    # drops a cast to the type it already believes a column has.
    columns = ", ".join(
        f'CAST("{name}" AS {DuckDBType.to_string(kind)}) AS "{name}"'
        for name, kind in expr.schema().items()
    )
    sql = ibis.to_sql(expr, dialect="duckdb")
    # The target is a path this module made under the store root; quotes are doubled all
    # the same. Column names are this module's own; no log-derived text reaches this
    # statement (ibis renders the query, literals included).
    quoted = str(target).replace("'", "''")
    con.raw_sql(
        f"COPY (SELECT {columns}, CAST(day AS VARCHAR) AS _p FROM ({sql}))"  # noqa: S608
        f" TO '{quoted}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_p))"
    )


def _retire(store: Store, replaced: list[str], root: Path, current: set[str]) -> None:
    """Mark the ``replaced`` parts obsolete now (their modification time) and delete the
    parts, and leftovers of interrupted builds, obsolete for longer than the grace period."""
    now = time.time()
    for part in replaced:
        if part not in current:
            with suppress(FileNotFoundError):
                os.utime(store.root / part, (now, now))
    listed = current | set(_listed_parts(store, root.name))
    for path in root.rglob("*"):
        if not path.is_file() or path.relative_to(store.root).as_posix() in listed:
            continue
        if now - path.stat().st_mtime > OBSOLETE_GRACE_SECONDS:
            path.unlink(missing_ok=True)


def _listed_parts(store: Store, key: str) -> list[str]:
    with database.connect(_db_path(store), read_only=True) as con:
        rows = con.execute("SELECT part FROM summary_parts WHERE key = ?", [key]).fetchall()
    return [row[0] for row in rows]


def _empty(kind: str, settings: Settings) -> ir.Table:
    """An empty table with the columns of ``kind`` (a summary with no part yet)."""
    events = ibis.memtable(EVENT_SCHEMA.empty_table())
    window = Window(date(2000, 1, 3), date(2000, 1, 3), settings.timezone)
    schema = build_expressions(events, settings, window)[kind].schema()
    return ibis.memtable(schema.to_pyarrow().empty_table())


def open_summaries(store: Store, settings: Settings, con: Any | None = None) -> Summaries:
    """The committed summaries of ``settings`` (call :func:`refresh_summaries` first for
    up-to-date ones) as Ibis tables on ``con``."""
    key = summary_key(settings)
    con = con or connect()
    by_kind: dict[str, list[str]] = {kind: [] for kind in KINDS}
    rows = []
    if _db_path(store).is_file():
        with database.connect(_db_path(store), read_only=True) as db:
            rows = db.execute(
                "SELECT kind, part FROM summary_parts WHERE key = ? ORDER BY part", [key]
            ).fetchall()
    for kind, part in rows:
        by_kind[kind].append(str(store.root / part))
    return Summaries(key, by_kind, settings, con)


def drop_summaries(store: Store, keep: str | None = None) -> int:
    """Delete the summaries of every key but ``keep`` (all with None): their rows in the
    database and their directories. Returns how many keys were dropped. A key dropped while
    still in use is rebuilt when next needed."""
    with _build_lock(store):
        with database.connect(_db_path(store)) as con:
            con.execute(database.SUMMARIES_DDL)
            keys = {
                row[0]
                for row in con.execute(
                    "SELECT key FROM summary_batches UNION SELECT key FROM summary_parts"
                ).fetchall()
            }
            root = store.root / SUMMARIES_DIR
            keys |= {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
            keys.discard(keep or "")
            con.execute("BEGIN")
            for key in sorted(keys):
                con.execute("DELETE FROM summary_parts WHERE key = ?", [key])
                con.execute("DELETE FROM summary_batches WHERE key = ?", [key])
            con.execute("COMMIT")
        for key in keys:
            shutil.rmtree(store.root / SUMMARIES_DIR / key, ignore_errors=True)
    return len(keys)
