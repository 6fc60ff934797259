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


def test_without_validation_the_bytes_are_given_as_read(tmp_path: Path) -> None:
    """For a format that replaces invalid UTF-8 itself (Squid's scanner), the reader skips its
    check; the squid parser then gives what it gives on the replaced text."""
    from socialsight.formats.squid import SquidNative

    path = tmp_path / "a.log"
    line = b"1157689344.736 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/x - NONE/- -"
    path.write_bytes(TEXT + line + b" \xff\n")
    raw = list(read_chunks(path, "none", 0, 1, ReadState(), 1 << 20, validate=False))
    checked = list(read_chunks(path, "none", 0, 1, ReadState(), 1 << 20))
    assert [bytes(c.body) for c in raw] == [path.read_bytes()]
    assert b"\xff" not in checked[0].body and checked[0].body.count("\ufffd".encode()) == 2
    assert [(c.offset_to, c.line_count) for c in raw] == [
        (c.offset_to, c.line_count) for c in checked
    ]
    parsed = [SquidNative().parse_bytes(c.body, 1)[1] for c in (raw[0], checked[0])]
    assert parsed[0].records.to_pylist() == parsed[1].records.to_pylist()
    assert parsed[0].rejects.to_pylist() == parsed[1].rejects.to_pylist() != []


def test_balanced_chunks_give_each_lane_the_same_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socialsight.sources as sources_module
    from socialsight.sources import balanced_chunk_bytes

    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 1000)
    path = tmp_path / "a.log"
    path.write_bytes(b"".join(b"line %05d of the file\n" % i for i in range(1000)))  # 23 kB
    size = path.stat().st_size
    assert balanced_chunk_bytes(None, 2) == balanced_chunk_bytes(size, 1) == 1000
    step = balanced_chunk_bytes(size, 2)
    assert step <= 1000
    chunks = list(read_chunks(path, "none", 0, 1, ReadState(), step))
    sizes = [c.offset_to - c.offset_from for c in chunks]
    # Reads of 1000 bytes would make 23 chunks; balanced, 24 of about 958 bytes.
    assert len(chunks) == 24 and sum(sizes) == size
    assert max(sizes) - min(sizes) <= 23  # within a line of each other
    assert sum(c.line_count for c in chunks) == 1000


def test_unvalidated_bodies_are_views_that_every_parse_path_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without validation the reader gives views of a memory map; the Squid scanner, the
    Arrow fallback without it and the generic line decoder all take them."""
    import socialsight.formats.squid as squid
    from socialsight.formats.squid import SquidNative
    from socialsight.sources import decode_lines

    path = tmp_path / "a.log"
    line = b"1157689344.736 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/x - NONE/- -"
    path.write_bytes(b"junk\r\n" + line + b"\n" + line + b" \xff\n")
    (chunk,) = read_chunks(path, "none", 0, 1, ReadState(), validate=False)
    assert isinstance(chunk.body, memoryview)
    assert decode_lines(memoryview(b"a\r\nb\n")).to_pylist() == ["a", "b"]
    fast = SquidNative().parse_bytes(chunk.body, 1)
    monkeypatch.setattr(squid, "_scan", None)
    slow = SquidNative().parse_bytes(chunk.body, 1)
    assert fast[0] == slow[0] == 3
    assert fast[1].records.to_pylist() == slow[1].records.cast(fast[1].records.schema).to_pylist()
    assert fast[1].rejects.to_pylist() == slow[1].rejects.to_pylist() != []
