"""IP-range classification: destinations logged as a bare IPv4 address get the service whose
network holds them (most specific range wins); the bundled table matches nDPI's."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from socialsight.catalog import Matcher, load_catalog
from socialsight.catalog.ipranges import IpRanges, bundled_ranges, parse_ranges

from factories import ARROW_WITHOUT_NUMPY

ROOT = Path(__file__).resolve().parents[1]
NDPI = ROOT.parent / "shared" / "data" / "ndpi" / "ipv4_networks.tsv"
BUNDLED = ROOT / "src" / "socialsight" / "catalog" / "data" / "ip_ranges.tsv"

# Addresses inside real nDPI ranges (the range in the comment), and the expected service.
REAL = {
    "157.240.22.35": "facebook",  # 157.240.0.0/17 (NDPI_PROTOCOL_FACEBOOK)
    "31.13.64.1": "facebook",  # 31.13.64.0/18
    "31.13.64.61": "whatsapp",  # 31.13.64.60/31, nested inside Facebook's 31.13.64.0/18
    "31.13.65.50": "whatsapp",  # 31.13.65.50/32
    "3.7.35.10": "zoom",  # 3.7.35.0/25
    "8.25.194.200": "twitter",  # 8.25.194.0/23
    "91.108.4.1": "telegram",  # 91.108.4.0/22
    "23.246.20.1": "netflix",  # 23.246.0.0/18
    "52.112.1.1": "microsoft-teams",  # 52.112.0.0/14
    "5.200.10.10": "discord",  # 5.200.0.0/19
    "45.58.64.1": "dropbox",  # 45.58.64.0/20
    "37.252.224.68": "teamviewer",  # 37.252.224.68/32
    "8.8.8.8": "google-apis",  # 8.8.8.0/24: Google's shared front ends, not one product
}
OUTSIDE = ["10.0.0.1", "192.168.1.1", "1.1.1.1", "0.0.0.0", "255.255.255.255", "31.13.128.1"]


@pytest.mark.parametrize("ip", sorted(REAL))
def test_real_ranges_classify(ip: str) -> None:
    match = Matcher(load_catalog()).lookup(ip)
    assert (match.service_id, match.rule, match.is_ip) == (REAL[ip], "ip-range", True)
    assert match.registered_domain is None
    assert match.reason.startswith("address range ") and match.reason.endswith(f" of {REAL[ip]}")


@pytest.mark.parametrize("ip", OUTSIDE)
def test_outside_every_range_stays_unclassified(ip: str) -> None:
    match = Matcher(load_catalog()).lookup(ip)
    assert (match.service_id, match.rule, match.is_ip) == (None, None, True)
    assert match.reason == "IP literal; no address rule"


def test_classify_column_mixes_names_and_addresses() -> None:
    hosts = pa.array(
        [
            "157.240.22.35",
            "www.facebook.com",
            None,
            "10.0.0.1",
            "31.13.64.61",
            "2a03:2880::1",
            "157.240.22.35",
        ]
    )
    table = Matcher(load_catalog()).classify(hosts)
    assert table.column("service.id").to_pylist() == [
        "facebook", "facebook", None, None, "whatsapp", None, "facebook",
    ]  # fmt: skip
    assert table.column("host.is_ip").to_pylist() == [True, False, False, True, True, True, True]
    assert table.column("service.category").to_pylist()[4] == "messaging"
    assert table.column("url.registered_domain").to_pylist()[:2] == [None, "facebook.com"]


def test_most_specific_range_wins_whatever_the_order() -> None:
    rows = [("10.1.2.0/24", "c"), ("10.0.0.0/8", "a"), ("10.1.0.0/16", "b")]
    for order in (rows, rows[::-1]):
        ranges = IpRanges(order)
        found = ranges.find(["10.1.2.255", "10.1.3.0", "10.200.0.0", "9.255.255.255", "11.0.0.0"])
        assert found.column("service.id").to_pylist() == ["c", "b", "a", None, None]
        assert found.column("cidr").to_pylist()[:3] == ["10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8"]


def test_edges_of_the_address_space() -> None:
    ranges = IpRanges([("0.0.0.0/8", "low"), ("255.255.255.0/24", "high")])
    found = ranges.find(["0.0.0.0", "0.255.255.255", "1.0.0.0", "255.255.255.255"])
    assert found.column("service.id").to_pylist() == ["low", "low", None, "high"]


def test_not_ipv4_gives_nothing() -> None:
    ranges = IpRanges([("0.0.0.0/0", "all")])
    values = ["1.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "::1", "host", "", None]
    found = ranges.find(values).column("service.id").to_pylist()
    assert found == ["all"] + [None] * 8


def test_empty_ranges_and_empty_input() -> None:
    assert IpRanges([]).find(["1.2.3.4"]).column("service.id").to_pylist() == [None]
    assert bundled_ranges().find(pa.array([], pa.string())).num_rows == 0


def test_override_removing_a_service_drops_its_ranges(tmp_path: Path) -> None:
    override = tmp_path / "local.toml"
    override.write_text('remove = ["whatsapp"]\n', encoding="utf-8")
    match = Matcher(load_catalog([override])).lookup("31.13.64.61")
    # Without WhatsApp, the enclosing Facebook range is the most specific one left.
    assert (match.service_id, match.rule) == ("facebook", "ip-range")


def test_bundled_table_is_what_the_tool_builds_from_ndpi() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_ip_ranges
    finally:
        sys.path.pop(0)
    ids = set(load_catalog().services)
    built = build_ip_ranges.build(NDPI, ids)
    assert parse_ranges(BUNDLED.read_text(encoding="utf-8")) == built
    assert len(built) == 1125
    assert {s for _, s in built} <= ids
    # Every kept range is a real nDPI range of an application the tool maps.
    ndpi = {
        (str(ipaddress.IPv4Network(c, strict=False)), p)
        for c, _, p, *_ in (
            line.split("\t") for line in NDPI.read_text().splitlines() if line[:1].isdigit()
        )
    }
    mapping = build_ip_ranges.NDPI_TO_SERVICE
    assert all(any((c, p) in ndpi for p in mapping if mapping[p] == s) for c, s in built)


def plain_most_specific(ranges: list[tuple[str, str]], address: str) -> tuple[str, str] | None:
    """The (cidr, service) of the longest prefix holding ``address``, the first listed among
    equal ones, by trying every range (integers from ``ipaddress``, none of our parsing)."""
    value = int(ipaddress.IPv4Address(address))
    best: tuple[int, str, str] | None = None
    for cidr, service in ranges:
        net = ipaddress.IPv4Network(cidr, strict=False)
        first = int(net.network_address)
        inside = first <= value < first + net.num_addresses
        if inside and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, str(net), service)
    return (best[1], best[2]) if best else None


def boundaries(ranges: list[tuple[str, str]]) -> list[str]:
    """For every range: the address before it, its first and last, and the one after."""
    values: set[int] = set()
    for cidr, _ in ranges:
        net = ipaddress.IPv4Network(cidr, strict=False)
        first, last = int(net.network_address), int(net.broadcast_address)
        values |= {first - 1, first, last, last + 1}
    return [str(ipaddress.IPv4Address(v)) for v in sorted(values) if 0 <= v < 2**32]


def test_nested_ranges_ties_and_boundaries_match_a_plain_search() -> None:
    rng = random.Random(20260311)
    for _ in range(40):
        # Ranges inside 10.0.0.0/8 so that they nest; a tie (the same network listed twice,
        # once with host bits set) and a non-canonical form in most sets.
        ranges = []
        for _ in range(rng.randint(1, 30)):
            prefix = rng.randint(8, 32)
            host = (10 << 24) | rng.getrandbits(24)
            ranges.append((f"{ipaddress.IPv4Address(host)}/{prefix}", rng.choice("abcd")))
        if len(ranges) > 2:
            twin = ipaddress.IPv4Network(rng.choice(ranges)[0], strict=False)
            ranges.insert(
                rng.randrange(len(ranges)), (f"{twin.broadcast_address}/{twin.prefixlen}", "e")
            )
            ranges.append((str(twin.network_address), "f"))  # a bare address: a /32
        addresses = boundaries(ranges) + [
            str(ipaddress.IPv4Address((10 << 24) | rng.getrandbits(24))) for _ in range(20)
        ]
        built = IpRanges(ranges)
        table = built.find(addresses)
        got = list(
            zip(
                table.column("cidr").to_pylist(),
                table.column("service.id").to_pylist(),
                strict=True,
            )
        )
        expected = [plain_most_specific(ranges, a) or (None, None) for a in addresses]
        assert got == expected, ranges
        ones = [built.find_one(a) for a in addresses]
        assert [(h.cidr, h.service_id) if h else (None, None) for h in ones] == expected


def test_bundled_table_boundaries_match_a_plain_search() -> None:
    ranges = list(bundled_ranges().ranges)
    addresses = boundaries(ranges)
    # Ranges as integers once: a plain search over 1,125 ranges per address stays quick.
    nets = [ipaddress.IPv4Network(c) for c, _ in ranges]
    spans = [
        (int(n.network_address), int(n.broadcast_address), n.prefixlen, str(n), s)
        for n, (_, s) in zip(nets, ranges, strict=True)
    ]
    expected = []
    for address in addresses:
        value = int(ipaddress.IPv4Address(address))
        best = None
        for first, last, prefix, cidr, service in spans:
            if first <= value <= last and (best is None or prefix > best[0]):
                best = (prefix, cidr, service)
        expected.append(
            {"service.id": best[2], "cidr": best[1]} if best else {"service.id": None, "cidr": None}
        )
    assert len(addresses) > 3000
    assert bundled_ranges().find(addresses).to_pylist() == expected
    assert sum(row["service.id"] is not None for row in expected) > 2000


# Strings that are almost IPv4 literals: find() (Arrow's regular expressions) and find_one()
# (Python's) must refuse the same ones.
NEAR_MISSES = [
    "1.2.3.4\n", "\n1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/32", "01.2.3.4", "1.2.3.00",
    "1.2.3.256", "1.2.3.-1", "+1.2.3.4", "1_0.2.3.4", "\u0661.2.3.4", "1.2.3.\uff14", "1..3.4",
    "1.2.3.4.", "[1.2.3.4]", "1.2.3.4:443", "0x1.2.3.4", "",
]  # fmt: skip


def test_near_misses_give_nothing_in_find_and_find_one() -> None:
    ranges = IpRanges([("0.0.0.0/0", "all")])
    assert ranges.find(NEAR_MISSES).column("service.id").null_count == len(NEAR_MISSES)
    assert [ranges.find_one(a) for a in NEAR_MISSES] == [None] * len(NEAR_MISSES)
    assert ranges.find_one("1.2.3.4") == ranges.find_one("255.255.255.255") is not None


def test_repeats_nulls_and_chunks_map_back_to_their_rows() -> None:
    ranges = IpRanges([("10.0.0.0/8", "a"), ("10.1.0.0/16", "b")])
    rows = ["10.1.0.1", None, "10.2.0.1", "x", "10.1.0.1", None, "11.0.0.0", "10.2.0.1"]
    expected = ["b", None, "a", None, "b", None, None, "a"]
    chunked = pa.chunked_array([pa.array(rows[:3]), pa.array([], pa.string()), pa.array(rows[3:])])
    for given in (rows, pa.array(rows, pa.large_string()), chunked):
        assert ranges.find(given).column("service.id").to_pylist() == expected
    assert ranges.find(rows).column("cidr").to_pylist()[:3] == ["10.1.0.0/16", None, "10.0.0.0/8"]


# Run in a subprocess whose NumPy cannot be imported at all, as the ingest program's Arrow
# has no NumPy support (issue #6): the bundled ranges must load and answer there.
WITHOUT_NUMPY = (
    ARROW_WITHOUT_NUMPY
    + """
