"""The ingest pipeline: log files -> parse -> classify -> pseudonymise -> store.

Each file is identified by the ledger (so that a file already read, renamed, rotated,
compressed or copied is not read twice), read from the offset it reached, parsed by its format,
and written in batches that commit atomically with the new offset.

>>> # ingest_files(data_dir, ["access.log"], directory=load_directory(Path("staff.csv")))
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from socialsight import formats
from socialsight.catalog.model import Catalog, load_catalog
from socialsight.config import KEY_NAME, STORE_NAME, Settings, load_settings
from socialsight.errors import InputError
from socialsight.formats.base import LogFormat
from socialsight.prefetch import reader_scan
from socialsight.privacy.directory import EMPTY_DIRECTORY, UNKNOWN_UNIT, Directory
from socialsight.privacy.keys import load_key
from socialsight.privacy.pseudonyms import Pseudonymiser
from socialsight.sources import (
    LANES,
    Chunk,
    ReadState,
    balanced_chunk_bytes,
    compression_of,
    expand,
    fingerprint,
    head_bytes,
    read_chunks,
    sample_lines,
)
from socialsight.store.store import (
    EVENT_WRITE_SCHEMA,
    BatchWriter,
    FileEntry,
    Store,
    prepare,
)

if TYPE_CHECKING:
    from socialsight.catalog.matcher import Matcher
    from socialsight.prefetch import Prefetch

# Lines per committed batch: bounds what a crash can make us redo, and the memory in use.
BATCH_LINES = 1_000_000
# Threads that process chunks at once. Arrow kernels and the Parquet encoder release the GIL,
# so threads use every core without copying chunks between processes.
WORKERS = LANES
# Chunks read ahead of the workers by the reader thread.
READ_AHEAD = 2


class Progress(Protocol):
    """What the pipeline tells a face while it works (the CLI draws a Rich progress bar)."""

    def start(self, total_bytes: int) -> None: ...
    def file(self, path: Path) -> None: ...
    def advance(self, nbytes: int, lines: int) -> None: ...


class NoProgress:
    """A :class:`Progress` that shows nothing."""

    def start(self, total_bytes: int) -> None:
        pass

    def file(self, path: Path) -> None:
        pass

    def advance(self, nbytes: int, lines: int) -> None:
        pass


@dataclass(frozen=True)
class _Processed:
    """What is left of one chunk once its events are written: its rejects and its count."""

    rejects: pa.Table
    records: int


class _BatchPlanner:
    """Assigns chunks to batches as they are submitted, in file order: a batch closes with
    the chunk that brings it to :data:`BATCH_LINES` lines (the same cut as reading in order).
    Keeps the open batches, so that a failure aborts every one of them."""

    def __init__(self, store: Store, file_id: str) -> None:
        self._store = store
        self._file_id = file_id
        self.current = store.batch(file_id)
        self._open = [self.current]
        self._lines = 0

    def plan(self, lines: int) -> tuple[BatchWriter, bool]:
        """The batch of the next chunk (of ``lines`` lines) and whether it closes it."""
        batch = self.current
        self._lines += lines
        closes = self._lines >= BATCH_LINES
        if closes:
            self.current = self._store.batch(self._file_id)
            self._open.append(self.current)
            self._lines = 0
        return batch, closes

    @property
    def pending_lines(self) -> int:
        """Lines planned into :attr:`current`, the batch no chunk has closed yet."""
        return self._lines

    def committed(self, batch: BatchWriter) -> None:
        self._open.remove(batch)

    def abort(self) -> None:
        for batch in self._open:
            batch.abort()
        self._open.clear()


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    status: str
    """new, appended, unchanged, renamed, replaced, truncated or refused."""
    format: str | None = None
    lines: int = 0
    records: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    bytes_read: int = 0
    note: str = ""


@dataclass
class IngestReport:
    """What an ingest run did, file by file."""

    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def rejected(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for report in self.files:
            total.update(report.rejected)
        return total

    @property
    def refused(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "refused"]


class Ingestor:
    """Everything one ingest run needs, loaded once."""

    def __init__(
        self,
        data_dir: Path,
        directory: Directory = EMPTY_DIRECTORY,
        format_name: str | None = None,
        progress: Progress | None = None,
        settings: Settings | None = None,
        catalog: Catalog | None = None,
        format_options: dict[str, str] | None = None,
        prefetch: Prefetch | None = None,
    ) -> None:
        self.settings = settings or load_settings(data_dir)
        self.store = Store.open(data_dir / STORE_NAME)
        self.pseudonymiser = Pseudonymiser(load_key(data_dir / KEY_NAME))
        self.directory = directory
        self.forced_format = formats.get(format_name) if format_name else None
        # Options (generic's --mapping) go with the forced format; checked before any file.
        self.format_options = dict(format_options or {})
        if self.forced_format is not None:
            self.forced_format.configured(self.format_options)
        elif self.format_options:
            raise InputError("format options (--mapping) need --format")
        # The catalog and its matcher take a third of a second to build: built on first use,
        # so that a run with nothing new to read stays quick.
        self._given_catalog = catalog
        self._catalog_synced = False
        self.progress = progress or NoProgress()
        self.workers = WORKERS
        self._pseudonyms = _PseudonymCache()
        # The first file, read ahead while the program started (used only if it is what the
        # ledger says to read).
        self._prefetch = prefetch

    def run(self, inputs: Sequence[str | Path]) -> IngestReport:
        """Ingest every file named by ``inputs`` (paths, globs, directories)."""
        started = time.monotonic()
        paths = expand(inputs)
        report = IngestReport()
        # Opening the database costs tens of milliseconds, without the GIL: it opens on
        # another thread while the classifier is built, and taking the lock and the first
        # file's ledger calls share that connection, closed before the file is read.
        self.store.connect_ahead()
        try:
            # Built now, before the lanes' threads start (they never race to build it).
            self.matcher.lookup("example.org")
            with contextlib.ExitStack() as first_burst, self.store.writer_lock(first_burst):
                self.progress.start(sum(_size(p) for p in paths))
                for path in paths:
                    self.progress.file(path)
                    report.files.append(self._ingest_file(path, first_burst))
        finally:
            self._drop_prefetch()
            self.store.drop_ahead()
        report.seconds = time.monotonic() - started
        return report

    def _drop_prefetch(self) -> None:
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None

    @cached_property
    def catalog(self) -> Catalog:
        """The service catalog (with the configured overrides)."""
        return self._given_catalog or load_catalog(self.settings.catalog_overrides)

    @cached_property
    def matcher(self) -> Matcher:
        """The host classifier for :attr:`catalog`."""
        from socialsight.catalog.matcher import Matcher

        return Matcher(self.catalog)

    def _sync_catalog(self) -> None:
        """Keep the store's catalog snapshot in step, once per run, before the first batch."""
        if self._catalog_synced:
            return
        self._catalog_synced = True
        sync_catalog(self.store, self.catalog)

    # -- one file ---------------------------------------------------------------------------
    def _ingest_file(self, path: Path, first_burst: contextlib.ExitStack) -> FileReport:
        # The ledger calls before the read share one database connection (the run's first
        # burst for the first file), never held while the file is read.
        with self.store.burst():
            prepared = self._prepare_file(path, self.store.files())
        first_burst.close()
        if isinstance(prepared, FileReport):
            self._drop_prefetch()
            return prepared
        return self._read_file(path, *prepared)

    def _prepare_file(
        self, path: Path, known: list[FileEntry]
    ) -> FileReport | tuple[str, bytes, FileEntry, LogFormat, str]:
        """Identify the file in the ledger (registering it when new) and build its parser;
        or the report of a file that is not read (empty, not a log)."""
        compression = compression_of(path)
        head = head_bytes(path, compression)
        if not head:
            return FileReport(str(path), "unchanged", note="empty file")
        entry, status = self._identify(path, head, compression, known)
        if entry is None:
            fmt = self._choose_format(path, compression)
            if isinstance(fmt, FileReport):
                return fmt
            entry = FileEntry(
                file_id=secrets.token_hex(8),
                path=str(path),
                fingerprint=fingerprint(head),
                fingerprint_len=len(head),
                compression=compression,
                format=fmt.name,
                byte_offset=0,
                lines=0,
                state="active",
            )
            self.store.register_file(entry)
        forced = self.forced_format is not None and entry.format == self.forced_format.name
        cls = formats.get(entry.format)
        options = dict(self.format_options) if forced else {}
        if cls.takes_timezone:
            # Resolvers log local wall-clock time without a zone: the site's zone applies.
            options.setdefault("timezone", self.settings.timezone)
        parser = cls.configured(options)
        if entry.byte_offset:
            # Appended lines come without the header read last time: take it up again.
            saved = self.store.parser_state(entry.file_id)
            if saved is not None:
                parser.restore(saved)
        if compression != "none" or _size(path) > entry.byte_offset:
            # Something to read: sync the catalog now, in this burst's connection.
            self._sync_catalog()
        return compression, head, entry, parser, status

    def _identify(
        self, path: Path, head: bytes, compression: str, known: list[FileEntry]
    ) -> tuple[FileEntry | None, str]:
        """Which ledger file this is, and what happened to it since the last run."""
        # A "replaced" file is one whose path now holds other content; it is still a
        # candidate, because the rotated original may turn up under its new name later in the
        # same run (``ingest access.log*`` sees the new access.log before access.log.1).
        candidates = [
            f
            for f in known
            if f.state in ("active", "replaced")
            and f.fingerprint_len <= len(head)
            and fingerprint(head[: f.fingerprint_len]) == f.fingerprint
        ]
        candidates.sort(key=lambda f: (f.path != str(path), -f.fingerprint_len))
        if candidates:
            entry = candidates[0]
            if compression == "none" and path.stat().st_size < entry.byte_offset:
                # Same start but shorter than what we read: truncated and rewritten.
                self.store.update_file(entry.file_id, state="truncated")
                return None, "truncated"
            if entry.path != str(path):
                self.store.update_file(entry.file_id, path=str(path), state="active")
                return entry, "renamed"
            if entry.state != "active":
                self.store.update_file(entry.file_id, state="active")
            return entry, "appended" if entry.byte_offset else "new"
        for f in known:
            if f.state == "active" and f.path == str(path):
                # Different content at a known path: rotated away (or truncated) and replaced.
                self.store.update_file(f.file_id, state="replaced")
                return None, "replaced"
        return None, "new"

    def _choose_format(self, path: Path, compression: str) -> type[LogFormat] | FileReport:
        if self.forced_format is not None:
            return self.forced_format
        detected = formats.detect(sample_lines(path, compression))
        if detected is None:
            tried = ", ".join(cls.name for cls in formats.detectable())
            return FileReport(
                str(path), "refused", note=f"not a log format socialsight reads (tried: {tried})"
            )
        return detected

    def _read_file(
        self,
        path: Path,
        compression: str,
        head: bytes,
        entry: FileEntry,
        parser: LogFormat,
        status: str,
    ) -> FileReport:
        report = FileReport(str(path), status, format=entry.format)
        offset, line = entry.byte_offset, entry.lines
        new_fp = (fingerprint(head), len(head)) if len(head) > entry.fingerprint_len else None
        claimed = None
        if self._prefetch is not None:  # it checks that this is its file, or closes
            claimed = self._prefetch.claim(path, head, entry.format, compression, offset)
            self._prefetch = None
        if claimed is not None:
            chunks, state = claimed
        else:
            state = ReadState()
            validate = not parser.replaces_invalid_utf8
            size = _size(path) - offset if compression == "none" else None
            step = balanced_chunk_bytes(size, self.workers)
            # The reader thread runs the format's GIL-free pass, as the prefetch does.
            scan = reader_scan(entry.format) if self.workers > 1 else None
            chunks = read_chunks(
                path, compression, offset, line + 1, state, step, validate, prescan=scan
            )
        planner = _BatchPlanner(self.store, entry.file_id)
        batch_from, batch_line_from = offset, line
        try:
            processed = self._processed(chunks, parser, entry, planner, claimed is None)
            for chunk, done, batch, closes in processed:
                batch.reject(done.rejects)
                count = chunk.line_count
                report.lines += count
                report.records += done.records
                report.bytes_read += chunk.offset_to - chunk.offset_from
                for reason, n in _count(done.rejects).items():
                    report.rejected[reason] += n
                offset, line = chunk.offset_to, chunk.first_line + count - 1
                plain = chunk.offset_to - chunk.offset_from if compression == "none" else 0
                self.progress.advance(plain, count)
                if closes:
                    batch.commit(
                        self.catalog.version, batch_from, offset, batch_line_from, line, new_fp,
                        parser.state(),
                    )  # fmt: skip
                    planner.committed(batch)
                    batch_from, batch_line_from = offset, line
                    new_fp = None
            if planner.pending_lines or new_fp:
                batch = planner.current
                batch.commit(
                    self.catalog.version, batch_from, offset, batch_line_from, line, new_fp,
                    parser.state(),
                )  # fmt: skip
                planner.committed(batch)
        except BaseException:
            planner.abort()
            raise
        if compression != "none":
            self.progress.advance(_size(path), 0)
        if report.lines == 0 and status in ("appended", "new", "renamed"):
            report.status = "unchanged"
        notes = []
        if state.truncated_archive:
            notes.append(f"damaged archive, read what could be read ({state.truncated_archive})")
        if state.partial_line_bytes:
            notes.append(f"last line incomplete ({state.partial_line_bytes} bytes), left for later")
        report.note = "; ".join(notes)
        return report

    def _processed(
        self,
        chunks: Iterator[Chunk],
        parser: LogFormat,
        entry: FileEntry,
        planner: _BatchPlanner,
        read_ahead: bool = True,
    ) -> Iterator[tuple[Chunk, _Processed, BatchWriter, bool]]:
        """Each chunk processed and written, in file order, with its batch and whether it
        closes that batch; chunks are processed in parallel when the format allows it.

        Chunk ``i`` goes to lane ``i % workers``: one thread per lane parses it, classifies,
        pseudonymises, splits it by day and appends it to the lane's own Parquet part of the
        chunk's batch (``<batch>-<lane>.parquet``), so the Parquet encoding runs in parallel
        too and each part's content does not depend on thread timing. The batch of a chunk is
        planned when it is submitted (line counts are known once read); a batch is committed
        by the caller after its last chunk is consumed, when every lane is done with it.
        At most ``2 * workers`` chunks are in flight and :data:`READ_AHEAD` more are read, so
        memory stays flat whatever the file size.
        """
        first = next(chunks, None)
        if first is None:
            return
        self._sync_catalog()
        chunks = itertools.chain([first], chunks)
        workers = self.workers
        if workers <= 1 or not getattr(parser, "chunk_independent", False):
            for chunk in chunks:
                batch, closes = planner.plan(chunk.line_count)
                yield chunk, self._process(chunk, parser, entry, batch, 0), batch, closes
            return
        lanes = [
            ThreadPoolExecutor(1, thread_name_prefix=f"ingest-{lane}") for lane in range(workers)
        ]
        # Each chunk's future, and for the chunk that closes a batch the lanes' futures that
        # put the batch's parts in place (each lane closes its own after its last chunk).
        pending: deque[tuple[Chunk, Future[_Processed], BatchWriter, bool, list[Future[None]]]]
        pending = deque()
        try:
            # A prefetch is a reader thread already.
            for number, chunk in enumerate(_read_ahead(chunks) if read_ahead else chunks):
                lane = number % workers
                batch, closes = planner.plan(chunk.line_count)
                future = lanes[lane].submit(self._process, chunk, parser, entry, batch, lane)
                finishing = [x.submit(batch.finish_lane, n) for n, x in enumerate(lanes) if closes]
                pending.append((chunk, future, batch, closes, finishing))
                if len(pending) >= 2 * workers:
                    yield self._ready(pending.popleft())
            # Every chunk is on its way: the last commit's connection opens meanwhile.
            self.store.connect_ahead()
            if planner.pending_lines:  # the last batch, committed by the caller at the end
                last = planner.current
                finishing = [x.submit(last.finish_lane, n) for n, x in enumerate(lanes)]
                chunk, future, batch, closes, _ = pending.pop()
                pending.append((chunk, future, batch, closes, finishing))
            while pending:
                yield self._ready(pending.popleft())
        finally:
            for _, future, _, _, finishing in pending:
                future.cancel()
                for finish in finishing:
                    finish.cancel()
            for executor in lanes:
                executor.shutdown(wait=True)

    @staticmethod
    def _ready(
        item: tuple[Chunk, Future[_Processed], BatchWriter, bool, list[Future[None]]],
    ) -> tuple[Chunk, _Processed, BatchWriter, bool]:
        """A chunk once processed, and once its batch's parts are in place if it closes it."""
        chunk, future, batch, closes, finishing = item
        done = future.result()
        for finished in finishing:
            finished.result()
        return chunk, done, batch, closes

    def _process(
        self, chunk: Chunk, parser: LogFormat, entry: FileEntry, batch: BatchWriter, lane: int
    ) -> _Processed:
        """Parse, classify, pseudonymise, split by day and write one chunk (thread-safe: pure
        Arrow work, caches whose races are harmless, and the lane's own Parquet writers)."""
        if chunk.prescanned is not None:
            _, result = parser.parse_prescanned(chunk.prescanned)
        else:
            _, result = parser.parse_bytes(chunk.body, chunk.first_line)
        events = self._to_events(result.records, entry)
        batch.write_prepared(prepare(events), lane)
        return _Processed(result.rejects, events.num_rows)

    def _to_events(self, records: pa.Table, entry: FileEntry) -> pa.Table:
        """Records (raw identities) -> events (pseudonyms, unit, service).

        Every low-cardinality column is handled as a dictionary: the pseudonyms, units and
        services are computed once per distinct name, client or host, and the rows keep
        int32 indices into them all the way to the Parquet writer (which then writes the
        dictionaries as they are instead of hashing every row again).
        """
        n = records.num_rows
        users = _dictionary(records["user.name"])
        clients = _dictionary(records["source.address"])
        user_ids = _mapped(
            users, self._pseudonyms.values(users.dictionary, self.pseudonymiser.user)
        )
        client_ids = _mapped(
            clients, self._pseudonyms.values(clients.dictionary, self.pseudonymiser.client)
        )
        person = _coalesce(user_ids, client_ids)
        units = _units(users, self.directory)
        # The directory wins; a unit named by the log itself (Zscaler's dept) fills the gaps.
        logged = records["organization.unit"].combine_chunks()
        if logged.null_count < n:  # most logs name no unit: skip the row-wise work
            decoded = units.dictionary.take(units.indices)
            use_logged = pc.and_(
                pc.equal(decoded, UNKNOWN_UNIT), pc.not_equal(logged, "").fill_null(False)
            )
            if pc.any(use_logged).as_py():
                units = _dictionary(pc.if_else(use_logged, logged.cast(pa.string()), decoded))
        hosts = _dictionary(records["url.domain"])
        classified = self.matcher.classify(hosts.dictionary)
        keep_urls = self.settings.keep_urls
        columns = {
            "@timestamp": records["@timestamp"],
            "user.pseudonym": user_ids,
            "client.pseudonym": client_ids,
            "person.pseudonym": person,
            "organization.unit": units,
            "http.request.method": _dictionary(records["http.request.method"]),
            "url.domain": hosts,
            "destination.port": records["destination.port"],
            "http.response.status_code": records["http.response.status_code"],
            "event.action": _dictionary(records["event.action"]),
            "event.outcome": _dictionary(records["event.outcome"]),
            "http.request.bytes": records["http.request.bytes"],
            "http.response.bytes": records["http.response.bytes"],
            "event.duration_ms": records["event.duration_ms"],
            "http.response.mime_type": _dictionary(records["http.response.mime_type"]),
            "url.registered_domain": _mapped(hosts, classified["url.registered_domain"]),
            "host.is_ip": pc.fill_null(
                classified["host.is_ip"].combine_chunks().take(hosts.indices), False
            ),
            "service.id": _mapped(hosts, classified["service.id"]),
            "service.category": _mapped(hosts, classified["service.category"]),
            "url.original": (
                _without_credentials(_plain(records["url.original"]))
                if keep_urls
                else pa.nulls(n, pa.string())
            ),
            "log.file.id": _constant(entry.file_id, n),
            "log.format": _constant(entry.format, n),
            "log.line": records["log.line"],
        }
        return pa.table(columns).cast(EVENT_WRITE_SCHEMA)


