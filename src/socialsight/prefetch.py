"""Reading the first log file while the program is still starting (issue #6).

An ingest spends its first few tenths of a second importing Arrow and DuckDB and asking the
ledger where to start, all of it on one core while the other waits. A :class:`Prefetch`,
started before those imports, reads the one file named on that idle core and runs the format's
GIL-free :meth:`~socialsight.formats.base.LogFormat.prescan` (Squid's C scanner) on each chunk.

The ledger stays the only authority on what to read. The ingest :meth:`~Prefetch.claim`\\ s the
prefetched chunks only when it is about to read that very file (same first bytes, as the file
it was identified by) from its start, uncompressed, in the prefetch's format; in every other
case the prefetch stops, its chunks are dropped and the file is read as usual. Memory stays
bounded: at most :data:`LIMIT` chunks are held, and once claimed it reads only
:data:`AHEAD` chunks ahead of the workers.

This module imports nothing heavy at load time, so that a face can start it first.
"""

from __future__ import annotations

import glob
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialsight.sources import Body, Chunk, Prescan, ReadState

# Chunks held before the ingest claims them: about 6 MB each once scanned (the scan keeps no
# reference to the body), so ~150 MB at most; enough for the whole start-up on a 1M-line file.
LIMIT = 24
# Chunks read (and scanned) ahead of the workers once claimed.
AHEAD = 2
# The interpreter's switch interval while the program starts (see Prefetch.__init__).
STARTUP_SWITCH_INTERVAL = 0.001
# The formats prefetched, each with the module of its ``prescan(body, first_line)`` (a GIL-free
# pass that needs no Arrow; the format's ``parse_prescanned`` takes its result) and of its
# ``plausible(prescanned)`` (whether the chunk is mostly of that format).
PRESCANS = {"squid": "socialsight.formats._squidbind"}


class Prefetch:
    """A reader thread on one file, from its start, until claimed or closed."""

    def __init__(self, path: Path, format_name: str) -> None:
        self.path = path
        self.format_name = format_name
        self.head: bytes | None = None
        """The file's first bytes as the prefetch read them (None if it gave up)."""
        self.state: ReadState | None = None
        self._chunks: deque[Chunk | None] = deque()
        self._cond = threading.Condition()
        self._decided = threading.Event()
        self._limit = LIMIT
        self._stopped = False
        self._error: BaseException | None = None
        # While the program starts, its main thread holds the GIL for imports and lets it go
        # only every switch interval (5 ms): this thread, which needs it for a moment between
        # reads and scans, would wait most of the time. A shorter interval until the claim.
        self._interval: float | None = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, STARTUP_SWITCH_INTERVAL))
        self._thread = threading.Thread(target=self._run, name="ingest-prefetch", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, inputs: Sequence[str | Path], format_name: str | None = None) -> Prefetch | None:
        """A prefetch of the file named, when exactly one existing regular file is named (no
        glob, no directory) and no other format than a prefetched one is forced; else None."""
        if len(inputs) != 1:
            return None
        if format_name is not None and format_name not in PRESCANS:
            return None
        text = str(inputs[0])
        path = Path(text)
        if glob.has_magic(text) or not path.is_file():
            return None
        return cls(path, format_name or next(iter(PRESCANS)))

    # -- the reader thread --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._read()
        except BaseException as exc:  # handed to the ingest if it claims the chunks
            self._error = exc
        finally:
            self._decided.set()
            with self._cond:
                self._chunks.append(None)
                self._cond.notify_all()

    def _read(self) -> None:
        import importlib

        from socialsight.sources import (
            ReadState,
            balanced_chunk_bytes,
            compression_of,
            count_lines,
            head_bytes,
            read_chunks,
        )

        if compression_of(self.path) != "none":
            return
        binding = importlib.import_module(PRESCANS[self.format_name])
        head = head_bytes(self.path, "none")
        state = ReadState()
        scan_chunk = reader_scan(self.format_name)
        assert scan_chunk is not None  # a format of PRESCANS

        def scan(body: Body, first_line: int) -> tuple[int, object | None]:
            with self._cond:
                if self._stopped:
                    return count_lines(body), None
            count, scanned = scan_chunk(body, first_line)
            if scanned is not None and self.head is None:
                # Not worth going on with a file mostly of another format (the ledger and
                # the format detection decide later anyway).
                if not binding.plausible(scanned):
                    return count, None
                self.head, self.state = head, state
                self._decided.set()
            return count, scanned

        # Every prefetched format replaces invalid UTF-8 itself (tests/test_prefetch.py).
        # Cut as the ingest would cut the file now (the same batches in the ledger).
        step = balanced_chunk_bytes(self.path.stat().st_size)
        chunks = read_chunks(self.path, "none", 0, 1, state, step, validate=False, prescan=scan)
        for chunk in chunks:
            if self.head is None:
                return  # implausible, or the scanner is not built
            with self._cond:
                while len(self._chunks) >= self._limit and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                self._chunks.append(chunk)
                self._cond.notify_all()

    # -- the ingest's side --------------------------------------------------------------------
    def claim(
        self, path: Path, head: bytes, format_name: str, compression: str, offset: int
    ) -> tuple[Iterator[Chunk], ReadState] | None:
        """The chunks of ``path`` from its start and the state of their reading, when they are
        what the ingest is about to read: the same file (``head`` is the first bytes it was
        identified by), from offset 0, uncompressed, as ``format_name``. Otherwise None, and
        the prefetch is closed. Call once."""
        self._restore_interval()
        same_file = path == self.path or _same_file(path, self.path)
        wanted = same_file and compression == "none" and offset == 0
        if wanted and format_name == self.format_name:
            self._decided.wait()
            if self.head is not None and self.head == head and self.state is not None:
                with self._cond:
                    # The scan goes on: the workers get scanned chunks, and the reader reads
                    # into the same memory map again (on the bench's 10M-line file: 10 % less
                    # time, 40 % less system time than the workers scanning).
                    self._limit = AHEAD
                    self._cond.notify_all()
                return self._claimed(), self.state
        self.close()
        return None

    def _claimed(self) -> Iterator[Chunk]:
        try:
            while True:
                with self._cond:
                    while not self._chunks:
                        self._cond.wait()
                    chunk = self._chunks.popleft()
                    self._cond.notify_all()
                if chunk is None:
                    if self._error is not None:
                        raise self._error
                    return
                yield chunk
        finally:
            self.close()

    def _restore_interval(self) -> None:
        if self._interval is not None:
            sys.setswitchinterval(self._interval)
            self._interval = None

    def close(self) -> None:
        """Stop reading and drop what was read (idempotent)."""
        self._restore_interval()
        with self._cond:
            self._stopped = True
            self._chunks.clear()
            self._cond.notify_all()
        self._thread.join()


def reader_scan(format_name: str) -> Prescan | None:
    """The GIL-free pass of ``format_name`` (see :data:`PRESCANS`) for a reader thread to run
    on each chunk it reads, or None for a format without one: the workers then get scanned
    chunks, and the reader reads the next chunk into the same memory map (the scan keeps no
    reference to the body)."""
    module = PRESCANS.get(format_name)
    if module is None:
        return None
    import importlib

    from socialsight.sources import count_lines

    binding = importlib.import_module(module)

    def scan(body: Body, first_line: int) -> tuple[int, object | None]:
        scanned = binding.prescan(body, first_line)
        if scanned is None:  # the scanner is not built
            return count_lines(body), None
        return scanned["lines"], scanned

    return scan


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