import json

sys.meta_path.insert(0, _hidden)  # NumPy cannot be imported at all
from socialsight.catalog.ipranges import bundled_ranges

addresses = json.load(sys.stdin)
ranges = bundled_ranges()
hits = [ranges.find_one(a) for a in addresses if a is not None]
json.dump({
    "find": ranges.find(pa.array(addresses, pa.string())).to_pylist(),
    "find_one": [[h.service_id, h.cidr] if h else None for h in hits],
    "restricted": ranges.restricted_to(["facebook"]).find(addresses).to_pylist(),
    "numpy": "numpy" in sys.modules,
}, sys.stdout)
"""
)


def test_bundled_ranges_work_where_numpy_cannot_be_imported() -> None:
    addresses = ["31.13.64.61", "31.13.64.1", "8.8.8.8", "10.0.0.1", "::1", None, "31.13.64.61"]
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMPY],
        input=json.dumps(addresses),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    ranges = bundled_ranges()
    assert got["find"] == ranges.find(addresses).to_pylist()
    assert got["find"][0] == {"service.id": "whatsapp", "cidr": "31.13.64.60/31"}  # nested
    assert got["find"][1] == {"service.id": "facebook", "cidr": "31.13.64.0/18"}
    hits = [ranges.find_one(a) for a in addresses if a is not None]
    assert got["find_one"] == [[h.service_id, h.cidr] if h else None for h in hits]
    facebook = ranges.restricted_to(["facebook"]).find(addresses).to_pylist()
    assert got["restricted"] == facebook
    assert facebook[0] == {"service.id": "facebook", "cidr": "31.13.64.0/18"}
    assert got["numpy"] is False
