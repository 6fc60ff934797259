"""Use over time and per unit: the series and tables behind the overview pages.

Each function returns an Ibis expression with a ``people`` column; the caller applies the
minimum group size to every row (a day of one category is a group like any other).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from socialsight.analytics.engine import local_time
from socialsight.errors import InputError

UNKNOWN_UNIT = "unknown"
BY = ("category", "service")


def usage_over_time(
    events: ir.Table,
    zone: str,
    by: str = "category",
    service: str | None = None,
    unit: str | None = None,
) -> ir.Table:
    """Per local day and key: ``requests, people``. The key is the category or the service
    id (``by``); with ``service`` given, it is the unit. Blocked requests are not use and
    unclassified hosts have no category: both are left out. Sorted by day, then key."""
    if by not in BY:
        raise InputError(f"usage by {by!r}: choose one of {', '.join(BY)}")
    e = events.filter(events["service.id"].notnull() & (events["event.outcome"] != "blocked"))
    if service is not None:
        e = e.filter(
            (e["service.id"] == service)
            & e["organization.unit"].notnull()
            & (e["organization.unit"] != UNKNOWN_UNIT)
        )
    if unit is not None:
        e = e.filter(e["organization.unit"] == unit)
    if service is not None:
        key = e["organization.unit"]
    else:
        key = e["service.category"] if by == "category" else e["service.id"]
    day = local_time(e["@timestamp"], zone).date()
    return (
        e.group_by(day=day, key=key)
        .aggregate(requests=e.count(), people=e["person.pseudonym"].nunique())
        .order_by(["day", "key"])
    )


def units(events: ir.Table) -> ir.Table:
    """Per unit of the directory: ``people`` (active), ``services`` (distinct catalog services
    used), ``requests``. People the directory does not know are left out. Sorted by people."""
    e = events.filter(
        events["organization.unit"].notnull() & (events["organization.unit"] != UNKNOWN_UNIT)
    )
    return (
        e.group_by(unit=e["organization.unit"])
        .aggregate(
            people=e["person.pseudonym"].nunique(),
            services=e["service.id"].nunique(),
            requests=e.count(),
        )
        .order_by([ibis.desc("people"), "unit"])
    )


def totals(events: ir.Table) -> ir.Table:
    """One row: ``events, people, first, last`` over the whole store."""
    return events.aggregate(
        events=events.count(),
        people=events["person.pseudonym"].nunique(),
        first=events["@timestamp"].min(),
        last=events["@timestamp"].max(),
    )
