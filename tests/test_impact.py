"""What-if impact: units ranked by score, office hours at risk, cost, declared tolerance."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from socialsight.analytics.impact import office_hours_covered
from socialsight.config import Settings
from socialsight.errors import InputError
from socialsight.insights import Insights

from conftest import CliResult, SimulatedOrg


@pytest.fixture(scope="module")
def org(simulated_org: SimulatedOrg) -> Insights:
    return Insights.open(simulated_org.data)


def test_office_hours_covered() -> None:
    settings = Settings()  # 08:30-17:00, Monday to Friday
    assert office_hours_covered(2, settings) == 2
    assert office_hours_covered(8.5, settings) == 8.5
    assert office_hours_covered(12, settings) == 8.5
    assert office_hours_covered(30, settings) == 8.5 + 6
    assert office_hours_covered(24 * 7, settings) == 5 * 8.5  # the weekend costs nothing
    assert office_hours_covered(24 * 14, settings) == 10 * 8.5
    assert office_hours_covered(5, Settings(working_days=())) == 0


def test_facebook_down_for_a_working_day(org: Insights) -> None:
    result = org.impact("facebook", 8)
    deps = {r["unit"]: r for r in org.dependencies(service="facebook").rows}
    assert result.rate == 65.0  # the configured hourly rate
    assert result.office_hours_covered == 8
    assert [u["unit"] for u in result.units] == list(deps)  # ranked by score
    assert [u["score"] for u in result.units] == sorted(
        (u["score"] for u in result.units), reverse=True
    )
    comms = next(u for u in result.units if u["unit"] == "Communications")
    row = deps["Communications"]
    assert comms["people"] == row["people"] == 39
    assert comms["office_hours_at_risk"] == round(39 * 8 * row["office_hours_share"], 1)
    assert comms["cost"] == round(39 * 8 * row["office_hours_share"] * 65, 2)
    # Declared 8 hours of tolerable downtime: 8 hours are not beyond it.
    assert (comms["tolerable_downtime_hours"], comms["exceeds_tolerance"]) == (8.0, False)
    assert result.people == sum(u["people"] for u in result.units)
    assert result.cost == pytest.approx(sum(u["cost"] for u in result.units), abs=0.01)
    assert "Minister's Office" not in {u["unit"] for u in result.units}
    assert result.suppressed_groups == 1
    doc = result.as_json()
    assert doc["units"][0]["unit"] == result.units[0]["unit"]
    assert doc["min_group_size"] == 5


def test_longer_outage_exceeds_declared_tolerance(org: Insights) -> None:
    result = org.impact("facebook", 9, rate=100)
    exceeded = {u["unit"] for u in result.units if u["exceeds_tolerance"]}
    declared = {u["unit"] for u in result.units if u["tolerable_downtime_hours"] is not None}
    assert exceeded == declared
    assert "Communications" in exceeded
    undeclared = [u for u in result.units if not u["declared"]]
    assert undeclared and not any(u["exceeds_tolerance"] for u in undeclared)
    comms = next(u for u in result.units if u["unit"] == "Communications")
    # 9 hours from the start of the office day cover all 8.5 office hours.
    at_risk = comms["people"] * 8.5 * comms["office_hours_share"]
    assert comms["office_hours_at_risk"] == round(at_risk, 1)
    assert comms["cost"] == pytest.approx(at_risk * 100, abs=0.01)


def test_bad_input(org: Insights) -> None:
    with pytest.raises(InputError, match="unknown service 'orkut'"):
        org.impact("orkut", 8)
    with pytest.raises(InputError, match="--hours"):
        org.impact("facebook", 0)
    with pytest.raises(InputError, match="--rate"):
        org.impact("facebook", 8, rate=-1)


def test_cli_impact(cli: Callable[..., CliResult], simulated_org: SimulatedOrg) -> None:
    code, out, err = cli("impact", "facebook", "--hours", "8", "--rate", "65", "--data",
                         simulated_org.data, "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["service"], doc["hours"], doc["rate"]) == ("facebook", 8.0, 65.0)
    assert doc["units"][0]["unit"] == "Communications"
    code, out, err = cli("impact", "facebook", "--hours", "9", "--data", simulated_org.data)
    assert code == 0, err
    assert "Communications" in out and "total" in out and "EXCEEDED" in out
    code, out, err = cli("impact", "facebook", "--hours", "-2", "--data", simulated_org.data)
    assert code == 1 and err.startswith("error: --hours")
