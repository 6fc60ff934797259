"""Column-wise request batches and the lookup tables they index.

The generator never builds a Python object per request: a :class:`Batch` is a handful of
numpy columns, and strings (host names, URLs, user names) are looked up from tables by index
only when a batch becomes an Arrow table for the log writer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from socialsight.schema import RECORD_SCHEMA
from socialsight.simulate.services import KIND_MIME, KIND_PATHS, KINDS, SERVICES

METHODS = ("GET", "POST", "CONNECT")
GET, POST, CONNECT = 0, 1, 2
ACTIONS = (
    "TCP_MISS",
    "TCP_HIT",
    "TCP_MEM_HIT",
    "TCP_REFRESH_UNMODIFIED",
    "TCP_TUNNEL",
    "TCP_DENIED",
    "NONE",
    "TCP_MISS_ABORTED",
)
(
    MISS,
    HIT,
    MEM_HIT,
    REFRESH_UNMODIFIED,
    TUNNEL,
    DENIED,
    NONE,
    MISS_ABORTED,
) = range(len(ACTIONS))
OUTCOMES = ("allowed", "blocked", "failed")
ALLOWED, BLOCKED, FAILED = 0, 1, 2
# Variants per host in the URL table: 0 is the CONNECT tunnel, 1..4 are paths.
VARIANTS = 5
# Paths and kinds of the four variants of a long-tail site.
_TAIL_VARIANTS: tuple[tuple[str, str], ...] = (
    ("/", "page"),
    ("/static/site.css", "static"),
    ("/img/banner.jpg", "image"),
    ("/about-us", "page"),
)


@dataclass
class Batch:
    """Requests as columns; every column has one entry per request."""

    ts_ms: np.ndarray
    """Logged time (request completion), UTC epoch milliseconds."""
    person: np.ndarray
    """Index into the user table (people first, then planted hostile user names)."""
    url: np.ndarray
    """Index into the URL table (:class:`HostTable`)."""
    method: np.ndarray
    status: np.ndarray
    """HTTP status; 0 when none was sent (Squid's 000)."""
    action: np.ndarray
    outcome: np.ndarray
    req_bytes: np.ndarray
    resp_bytes: np.ndarray
    dur_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.ts_ms)

    def take(self, index: np.ndarray | slice) -> Batch:
        """The rows at ``index`` (a boolean mask or integer positions)."""
        return Batch(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        """One batch holding all rows of ``batches`` in order."""
        return Batch(
            *(np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(Batch))
        )

    @staticmethod
    def empty() -> Batch:
        """A batch without rows."""
        return Batch(*(np.zeros(0, dtype=np.int64) for _ in fields(Batch)))


class HostTable:
    """Every host the run can touch, its service, and the URL variants requested on it."""

    def __init__(self, tail: list[str], blocked: list[str]) -> None:
        self.service_ids: list[str] = [*SERVICES, "(long tail)", "(blocked)"]
        self.tail_service = len(SERVICES)
        self.blocked_service = len(SERVICES) + 1
        hosts: list[str] = []
        service: list[int] = []
        kind: list[int] = []
        weight: list[float] = []
        for s_idx, svc in enumerate(SERVICES.values()):
            for name, k, w in svc.hosts:
                hosts.append(name)
                service.append(s_idx)
                kind.append(KINDS.index(k))
                weight.append(w)
        self.first_tail = len(hosts)
        for name in tail:
            hosts += [name]
            service.append(self.tail_service)
            kind.append(KINDS.index("page"))
            weight.append(1.0)
        self.first_blocked = len(hosts)
        for name in blocked:
            hosts.append(name)
            service.append(self.blocked_service)
            kind.append(KINDS.index("page"))
            weight.append(1.0)
        self.hosts = hosts
        self.host_service = np.array(service, dtype=np.int64)
        self.host_kind = np.array(kind, dtype=np.int64)
        self.host_weight = np.array(weight, dtype=np.float64)
        # A fifth of the long tail still speaks plain HTTP: no tunnel, http:// URLs.
        plain = np.zeros(len(hosts), dtype=bool)
        plain[self.first_tail : self.first_blocked : 5] = True
        self.plain_http = plain
        self._build_urls()

    def _build_urls(self) -> None:
        texts: list[str] = []
        port: list[int] = []
        mime: list[str | None] = []
        kind: list[int] = []
        for h, name in enumerate(self.hosts):
            texts.append(f"{name}:443")
            port.append(443)
            mime.append(None)
            kind.append(int(self.host_kind[h]))
            scheme = "http" if self.plain_http[h] else "https"
            if self.host_service[h] >= self.tail_service:
                variants = [(p, KINDS.index(k)) for p, k in _TAIL_VARIANTS]
            else:
                k = int(self.host_kind[h])
                variants = [(p, k) for p in KIND_PATHS[KINDS[k]]]
            for path, k in variants:
                texts.append(f"{scheme}://{name}{path}")
                port.append(80 if self.plain_http[h] else 443)
                mime.append(KIND_MIME[KINDS[k]])
                kind.append(k)
        self.url_text = texts
        self.url_port = np.array(port, dtype=np.int32)
        self.url_mime = mime
        self.url_kind = np.array(kind, dtype=np.int64)
        self.url_host = np.repeat(np.arange(len(self.hosts)), VARIANTS)

    def add_url(self, text: str, host: str, kind: str = "page") -> int:
        """Append a one-off URL (a planted hostile one) on a known host; its index."""
        h = self.hosts.index(host)
        self.url_text.append(text)
        self.url_port = np.append(self.url_port, np.int32(80 if text.startswith("http:") else 443))
        self.url_mime.append(KIND_MIME[kind])
        self.url_kind = np.append(self.url_kind, KINDS.index(kind))
        self.url_host = np.append(self.url_host, h)
        return len(self.url_text) - 1

    def hosts_of(self, service_id: str) -> np.ndarray:
        """Host indices of a service."""
        return np.nonzero(self.host_service == self.service_ids.index(service_id))[0]


class Renderer:
    """Turns batches into ``RECORD_SCHEMA`` tables, looking strings up once per run."""

    def __init__(self, hosts: HostTable, users: list[str], addresses: list[str]) -> None:
        self.hosts = hosts
        self._url = pa.array(hosts.url_text, pa.string())
        self._domain = pa.array(hosts.hosts, pa.string())
        self._url_host = pa.array(hosts.url_host)
        self._port = pa.array(hosts.url_port, pa.int32())
        self._mime = pa.array(hosts.url_mime, pa.string())
        self._user = pa.array(users, pa.string())
        self._address = pa.array(addresses, pa.string())
        self._method = pa.array(METHODS, pa.string())
        self._action = pa.array(ACTIONS, pa.string())
        self._outcome = pa.array(OUTCOMES, pa.string())

    def table(self, batch: Batch, first_line: int) -> pa.Table:
        """The batch as ``RECORD_SCHEMA`` records numbered from ``first_line``."""
        url = pa.array(batch.url)
        status = pa.array(batch.status.astype(np.int32), mask=batch.status == 0)
        columns = [
            pa.array(batch.ts_ms * 1000, pa.int64()).cast(RECORD_SCHEMA.field(0).type),
            self._user.take(pa.array(batch.person)),
            self._address.take(pa.array(batch.person)),
            pa.nulls(len(batch), pa.string()),  # organization.unit: the directory gives it
            self._method.take(pa.array(batch.method)),
            self._domain.take(self._url_host.take(url)),
            self._port.take(url),
            status,
            self._action.take(pa.array(batch.action)),
            self._outcome.take(pa.array(batch.outcome)),
            pa.array(batch.req_bytes, pa.int64()),
            pa.array(batch.resp_bytes, pa.int64()),
            pa.array(batch.dur_ms, pa.int64()),
            self._mime.take(url),
            self._url.take(url),
            pa.array(np.arange(first_line, first_line + len(batch), dtype=np.int64)),
        ]
        return pa.Table.from_arrays(columns, schema=RECORD_SCHEMA)
