"""Classify destination hosts into catalog services.

Matching is longest suffix on label boundaries: the host's suffixes are tried from the whole
host down to its last two labels against a dict of catalog domains, so ``docs.google.com``
(google-docs) beats ``google.com`` (google-search) and ``notfacebook.com`` never matches
``facebook.com``. The cost is one dict look-up per label, whatever the catalog size.

Registered domains come from the Public Suffix List that tldextract bundles, read by
:mod:`socialsight.catalog.suffixes` (same answers, without tldextract's import cost).

IP literals are flagged (``host.is_ip``) and never given to the suffix list; an IPv4 literal inside
a known network of a service (:mod:`socialsight.catalog.ipranges`) gets that service with the
rule ``ip-range``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.catalog.ipranges import IPV4, IpRanges, bundled_ranges
from socialsight.catalog.model import Catalog
from socialsight.catalog.suffixes import registered_domain

_CACHE_SIZE = 100_000

CLASSIFY_SCHEMA = pa.schema(
    [
        pa.field("service.id", pa.string()),
        pa.field("service.category", pa.string()),
        pa.field("url.registered_domain", pa.string()),
        pa.field("host.is_ip", pa.bool_()),
    ]
)
"""The columns :meth:`Matcher.classify` returns (names as in ``EVENT_SCHEMA``)."""


@dataclass(frozen=True)
class Match:
    """The classification of one host, with the reason a person can read."""

    host: str
    service_id: str | None
    service_name: str | None
    category: str | None
    rule: str | None
    registered_domain: str | None
    is_ip: bool
    reason: str


def normalise_host(raw: str) -> str:
    """Lower case, strip spaces, IPv6 brackets, a port and trailing dots.

    >>> normalise_host(" WWW.Facebook.com.:443 "), normalise_host("[2001:DB8::1]:8080")
    ('www.facebook.com', '2001:db8::1')
    """
    host = raw.strip().lower()
    if host.startswith("["):
        # [v6]:port or [v6]
        end = host.find("]")
        host = host[1:end] if end > 0 else host[1:]
    elif host.count(":") == 1:
        # host:port (a bare IPv6 literal has at least two colons and no port)
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])  # allow a zone id: fe80::1%eth0
    except ValueError:
        return False
    return True


class Matcher:
    """Classify hosts with one catalog.

    >>> from socialsight.catalog.model import load_catalog
    >>> m = Matcher(load_catalog())
    >>> m.lookup("scontent.xx.fbcdn.net").service_id
    'facebook'
    >>> m.lookup("notfacebook.com").service_id is None
    True
    """

    def __init__(self, catalog: Catalog, ranges: IpRanges | None = None) -> None:
        self.catalog = catalog
        self._index = catalog.domain_index()
        # Only ranges of services this catalog has (an override may remove one).
        # (`is None`: an empty IpRanges is falsy and means "no ranges", not the bundled ones.)
        given = bundled_ranges() if ranges is None else ranges
        self.ranges = given.restricted_to(catalog.services)
        # Hosts repeat a lot across batches. The cache is bounded (cleared when full) so that
        # hostile input, millions of random subdomains, cannot grow memory without limit.
        self._cache: dict[str, Match] = {}

    def lookup(self, host: str) -> Match:
        """Classify one host (normalised first); see :class:`Match`.

        >>> from socialsight.catalog.model import load_catalog
        >>> Matcher(load_catalog()).lookup("Docs.Google.com:443").reason
        'suffix rule docs.google.com of google-docs'
        """
        match = self._cache.get(host)
        if match is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            match = self._cache[host] = self._lookup(host)
        return match

    def _lookup(self, raw: str) -> Match:
        host = normalise_host(raw)
        if _ip_literal(host):
            hit = self.ranges.find_one(host)
            return self._ip_match(host, hit.service_id if hit else None, hit.cidr if hit else None)
        labels = host.split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            sid = self._index.get(suffix)
            if sid is not None:
                service = self.catalog.services[sid]
                return Match(
                    host=host,
                    service_id=sid,
                    service_name=service.name,
                    category=service.category,
                    rule=suffix,
                    registered_domain=self._registered(host),
                    is_ip=False,
                    reason=f"suffix rule {suffix} of {sid}",
                )
        registered = self._registered(host)
        reason = (
            f"unknown; registered domain {registered}"
            if registered
            else "unknown; no registered domain under the Public Suffix List"
        )
        return Match(host, None, None, None, None, registered, False, reason)

    def _ip_match(self, host: str, service_id: str | None, cidr: str | None) -> Match:
        if service_id is None:
            return Match(host, None, None, None, None, None, True, "IP literal; no address rule")
        service = self.catalog.services[service_id]
        return Match(
            host=host,
            service_id=service_id,
            service_name=service.name,
            category=service.category,
            rule="ip-range",
            registered_domain=None,
            is_ip=True,
            reason=f"address range {cidr} of {service_id}",
        )

    @staticmethod
    def _registered(host: str) -> str | None:
        if not host:
            return None
        return registered_domain(host) or None

    def classify(self, hosts: pa.Array | pa.ChunkedArray) -> pa.Table:
        """Classify a column of hosts; one output row per input row, in order.

        The Python work runs once per distinct host (ingest sees millions of rows but a few
        thousand hosts); results are mapped back with ``index_in`` and ``take``. A null host
        gives null service, category and registered domain, and ``host.is_ip`` False.

        >>> from socialsight.catalog.model import load_catalog
        >>> t = Matcher(load_catalog()).classify(pa.array(["t.co", None, "10.0.0.1"]))
        >>> t.column("service.id").to_pylist(), t.column("host.is_ip").to_pylist()
        (['twitter', None, None], [False, False, True])
        """
        if isinstance(hosts, pa.ChunkedArray):
            hosts = hosts.combine_chunks()
        if pa.types.is_dictionary(hosts.type):
            hosts = hosts.dictionary_decode()
        if not (pa.types.is_string(hosts.type) or pa.types.is_large_string(hosts.type)):
            hosts = hosts.cast(pa.string())
        uniques = pc.unique(hosts).drop_null()
        # Plain IPv4 literals (firewall logs can hold many distinct ones) are looked up in
        # the ranges in one vectorised call; every other host goes through lookup().
        is_v4 = pc.match_substring_regex(uniques, IPV4)
        v4 = uniques.filter(is_v4)
        hits = self.ranges.find(v4)
        by_v4 = {
            h: self._ip_match(h, sid, cidr)
            for h, sid, cidr in zip(
                v4.to_pylist(),
                hits.column("service.id").to_pylist(),
                hits.column("cidr").to_pylist(),
                strict=True,
            )
        }
        matches = [by_v4.get(h) or self.lookup(h) for h in uniques.to_pylist()]
        positions = pc.index_in(hosts, value_set=uniques)
        ids = pa.array([m.service_id for m in matches], pa.string())
        cats = pa.array([m.category for m in matches], pa.string())
        regs = pa.array([m.registered_domain for m in matches], pa.string())
        ips = pa.array([m.is_ip for m in matches], pa.bool_())
        return pa.table(
            [
                ids.take(positions),
                cats.take(positions),
                regs.take(positions),
                pc.fill_null(ips.take(positions), False),
            ],
            schema=CLASSIFY_SCHEMA,
        )
