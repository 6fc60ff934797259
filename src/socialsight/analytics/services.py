"""Which services the organisation uses: one row per catalog service seen in the events."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from socialsight.analytics.calendar import Window, in_window
from socialsight.analytics.engine import local_time, local_time_between

COLUMNS = (
    "service", "category", "people", "units", "requests", "bytes_up", "bytes_down",
    "active_days", "failed", "blocked", "first_seen", "last_seen",
)  # fmt: skip


def units_using(table: ir.Table, k: int) -> ir.Table:
    """Per service: the directory units with at least ``k`` of their people using it. A unit
    with fewer is not counted: counting it would tell that its few people use the service.
    ``table`` is the events."""
    classified = table.filter(
        table["service.id"].notnull() & (table["organization.unit"] != "unknown")
    )
    per_unit = classified.group_by(
        service=classified["service.id"], unit=classified["organization.unit"]
    ).aggregate(people=classified["person.pseudonym"].nunique())
    large = per_unit.filter(per_unit["people"] >= k)
    return large.group_by("service").aggregate(units=large.count())


def _with_units(result: ir.Table, table: ir.Table, k: int) -> ir.Table:
    counts = units_using(table, k).rename(units_service="service")
    joined = result.left_join(counts, result["service"] == counts["units_service"])
    return joined.mutate(units=joined["units"].fill_null(0)).drop("units_service")


def services(events: ir.Table, zone: str = "UTC", k: int = 1) -> ir.Table:
    """Per service: category, people, units (with at least ``k`` people using it), requests,
    bytes up/down, active days, first and last seen, share of requests that failed or were
    blocked.

    ``active_days`` counts the distinct calendar days, in ``zone``, with any request.
    Unclassified hosts are left out (see :func:`socialsight.analytics.unknown.unknown`).
    Sorted by people, then requests, descending.
    """
    classified = events.filter(events["service.id"].notnull())
    local_day = local_time(classified["@timestamp"], zone).date()
    result = classified.group_by(
        service=classified["service.id"], category=classified["service.category"]
    ).aggregate(
        people=classified["person.pseudonym"].nunique(),
        requests=classified.count(),
        bytes_up=classified["http.request.bytes"].sum(),
        bytes_down=classified["http.response.bytes"].sum(),
        active_days=local_day.nunique(),
        failed=(classified["event.outcome"] == "failed").sum(),
        blocked=(classified["event.outcome"] == "blocked").sum(),
        first_seen=classified["@timestamp"].min(),
        last_seen=classified["@timestamp"].max(),
    )
    return (
        _with_units(result, events, k)
        .select(*COLUMNS)
        .order_by([ibis.desc("people"), ibis.desc("requests"), "service"])
    )


def service_days(events: ir.Table, window: Window) -> ir.Table:
    """The materialised form of :func:`services` (``analytics/summaries.py``): one row per
    (service, category, unit, person, local day of ``window``) with ``requests, bytes_up,
    bytes_down, failed, blocked, first_seen, last_seen``."""
    classified = in_window(events, window)
    classified = classified.filter(classified["service.id"].notnull())
    local = local_time_between(
        classified["@timestamp"], window.zone, window.start_utc, window.end_utc
    )
    days: ir.Table = classified.group_by(
        service=classified["service.id"],
        category=classified["service.category"],
        unit=classified["organization.unit"],
        person=classified["person.pseudonym"],
        day=local.date(),
    ).aggregate(
        requests=classified.count(),
        bytes_up=classified["http.request.bytes"].sum(),
        bytes_down=classified["http.response.bytes"].sum(),
        failed=(classified["event.outcome"] == "failed").cast("int64").sum(),
        blocked=(classified["event.outcome"] == "blocked").cast("int64").sum(),
        first_seen=classified["@timestamp"].min(),
        last_seen=classified["@timestamp"].max(),
    )
    return days


def services_from_days(days: ir.Table, k: int = 1) -> ir.Table:
    """:func:`services` from the rows of :func:`service_days` over all the data: the same
    rows, from a table a fraction of the events' size."""
    keys = ["service", "category"]
    # Each from its own narrow scan: a shared input would be materialised whole by DuckDB.
    totals = days.group_by(keys).aggregate(
        requests=days["requests"].sum(),
        bytes_up=days["bytes_up"].sum(),
        bytes_down=days["bytes_down"].sum(),
        active_days=days["day"].nunique(),
        failed=days["failed"].sum(),
        blocked=days["blocked"].sum(),
        first_seen=days["first_seen"].min(),
        last_seen=days["last_seen"].max(),
    )
    who = days.select(*keys, "unit", "person")
    people = who.group_by(keys).aggregate(people=who["person"].nunique())
    known = who.filter(who["unit"] != "unknown")
    per_unit = known.group_by("service", "unit").aggregate(people=known["person"].nunique())
    large = per_unit.filter(per_unit["people"] >= k)
    units = large.group_by("service").aggregate(units=large.count()).rename(units_service="service")
    joined = people.join(totals, keys)
    joined = joined.left_join(units, joined["service"] == units["units_service"])
    result = joined.mutate(units=joined["units"].fill_null(0)).drop("units_service")
    return result.select(*COLUMNS).order_by([ibis.desc("people"), ibis.desc("requests"), "service"])
