"""IP-range classification: destinations logged as a bare IPv4 address get the service whose
network holds them (most specific range wins); the bundled table matches nDPI's."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from socialsight.catalog import Matcher, load_catalog
from socialsight.catalog.ipranges import IpRanges, bundled_ranges, parse_ranges

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