def _plain(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A string column as a plain (not dictionary-encoded) string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary.take(values.indices)
    return values.cast(pa.string())


def _dictionary(values: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """A string column dictionary-encoded with int32 indices and distinct dictionary values
    (a parser's dictionary is taken as it is, made distinct if needed; nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        dictionary = values.dictionary
        distinct = len(dictionary) == pc.count_distinct(dictionary, "all").as_py()
        if distinct and dictionary.null_count == 0 and values.type.index_type == pa.int32():
            return values  # the parser's own distinct dictionary: nothing to redo per row
        return _mapped(values, values.dictionary)
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    return pa.DictionaryArray.from_arrays(encoded.indices.cast(pa.int32()), encoded.dictionary)


def _mapped(keys: pa.DictionaryArray, values: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """The rows of ``keys`` with each key's value from ``values`` (one value per entry of
    ``keys.dictionary``), as a dictionary array with distinct values. Only the dictionary is
    hashed, never the rows: the row indices are remapped with one gather."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) != len(keys.dictionary):
        raise ValueError(f"{len(values)} values for {len(keys.dictionary)} keys")
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    # The row indices of a valid dictionary array are within its dictionary, and so within
    # ``values``: the gather and the result skip checking a million indices again.
    indices = pc.take(encoded.indices.cast(pa.int32()), keys.indices, boundscheck=False)
    return pa.DictionaryArray.from_arrays(indices, encoded.dictionary, safe=False)


def _coalesce(first: pa.DictionaryArray, second: pa.DictionaryArray) -> pa.DictionaryArray:
    """Per row, ``first`` where it is not null, else ``second`` (as ``pc.coalesce``)."""
    values = pa.concat_arrays([first.dictionary, second.dictionary])
    shifted = pc.add(second.indices, pa.scalar(len(first.dictionary), pa.int32()))
    merged = pc.coalesce(first.indices, shifted)
    return _mapped(pa.DictionaryArray.from_arrays(merged, values), values)


def _units(users: pa.DictionaryArray, directory: Directory) -> pa.DictionaryArray:
    """The directory's unit of each row's raw user name (``unknown`` when none)."""
    per_user = directory.units(users.dictionary)
    values = pa.concat_arrays([per_user, pa.array([UNKNOWN_UNIT], pa.string())])
    # A row without a user name points at the extra "unknown" entry.
    indices = pc.fill_null(users.indices, pa.scalar(len(per_user), pa.int32()))
    return _mapped(pa.DictionaryArray.from_arrays(indices, values), values)


def _read_ahead(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The same chunks, read by a background thread at most :data:`READ_AHEAD` ahead."""
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-read") as reader:
        # One reader thread: the reads run one at a time, in order.
        ahead = deque(reader.submit(next, chunks, None) for _ in range(READ_AHEAD))
        try:
            while True:
                chunk = ahead.popleft().result()
                if chunk is None:
                    return
                ahead.append(reader.submit(next, chunks, None))
                yield chunk
        finally:
            for future in ahead:
                future.cancel()


class _PseudonymCache:
    """Pseudonyms of the identities already seen in this run.

    Every chunk holds the same few thousand people: hashing each distinct name once per run
    instead of once per chunk saves most of the cost. The names seen and their pseudonyms are
    kept as Arrow arrays, so that a chunk's names are looked up in one hash join, outside the
    GIL, and only the new ones go through Python. Bounded (emptied when full), so that hostile
    input with millions of names cannot grow memory without limit; shared by worker threads,
    where a race only adds a name twice (the first is used).
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        self._known: dict[Callable[[str], str], tuple[pa.Array, pa.Array]] = {}

    def values(self, distinct: pa.Array, fn: Callable[[str], str]) -> pa.Array:
        """``fn`` of each value of ``distinct`` (as ``Pseudonymiser.users``: null or blank
        stays null)."""
        distinct = distinct.cast(pa.string())
        names, pseudonyms = self._known.get(fn, (_NO_STRINGS, _NO_STRINGS))
        at = pc.index_in(distinct, value_set=names)
        new = pc.and_(at.is_null(), distinct.is_valid())
        if pc.any(new).as_py():
            fresh = distinct.filter(new)
            if len(names) + len(fresh) > self.LIMIT:
                # Start again from this chunk's names alone.
                names, pseudonyms = _NO_STRINGS, _NO_STRINGS
                fresh = distinct.filter(distinct.is_valid())
            computed = pa.array(
                [fn(v) if v and v.strip() else None for v in fresh.to_pylist()], pa.string()
            )
            names = pa.concat_arrays([names, fresh])
            pseudonyms = pa.concat_arrays([pseudonyms, computed])
            self._known[fn] = (names, pseudonyms)
            at = pc.index_in(distinct, value_set=names)
        return pseudonyms.take(at)


_NO_STRINGS = pa.array([], pa.string())


# scheme://user:password@host -> scheme://host: a kept URL must not keep a password.
_USERINFO = r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@]*@"


def _without_credentials(urls: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.replace_substring_regex(urls, pattern=_USERINFO, replacement=r"\1")


def _constant(value: str, n: int) -> pa.DictionaryArray:
    """An array of n copies of one string, as a one-entry dictionary."""
    # Zeroed memory as the indices: pa.repeat takes half a millisecond per chunk, and
    # pa.array(numpy) loads numpy.ma (30 ms a run).
    zeros = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(bytes(4 * n))])
    return pa.DictionaryArray.from_arrays(zeros, pa.array([value], pa.string()), safe=False)


def _count(rejects: pa.Table) -> dict[str, int]:
    if rejects.num_rows == 0:
        return {}
    counts = pc.value_counts(rejects["reason"])
    return {str(item["values"]): int(item["counts"]) for item in counts.to_pylist()}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def sync_catalog(store: Store, catalog: Catalog) -> None:
    """Bring the store's snapshot of the catalog (what the analytics join events with) to
    ``catalog``'s version; nothing to do when it is there already."""
    if store.catalog_version() == catalog.version:
        return
    services = [(s.id, s.name, s.category, s.owner, s.leaning) for s in catalog.services.values()]
    domains = sorted({(d, s.id) for s in catalog.services.values() for d in s.domains})
    store.sync_catalog(catalog.version, services, domains)


def ingest_files(
    data_dir: Path,
    inputs: Sequence[str | Path],
    directory: Directory = EMPTY_DIRECTORY,
    format_name: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest log files into the installation at ``data_dir``; see :class:`Ingestor`."""
    if not inputs:
        raise InputError("name at least one log file, glob or directory to ingest")
    return Ingestor(data_dir, directory, format_name, progress).run(inputs)
