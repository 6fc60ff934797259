"""Finding and reading log files: globs and directories, compression, line chunks.

A log file is read as bytes from a byte offset, cut into whole lines (a last line without its
newline is left for the next run: the appliance may still be writing it), and decoded as UTF-8
with invalid bytes replaced, so that a hostile byte cannot stop an ingest.
"""

from __future__ import annotations

import glob
import hashlib
import io
import mmap
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from socialsight.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported where used: the ingest's prefetch reads chunks on a thread that starts
# before it (socialsight.prefetch). numpy is not imported by a Squid ingest at all (see
# socialsight.entry).

# Bytes of a file's start that identify it across renames and rotations.
FINGERPRINT_BYTES = 4096
# Bytes read at a time, at most: one chunk of whole lines is parsed as one unit of work. Some
# work is per distinct value in a chunk (hosts, people): 16 MiB chunks spend 25 % less CPU per
# line than 8 MiB ones on the bench's 1M-line file.
CHUNK_BYTES = 16 * 1024 * 1024
# Chunks are processed by this many lanes at once (one per core, at most two: the ingest's
# other threads, reading and committing, need some of the machine too).
LANES = min(2, os.cpu_count() or 1)

_MAGIC = {
    b"\x1f\x8b": "gz",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zst",
}


def expand(inputs: Sequence[str | Path]) -> list[Path]:
    """Files named by paths, globs and directories (recursively), sorted, without repeats.

    Hidden files and directories are skipped. A name that matches nothing is an error.
    """
    found: dict[Path, None] = {}
    for item in inputs:
        text = str(item)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            raise InputError(f"{text}: no file matches")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    rel = child.relative_to(path).parts
                    if child.is_file() and not any(p.startswith(".") for p in rel):
                        found.setdefault(child, None)
            elif path.is_file():
                found.setdefault(path, None)
            elif path.exists():
                raise InputError(f"{path}: not a regular file")
            else:
                raise InputError(f"{path}: no such file")
    return list(found)


def compression_of(path: Path) -> str:
    """'gz', 'bz2', 'xz', 'zst' or 'none', by magic bytes (not by name)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return "none"


def open_stream(path: Path, compression: str) -> BinaryIO:
    """A binary stream of the file's decompressed content (each decompressor is imported for
    its own files alone: together 15 ms of every ingest's start)."""
    if compression == "gz":
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    if compression == "bz2":
        import bz2

        return bz2.open(path, "rb")  # type: ignore[return-value]
    if compression == "xz":
        import lzma

        return lzma.open(path, "rb")  # type: ignore[return-value]
    if compression == "zst":
        raw = open(path, "rb")  # noqa: SIM115 - closed through the reader below
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[no-any-return]
    return open(path, "rb")


def head_bytes(path: Path, compression: str) -> bytes:
    """The first :data:`FINGERPRINT_BYTES` of the decompressed content (fewer if shorter)."""
    try:
        with open_stream(path, compression) as stream:
            return _read_exactly(stream, FINGERPRINT_BYTES)
    except _archive_errors() as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None


def fingerprint(data: bytes) -> str:
    """Content hash used to recognise a file."""
    return hashlib.sha256(data).hexdigest()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining > 0:
        block = stream.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)


Body = bytes | bytearray | memoryview
"""Whole lines as bytes: what a chunk holds and ``LogFormat.parse_bytes`` takes."""

Prescan = Callable[[Body, int], tuple[int, object | None]]
"""(body, first line) -> (lines in the body, the format's scan of it or None): see
:func:`read_chunks`."""


@dataclass
class Chunk:
    """Whole lines read from a file, as bytes: a format that cuts lines itself (Squid's C
    scanner) never pays for a string array of lines."""

    body: Body
    """Whole lines, each ending with a newline, valid UTF-8 (invalid bytes were replaced,
    unless the reader was told the format does it itself: then a view of a memory map)."""
    first_line: int
    """1-based number of the first line."""
    offset_from: int
    offset_to: int
    """Byte offsets (in decompressed content) this chunk covers: [from, to)."""
    line_count: int
    """Lines in :attr:`body`."""
    prescanned: object | None = None
    """The format's :meth:`~socialsight.formats.base.LogFormat.prescan` of the body, when a
    reader thread did it ahead (the body is then dropped: empty)."""

    @property
    def lines(self) -> pa.Array:
        """The lines decoded, without terminators (a trailing CR is removed)."""
        return decode_lines(self.body)


