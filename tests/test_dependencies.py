"""Dependency measures and the criticality score: exact figures on a hand-built log, the
configuration of weights and tiers, and the acceptance checks against the simulator's truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from socialsight.analytics.dependencies import normalise, score, tier, trend
from socialsight.config import Scoring, Settings, load_settings
from socialsight.errors import InputError
from socialsight.ingest import Ingestor
from socialsight.insights import Insights
from socialsight.privacy.directory import load_directory

from conftest import CliResult, SimulatedOrg
from factories import squid_line

TORONTO = ZoneInfo("America/Toronto")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Toronto in March 2026 (EDT from 8 March)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TORONTO)


@pytest.fixture
def small(data_dir: Path, tmp_path: Path) -> Insights:
    """Comms (3 people, 2 on Facebook) and Legal (1 person on Facebook), k = 2."""
    return build_small(data_dir, tmp_path, "Comms")


def build_small(data_dir: Path, tmp_path: Path, unit: str) -> Insights:
    """Ingest the small organisation with its main unit called ``unit``."""
    fb = "www.facebook.com:443"
    lines = [
        # comms0 on Monday: one session 10:00-10:05 (pauses of 2 and 3 min), one at 10:30.
        squid_line(local(9, 10), "10.1.0.1", "comms0", "CONNECT", fb),
        squid_line(local(9, 10, 2), "10.1.0.1", "comms0", "CONNECT", fb),
        squid_line(local(9, 10, 5), "10.1.0.1", "comms0", "POST", "http://www.facebook.com/x"),
        squid_line(local(9, 10, 30), "10.1.0.1", "comms0", "CONNECT", fb),
        # comms0 on Tuesday evening: outside office hours.
        squid_line(local(10, 20), "10.1.0.1", "comms0", "CONNECT", fb),
        squid_line(local(9, 11), "10.1.0.2", "comms1", "CONNECT", fb),
        squid_line(local(11, 12), "10.1.0.2", "comms1", "CONNECT", fb),
        # comms2 is active in the unit but never on Facebook.
        squid_line(local(9, 9), "10.1.0.3", "comms2", "GET", "http://www.example-news.ca/"),
        # A blocked request is not use.
        squid_line(local(12, 9), "10.1.0.3", "comms2", "CONNECT", fb, code="TCP_DENIED/403"),
        squid_line(local(9, 10), "10.2.0.1", "legal0", "CONNECT", fb),
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "user,unit\n" + "".join(f"comms{i},{unit}\n" for i in range(3)) + "legal0,Legal\n"
    )
    Ingestor(data_dir, load_directory(staff)).run([log])
    return Insights.open(data_dir)


def test_measures_exact_figures(small: Insights) -> None:
    grouped = small.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 13))
    assert grouped.suppressed_groups == 1  # Legal on Facebook: one person
    (row,) = grouped.rows
    assert (row["unit"], row["service"], row["service_name"]) == ("Comms", "facebook", "Facebook")
    assert (row["people"], row["unit_people"], row["breadth"]) == (2, 3, 0.6667)
    # Mon-Fri: 5 working days; comms0 used it on 2, comms1 on 2: 4 of 10 person-days.
    assert (row["working_days"], row["working_days_used"], row["regularity"]) == (5, 3, 0.4)
    assert row["requests"] == 7
    assert row["office_hours_share"] == round(6 / 7, 4)
    assert row["active_share"] == round(1 / 7, 4)
    assert row["bytes_up"] is None  # native Squid logs no request sizes
    # Sessions: comms0 three (10:00-10:05, 10:30, Tuesday 20:00), comms1 two; 5 minutes of
    # pauses inside sessions plus a 1-minute tail each: 10 minutes.
    assert row["sessions"] == 5
    assert row["hours_on_service"] == round(10 / 60, 2)
    assert row["first_seen"] == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert row["trend"] is None  # one week: no trend
    factors = {f["name"]: f for f in row["factors"]}
    assert factors["time"]["value"] == 1.0  # 10 minutes / (2 users x 5 working days)
    assert factors["frequency"]["value"] == 0.5
    assert factors["declared"]["value"] is None and factors["declared"]["points"] == 0
    assert sum(f["weight"] for f in row["factors"]) == 100
    assert row["score"] == pytest.approx(sum(f["points"] for f in row["factors"]), abs=0.02)
    expected = 15 * 0.6667 + 20 * 0.4 + 5 * 6 / 7 + 10 * (1 / 7) / 0.25 + 20 * 1 / 30 + 20 * 0.05
    assert row["score"] == pytest.approx(expected, abs=0.02)
    assert row["tier"] == "incidental"  # 29.7: incidental from 25
    assert (row["declared"], row["undeclared_critical"]) == (False, False)


def test_window_and_filters(small: Insights) -> None:
    # Monday only: both users, all in office hours.
    (row,) = small.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 9)).rows
    assert (row["requests"], row["office_hours_share"], row["working_days"]) == (5, 1.0, 1)
    assert row["sessions"] == 3
    # Tuesday only: comms0 alone, under k = 2.
    tuesday = small.dependencies(since=date(2026, 3, 10), until=date(2026, 3, 10))
    assert (tuesday.rows, tuesday.suppressed_groups) == ([], 1)
    assert small.dependencies(service="facebook", unit="Comms").rows[0]["people"] == 2
    assert small.dependencies(service="linkedin").rows == []
    with pytest.raises(InputError, match="unknown service 'nosuch'"):
        small.dependencies(service="nosuch")
    with pytest.raises(InputError, match="no unit 'Nowhere' with at least 2 people"):
        small.dependencies(unit="Nowhere")
    with pytest.raises(InputError, match="before"):
        small.dependencies(since=date(2026, 3, 12), until=date(2026, 3, 10))


def test_session_rule_and_weights_come_from_the_configuration(small: Insights) -> None:
    config = small.data_dir / "socialsight.toml"
    text = config.read_text()
    text = text.replace("session_gap_minutes = 10", "session_gap_minutes = 40")
    text = text.replace("session_tail_minutes = 1", "session_tail_minutes = 0")
    text = text.replace("active = 10 ", "active = 0 ")
    config.write_text(text)
    insights = Insights.open(small.data_dir)
    (row,) = insights.dependencies(since=date(2026, 3, 9), until=date(2026, 3, 13)).rows
    # comms0's Monday is now one 30-minute session.
    assert (row["sessions"], row["hours_on_service"]) == (4, 0.5)
    factors = {f["name"]: f for f in row["factors"]}
    assert factors["active"]["points"] == 0
    assert sum(f["weight"] for f in row["factors"]) == 90


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[scoring.weights]\nfame = 3\n", "unknown factor 'fame'"),
        ("[scoring.weights]\nbreadth = -1\n", "weight of breadth"),
        ("[scoring]\ncritical = 30\nimportant = 40\n", "thresholds"),
        ("[scoring]\nsession_gap_minutes = 0\n", "session times"),
    ],
)
def test_bad_scoring_configuration_is_one_clear_error(
    data_dir: Path, snippet: str, message: str
) -> None:
    config = data_dir / "socialsight.toml"
    text = config.read_text()
    text = text[: text.index("[scoring]")] + snippet
    config.write_text(text)
    with pytest.raises(InputError, match=message):
        load_settings(data_dir)


def test_normalise_tier_and_trend() -> None:
    assert normalise("active", 0.5) == 1.0
    assert normalise("time", 45.0) == 1.0
    assert normalise("declared", 2.0) == pytest.approx(1 - 2 / 48)
    assert normalise("declared", 100.0) == 0.0
    scoring = Scoring(critical=70.0, important=50.0, incidental=30.0)
    assert [tier(v, scoring) for v in (70, 69.9, 50, 30, 29.9)] == [
        "critical", "important", "important", "incidental", "personal",
    ]  # fmt: skip
    weeks = [(i, 5) for i in range(4)] + [(4, 2)]
    # Nothing for two weeks, then 10 a working day: +50 % of the mean per week.
    assert trend(30.0, 10.0 * (2 + 3 + 4), weeks) == pytest.approx(0.5)
    assert trend(50.0, 10.0 * (0 + 1 + 2 + 3 + 4), weeks) == pytest.approx(0.0)
    assert trend(10.0, 0.0, [(0, 5)]) is None


def test_declared_downtime_raises_the_score() -> None:
    row = {
        "unit": "IT", "service": "github", "category": "code", "people": 10,
        "unit_people": 10, "requests": 100, "writes": 0, "office_requests": 100,
        "bytes_up": None, "sessions": 50, "session_us": 0, "person_days": 50,
        "working_days_used": 5, "first_seen": None, "trend_sy": 0.0, "trend_sxy": 0.0,
    }  # fmt: skip
    settings = Settings()
    bare = score(row, settings, 5, [(0, 5)], {})
    declared = score(row, settings, 5, [(0, 5)], {("IT", "github"): 2.0})
    lenient = score(row, settings, 5, [(0, 5)], {("IT", "github"): 72.0})
    assert declared["score"] - bare["score"] == pytest.approx(10 * (1 - 2 / 48), abs=0.01)
    assert lenient["score"] == bare["score"]  # 72 h: no urgency, but declared
    assert (bare["declared"], declared["declared"], declared["tolerable_downtime_hours"]) == (
        False, True, 2.0,
    )  # fmt: skip


# -- acceptance on the simulated organisation -----------------------------------------------
@pytest.fixture(scope="module")
def org_dependencies(simulated_org: SimulatedOrg) -> Insights:
    insights = Insights.open(simulated_org.data)
    insights.dependencies()
    return insights


def test_top_five_are_the_planted_heavy_dependencies(
    org_dependencies: Insights, simulated_org: SimulatedOrg
) -> None:
    rows = org_dependencies.dependencies().rows
    heavy = {(d["unit"], d["service"]) for d in simulated_org.truth["heavy_dependencies"]}
    assert len(heavy) == 5
    assert {(r["unit"], r["service"]) for r in rows[:5]} == heavy
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert all(r["tier"] == "critical" for r in rows[:5])


def test_undeclared_critical_dependency_is_flagged(
    org_dependencies: Insights, simulated_org: SimulatedOrg
) -> None:
    (planted,) = simulated_org.truth["undeclared_dependencies"]
    rows = org_dependencies.dependencies().rows
    flagged = [(r["unit"], r["service"]) for r in rows if r["undeclared_critical"]]
    assert flagged == [(planted["unit"], planted["service"])]
    row = next(r for r in rows if (r["unit"], r["service"]) == tuple(flagged[0]))
    assert (row["people"], row["unit_people"]) == (planted["people"], planted["unit_people"])
    assert row["working_days_used"] == planted["working_days_seen"]
    assert row["declared"] is False and row["tolerable_downtime_hours"] is None
    # Declared uses carry the register's tolerable downtime.
    facebook = next(r for r in rows if (r["unit"], r["service"]) == ("Communications", "facebook"))
    assert (facebook["declared"], facebook["tolerable_downtime_hours"]) == (True, 8.0)


def test_new_service_is_found_with_its_first_day_and_a_strong_trend(
    org_dependencies: Insights, simulated_org: SimulatedOrg
) -> None:
    (adoption,) = simulated_org.truth["adoptions"]
    rows = org_dependencies.dependencies(service=adoption["service"]).rows
    assert [(r["unit"], r["service"]) for r in rows] == [(adoption["unit"], adoption["service"])]
    (row,) = rows
    first = row["first_seen"].astimezone(TORONTO)
    assert first.date().isoformat() == adoption["adopted_on"]
    assert row["first_seen"] == datetime.fromisoformat(adoption["first_seen"])
    assert row["requests"] == adoption["requests"]
    every = org_dependencies.dependencies().rows
    assert row["trend"] >= 0.4
    assert row["trend"] == max(r["trend"] for r in every if r["trend"] is not None)


def test_minister_office_never_appears(org_dependencies: Insights) -> None:
    """The 3-person unit is below k = 5: it is in no output, and each output counts it."""
    small = "Minister's Office"
    deps = org_dependencies.dependencies()
    assert small not in {r["unit"] for r in deps.rows}
    assert deps.suppressed_groups > 0
    units = org_dependencies.units()
    assert small not in {r["unit"] for r in units.rows}
    assert units.suppressed_groups == 1
    usage = org_dependencies.usage_over_time(service="twitter")
    assert small not in {r["key"] for r in usage.rows}
    assert usage.suppressed_groups > 0
    assert all(r["people"] >= 5 for r in usage.rows)
    # Narrowed to the small unit, a query would tell through its suppressed count which
    # services those 3 people use: it is answered as for a unit that does not exist.
    for query in (
        lambda: org_dependencies.dependencies(unit=small),
        lambda: org_dependencies.dependencies(unit=small, service="facebook"),
        lambda: org_dependencies.usage_over_time(by="service", unit=small),
    ):
        with pytest.raises(InputError, match='no unit "Minister\'s Office" with at least 5'):
            query()
    with pytest.raises(InputError, match="no unit 'Atlantis' with at least 5"):
        org_dependencies.dependencies(unit="Atlantis")
    weekend = org_dependencies.dependencies(since=date(2026, 3, 7), until=date(2026, 3, 8))
    assert all(r["working_days"] == 0 for r in weekend.rows)
    (episode,) = org_dependencies.outages().rows
    assert small not in {u["unit"] for u in episode["units_hit"]}
    assert episode["units_suppressed"] == 1  # the Minister's Office: 3 people hit
    impact = org_dependencies.impact("twitter", 4)
    assert small not in {u["unit"] for u in impact.units}
    assert impact.suppressed_groups == 1
    outputs = [
        deps.as_json(),
        units.as_json(),
        usage.as_json(),
        impact.as_json(),
        org_dependencies.outages().as_json(),
        org_dependencies.usage_over_time().as_json(),
    ]
    assert "Minister" not in json.dumps(outputs, default=str)  # fmt: skip


def test_usage_over_time_and_overview(
    org_dependencies: Insights, simulated_org: SimulatedOrg
) -> None:
    by_category = org_dependencies.usage_over_time()
    days = {r["day"] for r in by_category.rows}
    assert min(days) == date(2026, 3, 2) and max(days) == date(2026, 3, 31)
    # At weekends only a handful of weekend workers browse: under k, withheld and counted.
    social = {r["day"].isoformat() for r in by_category.rows if r["key"] == "social-network"}
    assert social == set(simulated_org.truth["calendar"]["working_days"])
    assert by_category.suppressed_groups > 0
    overview = org_dependencies.overview()
    assert (overview["period_start"], overview["period_end"]) == (
        date(2026, 3, 2),
        date(2026, 3, 31),
    )
    assert overview["units"] == 11  # twelve units, the Minister's Office withheld
    assert overview["outages"] == 1
    assert overview["undeclared_critical"] == 1
    assert overview["critical_dependencies"] == sum(
        1 for r in org_dependencies.dependencies().rows if r["tier"] == "critical"
    )
    info = org_dependencies.service_info("facebook")
    assert info["name"] == "Facebook" and "facebook.com" in info["domains"]


def test_cli_dependencies(cli: Callable[..., CliResult], simulated_org: SimulatedOrg) -> None:
    code, out, err = cli("dependencies", "--data", simulated_org.data, "--unit", "IT",
                         "--since", "2026-03-09", "--until", "2026-03-20", "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["min_group_size"] == 5
    assert {r["unit"] for r in doc["rows"]} == {"IT"}
    assert doc["rows"][0]["service"] == "github"
    assert doc["rows"][0]["working_days"] == 10
    code, out, err = cli("dependencies", "--data", simulated_org.data, "--limit", "3")
    assert code == 0, err
    assert "Communications" in out and "facebook" in out and "withheld" in out
    assert "Minister" not in out
    code, out, err = cli("dependencies", "--data", simulated_org.data, "--service", "myspace2")
    assert code == 1 and "unknown service 'myspace2'" in err and "Traceback" not in err
    code, out, err = cli("dependencies", "--data", simulated_org.data, "--since", "March")
    assert code == 1 and "--since 'March' is not a date" in err
    code, out, err = cli("units", "--data", simulated_org.data, "--json")
    assert code == 0 and json.loads(out)["suppressed_groups"] == 1


def test_first_seen_is_utc(org_dependencies: Insights) -> None:
    row = org_dependencies.dependencies().rows[0]
    assert row["first_seen"].utcoffset() == timedelta(0)


def test_unit_names_are_shown_as_text(
    cli: Callable[..., CliResult], data_dir: Path, tmp_path: Path
) -> None:
    hostile = "[bold]Comms<script>"  # a directory file is input like any other
    build_small(data_dir, tmp_path, hostile)
    for extra in ((), ("--explain",)):
        code, out, err = cli("dependencies", "--data", data_dir, *extra)
        assert code == 0, err
        assert hostile in out


def test_cli_on_an_empty_store(cli: Callable[..., CliResult], data_dir: Path) -> None:
    for command in (("dependencies",), ("outages",), ("units",), ("register", "list")):
        code, out, err = cli(*command, "--data", data_dir, "--json")
        assert code == 0, err
        assert json.loads(out)["rows"] == []
    code, out, err = cli("impact", "facebook", "--data", data_dir, "--json")
    assert code == 0 and json.loads(out)["units"] == []


def test_fast_local_time_matches_the_zone_database() -> None:
    import ibis

    from socialsight.analytics.engine import connect, local_time, local_time_between

    # Every quarter hour across Toronto's change to daylight time (2026-03-08 07:00 UTC)
    # and the change back (2026-11-01 06:00 UTC), and Lord Howe's half-hour change.
    instants = [datetime(2026, 3, 7, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(400)]
    instants += [datetime(2026, 10, 31, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(400)]
    table = ibis.memtable({"ts": instants}, schema={"ts": "timestamp('UTC')"})
    con = connect()
    for zone in ("America/Toronto", "Australia/Lord_Howe", "Asia/Kathmandu"):
        start, end = min(instants), max(instants) + timedelta(minutes=1)
        fast = local_time_between(table["ts"], zone, start, end)
        slow = local_time(table["ts"], zone)
        result = con.to_pyarrow(table.aggregate(diff=(fast != slow).sum(), n=table.count()))
        assert result.to_pylist() == [{"diff": 0, "n": 800}], zone
