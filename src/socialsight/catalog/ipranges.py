"""IPv4 address ranges of catalog services, for destinations logged as a bare address.

Firewall logs (PAN-OS TRAFFIC, CEF from firewalls) often carry only the destination IP. For the
services whose networks are known (``data/ip_ranges.tsv``, built from nDPI by
``tools/build_ip_ranges.py``) such an address is attributed to its service.

Ranges may nest (a WhatsApp /24 inside a Facebook /16): the most specific one wins, as in
routing. At load the ranges are flattened into sorted, non-overlapping segments, so that a
lookup is one ``bisect`` per distinct address.

Plain Python lists, no NumPy: the ``ingest`` program imports Arrow without its NumPy support
(issue #6), so ``Array.to_numpy()`` would raise there, and importing NumPy would cost 60 ms of
its start. Building the bundled table (~1,100 ranges) takes a few milliseconds; lookups come
per chunk, a few hundred distinct addresses at most.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
"""A dotted-quad IPv4 literal, without leading zeros (``010.0.0.1`` is ambiguous: octal?)."""

# IPV4 for Python's ``fullmatch`` in find_one() (Python's ``$`` would also accept a final
# newline, which Arrow's RE2, that find() uses, does not).
_QUAD = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_CIDR = re.compile(rf"({_OCTET})\.({_OCTET})\.({_OCTET})\.({_OCTET})/(3[0-2]|[12]?[0-9])")


@dataclass(frozen=True)
class RangeHit:
    """The range an address fell in."""

    service_id: str
    cidr: str


def _networks(cidrs: Sequence[str]) -> tuple[list[str], list[int], list[int]]:
    """The normalised CIDR texts, first addresses and prefix lengths of ``cidrs``, host bits
    cleared (as ``ipaddress.IPv4Network(c, strict=False)``).

    Canonical ``a.b.c.d/n`` texts (all of the bundled table) are parsed by one regular
    expression; any other form goes through ipaddress, with its rules and its errors.

    >>> names, starts, prefix = _networks(["10.1.2.3/8", "192.0.2.0/24", "192.0.2.1"])
    >>> names, prefix
    (['10.0.0.0/8', '192.0.2.0/24', '192.0.2.1/32'], [8, 24, 32])
    >>> starts == [10 << 24, 3221225984, 3221225985]
    True
    """
    names = list(cidrs)
    starts = [0] * len(names)
    prefix = [0] * len(names)
    for i, name in enumerate(names):
        plain = _CIDR.fullmatch(name)
        if plain is None:
            # Imported here only: the bundled table never needs it.
            import ipaddress

            net = ipaddress.IPv4Network(name, strict=False)
            starts[i], prefix[i], names[i] = int(net.network_address), net.prefixlen, str(net)
            continue
        a, b, c, d, n = map(int, plain.groups())
        value = _address(a, b, c, d)
        start = value >> (32 - n) << (32 - n)
        starts[i], prefix[i] = start, n
        if start != value:
            names[i] = f"{_dotted(start)}/{n}"
    return names, starts, prefix


def _address(a: int, b: int, c: int, d: int) -> int:
    """The IPv4 address ``a.b.c.d`` as an integer."""
    return (a << 24) | (b << 16) | (c << 8) | d


def _dotted(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


class IpRanges:
    """A set of (CIDR, service id) ranges with most-specific-match lookups.

    >>> r = IpRanges([("10.0.0.0/8", "a"), ("10.1.0.0/16", "b")])
    >>> r.find_one("10.1.2.3"), r.find_one("10.2.0.1").service_id, r.find_one("11.0.0.1")
    (RangeHit(service_id='b', cidr='10.1.0.0/16'), 'a', None)
    """

    def __init__(self, ranges: Iterable[tuple[str, str]]) -> None:
        rows = list(ranges)
        names, starts, prefix = _networks([c for c, _ in rows])
        self._build(tuple(zip(names, (s for _, s in rows), strict=True)), starts, prefix)

    def _build(
        self, ranges: tuple[tuple[str, str], ...], starts: list[int], prefix: list[int]
    ) -> None:
        self.ranges: tuple[tuple[str, str], ...] = ranges
        self._starts = starts
        self._prefix = prefix
        ends = [s + (1 << (32 - p)) for s, p in zip(starts, prefix, strict=True)]
        # Elementary segments between every range boundary; each takes the most specific
        # range covering it (the longest prefix; the first listed among equal ones), or none
        # (index len(ranges)). Ranges are painted over the segments least specific first, so
        # that a more specific one overwrites: one slice assignment per range.
        bounds = sorted({0, 1 << 32, *starts, *ends})
        position = {bound: i for i, bound in enumerate(bounds)}
        seg_range = [len(ranges)] * (len(bounds) - 1)
        for i in sorted(range(len(starts)), key=lambda i: (prefix[i], -i)):
            first, last = position[starts[i]], position[ends[i]]
            seg_range[first:last] = [i] * (last - first)
        self._seg_start = bounds[:-1]
        self._seg_range = seg_range
        self._cidrs = pa.array([c for c, _ in ranges] + [None], pa.string())
        self._services = pa.array([s for _, s in ranges] + [None], pa.string())

    def __len__(self) -> int:
        return len(self.ranges)

    def restricted_to(self, service_ids: Iterable[str]) -> IpRanges:
        """The ranges whose service is among ``service_ids`` (a catalog override may remove
        services)."""
        keep = set(service_ids)
        chosen = [i for i, (_, s) in enumerate(self.ranges) if s in keep]
        if len(chosen) == len(self.ranges):
            return self  # immutable: nothing to filter, nothing to rebuild
        # Built from the parsed values: the CIDRs are not parsed again.
        subset = object.__new__(IpRanges)
        rows = tuple(self.ranges[i] for i in chosen)
        subset._build(rows, [self._starts[i] for i in chosen], [self._prefix[i] for i in chosen])
        return subset

    def _range_of(self, value: int) -> int:
        """The index in ``ranges`` of the most specific range holding the address ``value``,
        or ``len(ranges)`` when none does."""
        # The first bound is 0: every address is in some segment.
        return self._seg_range[bisect_right(self._seg_start, value) - 1]

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
        # Addresses repeat: each distinct one is looked up once. Arrow checks and splits
        # them; only the binary search is Python's, one bisect per distinct address.
        encoded = addresses.dictionary_encode()
        distinct = encoded.dictionary
        is_v4 = pc.match_substring_regex(distinct, IPV4)
        octets = pc.list_flatten(pc.split_pattern(distinct.filter(is_v4), ".")).cast(pa.int64())
        quads = iter(octets.to_pylist())
        found = [
            self._range_of(_address(a, b, c, d))
            for a, b, c, d in zip(quads, quads, quads, quads, strict=True)
        ]
        # Index len(ranges) is the trailing null of _cidrs / _services: "no range" (not an
        # IPv4 literal, in no range, or a null address).
        none = len(self.ranges)
        picks = pc.replace_with_mask(
            pa.repeat(pa.scalar(none, pa.int64()), len(distinct)),
            is_v4,
            pa.array(found, pa.int64()),
        )
        index = picks.take(encoded.indices).fill_null(none)
        return pa.table({"service.id": self._services.take(index), "cidr": self._cidrs.take(index)})

    def find_one(self, address: str) -> RangeHit | None:
        """The range of one address, or None."""
        # In Python: one address does not pay for Arrow calls. Same test as find()'s.
        if _QUAD.fullmatch(address) is None:
            return None
        i = self._range_of(_address(*map(int, address.split("."))))
        if i == len(self.ranges):
            return None
        cidr, service_id = self.ranges[i]
        return RangeHit(service_id=service_id, cidr=cidr)


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
    text = (Path(__file__).resolve().parent / "data" / "ip_ranges.tsv").read_text(encoding="utf-8")
    return IpRanges(parse_ranges(text))