@dataclass
class ReadState:
    """Filled in while reading: what could not be read."""

    truncated_archive: str | None = None
    partial_line_bytes: int = 0


def read_chunks(
    path: Path,
    compression: str,
    offset: int,
    first_line: int,
    state: ReadState,
    chunk_bytes: int | None = None,
    validate: bool = True,
    prescan: Prescan | None = None,
) -> Iterator[Chunk]:
    """Yield chunks of whole lines from ``offset`` to the end of the file as it is now.

    For a plain file, a last line with no newline is held back (still being written). A
    compressed file is complete by nature, so its last line is read too. A damaged archive
    yields what could be decompressed and notes the problem in ``state``. Invalid UTF-8 is
    replaced, unless ``validate`` is false: for a format whose ``parse_bytes`` replaces it
    itself (:attr:`~socialsight.formats.base.LogFormat.replaces_invalid_utf8`).

    ``prescan(body, first_line)``, when given, gives each chunk's line count and, if it did
    the format's scan, the scan (:attr:`Chunk.prescanned`; the body is then dropped).
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    complete = compression != "none"
    try:
        stream = open_stream(path, compression)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with stream:
        try:
            _skip(stream, offset)
        except _archive_errors() as exc:
            state.truncated_archive = str(exc)
            return
        pending = b""
        position = offset
        line_no = first_line
        # The memory map of a chunk that was scanned ahead (its body dropped), to read the
        # next chunk into: its pages are already there (no page faults).
        spare: mmap.mmap | None = None
        while True:
            # The pending start of a line, then the read into the same buffer, which becomes
            # the body: the bytes are copied once, by the kernel. Without validation the
            # buffer is a memory map: the kernel gives it zeroed pages as the read fills
            # them, outside the GIL (a bytearray is zeroed first, holding the GIL).
            size = len(pending) + chunk_bytes
            buffer: bytearray | mmap.mmap
            if validate:
                buffer = bytearray(size)
            elif spare is not None and len(spare) >= size:
                buffer, spare = spare, None
            else:
                # Private: the kernel fills a private anonymous page a fifth faster than a
                # shared one (Python's default, backed by shmem).
                buffer = mmap.mmap(-1, size + _SPARE_ROOM, flags=_PRIVATE_MAP)
            buffer[: len(pending)] = pending
            try:
                into = memoryview(buffer)[len(pending) : size]
                got = cast(io.BufferedIOBase, stream).readinto(into)
                into.release()
            except _archive_errors() as exc:
                state.truncated_archive = str(exc) or type(exc).__name__
                got = 0
                complete = False
            end = len(pending) + got
            last = got == 0
            if last:
                if not pending:
                    return
                if not complete:
                    state.partial_line_bytes = len(pending)
                    return
                # A compressed file's last line may lack its newline: one is added (and not
                # counted in the offsets).
                buffer[end : end + 1] = b"\n"
                consumed, size = end, end + 1
            else:
                cut = buffer.rfind(b"\n", 0, end)
                if cut < 0:
                    pending = bytes(buffer[:end])
                    continue
                pending = bytes(memoryview(buffer)[cut + 1 : end])
                consumed = size = cut + 1
            body: Body
            if validate:
                assert isinstance(buffer, bytearray)
                del buffer[size:]
                body = _valid_utf8(buffer)
            else:
                body = memoryview(buffer)[:size]
            if prescan is None:
                count, prescanned = count_lines(body), None
            else:
                count, prescanned = prescan(body, line_no)
            if prescanned is not None:
                # The scan keeps what it needs: the body goes, its memory map is read into next.
                if isinstance(body, memoryview) and isinstance(buffer, mmap.mmap):
                    body.release()
                    spare = buffer
                body = b""
            yield Chunk(body, line_no, position, position + consumed, count, prescanned)
            position += consumed
            line_no += count
            if last:
                return


def _archive_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged or truncated file (or archive) raises."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError)
    # Only their own files import them (see open_stream).
    if (lzma := sys.modules.get("lzma")) is not None:
        errors = (*errors, lzma.LZMAError)
    if (zstandard := sys.modules.get("zstandard")) is not None:
        errors = (*errors, zstandard.ZstdError)
    return errors


def balanced_chunk_bytes(remaining: int | None, lanes: int = LANES) -> int:
    """The read size that cuts ``remaining`` bytes into a multiple of ``lanes`` chunks of about
    the same size, none over :data:`CHUNK_BYTES`: lanes that take chunks in turn then finish
    together (with 8 MiB reads, a 135 MB file would leave one lane a 17th chunk to do alone).
    :data:`CHUNK_BYTES` when the size is not known (a compressed file).

    >>> balanced_chunk_bytes(135_000_000, 2) * 18 >= 135_000_000
    True
    """
    if not remaining or remaining <= 0 or lanes <= 1:
        return CHUNK_BYTES
    chunks = -(-remaining // CHUNK_BYTES)
    chunks = -(-chunks // lanes) * lanes
    return max(1, -(-remaining // chunks))


def _skip(stream: BinaryIO, offset: int) -> None:
    if offset <= 0:
        return
    if stream.seekable():
        stream.seek(offset)
        return
    remaining = offset
    while remaining > 0:
        block = stream.read(min(remaining, CHUNK_BYTES))
        if not block:
            raise EOFError("file is shorter than the recorded offset")
        remaining -= len(block)


def count_lines(body: Body) -> int:
    """Newlines in ``body``, counted by the C extension without the GIL (6 GB/s), so the
    reader thread does not hold up the workers; with numpy when the extension is not built."""
    try:
        from socialsight.formats._squidscan import count_lines as counted
    except ImportError:
        return _count_lines_numpy(body)
    return counted(body)


def _count_lines_numpy(body: Body) -> int:
    """:func:`count_lines` with numpy (three times as fast as ``bytes.count``, without the
    GIL). By slices: a comparison of the whole body would allocate (and fault in) a mask as
    large as the body."""
    import numpy as np

    view = np.frombuffer(body, np.uint8)
    return sum(
        int(np.count_nonzero(view[i : i + _COUNT_SLICE] == 10))
        for i in range(0, len(view), _COUNT_SLICE)
    )


# Small enough that the mask's memory is reused from one slice to the next.
_COUNT_SLICE = 4 * 1024 * 1024
# Room left at the end of a reader's memory map, so that it can be read into again after a
# longer pending line start.
_SPARE_ROOM = 64 * 1024
_PRIVATE_MAP = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS


def _valid_utf8(body: bytes | bytearray) -> bytes | bytearray:
    """``body`` with invalid UTF-8 replaced by U+FFFD (the same bytes when already valid)."""
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            body = body.decode("utf-8", errors="replace").encode("utf-8")
    return body


def decode_lines(body: Body) -> pa.Array:
    """Whole-line bytes (valid UTF-8, ending in a newline) -> string array of lines without
    terminators.

    The lines are cut by Arrow from one buffer: building a Python string per line would cost
    four times the whole parse of a line.

    >>> decode_lines(b"a\\r\\n\\nb\\n").to_pylist()
    ['a', '', 'b']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(body, memoryview):
        body = body.tobytes()
    whole = pa.array([body], pa.large_binary())
    pieces = pc.split_pattern(whole, "\n").flatten()
    # The body ends with a newline: the last piece is the empty text after it.
    lines = pieces.slice(0, len(pieces) - 1).view(pa.large_string()).cast(pa.string())
    if b"\r" in body:
        lines = pc.utf8_rtrim(lines, characters="\r")
    return lines


def sample_lines(path: Path, compression: str, limit: int = 50) -> list[str]:
    """Up to ``limit`` non-blank lines from the start of a file, for format detection."""
    try:
        with open_stream(path, compression) as stream:
            data = _read_exactly(stream, 256 * 1024)
    except _archive_errors():
        data = b""
    text = data.decode("utf-8", errors="replace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if len(data) == 256 * 1024:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:limit]
