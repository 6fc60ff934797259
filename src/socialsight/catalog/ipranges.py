"""IPv4 address ranges of catalog services, for destinations logged as a bare address.

Firewall logs (PAN-OS TRAFFIC, CEF from firewalls) often carry only the destination IP. For the
services whose networks are known (``data/ip_ranges.tsv``, built from nDPI by
``tools/build_ip_ranges.py``) such an address is attributed to its service.

Ranges may nest (a WhatsApp /24 inside a Facebook /16): the most specific one wins, as in
routing. At load the ranges are flattened into sorted, non-overlapping segments, so that a
lookup of many addresses is one ``numpy.searchsorted`` over uint32 values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


_CIDR = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}/(?:3[0-2]|[12]?[0-9])$"


def _networks(cidrs: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The normalised CIDR texts, first addresses and prefix lengths of ``cidrs``, host bits
    cleared (as ``ipaddress.IPv4Network(c, strict=False)``).

    Canonical ``a.b.c.d/n`` texts (all of the bundled table) are parsed in a few vectorised
    calls; any other form goes through ipaddress, with its rules and its errors.

    >>> names, starts, prefix = _networks(["10.1.2.3/8", "192.0.2.0/24", "192.0.2.1"])
    >>> names, prefix.tolist()
    (['10.0.0.0/8', '192.0.2.0/24', '192.0.2.1/32'], [8, 24, 32])
    >>> starts.tolist() == [10 << 24, 3221225984, 3221225985]
    True
    """
    names = list(cidrs)
    text = pa.array(names, pa.string())
    plain = pc.match_substring_regex(text, _CIDR).to_numpy(zero_copy_only=False)
    starts = np.zeros(len(names), np.int64)
    prefix = np.zeros(len(names), np.int64)
    if plain.any():
        fields = pc.list_flatten(pc.split_pattern_regex(text.filter(plain), r"[./]"))
        f = fields.cast(pa.int64()).to_numpy().reshape(-1, 5)
        value = (f[:, 0] << 24) | (f[:, 1] << 16) | (f[:, 2] << 8) | f[:, 3]
        start = value & ~((np.int64(1) << (32 - f[:, 4])) - 1)
        starts[plain], prefix[plain] = start, f[:, 4]
        for i in np.flatnonzero(plain)[start != value].tolist():
            names[i] = f"{_dotted(int(starts[i]))}/{int(prefix[i])}"
    for i in np.flatnonzero(~plain).tolist():
        # Imported here only: the bundled table never needs it.
        import ipaddress

        net = ipaddress.IPv4Network(names[i], strict=False)
        starts[i], prefix[i], names[i] = int(net.network_address), net.prefixlen, str(net)
    return names, starts, prefix


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
        self, ranges: tuple[tuple[str, str], ...], starts: np.ndarray, prefix: np.ndarray
    ) -> None:
        self.ranges: tuple[tuple[str, str], ...] = ranges
        self._starts = starts
        self._prefix = prefix
        ends = starts + (np.int64(1) << (32 - prefix))
        # Elementary segments between every range boundary; each takes the most specific
        # range covering it (the longest prefix; the first listed among equal ones), or none
        # (-1). Ranges are painted over the segments least specific first, so that a more
        # specific one overwrites: one slice assignment per range, no segments x ranges matrix.
        bounds = np.unique(np.concatenate([starts, ends, np.array([0, 1 << 32], np.int64)]))
        seg_start = bounds[:-1]
        seg_range = np.full(len(seg_start), -1, dtype=np.int64)
        first = np.searchsorted(seg_start, starts)
        last = np.searchsorted(seg_start, ends)
        for i in np.lexsort((-np.arange(len(starts)), prefix)).tolist():
            seg_range[first[i] : last[i]] = i
        self._seg_start = seg_start
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
        # Built from the parsed arrays: the CIDRs are not parsed again.
        picked = np.array(chosen, dtype=np.int64)
        subset = object.__new__(IpRanges)
        rows = tuple(self.ranges[i] for i in chosen)
        subset._build(rows, self._starts[picked], self._prefix[picked])
        return subset

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
    text = (Path(__file__).resolve().parent / "data" / "ip_ranges.tsv").read_text(encoding="utf-8")
    return IpRanges(parse_ranges(text))
