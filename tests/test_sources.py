"""Finding files, compression, and cutting bytes into whole lines."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest
import zstandard

from socialsight.errors import InputError
from socialsight.sources import ReadState, compression_of, expand, read_chunks

TEXT = b"one\r\ntwo \xff\nthree\n"


def _read_all(
    path: Path, offset: int = 0, chunk_bytes: int = 1 << 20
) -> tuple[list[str], ReadState, int]:
    state = ReadState()
    lines: list[str] = []
    end = offset
    for chunk in read_chunks(path, compression_of(path), offset, 1, state, chunk_bytes):
        lines += chunk.lines.to_pylist()
        end = chunk.offset_to
    return lines, state, end


def test_expand_globs_and_directories(tmp_path: Path) -> None:
    (tmp_path / "logs" / "sub").mkdir(parents=True)
    (tmp_path / "logs" / "a.log").write_text("x\n")
    (tmp_path / "logs" / "sub" / "b.log").write_text("x\n")
    (tmp_path / "logs" / ".hidden").write_text("x\n")
    (tmp_path / "c.log").write_text("x\n")
    found = expand([str(tmp_path / "*.log"), tmp_path / "logs", str(tmp_path / "c.log")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "c.log", "logs/a.log", "logs/sub/b.log",
    ]  # fmt: skip
    with pytest.raises(InputError, match="no such file"):
        expand([tmp_path / "missing.log"])
    with pytest.raises(InputError, match="no file matches"):
        expand([str(tmp_path / "*.nothing")])


@pytest.mark.parametrize(
    ("name", "writer", "kind"),
    [
        ("a.gz", gzip.compress, "gz"),
        ("a.bz2", bz2.compress, "bz2"),
        ("a.xz", lzma.compress, "xz"),
        ("a.zst", lambda b: zstandard.ZstdCompressor().compress(b), "zst"),
        ("a.log", lambda b: b, "none"),
    ],
)
def test_compressed_input(tmp_path: Path, name: str, writer: object, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(writer(TEXT))  # type: ignore[operator]
    assert compression_of(path) == kind
    lines, state, end = _read_all(path)
    assert lines == ["one", "two \ufffd", "three"]
    assert end == len(TEXT)
    assert state.truncated_archive is None


def test_partial_last_line_is_held_back(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nthr")
    lines, state, end = _read_all(path, chunk_bytes=3)
    assert lines == ["one", "two"]
    assert end == 8
    assert state.partial_line_bytes == 3
    # Completed later: read from the offset reached, once.
    path.write_bytes(b"one\ntwo\nthree\n")
    assert _read_all(path, offset=end)[0] == ["three"]


def test_compressed_last_line_without_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(b"one\ntwo"))
    lines, _, end = _read_all(path)
    assert lines == ["one", "two"]
    assert end == 7


def test_truncated_archive_reads_what_it_can(tmp_path: Path) -> None:
    payload = b"".join(b"line %d\n" % i for i in range(20000))
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(payload)[:20000])
    lines, state, _ = _read_all(path, chunk_bytes=4096)
    assert state.truncated_archive
    assert 0 < len(lines) < 20000
    assert lines == [f"line {i}" for i in range(len(lines))]
