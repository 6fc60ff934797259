"""Building :class:`IpRanges` (vectorised CIDR parsing, segments painted once) gives the same
answers as a plain most-specific-match over ``ipaddress`` networks, and ``restricted_to`` does
not parse again."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialsight.catalog.ipranges import IpRanges, _networks, bundled_ranges
from socialsight.catalog.matcher import Matcher
from socialsight.catalog.model import load_catalog


def brute_force(ranges: list[tuple[str, str]], address: str) -> tuple[str, str] | None:
    """The (cidr, service) of the longest prefix holding ``address``; the first listed wins
    among equal ones (a CIDR listed twice)."""
    ip = ipaddress.IPv4Address(address)
    best: tuple[int, str, str] | None = None
    for cidr, service in ranges:
        net = ipaddress.IPv4Network(cidr, strict=False)
        if ip in net and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, str(net), service)
    return (best[1], best[2]) if best else None


_ADDRESS = st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v)))
# Small prefixes in a narrow space, so that ranges nest and repeat often.
_CIDR = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(4, 32)).map(
    lambda t: f"10.{t[0]}.{t[1]}.{(t[0] * 7) % 256}/{t[2]}"
)
_RANGES = st.lists(st.tuples(_CIDR, st.sampled_from(["a", "b", "c", "d"])), max_size=25)
_NEAR = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
    lambda t: f"10.{t[0]}.{t[1]}.{t[2]}"
)


@settings(max_examples=200, deadline=None)
@given(_RANGES, st.lists(_NEAR | _ADDRESS, min_size=1, max_size=30))
def test_same_answers_as_a_plain_most_specific_match(
    ranges: list[tuple[str, str]], addresses: list[str]
) -> None:
    table = IpRanges(ranges).find(addresses)
    cidrs, services = table.column("cidr").to_pylist(), table.column("service.id").to_pylist()
    got = list(zip(cidrs, services, strict=True))
    expected = [brute_force(ranges, a) or (None, None) for a in addresses]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(_RANGES, st.sets(st.sampled_from(["a", "b", "c", "d"])), st.lists(_NEAR, max_size=20))
def test_restricted_to_equals_building_from_the_kept_rows(
    ranges: list[tuple[str, str]], keep: set[str], addresses: list[str]
) -> None:
    built = IpRanges(ranges)
    subset = built.restricted_to(keep)
    direct = IpRanges([(c, s) for c, s in ranges if s in keep])
    assert subset.ranges == direct.ranges
    assert subset.find(addresses).to_pylist() == direct.find(addresses).to_pylist()


def test_restricting_to_every_service_keeps_the_same_object() -> None:
    bundled = bundled_ranges()
    assert bundled.restricted_to({s for _, s in bundled.ranges}) is bundled
    assert len(bundled.restricted_to({"facebook"})) < len(bundled)
    assert Matcher(load_catalog()).ranges is bundled  # every ranged service is in the catalog


def test_an_empty_range_set_means_no_ranges_not_the_bundled_ones() -> None:
    matcher = Matcher(load_catalog(), IpRanges([]))
    assert len(matcher.ranges) == 0
    assert matcher.lookup("157.240.22.35").service_id is None


@pytest.mark.parametrize(
    "cidr",
    ["10.1.2.3/8", "192.0.2.1", "0.0.0.0/0", "255.255.255.255/32", "10.0.0.0/255.0.0.0",
     "10.0.0.0/08", "172.16.5.4/12"],
)  # fmt: skip
def test_cidr_forms_normalised_as_ipaddress_does(cidr: str) -> None:
    names, starts, prefix = _networks([cidr])
    net = ipaddress.IPv4Network(cidr, strict=False)
    assert (names[0], int(starts[0]), int(prefix[0])) == (
        str(net),
        int(net.network_address),
        net.prefixlen,
    )


@pytest.mark.parametrize(
    "cidr", ["10.0.0.0/33", "256.0.0.0/8", "010.0.0.0/8", "10.0.0/8", "x", "10.0.0.0/8\n", ""]
)
def test_malformed_cidrs_raise_a_clear_value_error(cidr: str) -> None:
    with pytest.raises(ValueError) as ours:
        IpRanges([(cidr, "x")])
    with pytest.raises(ValueError) as theirs:
        ipaddress.IPv4Network(cidr, strict=False)
    assert str(ours.value) == str(theirs.value)


def test_bundled_table_is_parsed_as_ipaddress_would() -> None:
    bundled = bundled_ranges()
    assert len(bundled) > 1000
    assert all(str(ipaddress.IPv4Network(c)) == c for c, _ in bundled.ranges)
