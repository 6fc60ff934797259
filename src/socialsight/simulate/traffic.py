"""Ordinary traffic for one day, vectorised: visits, then the requests of each visit.

A person makes a Poisson number of *visits* to each service (rates from the unit profile,
personal browsing and the long tail); each visit starts at a local time drawn from a daily
profile (office hours with a lunch dip, lunch-time personal browsing, night shifts) and holds a
geometric number of requests separated by exponential think times. Everything below is numpy
over all visits or all requests of the day at once; the only loops are over services.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsight.simulate.calendar import DAY, LocalClock
from socialsight.simulate.organisation import COMMON, PERSONAL, UNITS, People
from socialsight.simulate.services import KIND_MEDIAN_BYTES, KINDS, SERVICES
from socialsight.simulate.tables import (
    ALLOWED,
    BLOCKED,
    CONNECT,
    DENIED,
    FAILED,
    GET,
    HIT,
    MEM_HIT,
    MISS,
    POST,
    REFRESH_UNMODIFIED,
    TUNNEL,
    VARIANTS,
    Batch,
    HostTable,
)

# Daily profiles as (local hour, relative intensity) control points, linear in between; they
# run to 36 h so that a night shift starting at 22:00 continues into the next morning.
Points = tuple[tuple[float, float], ...]
OFFICE: Points = ((0, 0), (6.5, 0), (7.5, 0.25), (8.5, 0.8), (9.25, 1), (11.75, 1), (12, 0.5))
OFFICE += ((13, 0.5), (13.25, 1), (16, 0.95), (17, 0.45), (18, 0.1), (19, 0.03), (22, 0.02))
OFFICE += ((22.5, 0), (36, 0))
LUNCH: Points = (
    (0, 0),
    (7, 0),
    (8, 0.15),
    (11.5, 0.2),
    (12, 1),
    (13, 1),
    (13.25, 0.2),
    (16.5, 0.15),
)
LUNCH += ((18, 0.02), (19, 0), (36, 0))
NIGHT: Points = ((0, 0), (21.5, 0), (22, 1), (29.5, 0.8), (30.5, 0), (36, 0))

# Visits per person per working day to unknown sites and to blocked (gambling) sites.
LONG_TAIL_VISITS = 3.0
BLOCKED_VISITS = 0.02
# Weekend workers work at this share of their weekday rate on non-working days.
WEEKEND_RATE = 0.7


def _cdf(points: tuple[tuple[float, float], ...]) -> np.ndarray:
    minutes = np.arange(36 * 60) / 60
    hours = np.array([p[0] for p in points])
    level = np.array([p[1] for p in points])
    density = np.interp(minutes + 1 / 120, hours, level)
    cdf = np.cumsum(density)
    return np.asarray(cdf / cdf[-1])


PROFILE_CDF = {"office": _cdf(OFFICE), "lunch": _cdf(LUNCH), "night": _cdf(NIGHT)}


def sample_times(profile: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` local times of day in seconds (may exceed 86400 for night shifts)."""
    minute = np.searchsorted(PROFILE_CDF[profile], rng.random(n), side="right")
    return np.asarray((minute + rng.random(n)) * 60.0)


@dataclass(frozen=True)
class Rates:
    """Visits per person per working day: business (profile) and personal, per column."""

    columns: list[str]
    """Service ids of the columns (catalog ids, ``news``, then the long tail and blocked)."""
    business: np.ndarray
    personal: np.ndarray
    lines_per_visit: np.ndarray
    """Mean requests of one visit per column, after the config's scaling."""


def make_rates(people: People, activity: float, lines_per_visit: float) -> Rates:
    """The rate matrices for everybody (people x columns)."""
    columns = [*SERVICES, "(long tail)", "(blocked)"]
    business = np.zeros((len(people), len(columns)))
    personal = np.zeros((len(people), len(columns)))
    for u, (_name, _size, _site, profile) in enumerate(UNITS):
        row = np.zeros(len(columns))
        # A unit's own rates add to what everybody does (search, mail, news ...).
        for table in (COMMON, profile):
            for sid, rate in table.items():
                row[columns.index(sid)] += rate
        row[columns.index("(long tail)")] = LONG_TAIL_VISITS
        row[columns.index("(blocked)")] = BLOCKED_VISITS
        business[people.unit == u] = row
    business *= people.activity[:, None] * activity
    prow = np.zeros(len(columns))
    for sid, rate in PERSONAL.items():
        prow[columns.index(sid)] = rate
    personal = people.personal[:, None] * prow[None, :] * activity
    per_visit = [SERVICES[s].requests_per_session for s in SERVICES] + [10.0, 2.0]
    lpv = np.maximum(1.0, np.array(per_visit) * lines_per_visit)
    return Rates(columns, business, personal, lpv)


