"""The ingest's prefetch (issue #6): the first file read and scanned while the program starts,
used only when the ledger then asks for exactly that, and never changing what is stored."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import socialsight.prefetch as prefetch_module
import socialsight.sources as sources_module
from socialsight.ingest import Ingestor
from socialsight.prefetch import Prefetch
from socialsight.privacy.directory import load_directory
from socialsight.store.store import Store

from conftest import SQUID_SAMPLES
from factories import small_org_directory, small_org_log

GOLDEN = Path(__file__).parent / "golden" / "squid"


def _log(tmp_path: Path) -> Path:
    """A Squid log of a few hundred lines with rejects (real samples, hostile lines)."""
    parts = [small_org_log(tmp_path / "small.log").read_bytes()]
    parts += [(SQUID_SAMPLES / f"access{i}.log").read_bytes() for i in range(1, 5)]
    parts.append((GOLDEN / "hostile.log").read_bytes())
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(p if p.endswith(b"\n") else p + b"\n" for p in parts))
    return log


def _stored(data: Path) -> tuple[list[dict[str, object]], list[tuple[object, ...]]]:
    """Every stored event in line order, and the ledger's batches and reject counts."""
    store = Store.open(data / "store")
    events = store.read_events().drop_columns(["log.file.id"]).sort_by("log.line").to_pylist()
    with store.burst(), store._connect() as con:
        ledger = con.execute(
            "SELECT offset_from, offset_to, line_from, line_to, records, rejects FROM batches"
            " ORDER BY offset_from"
        ).fetchall()
        ledger += con.execute(
            "SELECT reason, sum(lines) FROM reject_counts GROUP BY reason ORDER BY reason"
        ).fetchall()
    return events, ledger


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many chunks from a small file, so that several are prefetched and more are read after.
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(prefetch_module, "LIMIT", 4)


def _installs(data_dir: Path, tmp_path: Path, n: int) -> list[Path]:
    """Installations sharing one key, so that their pseudonyms are comparable."""
    copies = [data_dir]
    for i in range(1, n):
        copies.append(tmp_path / f"copy{i}")
        shutil.copytree(data_dir, copies[-1])
    return copies


@pytest.mark.usefixtures("small_chunks")
def test_a_claimed_prefetch_stores_exactly_what_a_plain_read_stores(
    data_dir: Path, tmp_path: Path
) -> None:
    log = _log(tmp_path)
    units = load_directory(small_org_directory(tmp_path / "staff.csv"))
    plain, fetched = _installs(data_dir, tmp_path, 2)
    Ingestor(plain, units).run([log])
    prefetch = Prefetch.start([str(log)])
    assert prefetch is not None and prefetch.format_name == "squid"
    report = Ingestor(fetched, units, prefetch=prefetch).run([log])
    assert report.files[0].status == "new" and report.records > 400
    assert prefetch._stopped  # claimed, read to the end, closed
    assert sum(report.rejected.values()) > 0, report.rejected
    assert _stored(fetched) == _stored(plain)


