"""When a service became unreachable or failing, found in the logs alone.

Two rules mark stretches of a service's traffic as bad:

* **errors**, per 5-minute bucket: at least :data:`MIN_FAILED` failed requests
  (``event.outcome = failed`` or a 5xx status) from at least :data:`MIN_FAILED_PEOPLE`
  people, making at least :data:`ERROR_SHARE` of the bucket's requests;
* **volume**, per local hour: at most :data:`DROP_SHARE` of the people the service's own
  baseline expects in that hour, where the baseline is the median, over the window's days of
  the same kind (working or not), of the distinct people using the service in that local hour
  (days without any use count as zero) and expects at least :data:`MIN_EXPECTED_PEOPLE`.
  People, not requests: one person streaming video makes more requests than fifty reading.

Bad stretches of one service closer than :data:`MERGE_GAP_MINUTES` are merged into an
episode. An episode with errors needs :data:`MIN_EPISODE_FAILED` failures in all. The method
is documented in ``docs/dependency.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialsight.analytics.calendar import Window, in_window, is_working_day, local_columns
from socialsight.analytics.engine import epoch_us, local_time_between
from socialsight.config import Settings
from socialsight.privacy.min_group import Grouped

UNKNOWN_UNIT = "unknown"

BUCKET_MINUTES = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_FAILED = 5
"""Failed requests a bucket needs before its error share means anything."""
MIN_FAILED_PEOPLE = 2
"""Distinct people with a failure in a bad bucket: one broken client is not an outage."""
ERROR_SHARE = 0.25
"""Share of a bucket's requests that failed for it to be bad."""
DROP_SHARE = 0.10
"""An hour with at most this share of its expected people is quiet."""
MIN_EXPECTED_PEOPLE = 20.0
"""People the baseline must expect in an hour before a quiet hour is called an outage."""
MERGE_GAP_MINUTES = 15
"""Bad stretches of one service this close or closer belong to one episode."""
MIN_EPISODE_FAILED = 20
"""Failed requests an error episode needs in all."""
RETRY_SECONDS = 60
"""A request following a failed one by the same person to the same host within this many
seconds is a retry."""
DOWN_SHARE = 0.90
"""An episode whose error share is at least this is ``down``; ``failing`` from 0.5."""
FAILING_SHARE = 0.50


def candidates(
    events: ir.Table, settings: Settings, window: Window, service: str | None = None
) -> ir.Table:
    """The bad stretches of every service (or of ``service``) in ``window``, one row each:
    ``service, bucket`` (5-minute bucket number from the epoch, for the error rule),
    ``day, hour`` (local), ``rule`` ("errors" for a bucket, "volume" for an hour),
    ``requests, failed, failed_people, expected`` (baseline requests), ``expected_people``."""
    s = _use(events, settings, window, service)
    return _rules(hourly_counts(s), bad_buckets(s), settings, window)


def summary_tables(events: ir.Table, settings: Settings, window: Window) -> dict[str, ir.Table]:
    """The materialised inputs of :func:`candidates` for ``window`` (``analytics/summaries.py``):
    ``hourly`` (:func:`hourly_counts`) and ``buckets`` (:func:`bad_buckets`). Both are per
    local day, so a day can be recomputed alone."""
    s = _use(events, settings, window, None)
    return {"hourly": hourly_counts(s), "buckets": bad_buckets(s)}


def candidates_from_summaries(
    hourly: ir.Table,
    buckets: ir.Table,
    settings: Settings,
    window: Window,
    service: str | None = None,
) -> ir.Table:
    """:func:`candidates` from the summaries of :func:`summary_tables`: the same rows."""
    h = hourly.filter((hourly["day"] >= window.since) & (hourly["day"] <= window.until))
    b = buckets.filter((buckets["day"] >= window.since) & (buckets["day"] <= window.until))
    if service is not None:
        h, b = h.filter(h["service"] == service), b.filter(b["service"] == service)
    return _rules(h, b, settings, window)


def _use(events: ir.Table, settings: Settings, window: Window, service: str | None) -> ir.Table:
    """The window's use of services with local day and hour, bucket and failure flags."""
    s = in_window(events, window)
    s = s.filter(s["service.id"].notnull() & (s["event.outcome"] != "blocked"))
    if service is not None:
        s = s.filter(s["service.id"] == service)
    s = local_columns(s, settings, window)
    failed = _failed(s)
    # Buckets numbered from the epoch, in UTC (every zone's offset is a whole number of
    # them), as integers: cheaper than time-zone-aware timestamp arithmetic.
    bucket = epoch_us(s["@timestamp"]) // (BUCKET_MINUTES * 60_000_000)
    local = local_time_between(s["@timestamp"], settings.timezone, window.start_utc, window.end_utc)
    hour = local.hour().cast("int32")
    return s.mutate(_failed=failed, _bucket=bucket, _hour=hour)


