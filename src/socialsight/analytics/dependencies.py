"""How much each unit depends on each service: measures, an explainable score, a tier.

:func:`measures` is one Ibis expression over the events that yields, per (unit, service),
everything the score needs (people, working days with use, office-hours share, write share,
sessions and time on service, weekly trend, first seen); :func:`score` turns one row of it into
the factors, the 0-100 score and the tier. The formula is documented in ``docs/dependency.md``.

>>> round(normalise("active", 0.05), 2)
0.2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from socialsight.analytics.calendar import (
    Window,
    any_of,
    in_window,
    local_columns,
    working_days,
)
from socialsight.analytics.engine import epoch_us
from socialsight.config import Scoring, Settings
from socialsight.privacy.min_group import Grouped, suppress_small_groups

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
"""Request methods that send something to the service (a post, a message, an upload)."""
UPLOAD_BYTES = 100_000
"""A request of any method carrying more than this many bytes up counts as a write (an upload
through a tunnel). Squid's native log has no request size, so there the methods decide."""

UNKNOWN_UNIT = "unknown"
"""The unit of people the directory does not list: not a unit one can depend on, left out."""

# Where a factor earns its full weight (docs/dependency.md explains each choice).
ACTIVE_FULL = 0.25
"""Share of write requests at which the active factor is full (a quarter of the requests a
proxy can see into; most traffic passes through tunnels whose method it cannot see)."""
TIME_FULL_MINUTES = 30.0
"""Minutes on the service per user per working day at which the time factor is full."""
FREQUENCY_FULL = 10.0
"""Sessions per user per working day at which the frequency factor is full."""
DECLARED_HORIZON_HOURS = 48.0
"""A declared tolerable downtime of this or more earns nothing; shorter earns linearly more."""

FACTOR_LABELS: dict[str, str] = {
    "breadth": "share of the unit's active people using it",
    "regularity": "share of working days each user uses it (mean)",
    "office_hours": "share of requests in office hours",
    "active": f"share of write requests (full at {ACTIVE_FULL:.0%})",
    "time": f"minutes per user per working day (full at {TIME_FULL_MINUTES:g})",
    "frequency": f"sessions per user per working day (full at {FREQUENCY_FULL:g})",
    "declared": f"declared tolerable downtime, hours (nothing at {DECLARED_HORIZON_HOURS:g}+)",
}

TIERS = ("critical", "important", "incidental", "personal")


def measures(
    events: ir.Table, settings: Settings, window: Window, service: str | None = None
) -> ir.Table:
    """Per (unit, service) over ``window``: ``people, unit_people, requests, writes,
    office_requests, bytes_up, sessions, session_us, person_days, working_days_used,
    first_seen, trend_sy, trend_sxy`` (see :func:`score` for how they combine).

    Requests the appliance blocked are not use and are left out; failed ones are attempts
    to use the service and count. People the directory does not know (unit ``unknown``) are
    left out: they are not a unit that can depend on anything. ``unit_people`` counts the
    unit's active people: those with any request in the window, whatever the service.
    """
    e = _known_units(events, settings, window)
    active = e.group_by(unit=e["organization.unit"]).aggregate(
        unit_people=e["person.pseudonym"].nunique()
    )
    slots = _slots(e, settings, service)
    # A session is a run of one person's requests to one service with pauses shorter than
    # the gap; its time is the sum of those pauses plus a tail after its last request.
    order = ibis.window(
        group_by=[slots["unit"], slots["service"], slots["person"]], order_by=slots["first_us"]
    )
    return _pairs(_daily(slots, order, settings), active, settings, window)


MAX_SUMMARY_GAP_MINUTES = 23 * 60.0
"""The longest session gap the summaries support: a session can then only continue from the
day before (every local day lasts at least 23 hours), which each summary row records."""


