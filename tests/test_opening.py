"""The store database opened on a thread from an ingest's first moments (issue #6): taken over
by the store, or closed, never left open behind a failed command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from socialsight.config import STORE_NAME
from socialsight.store import opening
from socialsight.store.store import Store

from conftest import CliResult
from factories import small_org_log


def test_the_store_takes_over_the_early_connection(data_dir: Path) -> None:
    root = data_dir / STORE_NAME
    opening.open_early(root)
    opening.open_early(root)  # once per database
    early = opening._early[str(root / opening.DB_NAME)]
    store = Store.open(root)
    store.connect_ahead()
    assert store._ahead is early and opening._early == {}
    with store.burst(), store._connect() as con:  # the early connection, used and closed
        assert con.execute("SELECT count(*) FROM files").fetchone() == (0,)
    assert early.result() is not None
    opening.drop_early()  # nothing left to drop
    assert store.files() == []  # a read-only connection: no writing one is left open


def test_an_early_connection_not_taken_is_closed(data_dir: Path, tmp_path: Path) -> None:
    root = data_dir / STORE_NAME
    opening.open_early(tmp_path / "not-a-store")  # nothing to open: the command will say so
    assert opening._early == {}
    opening.open_early(root)
    opening.drop_early()
    assert opening._early == {}
    # DuckDB refuses a read-only connection beside a writing one of the same process.
    assert Store.open(root).files() == []


def test_a_failed_ingest_leaves_no_connection_open(
    cli: Callable[..., CliResult], data_dir: Path, tmp_path: Path
) -> None:
    log = small_org_log(tmp_path / "access.log")
    code, _, err = cli("ingest", "--data", data_dir, "--directory", tmp_path / "none.csv", log)
    assert code == 1 and "error:" in err
    assert opening._early == {}
    code, out, err = cli("status", "--data", data_dir, "--json")
    assert code == 0, err
    code, out, err = cli("ingest", "--data", data_dir, "--json", log)
    assert code == 0 and '"records": 26' in out, err