def hourly_counts(s: ir.Table) -> ir.Table:
    """Per (service, local day, local hour): requests ``n`` and distinct ``people``."""
    hourly: ir.Table = s.group_by(
        service=s["service.id"], day=s["_day"], hour=s["_hour"]
    ).aggregate(n=s.count(), people=s["person.pseudonym"].nunique())
    return hourly


def bad_buckets(s: ir.Table) -> ir.Table:
    """The 5-minute buckets bad by the error rule: ``service, bucket, day, hour, working,
    requests, failed, failed_people``. A bucket lies in one local hour (every zone's offset
    is a whole number of quarter hours), so the rule needs nothing from other buckets."""
    per_bucket = s.group_by(
        service=s["service.id"], bucket=s["_bucket"], day=s["_day"], hour=s["_hour"],
        working=s["_working"],
    ).aggregate(
        requests=s.count(),
        failed=s["_failed"].cast("int64").sum(),
        failed_people=s["person.pseudonym"].nunique(where=s["_failed"]),
    )  # fmt: skip
    bad: ir.Table = per_bucket.filter(
        (per_bucket["failed"] >= MIN_FAILED)
        & (per_bucket["failed_people"] >= MIN_FAILED_PEOPLE)
        & (per_bucket["failed"] >= ERROR_SHARE * per_bucket["requests"])
    )
    return bad


def _rules(hourly: ir.Table, bad: ir.Table, settings: Settings, window: Window) -> ir.Table:
    """The volume and error rules over the window's hourly counts and bad buckets."""
    # Baseline per (service, kind of day, local hour): medians over every day of that kind.
    days = window.days()
    # Arrow tables, not dicts: ibis turns a dict into a memtable through pandas, which is
    # not a dependency.
    calendar = ibis.memtable(
        pa.table(
            {
                "day": pa.array(days, pa.date32()),
                "working": pa.array([is_working_day(d, settings) for d in days], pa.bool_()),
            }
        )
    )
    hours = ibis.memtable(pa.table({"hour": pa.array(range(24), pa.int32())}))
    # A service cannot be down before it was first used: a new service's days before its
    # adoption are neither in its baseline nor quiet.
    services = hourly.group_by("service").aggregate(first_day=hourly["day"].min())
    grid = services.cross_join(calendar).cross_join(hours)
    grid = grid.filter(grid["day"] >= grid["first_day"])
    filled = grid.left_join(
        hourly,
        (grid["service"] == hourly["service"])
        & (grid["day"] == hourly["day"])
        & (grid["hour"] == hourly["hour"]),
    ).select(
        service=grid["service"],
        day=grid["day"],
        working=grid["working"],
        hour=grid["hour"],
        n=hourly["n"].fill_null(0),
        people=hourly["people"].fill_null(0),
    )
    baseline = filled.group_by("service", "working", "hour").aggregate(
        expected_n=filled["n"].median().cast("float64"),
        expected_people=filled["people"].median().cast("float64"),
    )
    per_hour = filled.join(baseline, ["service", "working", "hour"], how="inner")

    # Volume rule, per local hour (its start is rebuilt from the local day and hour after
    # execution: a quiet hour may have no event at all).
    quiet = per_hour.filter(
        (per_hour["expected_people"] >= MIN_EXPECTED_PEOPLE)
        & (per_hour["people"] <= DROP_SHARE * per_hour["expected_people"])
    ).select(
        service="service",
        bucket=ibis.null().cast("int64"),
        day=per_hour["day"],
        hour=per_hour["hour"],
        rule=ibis.literal("volume"),
        requests=per_hour["n"],
        failed=ibis.literal(0).cast("int64"),
        failed_people=ibis.literal(0).cast("int64"),
        expected=per_hour["expected_n"],
        expected_people=per_hour["expected_people"],
    )

    # Error rule, per 5-minute bucket.
    bad = bad.join(baseline, ["service", "working", "hour"], how="left").select(
        service=bad["service"],
        bucket=bad["bucket"],
        day=bad["day"],
        hour=bad["hour"],
        rule=ibis.literal("errors"),
        requests=bad["requests"],
        failed=bad["failed"],
        failed_people=bad["failed_people"],
        expected=baseline["expected_n"].fill_null(0.0) / (60 / BUCKET_MINUTES),
        expected_people=baseline["expected_people"].fill_null(0.0),
    )
    return bad.union(quiet)


