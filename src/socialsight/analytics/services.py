"""Which services the organisation uses: one row per catalog service seen in the events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from socialsight.analytics.engine import local_time


def services(events: ir.Table, zone: str = "UTC") -> ir.Table:
    """Per service: category, people, units, requests, bytes up/down, active days, first and
    last seen, share of requests that failed or were blocked.

    ``active_days`` counts the distinct calendar days, in ``zone``, with any request.
    Unclassified hosts are left out (see :func:`socialsight.analytics.unknown.unknown`).
    Sorted by people, then requests, descending.
    """
    classified = events.filter(events["service.id"].notnull())
    local_day = local_time(classified["@timestamp"], zone).date()
    known_units = classified["organization.unit"].nullif("unknown")
    return (
        classified.group_by(
            service=classified["service.id"], category=classified["service.category"]
        )
        .aggregate(
            people=classified["person.pseudonym"].nunique(),
            units=known_units.nunique(),
            requests=classified.count(),
            bytes_up=classified["http.request.bytes"].sum(),
            bytes_down=classified["http.response.bytes"].sum(),
            active_days=local_day.nunique(),
            failed=(classified["event.outcome"] == "failed").sum(),
            blocked=(classified["event.outcome"] == "blocked").sum(),
            first_seen=classified["@timestamp"].min(),
            last_seen=classified["@timestamp"].max(),
        )
        .order_by([ibis.desc("people"), ibis.desc("requests"), "service"])
    )


def services_from_rollup(rollup: ir.Table, zone: str = "UTC") -> ir.Table:
    """:func:`services` computed from the hourly rollup (``store.ROLLUP_SCHEMA``) instead of
    the events: the same rows, from a table several times smaller.

    ``active_days`` is exact only when every UTC hour falls in one local day, that is when the
    zone's offset is a whole number of hours (see :func:`whole_hour_zone`); otherwise use
    :func:`services` on the events.
    """
    classified = rollup.filter(rollup["service.id"].notnull())
    keys = {"service": classified["service.id"], "category": classified["service.category"]}
    # Totals per service and hour first (a few thousand rows), so that the time-zone
    # conversion runs once per hour, not once per rollup row.
    hourly = classified.group_by(hour=classified["hour"], **keys).aggregate(
        requests=classified["requests"].sum(),
        bytes_up=classified["bytes_up"].sum(),
        bytes_down=classified["bytes_down"].sum(),
        failed=classified["failures"].sum(),
        blocked=classified["blocked"].sum(),
        first_seen=classified["first_seen"].min(),
        last_seen=classified["last_seen"].max(),
    )
    local_day = local_time(hourly["hour"], zone).date()
    totals = hourly.group_by("service", "category").aggregate(
        requests=hourly["requests"].sum(),
        bytes_up=hourly["bytes_up"].sum(),
        bytes_down=hourly["bytes_down"].sum(),
        active_days=local_day.nunique(),
        failed=hourly["failed"].sum(),
        blocked=hourly["blocked"].sum(),
        first_seen=hourly["first_seen"].min(),
        last_seen=hourly["last_seen"].max(),
    )
    known_units = classified["organization.unit"].nullif("unknown")
    people = classified.group_by(**keys).aggregate(
        people=classified["person.pseudonym"].nunique(), units=known_units.nunique()
    )
    joined = people.join(totals, ["service", "category"])
    return joined.select(
        "service", "category", "people", "units", "requests", "bytes_up", "bytes_down",
        "active_days", "failed", "blocked", "first_seen", "last_seen",
    ).order_by([ibis.desc("people"), ibis.desc("requests"), "service"])  # fmt: skip


def whole_hour_zone(zone: str, first_year: int = 1990, last_year: int = 2060) -> bool:
    """True when ``zone``'s UTC offset is a whole number of hours, sampled twice a month.

    >>> whole_hour_zone("America/Toronto"), whole_hour_zone("Asia/Kolkata")
    (True, False)
    """
    tz = ZoneInfo(zone)
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            for day in (1, 16):
                offset = datetime(year, month, day, 12, tzinfo=tz).utcoffset()
                if offset is None or offset.total_seconds() % 3600:
                    return False
    return True
