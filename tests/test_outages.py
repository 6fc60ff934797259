"""Outage detection against the simulator's planted outage, and silence without one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ibis
import pytest

from socialsight.analytics.outages import Episode, complementary_suppression, severity
from socialsight.config import KEY_NAME, STORE_NAME, write_default_config
from socialsight.errors import InputError
from socialsight.ingest import Ingestor
from socialsight.insights import Insights
from socialsight.privacy.directory import load_directory
from socialsight.privacy.keys import create_key
from socialsight.simulate import SimulationConfig, simulate
from socialsight.store.store import Store

from conftest import CliResult, SimulatedOrg

TOLERANCE = timedelta(minutes=15)


@pytest.fixture(scope="module")
def quiet_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator's organisation with no outage planted (another seed, 150 people, three
    weeks: enough for a baseline of every hour, small enough to build in seconds)."""
    root = tmp_path_factory.mktemp("quiet-org")
    logs, data = root / "logs", root / "data"
    simulate(SimulationConfig(people=150, days=21, seed=11, outages=()), logs)
    data.mkdir()
    write_default_config(data, "America/Toronto", 5)
    create_key(data / KEY_NAME)
    Store.create(data / STORE_NAME)
    Ingestor(data, directory=load_directory(logs / "directory.csv")).run([logs / "access.log"])
    assert json.loads((logs / "truth.json").read_text())["outages"] == []
    return data


@pytest.fixture(scope="module")
def org(simulated_org: SimulatedOrg) -> Insights:
    return Insights.open(simulated_org.data)


def test_planted_outage_is_the_only_episode(org: Insights, simulated_org: SimulatedOrg) -> None:
    (planted,) = simulated_org.truth["outages"]
    grouped = org.outages()
    assert grouped.suppressed_groups == 0
    (episode,) = grouped.rows  # no other episode, for any service
    assert episode["service"] == planted["service"] == "facebook"
    assert episode["service_name"] == "Facebook"
    start = datetime.fromisoformat(planted["start"])
    end = datetime.fromisoformat(planted["end"])
    assert abs(episode["start"] - start) <= TOLERANCE
    assert abs(episode["end"] - end) <= TOLERANCE
    assert episode["severity"] == "down"
    assert episode["rule"] == "errors"
    # Every request to the service in the window failed; the figures are the truth's.
    assert episode["requests"] == episode["failed"] == planted["requests"]
    assert episode["error_share"] == 1.0
    assert episode["people_hit"] == planted["people_hit"]
    # The expected volume is the service's usual one for those hours: well below the
    # outage's (users retry), and of the order of the baseline days in the truth file.
    usual = sorted(planted["requests_same_local_window_by_day"].values())
    assert usual[len(usual) // 2] * 0.8 <= episode["expected_requests"] <= usual[-2] * 1.2
    # Retries: the planted ones at least; never more than the failures after each
    # person's first one.
    assert planted["retries"] <= episode["retries"] <= planted["requests"] - planted["people_hit"]


def test_units_hit_respect_the_minimum_group_size(
    org: Insights, simulated_org: SimulatedOrg
) -> None:
    (planted,) = simulated_org.truth["outages"]
    (episode,) = org.outages().rows
    by_unit = planted["people_hit_by_unit"]
    shown = {u["unit"]: u["people_hit"] for u in episode["units_hit"]}
    # The truth counts people by their real unit; the store knows the directory's, and the
    # people missing from it are in no unit.
    missing: dict[str, int] = {}
    for person in simulated_org.truth["people_not_in_directory"]:
        missing[person["unit"]] = missing.get(person["unit"], 0) + 1
    assert set(shown) == {u for u, n in by_unit.items() if n >= 5}
    for unit, n in shown.items():
        assert by_unit[unit] - missing.get(unit, 0) <= n <= by_unit[unit], unit
    assert sum(missing.values()) > 0 and any(n != by_unit[u] for u, n in shown.items())
    assert "Minister's Office" not in {u["unit"] for u in episode["units_hit"]}
    assert episode["units_suppressed"] == sum(1 for n in by_unit.values() if n < 5)
    hits = [u["people_hit"] for u in episode["units_hit"]]
    assert hits == sorted(hits, reverse=True)


def test_filters(org: Insights) -> None:
    assert len(org.outages(service="facebook").rows) == 1
    assert org.outages(service="twitter").rows == []
    assert org.outages(service="facebook", since=date(2026, 3, 12)).rows == []
    one_day = org.outages(service="facebook", since=date(2026, 3, 11), until=date(2026, 3, 11))
    assert len(one_day.rows) == 1
    with pytest.raises(InputError, match="unknown service"):
        org.outages(service="friendster")


def test_no_outage_no_episode(quiet_org: Path) -> None:
    grouped = Insights.open(quiet_org).outages()
    assert (grouped.rows, grouped.suppressed_groups) == ([], 0)


def test_severity() -> None:
    start = datetime(2026, 3, 11, 14)
    ep = Episode("x", start, start, errors=True, requests=100, failed=95)
    assert severity(ep) == "down"
    ep.failed = 60
    assert severity(ep) == "failing"
    ep.failed = 30
    assert severity(ep) == "degraded"
    assert severity(Episode("x", start, start, errors=False)) == "down"


def test_cli_outages(cli: Callable[..., CliResult], simulated_org: SimulatedOrg) -> None:
    code, out, err = cli("outages", "--data", simulated_org.data, "--json")
    assert code == 0, err
    doc = json.loads(out)
    (row,) = doc["rows"]
    assert row["service"] == "facebook" and row["start"].startswith("2026-03-11T14:00")
    code, out, err = cli("outages", "--data", simulated_org.data, "--service", "facebook")
    assert code == 0, err
    # Shown in the configured zone: 10:00-16:00 in Toronto.
    assert "2026-03-11 10:00" in out and "16:00" in out and "+1 small" in out
    assert "Minister" not in out


def _events(rows: list[tuple[datetime, str, str, str]]) -> ibis.Table:
    """An in-memory events table of (UTC time, person, service, outcome) rows."""
    import pyarrow as pa

    from socialsight.schema import EVENT_SCHEMA

    n = len(rows)
    columns = {
        "@timestamp": [r[0] for r in rows],
        "person.pseudonym": [r[1] for r in rows],
        "service.id": [r[2] for r in rows],
        "event.outcome": [r[3] for r in rows],
        "organization.unit": ["Comms"] * n,
        "url.domain": ["www.example.org"] * n,
        "log.file.id": ["f"] * n,
        "log.format": ["squid"] * n,
        "log.line": list(range(1, n + 1)),
    }
    arrays = [pa.array(columns.get(f.name, [None] * n), type=f.type) for f in EVENT_SCHEMA]
    return ibis.memtable(pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA))


