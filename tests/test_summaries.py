"""Materialised summaries (analytics/summaries.py): dependencies and outages read from them
must give exactly the rows the events give, stay exact when batches arrive, and be rebuilt
under a new key when the settings they depend on change."""

from __future__ import annotations

import csv
import itertools
import shutil
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from socialsight.analytics.summaries import (
    DB_NAME,
    SUMMARIES_DIR,
    RefreshStats,
    drop_summaries,
    is_fresh,
    refresh_summaries,
    summary_key,
)
from socialsight.config import STORE_NAME
from socialsight.errors import InputError
from socialsight.ingest import Ingestor
from socialsight.insights import Insights
from socialsight.privacy.directory import load_directory
from socialsight.store.store import Store

from conftest import SimulatedOrg

ZONE = ZoneInfo("America/Toronto")


def _copy(simulated_org: SimulatedOrg, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(simulated_org.data, target)
    # Other tests' questions may have built summaries in the shared organisation.
    drop_summaries(Store.open(target / STORE_NAME))
    return target


def _paths(data: Path) -> tuple[Insights, Insights]:
    """The same installation answered from the summaries and from the events."""
    fast = Insights.open(data)
    slow = Insights.open(data)
    slow.use_summaries = False
    return fast, slow


def _units(simulated_org: SimulatedOrg) -> list[str]:
    with open(simulated_org.logs / "directory.csv", newline="") as handle:
        return sorted({row["unit"] for row in csv.DictReader(handle)})


def _person_of(simulated_org: SimulatedOrg, unit: str) -> str:
    with open(simulated_org.logs / "directory.csv", newline="") as handle:
        return next(row["user"] for row in csv.DictReader(handle) if row["unit"] == unit)


def _line(local: datetime, user: str, host: str, status: int = 200) -> str:
    """A Squid native line at local wall-clock time ``local`` (America/Toronto)."""
    epoch = local.replace(tzinfo=ZONE).timestamp()
    code = "TCP_TUNNEL" if status == 200 else "TCP_MISS"
    return (
        f"{epoch:.3f}    120 10.10.1.31 {code}/{status} 2048 CONNECT {host}:443 {user}"
        f" HIER_DIRECT/{host} -\n"
    )


def _ingest(data: Path, simulated_org: SimulatedOrg, path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(lines)
    Ingestor(data, directory=load_directory(simulated_org.logs / "directory.csv")).run([path])


def _summary_rows(data: Path, key: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(data / STORE_NAME / SUMMARIES_DIR / DB_NAME), read_only=True)
    try:
        return con.execute(
            "SELECT kind, day, count(*) FROM summary_parts WHERE key = ? GROUP BY ALL",
            [key],
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def org_copy(simulated_org: SimulatedOrg, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the simulated organisation (tests must not write into the shared one)."""
    return _copy(simulated_org, tmp_path_factory.mktemp("summaries"))


def _dependency_queries(simulated_org: SimulatedOrg) -> list[dict[str, Any]]:
    unit = _units(simulated_org)[0]
    return [
        {},
        {"service": "facebook"},
        {"unit": unit},
        {"since": date(2026, 3, 10), "until": date(2026, 3, 12)},
        {"since": date(2026, 3, 16)},
        {"until": date(2026, 3, 8)},
        {"service": "facebook", "unit": unit, "since": date(2026, 3, 9)},
    ]


def test_dependencies_from_summaries_equal_the_events(
    org_copy: Path, simulated_org: SimulatedOrg
) -> None:
    fast, slow = _paths(org_copy)
    for query in _dependency_queries(simulated_org):
        expected = slow.dependencies(**query)
        got = fast.dependencies(**query)
        assert expected.rows, query  # every query has something to compare
        assert got.rows == expected.rows, query
        assert got.suppressed_groups == expected.suppressed_groups, query
    # The summaries were used: built once, listed in the database.
    assert is_fresh(fast.store, fast.settings)
    kinds = {kind for kind, _, _ in _summary_rows(org_copy, summary_key(fast.settings))}
    assert kinds == {"usage", "presence", "hourly", "buckets", "services"}


def test_outages_from_summaries_equal_the_events(org_copy: Path) -> None:
    fast, slow = _paths(org_copy)
    queries: list[dict[str, Any]] = [
        {},
        {"service": "facebook"},
        {"since": date(2026, 3, 11), "until": date(2026, 3, 11)},
        {"since": date(2026, 3, 12)},
        {"service": "youtube", "until": date(2026, 3, 20)},
    ]
    for query in queries:
        expected = slow.outages(**query)
        assert fast.outages(**query).rows == expected.rows, query
        assert fast.outages(**query).suppressed_groups == expected.suppressed_groups, query
    # The planted Facebook outage is found from the summaries too.
    assert [r["service"] for r in fast.outages().rows] == ["facebook"]


def test_unit_check_and_window_from_summaries(org_copy: Path) -> None:
    fast, slow = _paths(org_copy)
    assert fast._window(None, None) == slow._window(None, None)
    with pytest.raises(InputError, match="no unit 'Nowhere'"):
        fast.dependencies(unit="Nowhere")


def test_new_batches_are_included_and_only_their_days_recomputed(
    simulated_org: SimulatedOrg, tmp_path: Path
) -> None:
    data = _copy(simulated_org, tmp_path)
    unit = _units(simulated_org)[0]
    user = _person_of(simulated_org, unit)
    fast, _ = _paths(data)
    before = fast.dependencies(service="facebook", unit=unit)
    first_build = refresh_summaries(fast.store, fast.settings)
    assert first_build.new_batches == 0  # built lazily by the question above

    # A session across local midnight (23:55 -> 00:07) and a heavy day of use, in a new file.
    extra = tmp_path / "more.log"
    night = [
        _line(datetime(2026, 3, 10, 23, 55), user, "www.facebook.com"),
        _line(datetime(2026, 3, 10, 23, 58), user, "www.facebook.com"),
        _line(datetime(2026, 3, 11, 0, 3), user, "www.facebook.com"),
        _line(datetime(2026, 3, 11, 0, 7), user, "www.facebook.com"),
    ]
    _ingest(data, simulated_org, extra, night)
    assert not is_fresh(fast.store, fast.settings)

    # Stale summaries are refreshed lazily: a new Insights sees the new lines.
    fast, slow = _paths(data)
    after = fast.dependencies(service="facebook", unit=unit)
    assert after.rows == slow.dependencies(service="facebook", unit=unit).rows
    assert after.rows[0]["requests"] == before.rows[0]["requests"] + 4
    halves = []
    for window in ({"until": date(2026, 3, 10)}, {"since": date(2026, 3, 11)}):
        got = fast.dependencies(service="facebook", unit=unit, **window)
        assert got.rows == slow.dependencies(service="facebook", unit=unit, **window).rows
        halves.append(got.rows[0]["sessions"])
    # The crossing session counts once in the whole window, once in each half.
    assert sum(halves) - after.rows[0]["sessions"] >= 1

    # Appending to the same file: one new batch, with use on 18 March and ten people of
    # the directory meeting LinkedIn errors for twenty minutes on 19 March.
    with open(simulated_org.logs / "directory.csv", newline="") as handle:
        users = [row["user"] for row in csv.DictReader(handle)][:10]
    errors = [
        _line(datetime(2026, 3, 19, 14, minute, second), person, "www.linkedin.com", 503)
        for minute in range(20)
        for second in (5, 35)
        for person in users
    ]
    use = [_line(datetime(2026, 3, 18, 10, m), user, "www.facebook.com") for m in range(0, 50, 5)]
    _ingest(data, simulated_org, extra, use + errors)
    stats = refresh_summaries(fast.store, fast.settings)
    assert isinstance(stats, RefreshStats)
    assert (stats.new_batches, stats.rebuilt) == (1, False)
    # UTC days 18 and 19 March overlap local days 17-19 (UTC-4); and each next day.
    assert stats.days_recomputed == 4
    fast, slow = _paths(data)
    for query in ({"service": "facebook", "unit": unit}, {}):
        assert fast.dependencies(**query).rows == slow.dependencies(**query).rows
    found = fast.outages()
    assert found.rows == slow.outages().rows
    assert [r["service"] for r in found.rows] == ["linkedin", "facebook"]
    assert refresh_summaries(fast.store, fast.settings).new_batches == 0


def test_settings_change_makes_a_new_key(org_copy: Path) -> None:
    fast, slow = _paths(org_copy)
    refresh_summaries(fast.store, fast.settings)
    scoring = replace(fast.settings.scoring, session_gap_minutes=25.0)
    settings = replace(fast.settings, scoring=scoring, holidays=("2026-03-16",))
    assert summary_key(settings) != summary_key(fast.settings)
    assert not is_fresh(fast.store, settings)
    changed_fast = Insights(fast.data_dir, settings, fast.store)
    changed_slow = Insights(fast.data_dir, settings, fast.store, use_summaries=False)
    got = changed_fast.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 20))
    expected = changed_slow.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 20))
    assert got.rows == expected.rows
    assert got.rows != slow.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 20)).rows
    assert is_fresh(fast.store, settings) and is_fresh(fast.store, fast.settings)


def test_concurrent_refreshes_build_once(simulated_org: SimulatedOrg, tmp_path: Path) -> None:
    data = _copy(simulated_org, tmp_path)
    fast, _ = _paths(data)
    results: list[RefreshStats] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            results.append(refresh_summaries(fast.store, fast.settings))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    ledger = data / STORE_NAME / "socialsight.duckdb"
    stamp = ledger.stat().st_mtime_ns
    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.rebuilt for r in results) == [False, True]  # one built, one found it done
    rows = _summary_rows(data, summary_key(fast.settings))
    assert rows and all(count == 1 for _, _, count in rows)  # one part per kind and day
    # A cache: building it leaves the store's own database (the dashboard's version) alone.
    assert ledger.stat().st_mtime_ns == stamp


def test_services_from_summaries_equal_the_events(org_copy: Path) -> None:
    from socialsight.analytics.services import services
    from socialsight.privacy.min_group import suppress_small_groups

    fast, slow = _paths(org_copy)
    k = fast.min_group_size
    expected = suppress_small_groups(services(slow.events, fast.settings.timezone, k), k)
    got = fast.services()
    assert len(got.rows) > 10
    assert got.rows == expected.rows
    assert got.suppressed_groups == expected.suppressed_groups
    assert got.rows == slow.services().rows  # Insights without summaries: the events


def test_an_empty_store_has_empty_answers(data_dir: Path) -> None:
    insights = Insights.open(data_dir)
    assert insights.dependencies().rows == []
    assert insights.outages().rows == []
    assert insights.services().rows == []
    stats = refresh_summaries(insights.store, insights.settings)
    assert (stats.new_batches, stats.days_recomputed) == (0, 0)
    assert is_fresh(insights.store, insights.settings)


def _summary_contents(data: Path, key: str, kind: str) -> list[tuple[Any, ...]]:
    """Every row of the summary ``kind``, sorted (the parts' split into files aside)."""
    parts = sorted(str(p) for p in (data / STORE_NAME / SUMMARIES_DIR / key / kind).glob("*"))
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT * FROM read_parquet(?)", [parts]).fetchall()
    finally:
        con.close()
    return sorted(rows, key=repr)


def test_a_build_in_passes_writes_the_rows_of_a_build_in_one_pass(
    simulated_org: SimulatedOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build cut into passes of a few days or events (bounded memory) writes the same rows
    as one pass over all the days, whatever the passes."""
    from socialsight.analytics import summaries

    passes: list[list[tuple[date, date]]] = []
    original = summaries._runs

    def spy(*args: Any) -> list[tuple[date, date]]:
        passes.append(original(*args))
        return passes[-1]

    monkeypatch.setattr(summaries, "_runs", spy)
    built = {}
    for name, budget, most_days in (("one", 10**9, 1000), ("cut", 60_000, 2)):
        monkeypatch.setattr(summaries, "EVENTS_PER_PASS", budget)
        monkeypatch.setattr(summaries, "DAYS_PER_PASS", most_days)
        monkeypatch.setattr(summaries, "QUIET_PASS_EVENTS", 0)
        data = _copy(simulated_org, tmp_path / name)
        fast, _ = _paths(data)
        assert refresh_summaries(fast.store, fast.settings).rebuilt
        built[name] = data
    one, cut = passes
    # The simulated month (some 870k events, 40k on a weekday) in one pass, then in passes
    # of 60k events and 2 days at most: weekdays one by one, weekend days in pairs.
    assert len(one) == 1
    assert 20 < len(cut) < 30 and any(first < last for first, last in cut)
    assert all((last - first).days < 2 for first, last in cut)
    assert cut[0][0] == one[0][0] and cut[-1][1] == one[0][1]
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in itertools.pairwise(cut))
    key = summary_key(Insights.open(built["one"]).settings)
    for kind in ("usage", "presence", "hourly", "buckets", "services"):
        rows = _summary_contents(built["one"], key, kind)
        assert rows, kind
        assert _summary_contents(built["cut"], key, kind) == rows, kind
