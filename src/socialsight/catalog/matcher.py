"""Classify destination hosts into catalog services.

Matching is longest suffix on label boundaries: the host's suffixes are tried from the whole
host down to its last label against a dict of catalog domains, so ``docs.google.com``
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
from functools import cached_property
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.catalog.ipranges import IPV4, IpRanges, bundled_ranges
from socialsight.catalog.model import Catalog
from socialsight.catalog.suffixes import registered_domain

_CACHE_SIZE = 100_000
_DIGITS = frozenset("0123456789")

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
    """Whether ``ipaddress.ip_address`` takes ``host`` (a zone id allowed: fe80::1%eth0).

    >>> _ip_literal("1.2.3.4"), _ip_literal("::ffff:1.2.3.4"), _ip_literal("1.2.3.4.example.com")
    (True, True, False)
    """
    address = host.partition("%")[0]
    # ipaddress costs 7 us to refuse a name (two exceptions), and almost every host is a
    # name: it takes only an IPv6 form (with ':') or four ASCII decimal octets, whose text
    # ends with a digit, so a host with neither cannot be one.
    if ":" not in address and address[-1:] not in _DIGITS:
        return False
    try:
        ipaddress.ip_address(address)
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
        self._given_ranges = ranges
        # Hosts repeat a lot across batches. The cache is bounded (cleared when full) so that
        # hostile input, millions of random subdomains, cannot grow memory without limit.
        self._cache: dict[str, Match] = {}

    @cached_property
    def ranges(self) -> IpRanges:
        """The address ranges of this catalog's services (an override may remove one).

        Loaded on the first IP literal: reading the bundled table takes 16 ms, which the
        start of an ingest of a log of host names need not pay.
        """
        # (`is None`: an empty IpRanges is falsy and means "no ranges", not the bundled ones.)
        given = bundled_ranges() if self._given_ranges is None else self._given_ranges
        return given.restricted_to(self.catalog.services)

    def lookup(self, host: str) -> Match:
        """Classify one host (normalised first); see :class:`Match`.

        >>> from socialsight.catalog.model import load_catalog
        >>> Matcher(load_catalog()).lookup("Docs.Google.com:443").reason
        'suffix rule docs.google.com of google-docs'
        """
        match = self._cache.get(host)
        if match is None:
            match = self._remember(host, self._lookup(host))
        return match

    def _lookup(self, raw: str) -> Match:
        host = normalise_host(raw)
        if _ip_literal(host):
            hit = self.ranges.find_one(host)
            return self._ip_match(host, hit.service_id if hit else None, hit.cidr if hit else None)
        index = self._index
        suffix = host
        while True:  # the host, then without its first label, ...: the longest rule wins
            sid = index.get(suffix)
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
            dot = suffix.find(".")
            if dot < 0:
                break
            suffix = suffix[dot + 1 :]
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
        thousand hosts), and only for hosts not in the cache; results are mapped back with
        ``index_in`` and ``take`` (not needed when the hosts are distinct and not null, as
        the dictionary of a column is). A null host gives null service, category and
        registered domain, and ``host.is_ip`` False.

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
        names = uniques.to_pylist()
        cache = self._cache
        cached = [cache.get(h) for h in names]
        missing = [h for h, m in zip(names, cached, strict=True) if m is None]
        if missing:
            found = self._classify_new(missing)
            matches = [m or found[h] for h, m in zip(names, cached, strict=True)]
        else:
            matches = cast("list[Match]", cached)
        rows = [(m.service_id, m.category, m.registered_domain, m.is_ip) for m in matches]
        ids, cats, regs, ips = zip(*rows, strict=True) if rows else ((), (), (), ())
        columns = [
            pa.array(ids, pa.string()),
            pa.array(cats, pa.string()),
            pa.array(regs, pa.string()),
            pa.array(ips, pa.bool_()),
        ]
        if len(names) < len(hosts):
            # Repeated or null hosts: map the distinct results back to the rows. (Otherwise
            # the input is its own list of distinct hosts, in order, as the dictionary of a
            # dictionary-encoded column is: nothing to map.)
            positions = pc.index_in(hosts, value_set=uniques)
            columns = [column.take(positions) for column in columns]
            columns[3] = pc.fill_null(columns[3], False)
        return pa.table(columns, schema=CLASSIFY_SCHEMA)

    def _classify_new(self, hosts: list[str]) -> dict[str, Match]:
        """Classify hosts that are not in the cache yet, and cache them."""
        found: dict[str, Match] = {}
        # Plain IPv4 literals (firewall logs can hold many distinct ones) are looked up in
        # the ranges in one vectorised call; every other host goes through lookup().
        # (A dotted quad ends with a digit: most chunks have no such new host, and skip it.)
        numeric = [h for h in hosts if h[-1:] in _DIGITS]
        text = pa.array(numeric, pa.string())
        v4 = text.filter(pc.match_substring_regex(text, IPV4)) if numeric else text
        if len(v4):
            hits = self.ranges.find(v4)
            for h, sid, cidr in zip(
                v4.to_pylist(),
                hits.column("service.id").to_pylist(),
                hits.column("cidr").to_pylist(),
                strict=True,
            ):
                found[h] = self._remember(h, self._ip_match(h, sid, cidr))
        for h in hosts:
            if h not in found:
                found[h] = self.lookup(h)
        return found

    def _remember(self, host: str, match: Match) -> Match:
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[host] = match
        return match