def usage_days(events: ir.Table, settings: Settings, window: Window) -> ir.Table:
    """The materialised form of :func:`measures`' use (``analytics/summaries.py``): one row
    per (unit, service, person, local day) of ``window`` with ``category, working, requests,
    writes, office_requests, bytes_up, sessions, session_us, first_seen``, and ``join_us``:
    when the day's first request continues a session of the day before (a pause under the
    gap since that day's last request), that pause, else null.

    ``sessions`` and ``session_us`` are cut at local midnight, so that
    :func:`measures_from_days` can join a crossing session back together or not, as the
    window asks. Rows of ``window``'s first day have no day before in ``events``: build
    from a window one day longer and drop that day.
    """
    slots = _slots(_known_units(events, settings, window), settings, None)
    order = ibis.window(
        group_by=[slots["unit"], slots["service"], slots["person"], slots["day"]],
        order_by=slots["first_us"],
    )
    daily = _daily(slots, order, settings, edges=True)
    across = ibis.window(
        group_by=[daily["unit"], daily["service"], daily["person"]], order_by=daily["day"]
    )
    previous = daily["last_us"].lag().over(across)
    pause = daily["first_us"] - previous
    joined = (previous.notnull() & (pause < _gap_us(settings))).fill_null(False)
    result: ir.Table = daily.mutate(
        join_us=ibis.ifelse(joined, pause, ibis.null().cast("int64"))
    ).drop("first_us", "last_us")
    return result


def measures_from_days(
    usage: ir.Table,
    presence: ir.Table,
    settings: Settings,
    window: Window,
    service: str | None = None,
) -> ir.Table:
    """:func:`measures` from the summaries: ``usage`` rows of :func:`usage_days` and
    ``presence`` rows (``unit, person, day``: who made any request on a local day). The same
    rows as from the events, from tables a fraction of their size. The session gap must not
    exceed :data:`MAX_SUMMARY_GAP_MINUTES`."""
    d = usage.filter((usage["day"] >= window.since) & (usage["day"] <= window.until))
    if service is not None:
        d = d.filter(d["service"] == service)
    # A session continued from the day before is one session, its pause time on service;
    # except on the window's first day, whose day before is outside the window (the events
    # path sees no event before the window either).
    joined = d["join_us"].notnull() & (d["day"] > window.since)
    d = d.mutate(
        sessions=(d["sessions"] - joined.cast("int64")).cast("int64"),
        session_us=(d["session_us"] + ibis.ifelse(joined, d["join_us"], 0)).cast("int64"),
    )
    p = presence.filter(
        (presence["day"] >= window.since)
        & (presence["day"] <= window.until)
        & presence["unit"].notnull()
        & (presence["unit"] != UNKNOWN_UNIT)
    )
    active = p.group_by("unit").aggregate(unit_people=p["person"].nunique())
    # Day totals first (additive), people apart: the same figures as _pairs, without
    # distinct counts over the wide rows (several times cheaper in DuckDB).
    keys = ["unit", "service", "category"]
    days = d.group_by(*keys, "day", "working").aggregate(
        requests=d["requests"].sum(),
        writes=d["writes"].sum(),
        office_requests=d["office_requests"].sum(),
        bytes_up=d["bytes_up"].sum(),
        sessions=d["sessions"].sum(),
        session_us=d["session_us"].sum(),
        users=d.count(),
        first_seen=d["first_seen"].min(),
    )
    weights = _day_weights(window, settings)
    days = days.left_join(weights, days["day"] == weights["wday"])
    totals = days.group_by(keys).aggregate(
        requests=days["requests"].sum(),
        writes=days["writes"].sum(),
        office_requests=days["office_requests"].sum(),
        bytes_up=days["bytes_up"].sum(),
        sessions=days["sessions"].sum(),
        session_us=days["session_us"].sum(),
        person_days=days["users"].sum(where=days["working"]).fill_null(0),
        working_days_used=days["working"].cast("int64").sum(),
        first_seen=days["first_seen"].min(),
        trend_sy=(days["requests"] * days["inv_wd"].fill_null(0.0)).sum(),
        trend_sxy=(days["requests"] * days["week_inv_wd"].fill_null(0.0)).sum(),
    )
    # From its own narrow scan: sharing ``d`` would make DuckDB materialise all its rows.
    u = usage.select(*keys, "person", "day")
    u = u.filter((u["day"] >= window.since) & (u["day"] <= window.until))
    if service is not None:
        u = u.filter(u["service"] == service)
    people = u.group_by(keys).aggregate(people=u["person"].nunique())
    pairs = people.join(totals, keys)
    columns = [
        "unit", "service", "category", "people", "requests", "writes", "office_requests",
        "bytes_up", "sessions", "session_us", "person_days", "working_days_used", "first_seen",
        "trend_sy", "trend_sxy",
    ]  # fmt: skip
    return pairs.select(*columns).join(active, "unit", how="inner")


