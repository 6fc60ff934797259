"""services and unknown through Ibis, with the minimum group size, on a known small org."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from socialsight.analytics.engine import events_table
from socialsight.analytics.services import services
from socialsight.analytics.unknown import unknown
from socialsight.errors import InputError
from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
from socialsight.privacy.min_group import suppress_small_groups
from socialsight.store.store import Store

from factories import small_org_directory, small_org_log


@pytest.fixture
def org(data_dir: Path, tmp_path: Path) -> Store:
    log = small_org_log(tmp_path / "access.log")
    directory = load_directory(small_org_directory(tmp_path / "staff.csv"))
    Ingestor(data_dir, directory).run([log])
    return Store.open(data_dir / "store")


def test_services_exact_figures(org: Store) -> None:
    rows = services(events_table(org), "America/Toronto").to_pyarrow().to_pylist()
    by_service = {r["service"]: r for r in rows}
    assert list(by_service) == ["facebook", "linkedin"]
    fb = by_service["facebook"]
    assert (fb["category"], fb["people"], fb["units"], fb["requests"]) == (
        "social-network", 6, 1, 14,
    )  # fmt: skip
    assert fb["bytes_down"] == 6 * 5000 + 6 * 2000 + 1000 + 1000
    assert fb["bytes_up"] is None  # native Squid does not log request sizes
    # 01:30 UTC on the 11th is the evening of the 10th in Toronto: two local days, not three.
    assert fb["active_days"] == 2
    assert fb["first_seen"] == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert fb["last_seen"] == datetime(2026, 3, 11, 15, tzinfo=UTC)
    li = by_service["linkedin"]
    assert (li["people"], li["units"], li["requests"], li["active_days"]) == (3, 1, 3, 1)


def test_active_days_follow_the_configured_zone(org: Store) -> None:
    utc_rows = services(events_table(org), "UTC").to_pyarrow().to_pylist()
    assert {r["service"]: r["active_days"] for r in utc_rows}["facebook"] == 2
    tokyo = services(events_table(org), "Asia/Tokyo").to_pyarrow().to_pylist()
    # 14:00Z -> 23:00 on the 10th; 01:30Z -> 10:30 on the 11th; 15:00Z -> 00:00 on the 12th.
    assert {r["service"]: r["active_days"] for r in tokyo}["facebook"] == 3


def test_minimum_group_size_suppresses_and_counts(org: Store) -> None:
    expr = services(events_table(org), "America/Toronto")
    grouped = suppress_small_groups(expr, 5)
    assert [r["service"] for r in grouped.rows] == ["facebook"]
    assert grouped.suppressed_groups == 1  # linkedin: 3 people
    assert grouped.as_json()["min_group_size"] == 5
    assert suppress_small_groups(expr, 2).suppressed_groups == 0
    with pytest.raises(InputError, match="at least 2"):
        suppress_small_groups(expr, 1)


def test_unknown_ranks_the_long_tail(org: Store) -> None:
    rows = unknown(events_table(org)).to_pyarrow().to_pylist()
    assert [(r["domain"], r["people"], r["requests"], r["hosts"], r["is_ip"]) for r in rows] == [
        ("example-news.ca", 9, 9, 1, False),
    ]


def test_empty_store_gives_empty_results(data_dir: Path) -> None:
    store = Store.open(data_dir / "store")
    assert services(events_table(store)).to_pyarrow().num_rows == 0
    assert unknown(events_table(store)).to_pyarrow().num_rows == 0
