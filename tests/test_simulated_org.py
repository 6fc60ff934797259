"""The shared simulated organisation ingests every line the simulator wrote but the one
planted over-long line, so that the analytics tests built on it start from a known store."""

from __future__ import annotations

from socialsight.insights import Insights

from conftest import SimulatedOrg


def test_simulated_org_is_fully_ingested(simulated_org: SimulatedOrg) -> None:
    insights = Insights.open(simulated_org.data)
    stored = sum(insights.store.events_per_file().values())
    assert stored == simulated_org.truth["lines"] - 1
    services = {row["service"] for row in insights.services().rows}
    assert {"facebook", "whatsapp", "mastodon"} <= services
