"""What a report holds: every section, gathered once from :class:`Insights`, ready to render.

The HTML, CSV and JSON writers all render one :class:`Report`, so the three outputs always
show the same rows and the same counts of withheld groups. Nothing here groups raw events:
every table comes from an :class:`Insights` method that has already applied the minimum group
size, and the per-unit profiles only regroup those already-safe rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from socialsight import __version__
from socialsight.errors import InputError
from socialsight.insights import Insights
from socialsight.privacy.min_group import Grouped

SECTIONS = ("services", "dependencies", "outages", "units", "unknown", "usage")
"""The tables of a report, in the order the CSV export and the privacy note list them."""

UNKNOWN_LIMIT = 200
"""Unclassified domains kept in a report (ranked by people; the rest is the long tail)."""


@dataclass(frozen=True)
class UnitProfile:
    """One unit and the (unit, service) dependency rows that belong to it, by score."""

    unit: str
    people: int
    services: int
    requests: int
    dependencies: list[dict[str, Any]]

    @property
    def hours_on_service(self) -> float:
        """Estimated person-hours the unit spent on the services it depends on."""
        return float(sum(r.get("hours_on_service") or 0.0 for r in self.dependencies))

    @property
    def critical(self) -> int:
        return sum(1 for r in self.dependencies if r.get("tier") == "critical")


@dataclass(frozen=True)
class Report:
    """Everything a report shows. ``sections`` maps each name of :data:`SECTIONS` to its rows,
    already filtered by the minimum group size and carrying the count of what was withheld."""

    overview: dict[str, Any]
    sections: dict[str, Grouped]
    timezone: str
    min_group_size: int
    since: date | None = None
    until: date | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: str = __version__

    @property
    def suppressed(self) -> dict[str, int]:
        """Groups withheld per section (the privacy note and every export state them)."""
        return {name: self.sections[name].suppressed_groups for name in SECTIONS}

    def profiles(self) -> list[UnitProfile]:
        """Per-unit profiles: the units that passed k, each with its dependency rows.

        A unit withheld from ``units`` gets no profile, even if one of its dependency rows
        passed k on its own, so that the list of profiles never names a withheld unit.
        """
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in self.sections["dependencies"].rows:
            by_unit.setdefault(str(row["unit"]), []).append(row)
        profiles = []
        for row in self.sections["units"].rows:
            unit = str(row["unit"])
            deps = sorted(by_unit.get(unit, []), key=lambda r: -float(r.get("score") or 0.0))
            profiles.append(
                UnitProfile(
                    unit=unit,
                    people=int(row["people"]),
                    services=int(row["services"]),
                    requests=int(row["requests"]),
                    dependencies=deps,
                )
            )
        return profiles


def build_report(
    insights: Insights, since: date | None = None, until: date | None = None
) -> Report:
    """Gather every section of a report from ``insights``.

    ``since`` and ``until`` (local days, inclusive) narrow the dependencies, the outages and
    the usage chart; the overview, services, units and unknown domains cover all data held.

    >>> report = build_report(Insights.open("socialsight-data"))   # doctest: +SKIP
    >>> report.suppressed["units"]                                  # doctest: +SKIP
    1
    """
    if since is not None and until is not None and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    usage = insights.usage_over_time(by="category")
    if since is not None or until is not None:
        # Rows already passed k one (day, category) at a time: dropping whole rows outside the
        # window cannot reveal anything; the withheld count stays that of all data held.
        usage = Grouped(
            [r for r in usage.rows if _within(r["day"], since, until)],
            usage.min_group_size,
            usage.suppressed_groups,
        )
    sections = {
        "services": insights.services(),
        "dependencies": insights.dependencies(since=since, until=until),
        "outages": insights.outages(since=since, until=until),
        "units": insights.units(),
        "unknown": insights.unknown(UNKNOWN_LIMIT),
        "usage": usage,
    }
    return Report(
        overview=dict(insights.overview()),
        sections=sections,
        timezone=insights.settings.timezone,
        min_group_size=insights.min_group_size,
        since=since,
        until=until,
    )


def _within(day: Any, since: date | None, until: date | None) -> bool:
    value = day.date() if isinstance(day, datetime) else day
    if not isinstance(value, date):
        return True
    return (since is None or value >= since) and (until is None or value <= until)
