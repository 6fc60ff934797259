"""The matcher's fast paths give exactly what the straightforward code gives (issue #6).

A new host skips ``ipaddress`` unless its text could be an address, the catalog rules are
tried on slices of the host instead of joined labels, plain host names take a short cut
through the Public Suffix List, ``classify()`` asks the cache before anything else and sends
only new dotted quads to the vectorised range lookup, and the address ranges are read on the
first IP literal only. Each is compared here with a reference written the obvious way
(``ipaddress`` on every host, split-and-join suffixes, tldextract itself).
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

import pyarrow as pa
import pytest
import tldextract
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight.catalog import Catalog, Match, Matcher, load_catalog, normalise_host, suffixes
from socialsight.catalog import matcher as matcher_module
from socialsight.catalog.ipranges import IpRanges
from socialsight.catalog.matcher import _ip_literal

_TLDEXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def reference_is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@cache
def _bundled_index() -> dict[str, str]:
    return load_catalog().domain_index()


@cache
def _bundled_matcher() -> Matcher:
    return Matcher(load_catalog())


def reference(matcher: Matcher, raw: str) -> dict[str, Any]:
    """What a matcher of the bundled catalog must answer, computed the slow, obvious way."""
    host = normalise_host(raw)
    if reference_is_ip(host):
        hit = matcher.ranges.find_one(host)
        sid = hit.service_id if hit else None
        return {"host": host, "service_id": sid, "rule": "ip-range" if hit else None,
                "registered_domain": None, "is_ip": True}  # fmt: skip
    index = _bundled_index()
    labels = host.split(".")
    rule = next(
        (".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]) in index), None
    )
    registered = _TLDEXTRACT(host).top_domain_under_public_suffix if host else ""
    return {"host": host, "service_id": index.get(rule) if rule else None, "rule": rule,
            "registered_domain": registered or None, "is_ip": False}  # fmt: skip


def answer(match: Match) -> dict[str, Any]:
    return {"host": match.host, "service_id": match.service_id, "rule": match.rule,
            "registered_domain": match.registered_domain, "is_ip": match.is_ip}  # fmt: skip


LOOKALIKES = [
    # IP literals, in every form ipaddress takes
    "1.2.3.4", "157.240.22.35", "0.0.0.0", "::1", "[::1]", "[::1]:443", "::ffff:1.2.3.4",
    "::ffff:157.240.22.35", "2001:db8::1", "[2001:DB8::1]:8080", "fe80::1%eth0", "1.2.3.4%eth0",
    "1.2.3.4%", "abcd::", "1:2:3:4:5:6:7:8", "157.240.22.35.",
    # names that look like addresses, and near-addresses that are not
    "1.2.3.4.example.com", "example.com.1.2.3.4", "deadbeef.com", "deadbeef", "cafe", "dead:beef",
    "dead:beef:1", "1:2:3:4:5:6:7:8:9", "2001:db8::g", "01.2.3.4", "157.240.22.035", "1.2.3",
    "1.2.3.4.5", "256.1.1.1", "4294967295", "0x7f.0.0.1", "127.1", "1e3", "10.0.0.1.co.uk",
    "\u0661.\u0662.\u0663.\u0664", "%", "%eth0",
    # case, dots, empty labels, punycode, wildcard and exception rules
    "WWW.FACEBOOK.COM.", "Docs.Google.COM..", "a..facebook.com", ".facebook.com", "..", ".", "",
    "xn--mnchen-3ya.de", "www.XN--MNCHEN-3YA.de", "www.city.kawasaki.jp", "a.b.kawasaki.jp",
    "kawasaki.jp", "www.ck", "a.www.ck", "a.b.ck", "co.uk", "_dmarc.bbc.co.uk", "-a-.com",
    "notfacebook.com", "facebook.com.evil.net", "<script>.facebook.com", "a b.com",
]  # fmt: skip


def _variants(host: str) -> list[str]:
    return [host, host.upper(), host + ".", f"{host}:443", f" {host} "]


def test_ip_literal_agrees_with_ipaddress_on_lookalikes() -> None:
    hosts = [v for h in LOOKALIKES for v in _variants(h)]
    got = {h: _ip_literal(normalise_host(h)) for h in hosts}
    assert got == {h: reference_is_ip(normalise_host(h)) for h in hosts}
    assert [h for h in LOOKALIKES if got[h]] == LOOKALIKES[:16]


_IP_FRAGMENTS = st.sampled_from(
    ["1", "0", "01", "255", "256", ".", ":", "::", "%", "eth0", "ffff", "a", "f", "g", "[", "]",
     " ", "1.2.3.4", "::ffff:", "x", "com", "\u0661", "-", "\n"]
)  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_IP_FRAGMENTS, max_size=10).map("".join))
def test_ip_literal_agrees_with_ipaddress_on_any_text(text: str) -> None:
    assert _ip_literal(text) == reference_is_ip(text)
    assert _ip_literal(normalise_host(text)) == reference_is_ip(normalise_host(text))


def test_lookup_agrees_with_the_reference(catalog: Catalog) -> None:
    matcher = Matcher(catalog)
    hosts = [v for h in LOOKALIKES for v in _variants(h)]
    for raw in hosts:
        assert answer(matcher.lookup(raw)) == reference(matcher, raw), raw


def test_lookup_agrees_with_the_reference_on_every_catalog_domain(catalog: Catalog) -> None:
    matcher = Matcher(catalog)
    domains = [d for s in catalog.services.values() for d in s.domains]
    for raw in (h for d in domains for h in (d, f"x-1.{d}", f"{d}.example")):
        assert answer(matcher.lookup(raw)) == reference(matcher, raw), raw


_HOST_FRAGMENTS = st.sampled_from(
    ["facebook", "com", "google", "docs", "co", "uk", "bbc", "www", "a", "1", "", "kawasaki",
     "jp", "city", "ck", "xn--p1ai", "FACEBOOK", "157", "240", "22", "35", ":443", "[", "]"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HOST_FRAGMENTS, max_size=7).map(".".join))
def test_lookup_agrees_with_the_reference_on_generated_hosts(host: str) -> None:
    matcher = _bundled_matcher()
    assert answer(matcher.lookup(host)) == reference(matcher, host)


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True))


def _expected(catalog: Catalog, hosts: list[str | None]) -> list[tuple[Any, ...]]:
    fresh = Matcher(catalog)
    rows: list[tuple[Any, ...]] = []
    for host in hosts:
        if host is None:
            rows.append((None, None, None, False))
            continue
        m = fresh.lookup(host)
        rows.append((m.service_id, m.category, m.registered_domain, m.is_ip))
    return rows


MIXED = [
    "www.facebook.com", "157.240.22.35", "10.0.0.1", "31.13.64.61", "[::1]:443", "t.co",
    "unknown.example.co.uk", "1.2.3.4.example.com", "docs.google.com", "01.2.3.4", "",
]  # fmt: skip


def test_classify_over_calls_with_new_and_cached_hosts(catalog: Catalog) -> None:
    matcher = Matcher(catalog)
    first = [*MIXED[:6], None, "t.co"]
    second = [*reversed(MIXED), None, "157.240.22.35", "x.com"]
    assert _rows(matcher.classify(pa.array(first, pa.string()))) == _expected(catalog, first)
    assert _rows(matcher.classify(pa.array(second, pa.string()))) == _expected(catalog, second)
    assert _rows(matcher.classify(pa.array(second, pa.string()))) == _expected(catalog, second)


def test_classify_distinct_hosts_in_order(catalog: Catalog) -> None:
    # Distinct, non-null hosts (the dictionary of an ingest chunk) map to themselves: no
    # index_in/take; the order of the rows must still be the order of the hosts.
    matcher = Matcher(catalog)
    column = pa.array(MIXED * 3 + [None], pa.string()).dictionary_encode()
    assert len(column.dictionary) == len(MIXED)
    got = matcher.classify(column.dictionary)
    assert _rows(got) == _expected(catalog, MIXED)
    assert got.column("host.is_ip").null_count == 0


def test_classify_with_a_cache_that_fills_up(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache is cleared when full, also in the middle of one classify() call: every row
    # must still get its own host's answer.
    monkeypatch.setattr(matcher_module, "_CACHE_SIZE", 3)
    matcher = Matcher(catalog)
    hosts = [*MIXED, *MIXED[::2], None, "x.com"]
    for _ in range(2):
        assert _rows(matcher.classify(pa.array(hosts, pa.string()))) == _expected(catalog, hosts)
        assert len(matcher._cache) <= 3


def test_classify_caches_addresses_too(catalog: Catalog) -> None:
    matcher = Matcher(catalog)
    calls: list[str] = []
    original = matcher._lookup

    def counting(host: str) -> Match:
        calls.append(host)
        return original(host)

    matcher._lookup = counting  # type: ignore[method-assign]
    hosts = pa.array(["157.240.22.35", "10.0.0.1", "t.co", "[::1]"], pa.string())
    matcher.classify(hosts)
    # Plain dotted quads went through the vectorised range lookup, the others one by one.
    assert sorted(calls) == ["[::1]", "t.co"]
    matcher.classify(hosts)
    assert sorted(calls) == ["[::1]", "t.co"]
    cached = matcher.lookup("157.240.22.35")
    assert answer(cached) == answer(Matcher(catalog).lookup("157.240.22.35"))
    assert cached.reason == "address range 157.240.0.0/17 of facebook"
    assert sorted(calls) == ["[::1]", "t.co"]


def test_ranges_are_read_on_the_first_ip_literal_only(catalog: Catalog) -> None:
    matcher = Matcher(catalog)
    matcher.classify(pa.array(["www.facebook.com", "t.co", "1.2.3.4.example.com"]))
    assert "ranges" not in vars(matcher)
    assert matcher.lookup("157.240.22.35").service_id == "facebook"
    assert "ranges" in vars(matcher)

    given_ranges = Matcher(catalog, IpRanges([("10.0.0.0/8", "slack")]))
    assert given_ranges.classify(pa.array(["10.1.2.3"])).column("service.id").to_pylist() == [
        "slack"
    ]
    assert Matcher(catalog, IpRanges([])).lookup("157.240.22.35").service_id is None


def test_plain_hosts_take_the_short_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lower-case host names of letters, digits, '-' and '_' never go through the URL cutting
    # (the short cut's speed is measured by a script, never here: this only shows it is taken).
    def no_cutting(url: str) -> str:
        raise AssertionError(f"{url} went through _host()")

    monkeypatch.setattr(suffixes, "_host", no_cutting)
    assert suffixes.registered_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert suffixes.registered_domain("www.city.kawasaki.jp") == "city.kawasaki.jp"
    for other in ("WWW.bbc.co.uk", "www.bbc.co.uk.", "xn--p1ai.ru", "a..co.uk", "[::1]"):
        with pytest.raises(AssertionError, match="went through"):
            suffixes.registered_domain(other)