def test_a_service_that_vanishes_from_the_logs_is_a_volume_episode() -> None:
    """30 people use a service twice an hour, 9:00-17:00 on ten working days; on one day it
    vanishes from the logs from 11:00 to 13:00 (local). Another service keeps going."""
    from socialsight.analytics.calendar import Window
    from socialsight.analytics.outages import outages
    from socialsight.config import Settings

    zone = ZoneInfo("America/Toronto")
    rows = []
    days = [date(2026, 3, d) for d in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20)]
    for day in days:
        for hour in range(9, 17):
            for p in range(30):
                for minute in (5 + p, 35 + p // 2):
                    at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    rows.append((at.astimezone(UTC), f"u{p}", "news", "allowed"))
                    gone = day == date(2026, 3, 18) and 11 <= hour < 13
                    if not gone:
                        rows.append((at.astimezone(UTC), f"u{p}", "wiki", "allowed"))
    settings = Settings(timezone="America/Toronto")
    window = Window(days[0], days[-1], "America/Toronto")
    grouped = outages(_events(rows), settings, window, {"wiki": "Wiki"})
    (episode,) = grouped.rows
    assert episode["service"] == "wiki" and episode["rule"] == "volume"
    assert episode["start"] == datetime(2026, 3, 18, 11, tzinfo=zone).astimezone(UTC)
    assert episode["end"] == datetime(2026, 3, 18, 13, tzinfo=zone).astimezone(UTC)
    assert (episode["severity"], episode["requests"], episode["people_hit"]) == ("down", 0, 30)
    assert episode["expected_requests"] == 2 * 60 and episode["units_hit"] == []
    # With k = 40 the 30 people are too few: the episode is withheld and counted.
    strict = outages(_events(rows), Settings(timezone=settings.timezone, min_group_size=40),
                     window, {})  # fmt: skip
    assert (strict.rows, strict.suppressed_groups) == ([], 1)
    # Four people's habits are too small a baseline to call a quiet hour an outage at all.
    few = [r for r in rows if int(r[1][1:]) < 4]
    assert outages(_events(few), settings, window, {}).as_json()["suppressed_groups"] == 0
    assert outages(_events(few), settings, window, {}).rows == []


def test_units_hit_never_leave_a_small_remainder() -> None:
    """people_hit minus the units shown must not single out a withheld group under k."""
    units = [{"unit": u, "people_hit": n} for u, n in (("A", 40), ("B", 7), ("C", 5))]
    assert [u["unit"] for u in complementary_suppression(units, 55, 5)] == ["A", "B"]
    assert [u["unit"] for u in complementary_suppression(units, 52, 5)] == ["A", "B", "C"]
    assert [u["unit"] for u in complementary_suppression(units, 58, 5)] == ["A", "B", "C"]
    # 3 left over; without C, 8 left over: C is withheld too.
    assert complementary_suppression(units[:1], 42, 5) == []


def _request_rows(
    rows: list[tuple[str, str | None, str, str, str, int | None, str, int]],
) -> ibis.Table:
    """Events of ("HH:MM:SS.ffffff" UTC on 2026-03-11, person, service, host, outcome,
    status, unit, log line) rows, all from one log file."""
    import pyarrow as pa

    from socialsight.schema import EVENT_SCHEMA

    day = "2026-03-11T"
    columns: dict[str, list[object]] = {
        "@timestamp": [datetime.fromisoformat(day + r[0]).replace(tzinfo=UTC) for r in rows],
        "person.pseudonym": [r[1] for r in rows],
        "service.id": [r[2] for r in rows],
        "url.domain": [r[3] for r in rows],
        "event.outcome": [r[4] for r in rows],
        "http.response.status_code": [r[5] for r in rows],
        "organization.unit": [r[6] for r in rows],
        "log.line": [r[7] for r in rows],
        "log.file.id": ["f"] * len(rows),
        "log.format": ["squid"] * len(rows),
    }
    n = len(rows)
    arrays = [pa.array(columns.get(f.name, [None] * n), type=f.type) for f in EVENT_SCHEMA]
    return ibis.memtable(pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA))