def _failed(s: ir.Table) -> ir.BooleanValue:
    status = s["http.response.status_code"]
    failed: ir.BooleanValue = (s["event.outcome"] == "failed") | (status >= 500).fill_null(False)
    return failed


@dataclass
class Episode:
    """A run of bad stretches of one service."""

    service: str
    start: datetime
    end: datetime
    errors: bool = False
    """True when any of its stretches was bad by the error rule."""
    requests: int = 0
    failed: int = 0
    expected: float = 0.0
    expected_people: float = 0.0
    """The most people the baseline expects in one hour of the episode."""
    parts: list[dict[str, Any]] = field(default_factory=list)


def episodes(
    rows: list[dict[str, Any]], settings: Settings, first: datetime, last: datetime
) -> list[Episode]:
    """Group :func:`candidates` rows into episodes, newest first, keeping those that pass
    the episode minimums. Quiet hours before the first or after the last event of the store
    (``first``, ``last``) are not outages but the edges of the data, and are dropped."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.timezone)
    step = timedelta(minutes=BUCKET_MINUTES)
    stretches: dict[str, list[tuple[datetime, datetime, dict[str, Any]]]] = {}
    for row in rows:
        if row["rule"] == "errors":
            start = EPOCH + int(row["bucket"]) * step
            end = start + step
        else:
            local = datetime.combine(row["day"], datetime.min.time()) + timedelta(
                hours=int(row["hour"])
            )
            # fold=0: in the repeated hour of a daylight-saving change, the first one.
            start = local.replace(tzinfo=zone).astimezone(UTC)
            end = start + timedelta(hours=1)
            if start < first or end > last:
                continue
        stretches.setdefault(row["service"], []).append((start, end, row))
    gap = timedelta(minutes=MERGE_GAP_MINUTES)
    found: list[Episode] = []
    for service, items in stretches.items():
        items.sort(key=lambda item: (item[0], item[1]))
        current: Episode | None = None
        for start, end, row in items:
            if current is not None and start - current.end <= gap:
                current.end = max(current.end, end)
            else:
                current = Episode(service, start, end)
                found.append(current)
            current.errors = current.errors or row["rule"] == "errors"
            current.parts.append(row)
    kept = []
    for ep in found:
        ep.requests = sum(int(p["requests"]) for p in ep.parts)
        ep.failed = sum(int(p["failed"]) for p in ep.parts)
        ep.expected = sum(float(p["expected"] or 0.0) for p in ep.parts)
        ep.expected_people = max(float(p["expected_people"] or 0.0) for p in ep.parts)
        if not ep.errors or ep.failed >= MIN_EPISODE_FAILED:
            kept.append(ep)
    kept.sort(key=lambda ep: (ep.start, ep.service), reverse=True)
    return kept


def severity(episode: Episode) -> str:
    """``down`` (nothing got through), ``failing`` (most requests failed) or ``degraded``."""
    if not episode.errors:
        return "down"
    share = episode.failed / max(episode.requests, 1)
    if share >= DOWN_SHARE:
        return "down"
    return "failing" if share >= FAILING_SHARE else "degraded"


def details_many(events: ir.Table, eps: Sequence[Episode]) -> dict[int, list[dict[str, Any]]]:
    """Per unit for each episode: ``people_hit`` (people who met a failure), with the
    episode's totals on every row (``requests, failed, retries, people_all``); episode index
    in ``eps`` -> its rows, all in one query.

    Episodes of one service never overlap (they are merged stretches), so each event belongs
    to at most one episode; joining the events on (service, start <= time < end) gives each
    episode exactly its own rows. A request is a retry when the same person's previous request
    to the same host in the episode failed and came at most :data:`RETRY_SECONDS` before it
    (whole milliseconds); requests at the same instant are taken in log order.
    """
    if not eps:
        return {}
    spans = ibis.memtable(
        pa.table(
            {
                "_ep": pa.array(range(len(eps)), pa.int64()),
                "_service": pa.array([ep.service for ep in eps], pa.string()),
                "_start": pa.array([ep.start for ep in eps], pa.timestamp("us", tz="UTC")),
                "_end": pa.array([ep.end for ep in eps], pa.timestamp("us", tz="UTC")),
            }
        )
    )
    # The same rows as the join alone, but as filters on the events the scan applies itself:
    # row groups outside the episodes' stretch are skipped and other services' rows are never
    # materialised (whatever the engine makes of a join condition).
    ts = events["@timestamp"]
    kept = events.filter(
        (ts >= min(ep.start for ep in eps))
        & (ts < max(ep.end for ep in eps))
        & events["service.id"].isin(sorted({ep.service for ep in eps}))
        & (events["event.outcome"] != "blocked")
    )
    s = kept.join(
        spans,
        (kept["service.id"] == spans["_service"])
        & (kept["@timestamp"] >= spans["_start"])
        & (kept["@timestamp"] < spans["_end"]),
    )
    rows = s.select(
        _ep=s["_ep"],
        unit=s["organization.unit"],
        person=s["person.pseudonym"],
        domain=s["url.domain"],
        us=epoch_us(s["@timestamp"]),
        file=s["log.file.id"],
        line=s["log.line"],
        failed=_failed(s),
    ).to_pyarrow()
    per_person = _retries(rows).group_by(["_ep", "unit", "person"], use_threads=False)
    return _episode_rows(
        per_person.aggregate([("failed", "count"), ("failed", "sum"), ("retry", "sum")])
    )


def _codes(column: pa.ChunkedArray) -> Any:
    """Integer codes of a column's values (-1 for null): equal values, equal codes."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    return pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)


