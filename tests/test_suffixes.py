"""socialsight's own Public Suffix List reader gives exactly what tldextract gives.

The matcher used ``tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)`` and its
``top_domain_under_public_suffix``; :mod:`socialsight.catalog.suffixes` replaces it to save
tldextract's start-up cost. Here the two are compared on every rule of the list (all rule
kinds, both sections), the catalog's domains, real host names, the hosts of a simulated
organisation and of the benchmark log, IDN and punycode names, IP literals and hostile text.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import idna
import tldextract
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tldextract.suffix_list import extract_tlds_from_suffix_list

from socialsight.catalog import Matcher, load_catalog, normalise_host, suffixes
from socialsight.catalog.suffixes import build_trie, public_rules, registered_domain, snapshot_path

from conftest import SHARED_DATA, SimulatedOrg

ROOT = Path(__file__).resolve().parents[1]
BENCH_LOG = ROOT / "bench" / "data" / "squid-1m.log"

# Exactly the extractor the matcher used before.
_TLDEXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _outcome(function: Callable[[str], str], value: str) -> tuple[str, Any]:
    try:
        return ("value", function(value))
    except Exception as exc:  # the same failure counts as the same answer
        return ("raises", type(exc))


def _reference(value: str) -> str:
    return str(_TLDEXTRACT(value).top_domain_under_public_suffix)


def assert_same(values: Iterable[str]) -> int:
    """Compare the two on every value; returns how many were compared."""
    differences = []
    count = 0
    for value in values:
        count += 1
        ours, theirs = _outcome(registered_domain, value), _outcome(_reference, value)
        if ours != theirs:
            differences.append((value, ours, theirs))
    assert differences == [], f"{len(differences)} differences, first: {differences[:5]}"
    return count


def _snapshot_rules() -> tuple[list[str], list[str]]:
    text = snapshot_path().read_text(encoding="utf-8")
    public = public_rules(text)
    private = public_rules(text.partition("// ===BEGIN PRIVATE DOMAINS===")[2])
    return public, private


def _variants(rule: str) -> list[str]:
    """Hosts at, under and beside a rule, as written, upper-cased, with a root dot, as a URL."""
    base = rule.lstrip("*!.").removeprefix(".")
    hosts = [base, f"a.{base}", f"b.a.{base}", f"www.{base}", f"x-1.{base}."]
    hosts += [f"WWW.{base.upper()}", f"https://user@www.{base}:8443/p?q#f"]
    with contextlib.suppress(idna.IDNAError):
        hosts.append("a." + idna.encode(base, uts46=True).decode("ascii"))
    return hosts


def test_the_list_is_read_from_tldextract_without_importing_it() -> None:
    code = (
        "import sys\n"
        "from socialsight.catalog import Matcher, load_catalog\n"
        "m = Matcher(load_catalog())\n"
        "assert m.lookup('news.bbc.co.uk').registered_domain == 'bbc.co.uk'\n"
        "assert m.lookup('a.b.unknown-host.example.com').registered_domain == 'example.com'\n"
        "print(sorted(n for n in ('tldextract', 'requests', 'urllib3') if n in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
    assert snapshot_path().name == ".tld_set_snapshot"
    assert snapshot_path().parent.name == "tldextract"


def test_same_rules_as_the_extractor_the_matcher_used() -> None:
    # tldextract with no URLs and no cache directory falls back to its bundled snapshot: the
    # file read here. (A private attribute, read in this test only, to prove it is the same.)
    extractor = _TLDEXTRACT._get_tld_extractor()
    public, private = _snapshot_rules()
    assert extractor.public_tlds == public
    assert extractor.private_tlds == private
    assert extractor.include_psl_private_domains is False


def test_rule_kinds_exact() -> None:
    # ICANN rules, a wildcard (*.kawasaki.jp) and its exception (!city.kawasaki.jp), a private
    # rule (blogspot.com is not a suffix here: the private section is not used).
    assert registered_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("a.b.kawasaki.jp") == "a.b.kawasaki.jp"
    assert registered_domain("www.city.kawasaki.jp") == "city.kawasaki.jp"
    assert registered_domain("me.blogspot.com") == "blogspot.com"
    assert registered_domain("xn--fiqs8s.xn--fiqs8s") == "xn--fiqs8s.xn--fiqs8s"
    assert registered_domain("Forums.BBC.co.UK") == "BBC.co.UK"  # case kept, as tldextract
    assert registered_domain("kawasaki.jp") == "kawasaki.jp"  # jp is the suffix here
    for nothing in ("localhost", "co.uk", "c.kawasaki.jp", "10.0.0.1", "[2001:db8::1]", "", "."):
        assert registered_domain(nothing) == ""


def test_every_rule_of_both_sections() -> None:
    public, private = _snapshot_rules()
    assert len(public) > 6000 and len(private) > 2000
    assert any(r.startswith("*.") for r in public) and any(r.startswith("!") for r in public)
    count = assert_same(host for rule in public + private for host in _variants(rule))
    assert count > 70_000


def test_catalog_domains() -> None:
    domains = [d for s in load_catalog().services.values() for d in s.domains]
    assert len(domains) > 5000
    assert_same(host for d in domains for host in (d, f"www.{d}", f"cdn.eu.{d}:443"))


def test_real_host_names_from_ut1_lists() -> None:
    lists = sorted((SHARED_DATA / "ut1-blacklists" / "blacklists").glob("*/domains"))
    assert len(lists) > 10
    hosts = [
        line.strip()
        for path in lists
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
    ]
    assert assert_same(hosts) > 100_000


def _squid_hosts(path: Path) -> set[str]:
    """Distinct URL fields (host:port for CONNECT, URLs otherwise) and their hosts."""
    seen: set[str] = set()
    with path.open("rb") as log:
        for raw in log:
            fields = raw.split()
            if len(fields) > 6:
                url = fields[6].decode("utf-8", "replace")
                host = url.split("://", 1)[-1].split("/", 1)[0]
                seen.update((host, normalise_host(host)))
    return seen


def test_hosts_of_the_simulated_organisation(simulated_org: SimulatedOrg) -> None:
    hosts = _squid_hosts(simulated_org.logs / "access.log")
    assert len(hosts) > 1000
    assert_same(hosts)


def test_hosts_of_the_benchmark_log_when_generated() -> None:
    # bench/data is generated by `make bench`; without it the simulated organisation above
    # covers the same kinds of hosts.
    hosts = _squid_hosts(BENCH_LOG) if BENCH_LOG.is_file() else {"www.facebook.com"}
    assert_same(hosts)


IDN_AND_ODD = [
    "例え.テスト", "xn--r8jz45g.xn--zckzah", "münchen.de", "xn--mnchen-3ya.de",
    "bücher.example.公司.cn", "a.xn--55qx5d.cn", "www.xn--fiqs8s", "xn--", "xn--.com",
    "xn--zz.xn--zz", "a.XN--FIQS8S", "a.xn--p1ai", "пример.рф", "a.b.ck", "www.ck", "a.www.ck",
    "foo\u3002bar\u3002co\u3002uk", "foo\uff0ebar\uff0ecom\uff61", "1.2.3.4", "1.2.3.4.5",
    "256.1.1.1", "01.2.3.4", "[::1]", "[::1]:443", "[fe80::1%eth0]", "::1", "2001:db8::1",
    "[2001:db8::1]", "[not-v6]", "a..com", "..com", "com", "com.", ".com", "...", " x.com ",
    "user:pass@host.co.uk:80", "//x.co.uk/", "http://", "ftp://a.b.gov.uk", "x.co.uk#frag",
    "x.co.uk?q=1", "*.co.uk", "!www.ck", "a*b.co.uk", "<script>.co.uk", "a b.com",
    "very." * 40 + "long.co.uk", "-a-.com", "_dmarc.example.org", "a.b.c.d.e.f.g.h.i.j.kawasaki.jp",
]  # fmt: skip


def test_idn_punycode_ip_literals_and_odd_strings() -> None:
    assert_same(IDN_AND_ODD + [v.upper() for v in IDN_AND_ODD] + [v + "." for v in IDN_AND_ODD])


_FRAGMENTS = st.sampled_from(
    ["co", "uk", "jp", "kawasaki", "city", "www", "ck", "com", "xn--", "xn--fiqs8s", "公司", "cn",
     "blogspot", "*", "!", ".", "..", ":", "@", "/", "[", "]", "::1", "1", "255", "\u3002", "-",
     "?", "#", " ", "\x00", "ß", "İ"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS | st.text(max_size=6), max_size=12).map("".join))
def test_hostile_strings_agree(value: str) -> None:
    assert_same([value, normalise_host(value)])


def test_matcher_registered_domains_unchanged() -> None:
    matcher = Matcher(load_catalog())
    hosts = ["docs.google.com", "unknown.example.co.uk", "a.b.c.kawasaki.jp", "localhost"]
    got = [matcher.lookup(h).registered_domain for h in hosts]
    assert got == ["google.com", "example.co.uk", "b.c.kawasaki.jp", None]
    assert [_reference(h) or None for h in hosts] == got


def test_loaded_rules_are_tldextracts() -> None:
    # What registered_domain() walks: the snapshot as read at run time (bytes decoded, as
    # tldextract decodes them), the same trie as one built from tldextract's own reading.
    extractor = _TLDEXTRACT._get_tld_extractor()
    assert suffixes._load() == build_trie(extractor.public_tlds)


_LIST_LINES = st.sampled_from(
    ["com", "co.uk", "*.ck", "!www.ck", "// comment", "", " indented", ".lead", "*", "!", "_x",
     "a b", "a\tb", "a\rb", "\u00e9t\u00e9.fr", "\u3002x", "x\u2028y", "\u00a0nbsp", "// ===BEGIN"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_LIST_LINES | st.text(max_size=8), max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_rules_read_as_tldextract_reads_them(lines: list[str], end: str) -> None:
    text = end.join(lines) + "\n// ===BEGIN PRIVATE DOMAINS===\nblogspot.com\n"
    assert public_rules(text) == extract_tlds_from_suffix_list(text)[0]


_PLAIN_LABELS = st.sampled_from(
    ["co", "uk", "jp", "kawasaki", "city", "www", "ck", "com", "cn", "blogspot", "gov", "bd",
     "nom", "br", "1", "255", "0", "_dmarc", "-", "a-b", "x1", "mil", "k12", "ak", "us", "er"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PLAIN_LABELS, min_size=1, max_size=6).map(".".join))
def test_plain_hosts_agree(host: str) -> None:
    # Lower-case LDH hosts take registered_domain()'s short cut (see
    # test_catalog_fast_paths.py): near wildcard and exception rules, numeric labels.
    assert suffixes._PLAIN_HOST.fullmatch(host)
    assert_same([host, f"a.{host}", f"{host}.uk"])
