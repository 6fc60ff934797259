"""Parallel ingest: the same events whatever the worker count, the same parts whatever the
thread timing, and bounded read-ahead."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

import socialsight.ingest as ingest_module
import socialsight.sources as sources_module
from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
from socialsight.sources import Chunk
from socialsight.store.store import BatchWriter

from conftest import SQUID_SAMPLES
from factories import small_org_directory, small_org_log

REAL = [SQUID_SAMPLES / f"access{i}.log" for i in range(1, 5)]
# Hostile and foreign lines among records: rejects in several chunks.
GOLDEN = Path(__file__).parent / "golden" / "squid"
HOSTILE = [GOLDEN / "hostile.log", GOLDEN / "squidguard-mixed.log"]


# Batches in file then offset order (batch and file ids are random by design).
_IN_ORDER = " FROM batches b JOIN files f USING (file_id) ORDER BY f.path, b.offset_from"


def _query(data: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(data / "store" / "socialsight.duckdb"), read_only=True)
    rows = con.execute(sql).fetchall()
    con.close()
    return rows


def _batches(data: Path) -> list[tuple[object, ...]]:
    return _query(
        data, "SELECT f.path, offset_from, offset_to, line_from, line_to, records" + _IN_ORDER
    )


def _parts_content(data: Path) -> list[tuple[str, list[dict[str, object]]]]:
    """Each committed part's day and rows, in batch order."""
    out = []
    for (parts,) in _query(data, "SELECT b.parts" + _IN_ORDER):
        for part in parts:  # type: ignore[attr-defined]
            table = pq.read_table(data / "store" / part).drop_columns(["log.file.id"])
            out.append((Path(part).parent.name, table.to_pylist()))
    return out


def _events_by_batch(data: Path) -> list[list[dict[str, object]]]:
    """Each batch's events (all its parts, every lane), in line order, in batch order."""
    out = []
    for (parts,) in _query(data, "SELECT b.parts" + _IN_ORDER):
        tables = [pq.read_table(data / "store" / part) for part in parts]  # type: ignore[attr-defined]
        rows = [row for table in tables for row in table.drop_columns(["log.file.id"]).to_pylist()]
        out.append(sorted(rows, key=lambda row: int(row["log.line"])))  # type: ignore[call-overload]
    return out


@pytest.fixture
def two_installs(data_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """Three installations sharing one key, so that their pseudonyms are comparable."""
    twin, triplet = tmp_path / "twin", tmp_path / "triplet"
    shutil.copytree(data_dir, twin)
    shutil.copytree(data_dir, triplet)
    return data_dir, twin, triplet


def test_output_is_identical_whatever_the_worker_count(
    two_installs: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks and batches: many chunks in flight, several batches, rejects among them.
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(ingest_module, "BATCH_LINES", 150)
    one, two, again = two_installs
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    reports = []
    # With two workers the reader thread scans each chunk (the workers get it scanned); one
    # worker parses the bytes itself: the other path to the same events.
    scanned: list[bool] = []
    process = Ingestor._process

    def recording(self: Ingestor, chunk: Chunk, *args: Any) -> Any:
        scanned.append(chunk.prescanned is not None)
        return process(self, chunk, *args)

    monkeypatch.setattr(Ingestor, "_process", recording)
    for data, workers in ((one, 1), (two, 2), (again, 2)):
        ingestor = Ingestor(data, directory, format_name="squid")
        ingestor.workers = workers
        reports.append(ingestor.run([log, *REAL, *HOSTILE]))
        assert scanned and all(scanned) == (workers == 2) and any(scanned) == (workers == 2)
        scanned.clear()
    serial, parallel, _ = reports
    assert [(f.lines, f.records, dict(f.rejected)) for f in serial.files] == [
        (f.lines, f.records, dict(f.rejected)) for f in parallel.files
    ]
    assert sum(serial.rejected.values()) == 18
    assert len(_batches(one)) >= 4
    # The same batches and, in each, the same events whatever the number of workers ...
    assert _batches(one) == _batches(two) == _batches(again)
    assert _events_by_batch(one) == _events_by_batch(two)
    # ... written by two lanes with two workers (each chunk to lane number % 2), and the
    # same parts, row for row, whatever the threads' timing.
    lanes = {
        Path(part).stem.rsplit("-", 1)[1]
        for (part,) in _query(two, "SELECT unnest(parts) FROM batches")
    }
    assert lanes == {"0", "1"}
    assert _parts_content(two) == _parts_content(again)


def test_read_ahead_is_bounded(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 512)
    read, consumed, ahead = [0], [0], []
    real_read_chunks = ingest_module.read_chunks

    def counting_reader(*args: object, **kwargs: object) -> object:
        for chunk in real_read_chunks(*args, **kwargs):  # type: ignore[arg-type]
            read[0] += 1
            ahead.append(read[0] - consumed[0])
            yield chunk

    # The caller notes each consumed chunk's rejects once, in file order.
    real_consume = BatchWriter.reject

    def counting_consume(self: BatchWriter, rejects: object) -> None:
        consumed[0] += 1
        real_consume(self, rejects)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "read_chunks", counting_reader)
    monkeypatch.setattr(BatchWriter, "reject", counting_consume)
    ingestor = Ingestor(data_dir)
    ingestor.workers = 2
    report = ingestor.run(REAL)
    assert report.lines == 400
    assert read[0] == consumed[0] > 20
    # At most 2 * workers chunks in the pool and READ_AHEAD more are read and not yet
    # consumed, whatever the file size; the pool fills before the first is consumed.
    assert 2 * 2 <= max(ahead) <= 2 * 2 + ingest_module.READ_AHEAD
