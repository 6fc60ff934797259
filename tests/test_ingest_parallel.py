"""Parallel ingest: the same output whatever the worker count, and bounded read-ahead."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import socialsight.ingest as ingest_module
import socialsight.sources as sources_module
from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
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


@pytest.fixture
def two_installs(data_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two installations sharing one key, so that their pseudonyms are comparable."""
    twin = tmp_path / "twin"
    shutil.copytree(data_dir, twin)
    return data_dir, twin


def test_output_is_identical_whatever_the_worker_count(
    two_installs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks and batches: many chunks in flight, several batches, rejects among them.
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(ingest_module, "BATCH_LINES", 150)
    one, two = two_installs
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    reports = []
    for data, workers in ((one, 1), (two, 2)):
        ingestor = Ingestor(data, directory, format_name="squid")
        ingestor.workers = workers
        reports.append(ingestor.run([log, *REAL, *HOSTILE]))
    serial, parallel = reports
    assert [(f.lines, f.records, dict(f.rejected)) for f in serial.files] == [
        (f.lines, f.records, dict(f.rejected)) for f in parallel.files
    ]
    assert sum(serial.rejected.values()) == 18
    assert len(_batches(one)) >= 4
    assert _batches(one) == _batches(two)
    assert _parts_content(one) == _parts_content(two)


def test_read_ahead_is_bounded(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 512)
    read, written, ahead = [0], [0], []
    real_read_chunks = ingest_module.read_chunks

    def counting_reader(*args: object, **kwargs: object) -> object:
        for chunk in real_read_chunks(*args, **kwargs):  # type: ignore[arg-type]
            read[0] += 1
            ahead.append(read[0] - written[0])
            yield chunk

    real_write = BatchWriter.write_prepared

    def counting_write(self: BatchWriter, prepared: object) -> None:
        written[0] += 1
        real_write(self, prepared)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "read_chunks", counting_reader)
    monkeypatch.setattr(BatchWriter, "write_prepared", counting_write)
    ingestor = Ingestor(data_dir)
    ingestor.workers = 2
    report = ingestor.run(REAL)
    assert report.lines == 400
    assert read[0] == written[0] > 20
    # At most 2 * workers chunks in the pool and READ_AHEAD more are read and not yet
    # written, whatever the file size; the pool fills before the first write.
    assert 2 * 2 <= max(ahead) <= 2 * 2 + ingest_module.READ_AHEAD
