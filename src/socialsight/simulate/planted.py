"""The planted facts: outages, abusers and hostile lines, as requests added to a day.

Each function returns a :class:`~socialsight.simulate.tables.Batch` for one day (or rewrites
one), so that planted requests go through the same sort, render and write path as the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialsight.simulate.calendar import LocalClock
from socialsight.simulate.tables import (
    CONNECT,
    FAILED,
    GET,
    MISS,
    MISS_ABORTED,
    NONE,
    POST,
    Batch,
    HostTable,
)
from socialsight.simulate.traffic import shape_requests

HOSTILE_KINDS = (
    "script_in_url",
    "html_in_url",
    "script_in_user",
    "html_in_user",
    "overlong_line",
    "invalid_utf8",
    "control_chars",
)
"""Kinds of planted hostile line, planted in this order (cycling when there are more)."""

INVALID_TOKEN = "XINVALIDUTF8X"  # noqa: S105 (a placeholder, not a secret)
"""Placeholder written by the format writer and replaced by raw invalid bytes in the file."""
INVALID_BYTES = b"\xff\xfe\xc3\x28"
OVERLONG_CHARS = 40_000
"""Length of the over-long URL: longer than Squid's 8 KiB MAX_URL and 32 KiB lines."""


def hostile_value(kind: str) -> tuple[str, str]:
    """(field, value) a hostile line of ``kind`` carries; field is ``url`` or ``user``."""
    values = {
        "script_in_url": (
            "url",
            "https://www.cbc.ca/search?q=<script>alert(document.cookie)</script>",
        ),
        "html_in_url": ("url", "https://www.cbc.ca/<h1>owned</h1><img/src=x/onerror=alert(1)>"),
        "script_in_user": ("user", "<script>alert('user')</script>"),
        "html_in_user": ("user", "<b>boss</b><iframe/src=//evil.example>"),
        "overlong_line": ("url", "https://www.cbc.ca/search?q=" + "A" * OVERLONG_CHARS),
        "invalid_utf8": ("url", f"https://www.cbc.ca/news/{INVALID_TOKEN}"),
        "control_chars": ("url", "https://www.cbc.ca/\x1b[2J\x1b[31mALERT\x1b[0m"),
    }
    return values[kind]


@dataclass(frozen=True)
class Window:
    """A planted episode: who, which service, when (UTC epoch ms, inclusive)."""

    person: int
    service: str
    kind: str
    start_ms: int
    end_ms: int


def abuse_day(
    day: int,
    abusers: list[tuple[int, str, str]],
    hosts: HostTable,
    clock: LocalClock,
    rng: np.random.Generator,
    upload_days: set[int],
) -> tuple[Batch, list[Window]]:
    """Planted abuse on working day ``day``: (person, kind, service) for each abuser.

    * ``streaming``: on 4 working days in 5, one block of 1.5-3 h in the afternoon, a media
      request every 8 s or so.
    * ``upload``: on the days in ``upload_days``, 40-100 uploads of ~40 MB each in one block.
    * ``banned``: on 7 working days in 10, one to three short visits.
    """
    batches: list[Batch] = []
    windows: list[Window] = []
    for person, kind, service in abusers:
        svc_hosts = hosts.hosts_of(service)
        if kind == "streaming":
            if rng.random() >= 0.8:
                continue
            start = rng.uniform(13.0, 14.5) * 3600
            length = rng.uniform(1.5, 3.0) * 3600
            n = int(length / 8.0)
            local = start + np.sort(rng.uniform(0, length, n))
            media = svc_hosts[hosts.host_kind[svc_hosts] == 4]  # KINDS.index("media")
            host = np.where(rng.random(n) < 0.85, rng.choice(media, n), rng.choice(svc_hosts, n))
            b = shape_requests(day, np.full(n, person), host, local, hosts, clock, rng)
            # Watching sends almost nothing up: keep the bytes the tunnel logs to the download.
            small = np.round(rng.lognormal(0.0, 0.4, n) * 1_800).astype(np.int64)
            b.resp_bytes = np.where(
                b.method == CONNECT, b.resp_bytes - b.req_bytes + small, b.resp_bytes
            )
            b.req_bytes = small
        elif kind == "upload":
            if day not in upload_days:
                continue
            start = rng.uniform(10.0, 15.0) * 3600
            n = int(rng.integers(40, 101))
            local = start + np.cumsum(rng.exponential(45.0, n))
            up = svc_hosts[hosts.host_kind[svc_hosts] == 5]  # KINDS.index("upload")
            host = rng.choice(up, n)
            b = shape_requests(day, np.full(n, person), host, local, hosts, clock, rng)
            body = np.round(rng.lognormal(0.0, 0.4, n) * 40_000_000).astype(np.int64)
            b.req_bytes = body
            # A tunnel logs what went through it; a bumped POST logs the small reply.
            b.resp_bytes = np.where(b.method == CONNECT, body + 6_000, 900)
            b.method = np.where(b.method == GET, POST, b.method)
        elif kind == "banned":
            if rng.random() >= 0.7:
                continue
            parts = []
            for _ in range(int(rng.integers(1, 4))):
                start = rng.uniform(9.5, 16.5) * 3600
                n = int(rng.integers(10, 40))
                local = start + np.cumsum(rng.exponential(8.0, n))
                host = rng.choice(svc_hosts, n)
                parts.append(
                    shape_requests(day, np.full(n, person), host, local, hosts, clock, rng)
                )
            b = Batch.concat(parts)
        else:
            raise ValueError(kind)
        if len(b) == 0:
            continue
        # Planted episodes are clean: no background failure inside them.
        b.status[b.outcome == FAILED] = 200
        b.outcome[:] = 0
        b.resp_bytes = np.maximum(b.resp_bytes, 1)
        batches.append(b)
        windows.append(Window(person, service, kind, int(b.ts_ms.min()), int(b.ts_ms.max())))
    return (Batch.concat(batches) if batches else Batch.empty()), windows