def visits(
    counts: np.ndarray, rng: np.random.Generator, profile: str, personal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand a (people x columns) matrix of visit counts into visit columns:
    person, column, local start second, personal flag."""
    person, column = np.nonzero(counts)
    reps = counts[person, column]
    person = np.repeat(person, reps)
    column = np.repeat(column, reps)
    start = sample_times(profile, len(person), rng)
    return person, column, start, np.full(len(person), personal)


def requests(
    day: int,
    person: np.ndarray,
    column: np.ndarray,
    start: np.ndarray,
    rates: Rates,
    hosts: HostTable,
    clock: LocalClock,
    rng: np.random.Generator,
) -> Batch:
    """The requests of the given visits on local day ``day`` (index from the start)."""
    n_visits = len(person)
    if n_visits == 0:
        return Batch.empty()
    mean = rates.lines_per_visit[column]
    n = rng.geometric(1.0 / mean)
    visit = np.repeat(np.arange(n_visits), n)
    total = len(visit)
    svc = column[visit]
    think = np.array([SERVICES[s].think_seconds for s in SERVICES] + [25.0, 5.0])[svc]
    gaps = rng.exponential(1.0, total) * think
    # Within-visit offsets: cumulative gaps restarted at each visit (first request at 0).
    first = np.cumsum(n) - n
    gaps[first] = 0.0
    csum = np.cumsum(gaps)
    offset = csum - np.repeat(csum[first], n)
    local = start[visit] + offset

    host = _pick_hosts(svc, visit, n_visits, hosts, rng)
    return shape_requests(day, person[visit], host, local, hosts, clock, rng)


def _pick_hosts(
    svc: np.ndarray, visit: np.ndarray, n_visits: int, hosts: HostTable, rng: np.random.Generator
) -> np.ndarray:
    # Catalog services: each request draws one of the service's hosts by weight. Trick: shift
    # each service's normalised cumulative weights by its index, so one searchsorted serves all.
    n_svc = len(SERVICES)
    cum = np.zeros(0)
    order = np.zeros(0, dtype=np.int64)
    for s in range(n_svc):
        idx = np.nonzero(hosts.host_service == s)[0]
        w = hosts.host_weight[idx]
        cum = np.concatenate([cum, s + np.cumsum(w) / w.sum()])
        order = np.concatenate([order, idx])
    host = np.empty(len(svc), dtype=np.int64)
    known = svc < n_svc
    u = svc[known] + rng.random(int(known.sum())) * (1 - 1e-12)
    host[known] = order[np.minimum(np.searchsorted(cum, u, side="right"), len(order) - 1)]
    # The long tail: one site per visit, popularity by a Zipf law over the tail.
    n_tail = hosts.first_blocked - hosts.first_tail
    site = (rng.zipf(1.3, n_visits) - 1) % n_tail + hosts.first_tail
    tail = svc == hosts.tail_service
    host[tail] = site[visit[tail]]
    n_blocked = len(hosts.hosts) - hosts.first_blocked
    bsite = rng.integers(hosts.first_blocked, hosts.first_blocked + max(n_blocked, 1), n_visits)
    blocked = svc == hosts.blocked_service
    host[blocked] = bsite[visit[blocked]]
    return host


def shape_requests(
    day: int,
    person: np.ndarray,
    host: np.ndarray,
    local: np.ndarray,
    hosts: HostTable,
    clock: LocalClock,
    rng: np.random.Generator,
) -> Batch:
    """Method, URL, status, bytes and duration for requests to ``host`` at local times.

    Also gives planted requests (abuse, hostile lines) the ordinary shape.
    """
    total = len(host)
    svc = hosts.host_service[host]
    svcs = list(SERVICES.values())
    connect_share = np.array([s.connect_share for s in svcs] + [0.55, 0.9])[svc]
    post_share = np.array([s.post_share for s in svcs] + [0.02, 0.0])[svc]
    upload_median = np.array([s.upload_median for s in svcs] + [2000.0, 2000.0])[svc]
    plain = hosts.plain_http[host]
    r = rng.random(total)
    method = np.where(r < connect_share, CONNECT, np.where(r < connect_share + (1 - connect_share)
                      * post_share, POST, GET))  # fmt: skip
    method[plain & (method == CONNECT)] = GET
    variant = np.where(method == CONNECT, 0, rng.integers(1, VARIANTS, total))
    url = host * VARIANTS + variant
    kind = hosts.url_kind[url]
    # Bytes of the object (or objects, through a tunnel) sent back to the client.
    median = np.array([KIND_MEDIAN_BYTES[k] for k in KINDS])[kind]
    resp = rng.lognormal(0.0, 1.0, total) * median
    req = rng.lognormal(0.0, 0.3, total) * 650.0
    posting = method == POST
    big = rng.random(total) < 0.5  # half the posts carry a body of the service's upload size
    req[posting] = np.where(
        big[posting],
        rng.lognormal(0.0, 1.0, int(posting.sum())) * upload_median[posting],
        rng.lognormal(0.0, 0.8, int(posting.sum())) * 2_500.0,
    )
    resp[posting] = rng.lognormal(0.0, 0.7, int(posting.sum())) * 1_500.0
    tunnel = method == CONNECT
    n_tun = int(tunnel.sum())
    # A tunnel carries several objects; sometimes an upload goes up it. Squid's one bytes field
    # counts the tunnel's traffic both ways in this model (see docs/simulator.md).
    up = rng.random(n_tun) < post_share[tunnel] * 0.5
    req[tunnel] = (
        1_800.0 * rng.lognormal(0.0, 0.4, n_tun)
        + up * rng.lognormal(0.0, 1.0, n_tun) * upload_median[tunnel]
    )
    resp[tunnel] = resp[tunnel] * 3.0 + 5_000.0
    dur = rng.lognormal(0.0, 0.8, total) * 140.0
    dur[tunnel] = np.minimum(rng.lognormal(0.0, 1.2, n_tun) * 15_000.0, 3_600_000.0)
    dur[posting] += req[posting] / 2_000.0  # ~2 MB/s upstream

    # Results: most requests succeed; GETs also see cache hits, 304s, redirects and 404s.
    action = np.full(total, MISS)
    status = np.full(total, 200)
    outcome = np.full(total, ALLOWED)
    action[tunnel] = TUNNEL
    g = method == GET
    r = rng.random(total)
    cacheable = np.isin(kind, [KINDS.index("static"), KINDS.index("image")])
    hit = g & cacheable & (r < 0.25)
    action[hit & (r < 0.1)] = MEM_HIT
    action[hit & (r >= 0.1)] = HIT
    dur[hit] = rng.integers(0, 4, int(hit.sum()))
    not_mod = g & ~hit & (r >= 0.86) & (r < 0.92)
    action[not_mod] = REFRESH_UNMODIFIED
    status[not_mod] = 304
    resp[not_mod] = 250 + rng.integers(0, 120, int(not_mod.sum()))
    status[g & (r >= 0.92) & (r < 0.95)] = 302
    resp[g & (r >= 0.92) & (r < 0.95)] = 600
    status[g & (r >= 0.95) & (r < 0.975)] = 404
    resp[g & (r >= 0.95) & (r < 0.975)] = 1_200
    status[posting & (r < 0.03)] = 201
    # A little background failure everywhere (the baseline an outage detector sees through).
    err = ~hit & (r >= 0.997)
    status[err] = np.where(rng.random(int(err.sum())) < 0.5, 502, 504)
    outcome[err] = FAILED
    resp[err] = 0
    blocked = svc == hosts.blocked_service
    action[blocked] = DENIED
    status[blocked] = 403
    outcome[blocked] = BLOCKED
    resp[blocked] = 3_900
    req[blocked] = 0
    dur[blocked] = 0
    # Tunnels report everything that went through them.
    resp[tunnel & ~blocked & ~err] += req[tunnel & ~blocked & ~err]

    local_ms = np.round(local * 1000.0).astype(np.int64) + day * DAY * 1000
    dur_ms = np.round(dur).astype(np.int64)
    ts_ms = clock.to_utc(local_ms // 1000) * 1000 + local_ms % 1000 + dur_ms
    return Batch(
        ts_ms=ts_ms.astype(np.int64),
        person=person.astype(np.int64),
        url=url.astype(np.int64),
        method=method.astype(np.int64),
        status=status.astype(np.int64),
        action=action.astype(np.int64),
        outcome=outcome.astype(np.int64),
        req_bytes=np.round(req).astype(np.int64),
        resp_bytes=np.round(resp).astype(np.int64),
        dur_ms=dur_ms,
    )