def _gap_us(settings: Settings) -> int:
    return int(settings.scoring.session_gap_minutes * 60_000_000)


def _known_units(events: ir.Table, settings: Settings, window: Window) -> ir.Table:
    """The window's events of people in a directory unit, with their local columns."""
    e = in_window(events, window)
    e = e.filter(e["organization.unit"].notnull() & (e["organization.unit"] != UNKNOWN_UNIT))
    return local_columns(e, settings, window)


def _slots(e: ir.Table, settings: Settings, service: str | None) -> ir.Table:
    """Use collapsed to gap-wide clock slots per (unit, service, person, local day)."""
    gap_us = _gap_us(settings)
    s = e.filter(e["service.id"].notnull() & (e["event.outcome"] != "blocked"))
    if service is not None:
        s = s.filter(s["service.id"] == service)
    write = any_of(s["http.request.method"], list(WRITE_METHODS)) | (
        s["http.request.bytes"] > UPLOAD_BYTES
    ).fill_null(False)
    # Requests closer than the session gap always share a session, so the requests of one
    # gap-wide clock slot can be collapsed to their first and last time before the pauses
    # between them are measured: the same sessions, from a fraction of the rows. Times are
    # integer microseconds here (cheap arithmetic).
    us = epoch_us(s["@timestamp"])
    slots: ir.Table = s.group_by(
        unit=s["organization.unit"],
        service=s["service.id"],
        person=s["person.pseudonym"],
        day=s["_day"],
        slot=us // gap_us,
    ).aggregate(
        # One category per service: carried along, not grouped on (fewer hash keys).
        category=s["service.category"].arbitrary(),
        working=s["_working"].arbitrary(),
        requests=s.count(),
        writes=write.cast("int64").sum(),
        office_requests=s["_office"].cast("int64").sum(),
        bytes_up=s["http.request.bytes"].sum(),
        first=s["@timestamp"].min(),
        first_us=us.min(),
        last_us=us.max(),
    )
    return slots


def _daily(slots: ir.Table, order: Any, settings: Settings, *, edges: bool = False) -> ir.Table:
    """One row per (unit, service, person, local day) from the slots, sessions measured
    along ``order``; with ``edges``, the day's first and last request times too."""
    gap_us = _gap_us(settings)
    slots = slots.mutate(_previous=slots["last_us"].lag().over(order))
    pause = slots["first_us"] - slots["_previous"]
    new_session = slots["_previous"].isnull() | (pause >= gap_us)
    inside = slots["last_us"] - slots["first_us"]
    slots = slots.mutate(
        _new=new_session.cast("int64"),
        _us=(inside + ibis.ifelse(new_session, 0, pause)).cast("int64"),
    )
    extra = {"first_us": slots["first_us"].min(), "last_us": slots["last_us"].max()}
    daily: ir.Table = slots.group_by(
        "unit", "service", "category", "person", "day", "working"
    ).aggregate(
        requests=slots["requests"].sum(),
        writes=slots["writes"].sum(),
        office_requests=slots["office_requests"].sum(),
        bytes_up=slots["bytes_up"].sum(),
        sessions=slots["_new"].sum(),
        session_us=slots["_us"].sum(),
        first_seen=slots["first"].min(),
        **(extra if edges else {}),
    )
    return daily


def _pairs(daily: ir.Table, active: ir.Table, settings: Settings, window: Window) -> ir.Table:
    """Per (unit, service) from the daily rows, with the unit's active people."""
    # Trend sums folded into the same pass: y_w = requests_w / working_days_w, so
    # sum(y_w) and sum(week * y_w) are sums over days of requests times a per-day weight.
    weights = _day_weights(window, settings)
    daily = daily.left_join(weights, daily["day"] == weights["wday"])
    keys = ["unit", "service", "category"]
    pairs = daily.group_by(keys).aggregate(
        people=daily["person"].nunique(),
        requests=daily["requests"].sum(),
        writes=daily["writes"].sum(),
        office_requests=daily["office_requests"].sum(),
        bytes_up=daily["bytes_up"].sum(),
        sessions=daily["sessions"].sum(),
        session_us=daily["session_us"].sum(),
        person_days=daily["working"].cast("int64").sum(),
        working_days_used=daily["day"].nunique(where=daily["working"]),
        first_seen=daily["first_seen"].min(),
        trend_sy=(daily["requests"] * daily["inv_wd"].fill_null(0.0)).sum(),
        trend_sxy=(daily["requests"] * daily["week_inv_wd"].fill_null(0.0)).sum(),
    )
    return pairs.join(active, "unit", how="inner")