def outage(
    batch: Batch,
    service_hosts: np.ndarray,
    start_ms: int,
    end_ms: int,
    hosts: HostTable,
    rng: np.random.Generator,
) -> tuple[Batch, int]:
    """Fail every request to the service logged inside [start_ms, end_ms), and add the retries
    users make; returns the new batch and the number of retries added."""
    in_window = (batch.ts_ms >= start_ms) & (batch.ts_ms < end_ms)
    hit = in_window & np.isin(hosts.url_host[batch.url], service_hosts)
    rows = np.nonzero(hit)[0]
    # Each failed request is retried about 1.5 times, 5-40 s apart, while the window lasts.
    k = rng.poisson(1.5, len(rows))
    src = np.repeat(rows, k)
    gaps = rng.uniform(5_000, 40_000, len(src))
    # Cumulative gaps restarted for each retried request (groups with k > 0 only).
    k_pos = k[k > 0]
    first = np.cumsum(k_pos) - k_pos
    csum = np.cumsum(gaps)
    base = np.repeat(csum[first] - gaps[first], k_pos)
    retry_ts = batch.ts_ms[src] + np.round(csum - base).astype(np.int64)
    retries = batch.take(src)
    retries.ts_ms = retry_ts
    retries = retries.take(retries.ts_ms < end_ms)
    failed_rows = np.concatenate([rows, len(batch) + np.arange(len(retries))])
    out = Batch.concat([batch, retries])
    _fail(out, failed_rows, rng)
    return out, len(retries)


def _fail(batch: Batch, rows: np.ndarray, rng: np.random.Generator) -> None:
    # What a proxy logs when the service is unreachable: half 503 from Squid after the connect
    # timeout, the rest aborted by the user or the browser with no status at all (000).
    r = rng.random(len(rows))
    action = np.where(r < 0.5, MISS, np.where(r < 0.8, NONE, MISS_ABORTED))
    status = np.where(r < 0.5, 503, 0)
    dur = np.where(
        r < 0.5,
        rng.uniform(20_000, 60_000, len(rows)),
        np.where(
            r < 0.8, rng.uniform(60_000, 120_000, len(rows)), rng.uniform(5_000, 30_000, len(rows))
        ),
    )
    connect = batch.method[rows] == CONNECT
    # Squid logs a failed tunnel with no cache result code.
    action = np.where(connect & (action == MISS), NONE, action)
    batch.action[rows] = action
    batch.status[rows] = status
    batch.outcome[rows] = FAILED
    batch.resp_bytes[rows] = 0
    batch.dur_ms[rows] = np.round(dur).astype(np.int64)


def hostile_day(
    day: int,
    plan: list[tuple[str, int, int, int]],
    hosts: HostTable,
    clock: LocalClock,
    rng: np.random.Generator,
) -> Batch:
    """The hostile lines planted on ``day``: (kind, person or user index, url index or -1,
    minute of the local day) each."""
    if not plan:
        return Batch.empty()
    person = np.array([p for _, p, _, _ in plan])
    local = np.array([m * 60.0 for _, _, _, m in plan])
    host = np.full(len(plan), hosts.hosts.index("www.cbc.ca"))
    b = shape_requests(day, person, host, local, hosts, clock, rng)
    url = np.array([u for _, _, u, _ in plan])
    b.url = np.where(url >= 0, url, b.url)
    b.method[:] = GET
    b.url = np.where(url >= 0, url, host * 5 + 1)
    b.status[:] = 200
    b.action[:] = MISS
    b.outcome[:] = 0
    b.resp_bytes = np.maximum(b.resp_bytes, 1)
    return b
