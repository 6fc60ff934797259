"""What-if: a service down for some hours, and who is hit how hard.

The outage is assumed to start when office hours start on the first working day of the week
(the worst case for a short outage) and to run for ``hours`` wall-clock hours; the office hours
it covers are counted day by day on the configured working weekdays. For each unit that depends
on the service (a dependency row that passed the minimum group size):

    office_hours_at_risk = people x office hours covered x the unit's office-hours share

where the office-hours share is the share of the unit's use of the service that falls in
office hours (a unit that uses it mostly after hours loses less office time). The cost is that
times the hourly rate. Totals add up the units shown, never the suppressed ones, so that a
total minus the rows cannot reveal a small unit. See ``docs/dependency.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from socialsight.analytics.calendar import office_hours_per_day
from socialsight.config import Settings
from socialsight.errors import InputError
from socialsight.privacy.min_group import Grouped

MAX_HOURS = 24 * 366


@dataclass(frozen=True)
class Impact:
    """The answer to "what if ``service`` were down for ``hours``?"."""

    service: str
    service_name: str
    hours: float
    rate: float
    office_hours_covered: float
    """Office hours per person inside the outage (worst case, see the module docstring)."""
    units: list[dict[str, Any]] = field(default_factory=list)
    people: int = 0
    office_hours_at_risk: float = 0.0
    cost: float = 0.0
    min_group_size: int = 5
    suppressed_groups: int = 0

    def as_json(self) -> dict[str, Any]:
        """The stable machine-readable shape (``impact --json``)."""
        return asdict(self)


def office_hours_covered(hours: float, settings: Settings) -> float:
    """Office hours inside an outage of ``hours`` that starts when office hours start on the
    first configured working weekday.

    >>> from socialsight.config import Settings
    >>> office_hours_covered(4, Settings()), office_hours_covered(24 * 7, Settings())
    (4.0, 42.5)
    """
    if not settings.working_days:
        return 0.0
    per_day = office_hours_per_day(settings)
    first = min(settings.working_days)
    covered = 0.0
    for i in range(math.ceil(hours / 24) + 1):
        if (first + i) % 7 in settings.working_days:
            covered += max(0.0, min(hours - 24 * i, per_day))
    return covered


def impact(
    dependencies: Grouped,
    service: str,
    service_name: str,
    hours: float,
    rate: float | None,
    settings: Settings,
) -> Impact:
    """The impact of ``service`` being down for ``hours`` on the units in ``dependencies``
    (the service's dependency rows), ranked by their dependency score."""
    if not 0 < hours <= MAX_HOURS:
        raise InputError(f"--hours must be above 0 and at most {MAX_HOURS}, not {hours:g}")
    rate = settings.hourly_rate if rate is None else rate
    if rate < 0 or math.isnan(rate):
        raise InputError(f"--rate must be 0 or more, not {rate:g}")
    covered = office_hours_covered(hours, settings)
    units = []
    for row in dependencies.rows:
        at_risk = row["people"] * covered * row["office_hours_share"]
        tolerable = row["tolerable_downtime_hours"]
        units.append(
            {
                "unit": row["unit"],
                "score": row["score"],
                "tier": row["tier"],
                "people": row["people"],
                "office_hours_share": row["office_hours_share"],
                "office_hours_at_risk": round(at_risk, 1),
                "cost": round(at_risk * rate, 2),
                "declared": row["declared"],
                "tolerable_downtime_hours": tolerable,
                "exceeds_tolerance": tolerable is not None and hours > tolerable,
            }
        )
    units.sort(key=lambda u: (-u["score"], u["unit"]))
    return Impact(
        service=service,
        service_name=service_name,
        hours=hours,
        rate=rate,
        office_hours_covered=covered,
        units=units,
        people=sum(u["people"] for u in units),
        office_hours_at_risk=round(sum(u["office_hours_at_risk"] for u in units), 1),
        cost=round(sum(u["cost"] for u in units), 2),
        min_group_size=dependencies.min_group_size,
        suppressed_groups=dependencies.suppressed_groups,
    )
