"""The store: the only code that knows where and how data is kept.

Layout under the store directory::

    socialsight.duckdb                       ledger, rejects, catalog snapshot
    events/day=YYYY-MM-DD/<batch>-<n>.parquet  events (EVENT_SCHEMA), partitioned by UTC day
    summaries/                                 per-day summaries (analytics/summaries.py)
    ingest.lock                              held by the one ingest that may run at a time

Durability: a batch writes its Parquet parts first (each through a temporary name and an
atomic rename), then commits one DuckDB transaction that records the parts, the file's new
offset and its rejects. Readers only ever read parts listed by committed batches,
so a batch that has not committed is invisible; the next ingest deletes its leftover parts.
A crash at any moment therefore loses nothing committed and duplicates nothing on rerun.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from socialsight.errors import SocialsightError
from socialsight.schema import EVENT_SCHEMA
from socialsight.store import database, opening
from socialsight.store.duck import duckdb
from socialsight.store.opening import DB_NAME, open_ahead, take_early

EVENTS_DIR = "events"
LOCK_NAME = "ingest.lock"
# Rejected line numbers kept per file, batch and reason for inspection; the rest are counted.
REJECT_SAMPLES = 20

_STRING_COLUMNS = [f.name for f in EVENT_SCHEMA if pa.types.is_string(f.type)]

DICTIONARY_COLUMNS = frozenset(_STRING_COLUMNS) - {"url.original"}
"""Event columns that travel from the parser to the Parquet writer dictionary-encoded: a few
thousand distinct hosts, pseudonyms or units per million rows. The writer then writes their
dictionaries as given instead of hashing every row again."""
EVENT_WRITE_SCHEMA = pa.schema(
    [
        f.with_type(pa.dictionary(pa.int32(), pa.string())) if f.name in DICTIONARY_COLUMNS else f
        for f in EVENT_SCHEMA
    ]
)
"""The schema of event tables on their way to the Parquet writer (see :func:`prepare`)."""
PARQUET_OPTIONS: dict[str, Any] = {
    # LZ4: a fifth faster to write than zstd and a little faster to read back, for files a
    # sixth larger (on the bench's 1M-line file: 19.5 MB instead of 16.6; issue #6).
    "compression": "lz4",
    # Strings repeat (hosts, pseudonyms, units): dictionary pages. Numbers rarely repeat, and
    # trying a dictionary on them first costs a third of the write.
    "use_dictionary": _STRING_COLUMNS,
    # Statistics on strings cost as much as the rest of the write and prune nothing here;
    # the timestamp's let readers skip row groups by time.
    "write_statistics": ["@timestamp"],
    "column_encoding": {
        "@timestamp": "DELTA_BINARY_PACKED",
        "log.line": "DELTA_BINARY_PACKED",
        # Byte counts and durations barely repeat: split into byte streams, they compress
        # 20 % smaller and a third faster than plain (measured on the 1M bench file).
        "http.request.bytes": "BYTE_STREAM_SPLIT",
        "http.response.bytes": "BYTE_STREAM_SPLIT",
        "event.duration_ms": "BYTE_STREAM_SPLIT",
    },
    # The writer would store EVENT_WRITE_SCHEMA; each part stores EVENT_SCHEMA instead
    # (_STORED_SCHEMA), so that it reads back with plain strings and the field descriptions.
    "store_schema": False,
}
"""How event parts are written (see docs/store.md)."""
_STORED_SCHEMA = {b"ARROW:schema": base64.b64encode(EVENT_SCHEMA.serialize().to_pybytes())}


@dataclass(frozen=True)
class PreparedEvents:
    """Events of one chunk, split by UTC day (see :func:`prepare`)."""

    days: list[tuple[str, pa.Table]]


def prepare(events: pa.Table) -> PreparedEvents:
    """Split events (EVENT_SCHEMA, string columns plain or dictionary-encoded) by UTC day;
    the day parts come out in :data:`EVENT_WRITE_SCHEMA`.

    Pure Arrow work with no I/O, so that worker threads can run it for many chunks at once.

    >>> import datetime as dt
    >>> from socialsight.schema import EVENT_SCHEMA
    >>> row = {"@timestamp": dt.datetime(2026, 3, 2, 14, 5, tzinfo=dt.UTC),
    ...        "organization.unit": "Legal", "event.outcome": "allowed",
    ...        "log.file.id": "f", "log.format": "squid", "log.line": 1}
    >>> prepared = prepare(pa.Table.from_pylist([row], schema=EVENT_SCHEMA))
    >>> [(day, part.num_rows) for day, part in prepared.days]
    [('2026-03-02', 1)]
    """
    events = events.cast(EVENT_WRITE_SCHEMA).combine_chunks()
    if events.num_rows == 0:
        return PreparedEvents([])
    ts = events["@timestamp"]
    days = _floor(ts, _DAY_US)
    distinct = pc.unique(days)
    names = pc.strftime(distinct, format="%Y-%m-%d").to_pylist()
    if len(distinct) == 1:
        parts = [(str(names[0]), events)]
    else:
        parts = []
        for name, day in zip(names, distinct, strict=True):
            rows = pc.indices_nonzero(pc.equal(days, day))
            first, last = rows[0].as_py(), rows[-1].as_py()
            # Logs are in time order: a day is usually one run of rows, sliced without a copy.
            if last - first + 1 == len(rows):
                parts.append((str(name), events.slice(first, len(rows))))
            else:
                parts.append((str(name), events.take(rows)))
    return PreparedEvents(parts)


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US


def _floor(ts: pa.Array | pa.ChunkedArray, unit_us: int) -> pa.Array:
    """UTC timestamps floored to a whole hour or day.

    Integer arithmetic: ``floor_temporal`` goes through time-zone rules and costs several
    times more. Division truncates towards zero, so times before 1970 take the slow path.
    """
    micros = ts.cast(pa.int64())
    if (pc.min(micros).as_py() or 0) < 0:
        return pc.floor_temporal(ts, unit_us // _HOUR_US, "hour")
    return pc.multiply(pc.divide(micros, unit_us), unit_us).cast(ts.type)


@dataclass(frozen=True)
class FileEntry:
    """What the ledger knows of one log file."""

    file_id: str
    path: str
    fingerprint: str
    fingerprint_len: int
    compression: str
    format: str
    byte_offset: int
    lines: int
    state: str


@dataclass(frozen=True)
class BatchReceipt:
    """What a committed batch added."""

    batch_id: str
    records: int
    rejects: int
    parts: tuple[str, ...]


class Store:
    """An opened store directory.

    >>> import tempfile
    >>> s = Store.create(Path(tempfile.mkdtemp()) / "store")
    >>> s.committed_parts()
    []
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self.events_dir = root / EVENTS_DIR
        self._held = threading.local()
        self._ahead: Future[duckdb.DuckDBPyConnection] | None = None

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store database: the one :meth:`burst` holds, else the one
        :meth:`connect_ahead` opened, else a new short-lived one (so that other processes, the
        dashboard, can open it in between)."""
        held = getattr(self._held, "con", None)
        if held is not None:
            yield held
            return
        if self._ahead is not None:
            if read_only:
                # DuckDB refuses a read-only connection beside a writing one of this process.
                self.drop_ahead()
            else:
                ahead, self._ahead = self._ahead, None
                con = ahead.result()
                try:
                    yield con
                finally:
                    con.close()
                return
        with database.connect(self.db_path, read_only=read_only) as con:
            yield con

    def connect_ahead(self) -> None:
        """Start opening, on another thread, the connection that the next writing call will
        use: DuckDB opens the database without holding the GIL, so the caller's threads go on
        meanwhile. An ingest does it once its last chunk is on its way, for the last commit.
        :meth:`drop_ahead` closes it if no call used it (see :mod:`socialsight.store.opening`)."""
        if self._ahead is not None:
            return
        # The one the ingest command started opening as the program started, if any.
        self._ahead = take_early(self.db_path) or open_ahead(self.db_path)

    def drop_ahead(self) -> None:
        """Close the connection :meth:`connect_ahead` opened, if no call used it."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            opening.close(ahead)

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Let every store call of this thread inside the block share one connection.

        Opening the database costs tens of milliseconds; an ingest makes a handful of quick
        ledger calls before reading a file. Keep bursts short: other processes wait while the
        connection is open.
        """
        if getattr(self._held, "con", None) is not None:
            yield
            return
        with self._connect() as con:
            self._held.con = con
            try:
                yield
            finally:
                self._held.con = None

    # -- life cycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path) -> Store:
        """Create (or reopen) the store at ``root``."""
        root.mkdir(parents=True, exist_ok=True)
        (root / EVENTS_DIR).mkdir(exist_ok=True)
        database.create(root / DB_NAME)
        return cls(root)

    @classmethod
    def open(cls, root: Path) -> Store:
        """Open an existing store."""
        if not (root / DB_NAME).is_file():
            raise SocialsightError(f"no store at {root}; run `socialsight init`")
        return cls(root)

    @contextmanager
    def writer_lock(self, burst: contextlib.ExitStack | None = None) -> Iterator[None]:
        """Hold the single-writer lock, or fail at once if another ingest holds it.

        Taking it completes the store (tables a newer version added) and removes what a crash
        left, in one :meth:`burst`; given ``burst``, that burst is left open in it, for the
        caller's next ledger calls (the caller closes it).
        """
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SocialsightError(
                    "another ingest is running on this store; try later"
                ) from None
            with contextlib.ExitStack() as own:
                (burst or own).enter_context(self.burst())
                # Tables added since the store was created (parser_states, ...).
                with self._connect() as con:
                    database.ensure_tables(con)
                self.recover()
            yield
        finally:
            os.close(fd)

    def recover(self) -> int:
        """Delete Parquet parts that no committed batch lists (left by a crash); return count.

        Call only while holding :meth:`writer_lock`, otherwise a running ingest's uncommitted
        parts would be removed under it.
        """
        found = list(self.events_dir.rglob("*"))
        if not found:
            return 0
        committed = set(self.committed_parts_relative())
        removed = 0
        for path in found:
            if not path.is_file():
                continue
            rel = path.relative_to(self.root).as_posix()
            if rel not in committed:
                path.unlink()
                removed += 1
        return removed

    # -- ledger -----------------------------------------------------------------------------
    def files(self) -> list[FileEntry]:
        """Every file the ledger knows, oldest first."""
        with self._connect(read_only=True) as con:
            rows = con.execute(
                "SELECT file_id, path, fingerprint, fingerprint_len, compression, format,"
                " byte_offset, lines, state FROM files ORDER BY first_seen, file_id"
            ).fetchall()
        return [FileEntry(*row) for row in rows]

    def parser_state(self, file_id: str) -> str | None:
        """The parser state committed with the file's last batch, if its format keeps one."""
        with self._connect(read_only=True) as con:
            if not _has_table(con, "parser_states"):
                return None
            row = con.execute(
                "SELECT state FROM parser_states WHERE file_id = ?", [file_id]
            ).fetchone()
        return None if row is None else str(row[0])

    def register_file(self, entry: FileEntry) -> None:
        """Record a newly seen file (before its first batch)."""
        now = datetime.now(UTC)
        with self._connect() as con:
            con.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    entry.file_id,
                    entry.path,
                    entry.fingerprint,
                    entry.fingerprint_len,
                    entry.compression,
                    entry.format,
                    entry.byte_offset,
                    entry.lines,
                    now,
                    now,
                    entry.state,
                ],
            )

    def update_file(self, file_id: str, **fields: Any) -> None:
        """Change ledger fields of a file outside a batch (path after a rename, state)."""
        allowed = {"path", "fingerprint", "fingerprint_len", "state", "format"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
        # Column names come from the fixed allow-list above, never from input.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._connect() as con:
            con.execute(
                f"UPDATE files SET {assignments} WHERE file_id = ?",  # noqa: S608
                [*fields.values(), file_id],
            )

    def committed_parts_relative(self) -> list[str]:
        """Parquet parts of committed batches, relative to the store root."""
        if not self.db_path.exists():
            return []
        with self._connect(read_only=True) as con:
            rows = con.execute("SELECT unnest(parts) FROM batches ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def committed_batches(self) -> list[tuple[str, list[str]]]:
        """(batch id, its parts relative to the store root) of every committed batch, by id."""
        if not self.db_path.exists():
            return []
        with self._connect(read_only=True) as con:
            rows = con.execute("SELECT batch_id, parts FROM batches ORDER BY 1").fetchall()
        return [(str(batch), list(parts)) for batch, parts in rows]

    def committed_parts(self) -> list[Path]:
        """Absolute paths of every committed Parquet part: the events a reader may see."""
        return [self.root / rel for rel in self.committed_parts_relative()]

    def read_events(self, columns: list[str] | None = None) -> pa.Table:
        """Every committed event as one Arrow table (small stores and tests; analytics use
        :func:`socialsight.analytics.engine.events_table`)."""
        parts = self.committed_parts()
        if not parts:
            table = EVENT_SCHEMA.empty_table()
            return table.select(columns) if columns else table
        return pq.read_table([str(p) for p in parts], columns=columns, schema=EVENT_SCHEMA)

    # -- batches ----------------------------------------------------------------------------
    def batch(self, file_id: str) -> BatchWriter:
        """Start a batch of events from one file."""
        return BatchWriter(self, file_id)

    def events_per_file(self) -> dict[str, int]:
        """file id -> events committed from it, from the ledger (no event is read)."""
        with self._connect(read_only=True) as con:
            rows = con.execute(
                "SELECT file_id, sum(records)::BIGINT FROM batches GROUP BY file_id"
            ).fetchall()
        return {file_id: int(total) for file_id, total in rows}

    def reject_summary(self) -> list[tuple[str, str, int]]:
        """(file path, reason, lines) for every rejected line count, largest first."""
        with self._connect(read_only=True) as con:
            return con.execute(
                "SELECT f.path, r.reason, sum(r.lines)::BIGINT FROM reject_counts r"
                " JOIN files f USING (file_id) GROUP BY ALL ORDER BY 3 DESC, 1, 2"
            ).fetchall()

    def reject_samples(self, reason: str | None = None) -> list[tuple[str, str, str, int]]:
        """(file id, file path, reason, line number) of the kept rejected lines."""
        query = (
            "SELECT s.file_id, f.path, s.reason, s.line FROM reject_samples s"
            " JOIN files f USING (file_id)"
        )
        params: list[Any] = []
        if reason:
            query += " WHERE s.reason = ?"
            params.append(reason)
        with self._connect(read_only=True) as con:
            return con.execute(query + " ORDER BY f.path, s.line", params).fetchall()

    def catalog_version(self) -> str | None:
        """The version of the catalog snapshot kept in the database (None before the first)."""
        with self._connect(read_only=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
        return None if row is None else str(row[0])

    def sync_catalog(
        self,
        version: str,
        services: list[tuple[str, str, str, str, str]],
        domains: list[tuple[str, str]],
    ) -> None:
        """Replace the catalog snapshot kept in the database by ``version``'s (the caller
        checks :meth:`catalog_version` first: the rows are not built for nothing)."""
        with self._connect() as con:
            con.execute("BEGIN")
            con.execute("DELETE FROM catalog_services")
            con.execute("DELETE FROM catalog_domains")
            # Through Arrow: row-by-row executemany is slow for thousands of domains.
            service_rows = pa.table(
                {
                    name: [row[i] for row in services]
                    for i, name in enumerate(("id", "name", "category", "owner", "leaning"))
                }
                | {"version": [version] * len(services)},
                schema=pa.schema([(n, pa.string()) for n in
                                  ("id", "name", "category", "owner", "leaning", "version")]),
            )  # fmt: skip
            domain_rows = pa.table(
                {"domain": [d for d, _ in domains], "service_id": [s for _, s in domains]},
                schema=pa.schema([("domain", pa.string()), ("service_id", pa.string())]),
            )
            # Scanning Arrow tables from SQL needs the duckdb package's set-up (store/duck.py
            # imports only its extension); the catalog changes rarely (init, an override).
            import duckdb as _package  # noqa: F401

            con.register("new_services", service_rows)
            con.register("new_domains", domain_rows)
            con.execute("INSERT INTO catalog_services SELECT * FROM new_services")
            con.execute("INSERT INTO catalog_domains SELECT * FROM new_domains")
            con.execute(
                "INSERT INTO meta VALUES ('catalog_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [version],
            )
            con.execute("COMMIT")

    # -- declared-use register ----------------------------------------------------------------
    def replace_declared_uses(self, rows: list[dict[str, Any]], source: str) -> None:
        """Replace the declared-use register with ``rows`` (keys: unit, service, purpose,
        owner, fallback, tolerable_downtime_hours, line) in one transaction."""
        imported = datetime.now(UTC)
        with self._connect() as con:
            # Stores created before the register existed get its table here.
            con.execute(database.DDL)
            con.execute("BEGIN")
            try:
                con.execute("DELETE FROM declared_uses")
                if rows:
                    con.executemany(
                        "INSERT INTO declared_uses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            [r["unit"], r["service"], r.get("purpose"), r.get("owner"),
                             r.get("fallback"), r.get("tolerable_downtime_hours"), source,
                             r["line"], imported]
                            for r in rows
                        ],
                    )  # fmt: skip
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def declared_uses(self) -> list[dict[str, Any]]:
        """The declared-use register, by unit then service (empty when never imported)."""
        with self._connect(read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'declared_uses'"
            ).fetchone()
            if not exists or not exists[0]:
                return []
            cursor = con.execute(
                "SELECT unit, service, purpose, owner, fallback, tolerable_downtime_hours,"
                " source, line, imported FROM declared_uses ORDER BY unit, service"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class BatchWriter:
    """Writes one batch's Parquet parts, then commits it with the ledger in one transaction."""

    def __init__(self, store: Store, file_id: str) -> None:
        self.store = store
        self.file_id = file_id
        self.batch_id = secrets.token_hex(8)
        self._writers: dict[tuple[str, int], tuple[pq.ParquetWriter, Path, Path]] = {}
        # Parts whose lane is done (finish_lane): closed, synced and in place, not yet listed.
        self._finished: list[Path] = []
        self._rejects: list[pa.Table] = []
        self.records = 0
        # Lanes (ingest's worker threads) append to their own writers at the same time.
        self._lock = threading.Lock()

    def write(self, events: pa.Table) -> None:
        """Append events (EVENT_SCHEMA), partitioned by their UTC day."""
        self.write_prepared(prepare(events))

    def write_prepared(self, prepared: PreparedEvents, lane: int = 0) -> None:
        """Append events already split by day by :func:`prepare` to the parts of ``lane``.

        Thread-safe across lanes: each lane has its own part per day
        (``<batch>-<lane>.parquet``), so that several threads encode at once; one lane must
        be fed by one thread, in order, for its parts to be deterministic.
        """
        for day, part in prepared.days:
            self._writer(day, lane).write_table(part)
            with self._lock:
                self.records += part.num_rows

    def reject(self, rejects: pa.Table) -> None:
        """Note rejected lines (REJECT_SCHEMA) of this batch."""
        if rejects.num_rows:
            self._rejects.append(rejects)

    def _writer(self, day: str, lane: int) -> pq.ParquetWriter:
        with self._lock:
            found = self._writers.get((day, lane))
            if found is None:
                directory = self.store.events_dir / f"day={day}"
                directory.mkdir(parents=True, exist_ok=True)
                final = directory / f"{self.batch_id}-{lane}.parquet"
                temporary = directory / f".{self.batch_id}-{lane}.parquet.tmp"
                writer = pq.ParquetWriter(temporary, EVENT_WRITE_SCHEMA, **PARQUET_OPTIONS)
                writer.add_key_value_metadata(_STORED_SCHEMA)
                found = self._writers[(day, lane)] = (writer, temporary, final)
        return found[0]

    def finish_lane(self, lane: int) -> None:
        """Close, sync and put in place the parts of ``lane``, whose thread calls this once it
        has written its last events of the batch: the lanes do it at the same time, instead
        of :meth:`commit` one part after the other. Until the commit lists them, the parts
        are not part of the store (a crash leaves them to :meth:`Store.recover`)."""
        with self._lock:
            mine = [key for key in self._writers if key[1] == lane]
            writers = [self._writers.pop(key) for key in mine]
        for writer, temporary, final in writers:
            _put_in_place(writer, temporary, final)
            with self._lock:
                self._finished.append(final)

    def abort(self) -> None:
        """Close and delete whatever this batch wrote."""
        for writer, temporary, final in self._writers.values():
            writer.close()
            temporary.unlink(missing_ok=True)
            final.unlink(missing_ok=True)
        self._writers.clear()
        for final in self._finished:
            final.unlink(missing_ok=True)
        self._finished.clear()

    def commit(
        self,
        catalog_version: str,
        offset_from: int,
        offset_to: int,
        line_from: int,
        line_to: int,
        fingerprint: tuple[str, int] | None = None,
        parser_state: str | None = None,
    ) -> BatchReceipt:
        """Make the batch visible and advance the file's offset, atomically (with the
        parser's state at that offset, for formats that have one)."""
        for writer, temporary, final in self._writers.values():
            _put_in_place(writer, temporary, final)
            self._finished.append(final)
        self._writers.clear()
        parts = [final.relative_to(self.store.root).as_posix() for final in self._finished]
        rejects = (
            pa.concat_tables(self._rejects)
            if self._rejects
            else pa.table(
                {"log.line": pa.array([], pa.int64()), "reason": pa.array([], pa.string())}
            )
        )
        now = datetime.now(UTC)
        with self.store._connect() as con:
            con.execute("BEGIN")
            try:
                con.execute(
                    "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        self.batch_id,
                        self.file_id,
                        now,
                        offset_from,
                        offset_to,
                        line_from,
                        line_to,
                        self.records,
                        rejects.num_rows,
                        catalog_version,
                        sorted(parts),
                    ],
                )
                update = "UPDATE files SET byte_offset = ?, lines = ?, last_ingest = ?"
                params: list[Any] = [offset_to, line_to, now]
                if fingerprint is not None:
                    update += ", fingerprint = ?, fingerprint_len = ?"
                    params += list(fingerprint)
                con.execute(update + " WHERE file_id = ?", [*params, self.file_id])
                if parser_state is not None:
                    con.execute(
                        "INSERT INTO parser_states VALUES (?, ?) ON CONFLICT (file_id)"
                        " DO UPDATE SET state = excluded.state",
                        [self.file_id, parser_state],
                    )
                if rejects.num_rows:
                    # Counted and sampled in Arrow: scanning an Arrow table from SQL needs the
                    # duckdb package, which an ingest does not import (store/duck.py).
                    counts, samples = _reject_rows(rejects)
                    ids = [self.file_id, self.batch_id]
                    con.executemany(
                        "INSERT INTO reject_counts VALUES (?, ?, ?, ?)",
                        [[*ids, reason, n] for reason, n in counts],
                    )
                    con.executemany(
                        "INSERT INTO reject_samples VALUES (?, ?, ?, ?)",
                        [[*ids, reason, line] for reason, line in samples],
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self._finished = []  # listed: no longer this writer's to delete
        return BatchReceipt(self.batch_id, self.records, rejects.num_rows, tuple(sorted(parts)))


def _reject_rows(rejects: pa.Table) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(reason, lines) per reason, and (reason, line) for the first :data:`REJECT_SAMPLES`
    line numbers of each reason, in line order."""
    counts = [
        (str(row["values"]), int(row["counts"]))
        for row in pc.value_counts(rejects["reason"]).to_pylist()
    ]
    samples = []
    for reason, _ in counts:
        lines = rejects.filter(pc.equal(rejects["reason"], reason))["log.line"]
        first = lines.take(pc.sort_indices(lines)[:REJECT_SAMPLES])
        samples += [(reason, int(line)) for line in first.to_pylist()]
    return counts, samples


def _put_in_place(writer: pq.ParquetWriter, temporary: Path, final: Path) -> None:
    """Close a part's writer, sync the file and give it its final name."""
    writer.close()
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, final)


def _has_table(con: Any, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])