@pytest.mark.usefixtures("small_chunks")
def test_a_prefetch_is_not_used_for_appended_lines(data_dir: Path, tmp_path: Path) -> None:
    """A file the ledger knows is read from its offset: the prefetch (from the start) is
    dropped, and nothing is stored twice."""
    log = _log(tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    plain, fetched = _installs(data_dir, tmp_path, 2)
    log.write_bytes(b"".join(lines[:150]))
    for data in (plain, fetched):
        Ingestor(data).run([log])
    log.write_bytes(b"".join(lines))
    Ingestor(plain).run([log])
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    report = Ingestor(fetched, prefetch=prefetch).run([log])
    assert report.files[0].status == "appended"
    assert report.lines == len(lines) - 150
    assert not prefetch._thread.is_alive()
    assert _stored(fetched) == _stored(plain)


def test_an_unchanged_file_stops_the_prefetch(data_dir: Path, tmp_path: Path) -> None:
    log = _log(tmp_path)
    Ingestor(data_dir).run([log])
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    report = Ingestor(data_dir, prefetch=prefetch).run([log])
    assert report.files[0].status == "unchanged" and report.lines == 0
    assert not prefetch._thread.is_alive()


def test_a_file_of_another_format_is_read_as_usual(data_dir: Path, tmp_path: Path) -> None:
    """The prefetch gives up on a file that is mostly not Squid native, and the ingest
    detects and reads it as if there had been no prefetch."""
    w3c = tmp_path / "proxysg.log"
    shutil.copy(Path(__file__).parent / "golden" / "w3c" / "proxysg.log", w3c)
    plain, fetched = _installs(data_dir, tmp_path, 2)
    prefetch = Prefetch.start([w3c])
    assert prefetch is not None
    prefetch._decided.wait(10)
    assert prefetch.head is None  # gave up after its first chunk
    Ingestor(plain).run([w3c])
    report = Ingestor(fetched, prefetch=prefetch).run([w3c])
    assert report.files[0].format == "w3c" and report.records > 0
    assert _stored(fetched) == _stored(plain)


@pytest.mark.usefixtures("small_chunks")
def test_a_replaced_file_is_not_claimed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    prefetch._decided.wait(10)
    other = b"1157689344.736 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/ - NONE/- -\n"
    assert prefetch.claim(log, other, "squid", "none", 0) is None
    assert not prefetch._thread.is_alive()


@pytest.mark.usefixtures("small_chunks")
def test_what_is_claimed_and_when(tmp_path: Path) -> None:
    log = _log(tmp_path)
    head = log.read_bytes()[: sources_module.FINGERPRINT_BYTES]
    for args in (
        (log, head, "squid", "none", 10),  # from an offset
        (log, head, "squid_common", "none", 0),  # detected as another format
        (log, head, "squid", "gz", 0),  # a compressed file
        (tmp_path / "other.log", head, "squid", "none", 0),  # another file
    ):
        prefetch = Prefetch.start([log])
        assert prefetch is not None
        assert prefetch.claim(*args) is None  # type: ignore[arg-type]
        assert not prefetch._thread.is_alive()
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    claimed = prefetch.claim(log, head, "squid", "none", 0)
    assert claimed is not None
    chunks, state = claimed
    got = list(chunks)
    assert sum(c.line_count for c in got) == len(log.read_bytes().splitlines())
    assert got[-1].offset_to == log.stat().st_size and state.partial_line_bytes == 0
    # Every chunk comes scanned, without its bytes: those read after the claim too.
    assert all(c.prescanned is not None and c.body == b"" for c in got)


@pytest.mark.usefixtures("small_chunks")
def test_memory_is_bounded_until_claimed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    deadline = time.monotonic() + 20
    while len(prefetch._chunks) < prefetch_module.LIMIT and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(prefetch._chunks) == prefetch_module.LIMIT  # waiting, not reading on
    prefetch.close()
    prefetch.close()  # idempotent
    assert not prefetch._thread.is_alive() and not prefetch._chunks


def test_what_is_prefetched(tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    assert Prefetch.start([log, log]) is None  # several inputs
    assert Prefetch.start([tmp_path]) is None  # a directory
    assert Prefetch.start([str(tmp_path / "*.log")]) is None  # a glob
    assert Prefetch.start([tmp_path / "missing.log"]) is None
    assert Prefetch.start([log], "w3c") is None  # another format forced
    for forced in (None, "squid"):
        prefetch = Prefetch.start([log], forced)
        assert prefetch is not None
        prefetch.close()


def test_the_ingest_command_prefetches_and_stores_the_same(
    cli: object, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI (which starts the prefetch) and through the library (which does not),
    the same events; the prefetch is claimed."""
    log = _log(tmp_path)
    plain, fetched = _installs(data_dir, tmp_path, 2)
    Ingestor(plain).run([log])
    claims: list[bool] = []
    real_claim = Prefetch.claim

    def claim(self: Prefetch, *args: object) -> object:
        got = real_claim(self, *args)  # type: ignore[arg-type]
        claims.append(got is not None)
        return got

    monkeypatch.setattr(Prefetch, "claim", claim)
    code, _, err = cli("ingest", "--data", fetched, str(log))  # type: ignore[operator]
    assert code == 0, err
    assert claims == [True]
    assert _stored(fetched) == _stored(plain)
    part = next((fetched / "store" / "events").rglob("*.parquet"))
    assert pq.read_schema(part).names == pq.read_schema(next(
        (plain / "store" / "events").rglob("*.parquet")
    )).names  # fmt: skip


def test_prefetched_formats_replace_invalid_utf8_themselves() -> None:
    """The prefetch reads without the reader's UTF-8 check: only formats whose parse_bytes
    replaces invalid bytes may be prefetched."""
    from socialsight import formats

    assert prefetch_module.PRESCANS
    for name in prefetch_module.PRESCANS:
        assert formats.get(name).replaces_invalid_utf8


def test_the_switch_interval_is_short_only_until_the_claim(tmp_path: Path) -> None:
    import sys

    before = sys.getswitchinterval()
    log = small_org_log(tmp_path / "access.log")
    prefetch = Prefetch.start([log])
    assert prefetch is not None
    assert sys.getswitchinterval() == min(before, prefetch_module.STARTUP_SWITCH_INTERVAL)
    prefetch.claim(log, b"", "squid", "none", 0)
    assert sys.getswitchinterval() == before
    prefetch.close()
    assert sys.getswitchinterval() == before
