"""IPv4 address ranges of catalog services, for destinations logged as a bare address.

Firewall logs (PAN-OS TRAFFIC, CEF from firewalls) often carry only the destination IP. For the
services whose networks are known (``data/ip_ranges.tsv``, built from nDPI by
``tools/build_ip_ranges.py``) such an address is attributed to its service.

Ranges may nest (a WhatsApp /24 inside a Facebook /16): the most specific one wins, as in
routing. At load the ranges are flattened into sorted, non-overlapping segments, so that a
lookup of many addresses is one ``numpy.searchsorted`` over uint32 values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
"""A dotted-quad IPv4 literal, without leading zeros (``010.0.0.1`` is ambiguous: octal?)."""


@dataclass(frozen=True)
class RangeHit:
    """The range an address fell in."""

    service_id: str
    cidr: str


class IpRanges:
    """A set of (CIDR, service id) ranges with most-specific-match lookups.

    >>> r = IpRanges([("10.0.0.0/8", "a"), ("10.1.0.0/16", "b")])
    >>> r.find_one("10.1.2.3"), r.find_one("10.2.0.1").service_id, r.find_one("11.0.0.1")
    (RangeHit(service_id='b', cidr='10.1.0.0/16'), 'a', None)
    """

    def __init__(self, ranges: Iterable[tuple[str, str]]) -> None:
        nets = [(ipaddress.IPv4Network(c, strict=False), s) for c, s in ranges]
        self.ranges: tuple[tuple[str, str], ...] = tuple((str(n), s) for n, s in nets)
        starts = np.array([int(n.network_address) for n, _ in nets], dtype=np.int64)
        ends = np.array([int(n.broadcast_address) + 1 for n, _ in nets], dtype=np.int64)
        prefix = np.array([n.prefixlen for n, _ in nets], dtype=np.int64)
        # Elementary segments between every range boundary; each takes the most specific
        # range covering it (the longest prefix), or none (-1).
        bounds = np.unique(np.concatenate([starts, ends, np.array([0, 1 << 32], np.int64)]))
        seg_start = bounds[:-1]
        covers = (starts[None, :] <= seg_start[:, None]) & (seg_start[:, None] < ends[None, :])
        specificity = np.where(covers, prefix[None, :], -1)
        best = specificity.argmax(axis=1) if len(nets) else np.zeros(len(seg_start), np.int64)
        has = specificity.max(axis=1) >= 0 if len(nets) else np.zeros(len(seg_start), bool)
        self._seg_start = seg_start
        self._seg_range = np.where(has, best, -1)
        self._cidrs = pa.array([c for c, _ in self.ranges] + [None], pa.string())
        self._services = pa.array([s for _, s in self.ranges] + [None], pa.string())

    def __len__(self) -> int:
        return len(self.ranges)

    def restricted_to(self, service_ids: Iterable[str]) -> IpRanges:
        """The ranges whose service is among ``service_ids`` (a catalog override may remove
        services)."""
        keep = set(service_ids)
        return IpRanges([(c, s) for c, s in self.ranges if s in keep])

    def find(self, addresses: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Table:
        """For each address, the service and CIDR of the most specific range holding it.

        Anything that is not a plain IPv4 literal (IPv6, names, nulls) gives nulls.

        >>> t = IpRanges([("192.0.2.0/24", "x")]).find(["192.0.2.7", "::1", None, "192.0.3.1"])
        >>> t.column("service.id").to_pylist()
        ['x', None, None, None]
        """
        if isinstance(addresses, pa.ChunkedArray):
            addresses = addresses.combine_chunks()
        elif not isinstance(addresses, pa.Array):
            addresses = pa.array(addresses, pa.string())
        is_v4 = pc.match_substring_regex(addresses, IPV4).fill_null(False)
        valid = addresses.filter(is_v4)
        octets = pc.list_flatten(pc.split_pattern(valid, ".")).cast(pa.int64())
        quads = octets.to_numpy(zero_copy_only=False).reshape(-1, 4)
        values = (quads[:, 0] << 24) | (quads[:, 1] << 16) | (quads[:, 2] << 8) | quads[:, 3]
        segment = np.searchsorted(self._seg_start, values, side="right") - 1
        ranges = self._seg_range[segment] if len(values) else np.zeros(0, np.int64)
        # Index len(ranges) is the trailing null of _cidrs / _services: "no range".
        chosen = np.where(ranges < 0, len(self.ranges), ranges)
        picks = np.full(len(addresses), len(self.ranges), dtype=np.int64)
        picks[np.flatnonzero(is_v4.to_numpy(zero_copy_only=False))] = chosen
        index = pa.array(picks)
        return pa.table({"service.id": self._services.take(index), "cidr": self._cidrs.take(index)})

    def find_one(self, address: str) -> RangeHit | None:
        """The range of one address, or None."""
        row = self.find([address]).to_pylist()[0]
        if row["service.id"] is None:
            return None
        return RangeHit(service_id=row["service.id"], cidr=row["cidr"])


def parse_ranges(text: str) -> list[tuple[str, str]]:
    """(cidr, service) rows of an ``ip_ranges.tsv`` text; ``#`` comments and the header
    line are skipped."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("cidr\t"):
            continue
        cidr, service = line.split("\t")[:2]
        rows.append((cidr.strip(), service.strip()))
    return rows


@cache
def bundled_ranges() -> IpRanges:
    """The ranges shipped in the package (``catalog/data/ip_ranges.tsv``), loaded once."""
    text = (
        resources.files("socialsight.catalog")
        .joinpath("data/ip_ranges.tsv")
        .read_text(encoding="utf-8")
    )
    return IpRanges(parse_ranges(text))
