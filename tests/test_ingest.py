"""The ingest pipeline end to end: ledger, rotation, atomicity, privacy, real Squid files."""

from __future__ import annotations

import gzip
import itertools
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
from socialsight.schema import EVENT_SCHEMA
from socialsight.store.store import BatchWriter, Store

from factories import COMMS, LEGAL, small_org_directory, small_org_log, squid_line

SQUID_FILES = [f"access{i}.log" for i in range(1, 5)]


def _store(data_dir: Path) -> Store:
    return Store.open(data_dir / "store")


def _events(data_dir: Path) -> int:
    return _store(data_dir).read_events(columns=["log.line"]).num_rows


def test_small_org_is_pseudonymised_classified_and_unit_mapped(
    data_dir: Path, tmp_path: Path
) -> None:
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    report = Ingestor(data_dir, directory).run([log])
    assert (report.lines, report.records, dict(report.rejected)) == (26, 26, {})
    events = _store(data_dir).read_events()
    assert events.num_rows == 26
    units = pc.value_counts(events["organization.unit"]).to_pylist()
    assert {u["values"]: u["counts"] for u in units} == {"Communications": 20, "Legal": 6}
    services = {s["values"]: s["counts"] for s in pc.value_counts(events["service.id"]).to_pylist()}
    assert services == {"facebook": 14, "linkedin": 3, None: 9}
    assert pc.count_distinct(events["person.pseudonym"]).as_py() == 9
    assert set(events["log.format"].to_pylist()) == {"squid"}
    assert events["url.original"].null_count == 26  # data minimisation
    assert events["log.line"].to_pylist() == list(range(1, 27))


def test_parts_read_back_as_the_event_schema(data_dir: Path, tmp_path: Path) -> None:
    """Ingest hands the writer dictionary-encoded columns; a part must still read back with
    EVENT_SCHEMA itself (plain strings, nullability and field descriptions), in pyarrow and
    in DuckDB, whatever the write path did."""
    log = small_org_log(tmp_path / "access.log")
    Ingestor(data_dir, load_directory(small_org_directory(tmp_path / "staff.csv"))).run([log])
    parts = _store(data_dir).committed_parts()
    assert parts
    for part in parts:
        table = pq.read_table(part)
        assert table.schema.equals(EVENT_SCHEMA, check_metadata=True), part
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{part}')").fetchall()
        types = {row[0]: row[1] for row in described}
        assert types["url.domain"] == "VARCHAR"
        assert types["person.pseudonym"] == "VARCHAR"
    events = _store(data_dir).read_events()
    units = sorted(set(events["organization.unit"].to_pylist()))
    assert units == ["Communications", "Legal"]