def _day_weights(window: Window, settings: Settings) -> ir.Table:
    """Per working day of the window: 1 / working days of its week, and week index times
    that (the weights of the trend sums)."""
    monday = week_start(window)
    per_week = dict(weeks_of(window, settings))
    days = working_days(window, settings)
    weeks = [(d - monday).days // 7 for d in days]
    # Typed Arrow columns: a window without working days (a weekend) is an empty table,
    # which an untyped empty list cannot express.
    return ibis.memtable(
        pa.table(
            {
                "wday": pa.array(days, pa.date32()),
                "inv_wd": pa.array([1.0 / per_week[w] for w in weeks], pa.float64()),
                "week_inv_wd": pa.array([w / per_week[w] for w in weeks], pa.float64()),
            }
        )
    )


def week_start(window: Window) -> date:
    """The Monday on or before the window's first day: week indices count from it."""
    return window.since - timedelta(days=window.since.weekday())


def weeks_of(window: Window, settings: Settings) -> list[tuple[int, int]]:
    """(week index from :func:`week_start`, working days in it) for the weeks of the window
    that have working days."""
    monday = week_start(window)
    counts: dict[int, int] = {}
    for day in working_days(window, settings):
        week = (day - monday).days // 7
        counts[week] = counts.get(week, 0) + 1
    return sorted(counts.items())


def normalise(factor: str, value: float | None) -> float:
    """A factor's measured value mapped to 0..1 (see docs/dependency.md).

    >>> normalise("time", 15.0), normalise("declared", None), normalise("declared", 12.0)
    (0.5, 0.0, 0.75)
    """
    if value is None:
        return 0.0
    if factor in ("breadth", "regularity", "office_hours"):
        return max(0.0, min(1.0, value))
    if factor == "active":
        return min(1.0, value / ACTIVE_FULL)
    if factor == "time":
        return min(1.0, value / TIME_FULL_MINUTES)
    if factor == "frequency":
        return min(1.0, value / FREQUENCY_FULL)
    if factor == "declared":
        return max(0.0, 1.0 - value / DECLARED_HORIZON_HOURS)
    raise ValueError(factor)


def tier(score_value: float, scoring: Scoring) -> str:
    """The tier of a score under the configured thresholds.

    >>> tier(61.0, Scoring()), tier(59.9, Scoring()), tier(5.0, Scoring())
    ('critical', 'important', 'personal')
    """
    if score_value >= scoring.critical:
        return "critical"
    if score_value >= scoring.important:
        return "important"
    if score_value >= scoring.incidental:
        return "incidental"
    return "personal"


def trend(sy: float, sxy: float, weeks: list[tuple[int, int]]) -> float | None:
    """Average change per week as a share of the mean weekly level: the least-squares slope
    of requests per working day over the window's weeks, divided by their mean. None with
    fewer than two weeks or no use.

    Nothing for two weeks, then 10 requests a working day for three: +50 % a week.

    >>> trend(sy=30.0, sxy=10.0 * (2 + 3 + 4), weeks=[(i, 5) for i in range(5)])
    0.5
    """
    n = len(weeks)
    if n < 2 or sy <= 0:
        return None
    xs = [float(w) for w, _ in weeks]
    sx, sxx = sum(xs), sum(x * x for x in xs)
    denominator = n * sxx - sx * sx
    if denominator == 0:
        return None
    slope = (n * sxy - sx * sy) / denominator
    return slope / (sy / n)


def score(
    row: Mapping[str, Any],
    settings: Settings,
    working_day_count: int,
    weeks: list[tuple[int, int]],
    declared: Mapping[tuple[str, str], float | None],
) -> dict[str, Any]:
    """The contract row for one (unit, service) measures row: the measures, every factor with
    its value, weight and points, the 0-100 score, the tier and the register flags.

    ``declared`` maps (unit, service) to the declared tolerable downtime in hours (None when
    the use is declared without one).
    """
    scoring = settings.scoring
    people = int(row["people"])
    requests = int(row["requests"])
    days = max(working_day_count, 1)
    tail_us = scoring.session_tail_minutes * 60_000_000
    hours = (float(row["session_us"]) + int(row["sessions"]) * tail_us) / 3_600_000_000
    key = (str(row["unit"]), str(row["service"]))
    is_declared = key in declared
    tolerable = declared.get(key)
    values: dict[str, float | None] = {
        "breadth": people / max(int(row["unit_people"]), 1),
        "regularity": int(row["person_days"]) / (people * days),
        "office_hours": int(row["office_requests"]) / max(requests, 1),
        "active": int(row["writes"]) / max(requests, 1),
        "time": hours * 60 / (people * days),
        "frequency": int(row["sessions"]) / (people * days),
        "declared": tolerable if is_declared and tolerable is not None else None,
    }
    if is_declared and tolerable is None:
        # Declared without a tolerable downtime: evidence of reliance, but no urgency given.
        values["declared"] = DECLARED_HORIZON_HOURS / 2
    total_weight = sum(w for _, w in scoring.weights)
    factors = []
    points_sum = 0.0
    for name, weight in scoring.weights:
        value = values[name]
        points = 100.0 * weight / total_weight * normalise(name, value)
        points_sum += points
        factors.append(
            {
                "name": name,
                "label": FACTOR_LABELS[name],
                "value": None if value is None else round(value, 4),
                "weight": weight,
                "points": round(points, 2),
            }
        )
    total = round(points_sum, 2)
    level = tier(total, scoring)
    return {
        "unit": key[0],
        "service": key[1],
        "category": row["category"],
        "people": people,
        "unit_people": int(row["unit_people"]),
        "breadth": round(values["breadth"] or 0.0, 4),
        "working_days_used": int(row["working_days_used"]),
        "working_days": working_day_count,
        "regularity": round(values["regularity"] or 0.0, 4),
        "office_hours_share": round(values["office_hours"] or 0.0, 4),
        "active_share": round(values["active"] or 0.0, 4),
        "bytes_up": row["bytes_up"],
        "requests": requests,
        "sessions": int(row["sessions"]),
        "hours_on_service": round(hours, 2),
        "trend": _round(trend(float(row["trend_sy"]), float(row["trend_sxy"]), weeks)),
        "first_seen": row["first_seen"],
        "score": total,
        "tier": level,
        "factors": factors,
        "declared": is_declared,
        "tolerable_downtime_hours": tolerable,
        "undeclared_critical": level in ("critical", "important") and not is_declared,
    }


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 4)