def test_episode_details_count_requests_failures_retries_and_people_exactly() -> None:
    """Hand-counted details of two episodes: retries follow a failure by the same person to
    the same host within 60 s (whole milliseconds) inside the episode; requests at the same
    instant go in log order; blocked requests and those outside the episode do not count;
    anonymous requests count as requests, not people."""
    from socialsight.analytics.outages import details_many

    def at(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-03-11T{hhmm}").replace(tzinfo=UTC)

    rows = [
        ("09:59:59", "p1", "wiki", "a.org", "failed", None, "Comms", 1),  # before the episode
        ("10:00:00", "p1", "wiki", "a.org", "failed", None, "Comms", 2),  # first: no retry
        ("10:00:30", "p1", "wiki", "a.org", "failed", None, "Comms", 3),  # retry 1
        ("10:01:30", "p1", "wiki", "a.org", "allowed", 200, "Comms", 4),  # 60.000 s: retry 2
        ("10:02:31", "p1", "wiki", "a.org", "allowed", 200, "Comms", 5),  # after a success
        ("10:02:40", "p1", "wiki", "b.org", "failed", None, "Comms", 6),  # another host
        ("10:03:40.000900", "p1", "wiki", "b.org", "allowed", 200, "Comms", 7),  # retry 3
        ("10:05:00", "p1", "wiki", "a.org", "blocked", 403, "Comms", 8),  # blocked: ignored
        ("10:10:00", "p2", "wiki", "a.org", "failed", None, "Legal", 9),
        # The same instant, listed out of log order: line 20 (failed) comes first.
        ("10:10:05", "p2", "wiki", "a.org", "allowed", 200, "Legal", 21),  # retry 5
        ("10:10:05", "p2", "wiki", "a.org", "failed", None, "Legal", 20),  # retry 4
        ("10:20:00", None, "wiki", "a.org", "failed", None, "unknown", 30),
        ("10:20:10", None, "wiki", "a.org", "failed", None, "unknown", 31),  # retry 6
        ("10:30:00", "p4", "wiki", "a.org", "allowed", 503, "Comms", 40),  # a 5xx fails
        ("10:30:20", "p4", "wiki", "a.org", "allowed", 200, "Comms", 41),  # retry 7
        ("10:15:00", "p5", "wiki", "a.org", "allowed", 200, "Finance", 50),  # never failed
        ("10:59:59.999", "p6", "wiki", "a.org", "allowed", 200, "Finance", 51),
        ("11:00:00", "p1", "wiki", "a.org", "failed", None, "Comms", 60),  # after the end
        ("10:00:10", "p1", "news", "n.org", "failed", None, "Comms", 70),
        ("10:00:20", "p1", "news", "n.org", "allowed", 200, "Comms", 71),  # retry (news)
        ("10:40:00", "p1", "news", "n.org", "failed", None, "Comms", 72),  # after news's end
    ]
    eps = [
        Episode("wiki", at("10:00:00"), at("11:00:00"), errors=True),
        Episode("news", at("10:00:00"), at("10:30:00"), errors=True),
    ]
    got = details_many(_request_rows(rows), eps)
    wiki = {"requests": 15, "failed": 8, "retries": 7, "people_all": 3}
    assert sorted(got[0], key=lambda r: str(r["unit"])) == [
        {"unit": "Comms", "people_hit": 2, **wiki},
        {"unit": "Finance", "people_hit": 0, **wiki},
        {"unit": "Legal", "people_hit": 1, **wiki},
        {"unit": "unknown", "people_hit": 0, **wiki},
    ]
    news = {"requests": 2, "failed": 1, "retries": 1, "people_all": 1}
    assert got[1] == [{"unit": "Comms", "people_hit": 1, **news}]
    assert details_many(_request_rows(rows), []) == {}
    # An episode with no request at all has no rows.
    assert details_many(_request_rows(rows), [Episode("wiki", at("12:00"), at("13:00"))]) == {}