def _retries(rows: pa.Table) -> pa.Table:
    """``rows`` (one per request: ``_ep, unit, person, domain, us, file, line, failed``)
    with ``retry``: the same person's previous request to the same host in the episode
    failed and came at most :data:`RETRY_SECONDS` before (whole milliseconds); requests at
    the same instant are taken in log order.

    A sort of integer codes here, not a window function in the engine: over the 380k
    requests of the planted outage at 50M events the window function's sort by strings
    took twice the CPU of the whole of this."""
    if rows.num_rows == 0:
        return rows.append_column("retry", pa.array([], pa.int64()))
    ep, person, domain = (_codes(rows[name]) for name in ("_ep", "person", "domain"))
    us = rows["us"].to_numpy()
    order = np.lexsort((rows["line"].to_numpy(), _codes(rows["file"]), us, domain, person, ep))
    ep, person, domain, ms = ep[order], person[order], domain[order], us[order] // 1000
    failed = rows["failed"].to_numpy(zero_copy_only=False)[order].astype(bool)
    retry = np.zeros(rows.num_rows, np.int64)
    same = (ep[1:] == ep[:-1]) & (person[1:] == person[:-1]) & (domain[1:] == domain[:-1])
    retry[1:] = same & failed[:-1] & (ms[1:] - ms[:-1] <= RETRY_SECONDS * 1000)
    kept = rows.select(["_ep", "unit", "person"]).take(pa.array(order))
    return kept.append_column("failed", pa.array(failed)).append_column("retry", pa.array(retry))


def _episode_rows(per_person: pa.Table) -> dict[int, list[dict[str, Any]]]:
    """:func:`details_many`'s rows from per (episode, unit, person) ``failed_count``
    (requests), ``failed_sum`` and ``retry_sum``."""
    totals: dict[int, dict[str, Any]] = {}
    hit: dict[int, dict[str | None, set[str]]] = {}
    everyone: dict[int, set[str]] = {}
    for row in per_person.to_pylist():
        ep, unit, person, failed = int(row["_ep"]), row["unit"], row["person"], row["failed_sum"]
        total = totals.setdefault(ep, {"requests": 0, "failed": 0, "retries": 0})
        total["requests"] += int(row["failed_count"])
        total["failed"] += int(failed)
        total["retries"] += int(row["retry_sum"])
        people = hit.setdefault(ep, {}).setdefault(unit, set())
        # Anonymous requests (no person) count as requests, never as people.
        if person is not None and failed:
            people.add(person)
            everyone.setdefault(ep, set()).add(person)
    out: dict[int, list[dict[str, Any]]] = {}
    for ep, units in hit.items():
        total = {**totals[ep], "people_all": len(everyone.get(ep, ()))}
        out[ep] = [
            {"unit": unit, "people_hit": len(people), **total} for unit, people in units.items()
        ]
    return out


