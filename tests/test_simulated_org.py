"""The shared simulated organisation ingests every line the simulator wrote but the one
planted over-long line, so that the analytics tests built on it start from a known store."""

from __future__ import annotations

import pyarrow.compute as pc

from socialsight.insights import Insights

from conftest import SimulatedOrg


def test_simulated_org_is_fully_ingested(simulated_org: SimulatedOrg) -> None:
    insights = Insights.open(simulated_org.data)
    stored = sum(insights.store.events_per_file().values())
    assert stored == simulated_org.truth["lines"] - 1
    services = {row["service"] for row in insights.services().rows}
    assert {"facebook", "whatsapp", "mastodon"} <= services


def test_services_count_only_units_of_at_least_k_people(simulated_org: SimulatedOrg) -> None:
    """The 3-person Minister's Office uses Facebook, but counting it among Facebook's units
    would say so: a unit counts only with at least k of its people on the service."""
    insights = Insights.open(simulated_org.data)
    events = insights.store.read_events(["service.id", "organization.unit", "person.pseudonym"])
    facebook = events.filter(pc.equal(events["service.id"], "facebook"))
    per_unit = facebook.group_by("organization.unit").aggregate(
        [("person.pseudonym", "count_distinct")]
    )
    people = dict(
        zip(
            per_unit["organization.unit"].to_pylist(),
            per_unit["person.pseudonym_count_distinct"].to_pylist(),
            strict=True,
        )
    )
    assert 0 < people["Minister's Office"] < 5
    expected = sum(1 for unit, n in people.items() if unit != "unknown" and n >= 5)
    (row,) = [r for r in insights.services().rows if r["service"] == "facebook"]
    assert row["units"] == expected == 11
