"""The bundled catalog's invariants, the matcher's rules, and override files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from socialsight.catalog import (
    LEANINGS,
    Catalog,
    Match,
    Matcher,
    is_valid_domain,
    load_catalog,
    normalise_host,
)
from socialsight.errors import InputError

MANDATORY = [
    "facebook",
    "instagram",
    "whatsapp",
    "messenger",
    "twitter",
    "linkedin",
    "youtube",
    "tiktok",
    "reddit",
    "mastodon",
    "squidoo",
    "hi5",
    "myspace",
    "slack",
    "dropbox",
    "google-docs",
    "google-drive",
    "gmail",
    "google-search",
    "google-maps",
    "wikipedia",
    "wordpress-com",
    "blogger",
    "tumblr",
    "medium",
    "github",
    "stack-overflow",
    "microsoft-teams",
    "zoom",
    "outlook-web",
    "onedrive",
    "box",
    "wetransfer",
    "telegram",
    "discord",
    "signal",
    "skype",
    "pinterest",
    "flickr",
    "vimeo",
    "twitch",
    "netflix",
    "spotify",
    "yahoo-mail",
    "yahoo",
    "bing",
    "chatgpt",
    "trello",
    "cnn",
    "bbc-news",
]


# --- invariants of the bundled catalog ------------------------------------------------------


def test_catalog_size_and_version(catalog: Catalog) -> None:
    assert catalog.version == "2026.11.1"
    assert len(catalog.services) == 501
    assert len(catalog.categories) == 29
    assert len(catalog.domain_index()) == 11611


def test_every_category_used_exists_and_every_category_is_used(catalog: Catalog) -> None:
    used = {s.category for s in catalog.services.values()}
    assert used <= set(catalog.categories)
    assert used == set(catalog.categories)


@pytest.mark.parametrize("service_id", MANDATORY)
def test_mandatory_ids_present(catalog: Catalog, service_id: str) -> None:
    assert service_id in catalog.services


def test_twitter_name(catalog: Catalog) -> None:
    assert catalog.services["twitter"].name == "X (Twitter)"


def test_no_domain_claimed_twice_and_all_valid(catalog: Catalog) -> None:
    seen: dict[str, str] = {}
    for service in catalog.services.values():
        assert service.leaning in LEANINGS, service.id
        assert service.domains, service.id
        assert service.sources, service.id
        for domain in service.domains:
            assert is_valid_domain(domain), (service.id, domain)
            assert seen.setdefault(domain, service.id) == service.id, domain


def test_no_gpl_source_is_shipped(catalog: Catalog) -> None:
    sources = {src.split(":")[0] for s in catalog.services.values() for src in s.sources}
    assert sources == {"curated", "v2fly", "sinfonietta", "jmdugan", "ut1"}


# --- matching ----------------------------------------------------------------------------

HOSTS = {
    # Meta
    "www.facebook.com": "facebook",
    "a.b.facebook.com": "facebook",
    "scontent-ams4-1.xx.fbcdn.net": "facebook",
    "connect.facebook.net": "facebook",
    "cdn.fbsbx.com": "facebook",
    "scontent.cdninstagram.com": "instagram",
    "www.instagram.com": "instagram",
    "web.whatsapp.com": "whatsapp",
    "mmg.whatsapp.net": "whatsapp",
    "whatsapp.com": "whatsapp",
    "www.messenger.com": "messenger",
    # X / Twitter
    "pbs.twimg.com": "twitter",
    "t.co": "twitter",
    "x.com": "twitter",
    "api.twitter.com": "twitter",
    # LinkedIn, YouTube
    "static.licdn.com": "linkedin",
    "www.linkedin.com": "linkedin",
    "i.ytimg.com": "youtube",
    "rr3---sn-4g5e6nsz.googlevideo.com": "youtube",
    "youtu.be": "youtube",
    "www.youtube-nocookie.com": "youtube",
    "yt3.ggpht.com": "youtube",
    "music.youtube.com": "youtube-music",
    # Google: host rules beat the generic google.com rule
    "docs.google.com": "google-docs",
    "drive.google.com": "google-drive",
    "mail.google.com": "gmail",
    "www.google.com": "google-search",
    "google.com": "google-search",
    "www.google.co.uk": "google-search",
    "www.google.ca": "google-search",
    "google.com.br": "google-search",
    "maps.google.com": "google-maps",
    "maps.googleapis.com": "google-maps",
    "fonts.googleapis.com": "google-apis",
    "www.gstatic.com": "google-apis",
    # Others from the brief
    "hi5.com": "hi5",
    "www.squidoo.com": "squidoo",
    "foo.blogspot.com": "blogger",
    "someone.wordpress.com": "wordpress-com",
    "en.wikipedia.org": "wikipedia",
    "teams.microsoft.com": "microsoft-teams",
    "outlook.office365.com": "outlook-web",
    "login.live.com": "microsoft-account",
    "onedrive.live.com": "onedrive",
    "mail.yahoo.com": "yahoo-mail",
    "news.yahoo.com": "yahoo",
    "chatgpt.com": "chatgpt",
    "us02web.zoom.us": "zoom",
    "fbstatic-a.akamaihd.net": "akamai",
    "d1234.cloudfront.net": "amazon-cloudfront",
    "news.ycombinator.com": "hacker-news",
    "www.bbc.co.uk": "bbc-news",
    # The ut1 long tail
    "skyrock.com": "skyrock",
}

UNKNOWN = {
    "notfacebook.com": "notfacebook.com",
    "facebook.com.evil.net": "evil.net",
    "www.example.co.uk": "example.co.uk",
    "fakefbcdn.net": "fakefbcdn.net",
}


@pytest.mark.parametrize(("host", "expected"), sorted(HOSTS.items()))
def test_lookup_known(matcher: Matcher, host: str, expected: str) -> None:
    match = matcher.lookup(host)
    assert match.service_id == expected
    assert match.category == matcher.catalog.services[expected].category
    assert match.rule is not None and (host == match.rule or host.endswith("." + match.rule))
    assert match.reason == f"suffix rule {match.rule} of {expected}"


@pytest.mark.parametrize(("host", "registered"), sorted(UNKNOWN.items()))
def test_lookup_unknown_is_on_label_boundaries(
    matcher: Matcher, host: str, registered: str
) -> None:
    match = matcher.lookup(host)
    assert (match.service_id, match.rule, match.category) == (None, None, None)
    assert match.registered_domain == registered
    assert match.reason == f"unknown; registered domain {registered}"


def test_lookup_fields(matcher: Matcher) -> None:
    match = matcher.lookup("Docs.Google.COM.:443")
    assert match.host == "docs.google.com"
    assert match.service_name == "Google Docs"
    assert match.category == "productivity"
    assert match.rule == "docs.google.com"
    assert match.registered_domain == "google.com"
    assert match.is_ip is False


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("WWW.FACEBOOK.COM", "www.facebook.com"),
        ("www.facebook.com.", "www.facebook.com"),
        ("www.facebook.com:8443", "www.facebook.com"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("10.1.2.3:3128", "10.1.2.3"),
        ("  t.co  ", "t.co"),
    ],
)
def test_normalise_host(raw: str, host: str) -> None:
    assert normalise_host(raw) == host


@pytest.mark.parametrize(
    "raw", ["10.1.2.3", "10.1.2.3:443", "[::1]:80", "2001:db8::1", "fe80::1%eth0"]
)
def test_ip_literals_flagged_never_classified(matcher: Matcher, raw: str) -> None:
    match = matcher.lookup(raw)
    assert match.is_ip is True
    assert (match.service_id, match.registered_domain, match.rule) == (None, None, None)
    assert match.reason == "IP literal; no address rule"


def test_hostile_hosts_do_not_crash(matcher: Matcher) -> None:
    assert matcher.lookup("").reason == "unknown; no registered domain under the Public Suffix List"
    assert matcher.lookup("<script>.facebook.com").service_id == "facebook"
    assert matcher.lookup("a" * 5000).service_id is None
    assert matcher.lookup("...").service_id is None


# --- classify ---------------------------------------------------------------------------


def test_classify_agrees_with_lookup(matcher: Matcher) -> None:
    hosts = [*HOSTS, *UNKNOWN, "10.0.0.1", "[::1]:443", None, "www.facebook.com", None]
    table = matcher.classify(pa.array(hosts, pa.string()))
    assert table.num_rows == len(hosts)
    assert table.column_names == [
        "service.id",
        "service.category",
        "url.registered_domain",
        "host.is_ip",
    ]
    rows = table.to_pylist()
    for host, row in zip(hosts, rows, strict=True):
        if host is None:
            assert row == {
                "service.id": None,
                "service.category": None,
                "url.registered_domain": None,
                "host.is_ip": False,
            }
            continue
        m = matcher.lookup(host)
        assert row == {
            "service.id": m.service_id,
            "service.category": m.category,
            "url.registered_domain": m.registered_domain,
            "host.is_ip": m.is_ip,
        }


def test_classify_accepts_chunked_and_dictionary(matcher: Matcher) -> None:
    chunked = pa.chunked_array([["t.co", None], ["mail.google.com"]])
    assert matcher.classify(chunked).column("service.id").to_pylist() == ["twitter", None, "gmail"]
    dictionary = pa.array(["x.com", "x.com", None, "1.2.3.4"]).dictionary_encode()
    table = matcher.classify(dictionary)
    assert table.column("service.id").to_pylist() == ["twitter", "twitter", None, None]
    assert table.column("host.is_ip").to_pylist() == [False, False, False, True]


def test_classify_works_once_per_distinct_host(matcher: Matcher) -> None:
    calls: list[str] = []
    fresh = Matcher(matcher.catalog)
    original = fresh._lookup

    def counting(host: str) -> Match:
        calls.append(host)
        return original(host)

    fresh._lookup = counting  # type: ignore[method-assign,assignment]
    table = fresh.classify(pa.array(["t.co", "x.com"] * 50_000 + [None]))
    assert table.num_rows == 100_001
    assert sorted(calls) == ["t.co", "x.com"]


def test_classify_empty(matcher: Matcher) -> None:
    assert matcher.classify(pa.array([], pa.string())).num_rows == 0


# --- overrides and validation ------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "local.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_override_adds_replaces_extends_removes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
remove = ["hi5"]

[categories]
intranet = "Our own services"

[[service]]
id = "intranet"
name = "Intranet"
category = "intranet"
owner = "Us"
leaning = "business"
domains = ["intranet.example.gc.ca"]

[[service]]
id = "slack"
name = "Slack (sanctioned)"
category = "collaboration"
owner = "Salesforce"
leaning = "business"
domains = ["slack.com"]

[[service]]
id = "facebook"
extends = true
domains = ["facebook.example"]
sources = ["local"]
""",
    )
    catalog = load_catalog([path])
    assert catalog.version.startswith("2026.11.1+local.")
    assert len(catalog.version) == len("2026.11.1+local.") + 8
    assert "hi5" not in catalog.services
    assert catalog.categories["intranet"] == "Our own services"
    assert catalog.services["slack"].name == "Slack (sanctioned)"
    assert catalog.services["slack"].domains == ("slack.com",)
    assert catalog.services["facebook"].domains[-1] == "facebook.example"
    assert catalog.services["facebook"].sources[-1] == "local"
    assert catalog.services["facebook"].name == "Facebook"
    m = Matcher(catalog)
    assert m.lookup("wiki.intranet.example.gc.ca").service_id == "intranet"
    assert m.lookup("hi5.com").service_id is None
    assert m.lookup("slack-edge.com").service_id is None
    assert m.lookup("www.facebook.example").service_id == "facebook"