def test_no_raw_identity_reaches_disk(data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    Ingestor(data_dir, directory).run([log])
    secrets = [*COMMS, *LEGAL, "10.1.0.1", "10.2.0.3"]
    # Every byte of every file in the data directory ...
    for path in data_dir.rglob("*"):
        if path.is_file() and path.name != "secret.key":
            blob = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in blob, (secret, path)
    # ... and every decoded value: Parquet pages are compressed, so grep alone cannot see them.
    for part in (data_dir / "store" / "events").rglob("*.parquet"):
        table = pq.read_table(part)
        for column in table.column_names:
            text = " ".join(str(v) for v in table[column].to_pylist())
            for secret in secrets:
                assert secret not in text, (secret, part, column)
    con = duckdb.connect(str(data_dir / "store" / "socialsight.duckdb"), read_only=True)
    for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        dump = str(con.execute(f'SELECT * FROM "{name}"').fetchall())
        for secret in secrets:
            assert secret not in dump, (secret, name)
    con.close()


def test_rerun_adds_nothing_and_appended_lines_are_read_once(
    data_dir: Path, tmp_path: Path
) -> None:
    log = small_org_log(tmp_path / "access.log")
    first = Ingestor(data_dir).run([log])
    assert first.records == 26 and first.files[0].status == "new"
    again = Ingestor(data_dir).run([log])
    assert (again.records, again.files[0].status) == (0, "unchanged")
    from datetime import UTC, datetime

    extra = squid_line(datetime(2026, 3, 12, 15, tzinfo=UTC), "10.9.9.9", "newbie", "GET",
                       "http://www.youtube.com/watch")  # fmt: skip
    with open(log, "a") as handle:
        handle.write(extra + "\n")
    appended = Ingestor(data_dir).run([log])
    assert (appended.records, appended.files[0].status) == (1, "appended")
    assert _events(data_dir) == 27
    lines = _store(data_dir).read_events(columns=["log.line"])["log.line"].to_pylist()
    assert sorted(lines) == list(range(1, 28))


def test_partial_line_waits_for_its_newline(data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    text = log.read_text()
    cut = text.rfind("\n", 0, len(text) - 1) + 20
    log.write_text(text[:cut])
    first = Ingestor(data_dir).run([log])
    assert first.records == 25
    assert "last line incomplete" in first.files[0].note
    log.write_text(text)
    assert Ingestor(data_dir).run([log]).records == 1
    assert _events(data_dir) == 26


def test_rotation_rename_compress_and_copy_are_not_read_twice(
    data_dir: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log = small_org_log(logs / "access.log")
    Ingestor(data_dir).run([logs])
    # logrotate: access.log -> access.log.1 -> access.log.1.gz, and a new access.log.
    os.rename(log, logs / "access.log.1")
    renamed = Ingestor(data_dir).run([logs])
    assert [(f.status, f.records) for f in renamed.files] == [("unchanged", 0)]
    with open(logs / "access.log.1", "rb") as src:
        (logs / "access.log.1.gz").write_bytes(gzip.compress(src.read()))
    (logs / "access.log.1").unlink()
    from datetime import UTC, datetime

    fresh = squid_line(datetime(2026, 3, 13, 15, tzinfo=UTC), "10.9.9.8", "fresh", "GET",
                       "http://www.reddit.com/")  # fmt: skip
    (logs / "access.log").write_text(fresh + "\n")
    shutil.copy(logs / "access.log.1.gz", tmp_path / "copy-of-old.gz")
    rotated = Ingestor(data_dir).run([logs, tmp_path / "copy-of-old.gz"])
    statuses = {Path(f.path).name: (f.status, f.records) for f in rotated.files}
    assert statuses == {
        "access.log": ("new", 1),
        "access.log.1.gz": ("unchanged", 0),
        "copy-of-old.gz": ("unchanged", 0),
    }
    assert _events(data_dir) == 27


def test_rotation_between_runs_reads_only_the_new_lines(data_dir: Path, tmp_path: Path) -> None:
    """The file grew, was rotated and a new one started, all before the next run, which is
    given both (``ingest access.log*``): the new file sorts first and replaces the path, and the
    rotated one must still be recognised and read on from where the last run stopped."""
    from datetime import UTC, datetime

    logs = tmp_path / "logs"
    logs.mkdir()
    log = small_org_log(logs / "access.log")
    assert Ingestor(data_dir).run([logs]).records == 26
    late = squid_line(datetime(2026, 3, 12, 15, tzinfo=UTC), "10.9.9.9", "late", "GET",
                      "http://www.youtube.com/watch")  # fmt: skip
    with open(log, "a") as handle:
        handle.write(late + "\n")
    os.rename(log, logs / "access.log.1")
    fresh = squid_line(datetime(2026, 3, 13, 15, tzinfo=UTC), "10.9.9.8", "fresh", "GET",
                       "http://www.reddit.com/")  # fmt: skip
    (logs / "access.log").write_text(fresh + "\n")
    rotated = Ingestor(data_dir).run([logs])
    statuses = {Path(f.path).name: (f.status, f.records) for f in rotated.files}
    assert statuses == {"access.log": ("replaced", 1), "access.log.1": ("renamed", 1)}
    assert _events(data_dir) == 28


def test_truncated_file_is_detected_and_read_from_the_start(data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    Ingestor(data_dir).run([log])
    from datetime import UTC, datetime

    other = squid_line(datetime(2026, 3, 14, 15, tzinfo=UTC), "10.9.9.7", "later", "GET",
                       "http://en.wikipedia.org/")  # fmt: skip
    log.write_text(other + "\n")  # copytruncate, then one new line
    report = Ingestor(data_dir).run([log])
    assert [(f.status, f.records) for f in report.files] == [("replaced", 1)]
    states = sorted(f.state for f in _store(data_dir).files())
    assert states == ["active", "replaced"]
    assert _events(data_dir) == 27


def test_crash_before_commit_leaves_nothing_and_rerun_completes(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = small_org_log(tmp_path / "access.log")
    real_commit = BatchWriter.commit

    def crash(self: BatchWriter, *args: object, **kwargs: object) -> object:
        # Parts are fully written and renamed into place: the worst moment to die.
        for writer, temporary, final in self._writers.values():
            writer.close()
            os.replace(temporary, final)
        self._writers.clear()
        raise KeyboardInterrupt

    real_abort = BatchWriter.abort
    monkeypatch.setattr(BatchWriter, "commit", crash)
    # A killed process cleans nothing up (the lanes already put their parts in place).
    monkeypatch.setattr(BatchWriter, "abort", lambda self: None)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(data_dir).run([log])
    orphans = list((data_dir / "store" / "events").rglob("*.parquet"))
    assert orphans, "the simulated crash should have left parts on disk"
    assert _events(data_dir) == 0  # readers never see an uncommitted batch
    monkeypatch.setattr(BatchWriter, "commit", real_commit)
    monkeypatch.setattr(BatchWriter, "abort", real_abort)
    report = Ingestor(data_dir).run([log])
    assert report.records == 26
    assert _events(data_dir) == 26
    assert not any(p in orphans for p in (data_dir / "store" / "events").rglob("*.parquet"))


def test_batches_commit_progressively(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socialsight.ingest as ingest_module
    import socialsight.sources as sources_module

    monkeypatch.setattr(ingest_module, "BATCH_LINES", 10)
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 1024)
    log = small_org_log(tmp_path / "access.log")
    Ingestor(data_dir).run([log])
    con = duckdb.connect(str(data_dir / "store" / "socialsight.duckdb"), read_only=True)
    batches = con.execute(
        "SELECT line_from, line_to, records FROM batches ORDER BY line_from"
    ).fetchall()
    con.close()
    assert len(batches) >= 2
    assert batches[0][0] == 0 and batches[-1][1] == 26
    assert sum(b[2] for b in batches) == 26
    assert all(a[1] == b[0] for a, b in itertools.pairwise(batches))


def test_real_squid_samples(data_dir: Path, shared_data: Path) -> None:
    folder = shared_data / "elastic-beats-filebeat" / "squid" / "log" / "test"
    report = Ingestor(data_dir).run([folder / name for name in SQUID_FILES])
    assert report.lines == 400
    assert report.records + sum(report.rejected.values()) == 400
    events = _store(data_dir).read_events()
    hosts = dict(
        zip(events["url.domain"].to_pylist(), events["service.id"].to_pylist(), strict=True)
    )
    # Known traffic in the real samples is classified to its service.
    for host, service in hosts.items():
        if host and (host.endswith("facebook.com") or host.endswith("fbcdn.net")):
            assert service == "facebook", host
        if host and host.endswith("hi5.com"):
            assert service == "hi5", host
        if host and (host.endswith("youtube.com") or host.endswith("ytimg.com")):
            assert service == "youtube", host
        if host == "docs.google.com" or (host and host.endswith(".docs.google.com")):
            assert service == "google-docs", host
    assert {"facebook", "hi5", "youtube", "google-docs"} <= set(hosts.values())


def test_keep_urls_keeps_the_url_but_never_credentials(data_dir: Path, tmp_path: Path) -> None:
    config = data_dir / "socialsight.toml"
    config.write_text(config.read_text().replace("keep_urls = false", "keep_urls = true"))
    from datetime import UTC, datetime

    when = datetime(2026, 3, 10, 15, tzinfo=UTC)
    log = tmp_path / "access.log"
    log.write_text(
        squid_line(when, "10.0.0.1", "ann", "GET", "ftp://ann:hunter2@files.example.org/a.txt")
        + "\n"
        + squid_line(when, "10.0.0.1", "ann", "GET", "http://www.example.org/p?q=1")
        + "\n"
    )
    Ingestor(data_dir).run([log])
    urls = _store(data_dir).read_events(columns=["url.original"])["url.original"].to_pylist()
    assert urls == ["ftp://files.example.org/a.txt", "http://www.example.org/p?q=1"]


def test_init_keeps_the_catalog_snapshot_so_an_ingest_need_not(data_dir: Path) -> None:
    from socialsight.catalog.model import load_catalog

    store = Store.open(data_dir / "store")
    version = load_catalog().version
    assert store.catalog_version() == version
    with store.burst(), store._connect() as con:
        row = con.execute("SELECT count(*) FROM catalog_services").fetchone()
    assert row is not None and row[0] == len(load_catalog().services)


def test_an_ingest_creates_the_tables_an_older_store_lacks(data_dir: Path, tmp_path: Path) -> None:
    db = data_dir / "store" / "socialsight.duckdb"
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE parser_states")
    con.execute("DROP TABLE reject_samples")
    con.close()
    log = small_org_log(tmp_path / "access.log")
    log.write_text(log.read_text() + "garbage\n")
    report = Ingestor(data_dir).run([log])
    assert report.rejected == {"not-squid-access": 1}
    con = duckdb.connect(str(db), read_only=True)
    tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    samples = con.execute("SELECT reason, line FROM reject_samples").fetchall()
    con.close()
    assert {"parser_states", "reject_samples"} <= tables
    assert samples == [("not-squid-access", 27)]


def test_an_interrupted_ingest_deletes_the_parts_its_lanes_put_in_place(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each lane closes and renames its parts of a batch before the commit; an interruption
    at the commit (Ctrl-C) deletes them, and a rerun stores everything once."""
    import socialsight.sources as sources_module

    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 512)
    log = small_org_log(tmp_path / "access.log")
    real_commit = BatchWriter.commit
    seen: list[int] = []

    def interrupted(self: BatchWriter, *args: object, **kwargs: object) -> object:
        seen.append(len(self._finished))
        raise KeyboardInterrupt

    monkeypatch.setattr(BatchWriter, "commit", interrupted)
    ingestor = Ingestor(data_dir)
    ingestor.workers = 2
    with pytest.raises(KeyboardInterrupt):
        ingestor.run([log])
    assert seen and seen[0] >= 2  # both lanes had put parts in place
    assert not list((data_dir / "store" / "events").rglob("*.parquet*"))
    monkeypatch.setattr(BatchWriter, "commit", real_commit)
    assert Ingestor(data_dir).run([log]).records == 26
    assert _events(data_dir) == 26


def test_a_connection_opened_ahead_serves_the_next_writer_and_never_blocks_a_reader(
    data_dir: Path,
) -> None:
    store = Store.open(data_dir / "store")
    store.connect_ahead()
    assert store.files() == []  # read-only: the writing connection is closed first, no wait
    assert store._ahead is None
    store.connect_ahead()
    ahead = store._ahead
    assert ahead is not None
    with store.burst(), store._connect() as con:  # the burst takes it
        assert con is ahead.result()
        con.execute("SELECT 1").fetchall()
    assert store._ahead is None
    store.connect_ahead()
    store.drop_ahead()
    store.drop_ahead()
    with duckdb.connect(str(data_dir / "store" / "socialsight.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_a_second_ingest_fails_at_once_and_leaves_the_database_free(
    data_dir: Path, tmp_path: Path
) -> None:
    """The writer lock is a file lock taken before anything else: a second ingest fails
    with a clear error, and closes the connection it had started to open."""
    import fcntl

    from socialsight.errors import SocialsightError

    log = small_org_log(tmp_path / "access.log")
    with open(data_dir / "store" / "ingest.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        ingestor = Ingestor(data_dir)
        with pytest.raises(SocialsightError, match="another ingest is running"):
            ingestor.run([log])
        assert ingestor.store._ahead is None
        with duckdb.connect(str(data_dir / "store" / "socialsight.duckdb"), read_only=True):
            pass  # nothing of the failed run holds the database
    assert Ingestor(data_dir).run([log]).records == 26


def test_the_pseudonym_cache_gives_what_the_pseudonymiser_gives_and_stays_bounded() -> None:
    import pyarrow as pa

    from socialsight.ingest import _PseudonymCache

    calls: list[str] = []

    def fn(value: str) -> str:
        calls.append(value)
        return "p-" + value

    cache = _PseudonymCache()
    cache.LIMIT = 5
    assert cache.values(pa.array(["a", "b", None, " ", "c"]), fn).to_pylist() == [
        "p-a", "p-b", None, None, "p-c",
    ]  # fmt: skip
    assert cache.values(pa.array(["c", "d", "a"]), fn).to_pylist() == ["p-c", "p-d", "p-a"]
    assert calls == ["a", "b", "c", "d"]  # each name once ("" and blank are never hashed)
    # Full: it starts again from the chunk's names, known ones included.
    assert cache.values(pa.array(["c", "x", "y"]), fn).to_pylist() == ["p-c", "p-x", "p-y"]
    assert len(cache._known[fn][0]) == 3
    assert cache.values(pa.array([], pa.string()), fn).to_pylist() == []
