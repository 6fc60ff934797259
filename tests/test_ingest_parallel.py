"""Parallel ingest: the same output whatever the worker count, bounded read-ahead, hourly
rollups that add up to the events, and services answered from the rollup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import socialsight.ingest as ingest_module
import socialsight.sources as sources_module
from socialsight.analytics.engine import events_table, rollup_table
from socialsight.analytics.services import services, services_from_rollup
from socialsight.ingest import Ingestor
from socialsight.insights import Insights
from socialsight.privacy.directory import load_directory
from socialsight.store.store import BatchWriter, Store

from conftest import SQUID_SAMPLES, SimulatedOrg
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


def _rollups_content(data: Path) -> list[list[dict[str, object]]]:
    """Each batch's hourly rollup rows, in batch order."""
    sql = (
        "SELECT r.part FROM rollup_parts r JOIN batches b USING (batch_id)"
        " JOIN files f USING (file_id) ORDER BY f.path, b.offset_from"
    )
    return [pq.read_table(data / "store" / str(part)).to_pylist() for (part,) in _query(data, sql)]


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
    assert _rollups_content(one) == _rollups_content(two)


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


def test_rollup_adds_up_to_the_events(data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    Ingestor(data_dir, directory).run([log, *REAL])
    store = Store.open(data_dir / "store")
    assert store.rollups_complete()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    events = [str(p) for p in store.committed_parts()]
    hourly = [str(p) for p in store.rollup_parts()]
    keys = '"service.id", "service.category", "organization.unit", "person.pseudonym"'
    from_events = con.execute(
        f"SELECT date_trunc('hour', \"@timestamp\") AS hour, {keys}, count(*),"
        " count(*) FILTER (\"event.outcome\" = 'failed'),"
        " count(*) FILTER (\"event.outcome\" = 'blocked'),"
        " count(*) FILTER (\"http.request.method\" IN ('POST', 'PUT', 'PATCH', 'DELETE')),"
        ' sum("http.request.bytes"), sum("http.response.bytes"),'
        ' min("@timestamp"), max("@timestamp")'
        f" FROM read_parquet(?) GROUP BY ALL ORDER BY ALL",
        [events],
    ).fetchall()
    from_rollup = con.execute(
        f"SELECT hour, {keys}, sum(requests)::BIGINT, sum(failures)::BIGINT,"
        " sum(blocked)::BIGINT, sum(write_requests)::BIGINT, sum(bytes_up)::BIGINT,"
        " sum(bytes_down)::BIGINT, min(first_seen), max(last_seen)"
        " FROM read_parquet(?) GROUP BY ALL ORDER BY ALL",
        [hourly],
    ).fetchall()
    assert from_rollup == from_events
    assert sum(row[5] for row in from_rollup) == len(store.read_events(columns=["log.line"]))
    # Write requests: the small organisation's one POST and the 19 of the real samples.
    assert sum(row[8] for row in from_rollup) == 1 + 19


def test_services_from_rollup_equal_services_from_events(simulated_org: SimulatedOrg) -> None:
    store = Store.open(simulated_org.data / "store")
    assert store.rollups_complete()
    zone = "America/Toronto"
    expected = services(events_table(store), zone).to_pyarrow()
    got = services_from_rollup(rollup_table(store), zone).to_pyarrow()
    assert expected.num_rows >= 20
    assert got.equals(expected)
    # The rollup is several times smaller than the events it summarises.
    rollup_rows = sum(pq.read_metadata(p).num_rows for p in store.rollup_parts())
    assert rollup_rows * 2 < sum(store.events_per_file().values())


def test_insights_services_read_the_events_when_rollups_are_missing(
    simulated_org: SimulatedOrg, tmp_path: Path
) -> None:
    with_rollup = Insights.open(simulated_org.data).services()
    copy = tmp_path / "copy"
    shutil.copytree(simulated_org.data, copy)
    con = duckdb.connect(str(copy / "store" / "socialsight.duckdb"))
    con.execute("DELETE FROM rollup_parts")  # as a store ingested before rollups existed
    con.close()
    assert not Store.open(copy / "store").rollups_complete()
    without = Insights.open(copy).services()
    assert without.rows == with_rollup.rows
    assert without.suppressed_groups == with_rollup.suppressed_groups


def test_crash_leaves_no_rollup_behind(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = small_org_log(tmp_path / "access.log")

    def crash(self: BatchWriter, *args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    real_commit = BatchWriter.commit
    monkeypatch.setattr(BatchWriter, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(data_dir).run([log])
    rollups = data_dir / "store" / "rollups"
    assert not [p for p in rollups.rglob("*") if p.is_file()]  # aborted: deleted
    monkeypatch.setattr(BatchWriter, "commit", real_commit)
    Ingestor(data_dir).run([log])
    store = Store.open(data_dir / "store")
    files = sorted(p for p in rollups.rglob("*") if p.is_file())
    assert files == store.rollup_parts() and len(files) == 1
    assert os.path.basename(files[0]).endswith(".parquet")