def test_override_version_depends_on_content(tmp_path: Path) -> None:
    a = write(tmp_path, 'remove = ["hi5"]\n', "a.toml")
    b = write(tmp_path, 'remove = ["myspace"]\n', "b.toml")
    assert load_catalog([a]).version != load_catalog([b]).version
    assert load_catalog([a]).version == load_catalog([a]).version
    assert load_catalog().version == "2026.11.1"


SERVICE = """
[[service]]
id = "{id}"
name = "X"
category = "{category}"
owner = "O"
leaning = "{leaning}"
domains = [{domains}]
"""


def service(
    id: str = "new-one",
    category: str = "video",
    leaning: str = "mixed",
    domains: str = '"new.example"',
) -> str:
    return SERVICE.format(id=id, category=category, leaning=leaning, domains=domains)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (service(category="nope"), "service new-one: unknown category 'nope'"),
        (service(leaning="work"), "service new-one: bad leaning 'work'"),
        (service(domains='"bad_domain.com"'), "service new-one: malformed domain 'bad_domain.com'"),
        (service(domains='"*.example.com"'), "service new-one: malformed domain '*.example.com'"),
        (service(domains='"localhost"'), "service new-one: malformed domain 'localhost'"),
        (service(domains='"Example.com"'), "service new-one: malformed domain 'Example.com'"),
        (service(domains=""), "service new-one: 'domains' is empty"),
        (
            service("a-one") + service("b-two"),
            "service b-two: domain new.example is also claimed by a-one",
        ),
        (
            service(domains='"fbcdn.net"'),
            "service new-one: domain fbcdn.net is also claimed by facebook",
        ),
        (service(id="Bad Id"), "service #1: id 'Bad Id' is not a kebab-case slug"),
        (service() + service(), "service new-one: defined twice in this file"),
        (
            "[[service]]\nid = 'ghost-svc'\nextends = true\ndomains = []\n",
            "service ghost-svc: 'extends = true' needs an existing service",
        ),
        ('remove = ["no-such"]\n', "remove no-such: no such service"),
        ("colour = 1\n", "top level: unknown key(s) colour"),
        (
            service().replace('owner = "O"', 'owner = "O"\ncolour = 1'),
            "service new-one: unknown key(s) colour",
        ),
        ("[categories]\n'Bad Slug' = 'x'\n", "[categories]: must map kebab-case slugs to titles"),
    ],
)
def test_override_validation(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_catalog([path])
    assert str(info.value) == f"{path}: {message}" or str(info.value).startswith(
        f"{path}: {message}"
    )
    assert "\n" not in str(info.value)


def test_bad_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[[service]\nid = ")
    with pytest.raises(InputError, match=r"local\.toml: not valid TOML: ") as info:
        load_catalog([path])
    assert "\n" not in str(info.value)


def test_missing_and_non_utf8_override(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read catalog override"):
        load_catalog([tmp_path / "absent.toml"])
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(InputError, match=r"latin1\.toml: catalog override is not UTF-8"):
        load_catalog([path])


def test_second_override_sees_the_first(tmp_path: Path) -> None:
    first = write(tmp_path, "[categories]\nintranet = 'Ours'\n", "1.toml")
    second = write(tmp_path, service(category="intranet"), "2.toml")
    catalog = load_catalog([first, second])
    assert catalog.services["new-one"].category == "intranet"
    with pytest.raises(InputError, match=r"2\.toml: service new-one: unknown category"):
        load_catalog([second])