def outages(
    events: ir.Table | Callable[[datetime, datetime], ir.Table],
    settings: Settings,
    window: Window | None,
    names: Mapping[str, str],
    service: str | None = None,
    *,
    found: Callable[[Window], ir.Table] | None = None,
    bounds: tuple[datetime | None, datetime | None] | None = None,
) -> Grouped:
    """The contract rows of ``Insights.outages``, newest first. An episode with fewer than
    k people hit is suppressed and counted; so is each unit under k in ``units_hit``.

    People hit are the people who met a failure; for an episode found by the volume rule
    alone (the service vanished from the logs) it is the number of people the baseline
    expects in its busiest hour, and ``units_hit`` is empty (nobody's request was logged).

    ``found`` gives the :func:`candidates` rows of a window another way (from the summaries:
    :func:`candidates_from_summaries`), ``bounds`` the first and last event of the store;
    ``events`` may then be a function that opens the events between two instants (read only
    for an episode's details).
    """
    k = settings.min_group_size
    if window is None:
        return Grouped([], k, 0)
    if callable(events) and (bounds is None or found is None):
        raise ValueError("outages() needs the events table without bounds and found")
    if bounds is None:
        assert not callable(events)
        edges = events.aggregate(
            first=events["@timestamp"].min(), last=events["@timestamp"].max()
        ).to_pyarrow()
        bounds = edges["first"][0].as_py(), edges["last"][0].as_py()
    first, last = bounds
    if first is None or last is None:
        return Grouped([], k, 0)
    if found is None:
        assert not callable(events)
        expr = candidates(events, settings, window, service)
    else:
        expr = found(window)
    rows = expr.to_pyarrow().to_pylist()
    out: list[dict[str, Any]] = []
    suppressed = 0
    found_episodes = list(episodes(rows, settings, first, last))
    # The details of every episode with errors in one query over the stretch they span.
    with_errors = [ep for ep in found_episodes if ep.errors]
    by_episode: dict[int, list[dict[str, Any]]] = {}
    if with_errors:
        start, end = min(ep.start for ep in with_errors), max(ep.end for ep in with_errors)
        stretch = events(start, end) if callable(events) else events
        by_episode = details_many(stretch, with_errors)
    index = {id(ep): i for i, ep in enumerate(with_errors)}
    for ep in found_episodes:
        per_unit = by_episode.get(index[id(ep)], []) if ep.errors else []
        totals = per_unit[0] if per_unit else {}
        if totals:
            ep.requests, ep.failed = int(totals["requests"]), int(totals["failed"])
        people = int(totals.get("people_all", 0)) if ep.errors else round(ep.expected_people)
        if people < k:
            suppressed += 1
            continue
        units = [
            {"unit": u["unit"], "people_hit": int(u["people_hit"])}
            for u in per_unit
            if u["unit"] != UNKNOWN_UNIT and int(u["people_hit"]) > 0
        ]
        shown = sorted(
            (u for u in units if u["people_hit"] >= k), key=lambda u: (-u["people_hit"], u["unit"])
        )
        shown = complementary_suppression(shown, people, k)
        requests, failed = ep.requests, ep.failed
        out.append(
            {
                "service": ep.service,
                "service_name": names.get(ep.service, ep.service),
                "start": ep.start,
                "end": ep.end,
                "duration_minutes": round((ep.end - ep.start).total_seconds() / 60),
                "severity": severity(ep),
                "rule": "errors" if ep.errors else "volume",
                "requests": requests,
                "failed": failed,
                "error_share": round(failed / requests, 4) if requests else None,
                "retries": int(totals.get("retries", 0)),
                "people_hit": people,
                "units_hit": shown,
                "units_suppressed": len(units) - len(shown),
                "expected_requests": round(ep.expected),
            }
        )
    return Grouped(out, k, suppressed)


def complementary_suppression(
    shown: list[dict[str, Any]], people: int, k: int
) -> list[dict[str, Any]]:
    """The units to show (sorted by people hit, descending) once the people they do not
    account for (withheld units, people outside the directory) are either none or at least
    ``k``: otherwise ``people - sum(shown)`` would give away a group smaller than k, so the
    smallest shown units are withheld too.

    >>> units = [{"unit": "A", "people_hit": 9}, {"unit": "B", "people_hit": 6}]
    >>> [u["unit"] for u in complementary_suppression(units, 18, 5)]  # 3 left over
    ['A']
    >>> [u["unit"] for u in complementary_suppression(units, 15, 5)]  # all accounted for
    ['A', 'B']
    """
    kept = list(shown)
    while kept and 0 < people - sum(u["people_hit"] for u in kept) < k:
        kept.pop()
    return kept
