"""Which services the organisation uses: one row per catalog service seen in the events."""

from __future__ import annotations

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