def dependencies(
    events: ir.Table | None,
    settings: Settings,
    window: Window | None,
    declared: Mapping[tuple[str, str], float | None],
    names: Mapping[str, str],
    *,
    service: str | None = None,
    unit: str | None = None,
    measured: Callable[[Window], ir.Table] | None = None,
) -> Grouped:
    """The contract rows of ``Insights.dependencies``: one per (unit, service) with at least
    k people, sorted by score (then people) descending; pairs under k are counted as
    suppressed. ``declared`` maps (unit, service) to the declared tolerable downtime,
    ``names`` service ids to display names. ``measured`` gives the :func:`measures` rows of
    a window another way (from the summaries: :func:`measures_from_days`); ``events`` may
    then be None."""
    k = settings.min_group_size
    if window is None:
        return Grouped([], k, 0)
    if measured is not None:
        expr = measured(window)
    elif events is not None:
        expr = measures(events, settings, window, service)
    else:
        raise ValueError("dependencies() needs the events or a measured() function")
    if unit is not None:
        expr = expr.filter(expr["unit"] == unit)
    grouped = suppress_small_groups(expr, k)
    count = len(working_days(window, settings))
    weeks = weeks_of(window, settings)
    rows = []
    for raw in grouped.rows:
        row = score(raw, settings, count, weeks, declared)
        row["service_name"] = names.get(row["service"], row["service"])
        rows.append(row)
    rows.sort(key=lambda r: (-r["score"], -r["people"], r["unit"], r["service"]))
    return Grouped(rows, k, grouped.suppressed_groups)
