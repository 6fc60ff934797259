"""The CEF format: the real Metron samples (Palo Alto URL log, Imperva WAF), header and
extension escaping, vendor mappings, times, the writer and round-trip properties."""

from __future__ import annotations

import collections
import datetime as dt
from datetime import UTC
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.cef import Cef
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from format_checks import (
    addresses,
    assert_partitions,
    dns_names,
    only_record,
    record,
    round_trip,
    utc,
)
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CEF_DIR = next(DATA.glob("apache-metron-sample-data/**/parsers/cef"))
GOLDEN = Path(__file__).parent / "golden" / "cef"


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return Cef().parse(pa.array(lines, pa.string()), first_line)


def one(line: str) -> dict[str, Any]:
    return only_record(parse([line]))


# ---------------------------------------------------------------------------------------------
# Real files.


def test_metron_palo_alto_cef() -> None:
    lines = read_lines(CEF_DIR / "palo.cef")
    assert len(lines) == 1
    result = parse(lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    assert result.records.to_pylist() == [
        {
            # rt=Apr 07 2017 00:10:10 GMT (the syslog header's 10:10:10 is the relay's clock)
            "@timestamp": utc(2017, 4, 7, 0, 10, 10),
            "user.name": None,  # suser= (empty)
            "source.address": "10.10.10.10",
            "organization.unit": None,
            "http.request.method": None,
            # request=\"www.example.com/\": quoted, without a scheme
            "url.domain": "www.example.com",
            "destination.port": 443,
            "http.response.status_code": None,
            "event.action": "alert",
            "event.outcome": "allowed",
            "http.request.bytes": None,
            "http.response.bytes": None,
            "event.duration_ms": None,
            "http.response.mime_type": None,
            "url.original": "www.example.com/",
            "log.line": 1,
        }
    ]
    assert Cef.sniff(lines) == 1.0
    assert formats.detect(lines) is Cef


def test_metron_imperva_waf_cef() -> None:
    lines = read_lines(CEF_DIR / "waf.cef")
    row = one(lines[0])
    # <14>CEF:0|Imperva Inc.|SecureSphere|...||High|act=alert dst=17.43.200.42 dpt=88 ...
    # rt=31 March 2016 13:04:55 (day first, full month name, no zone: UTC)
    assert row["@timestamp"] == utc(2016, 3, 31, 13, 4, 55)
    assert (row["url.domain"], row["destination.port"], row["source.address"]) == (
        "17.43.200.42",
        88,
        "10.31.45.69",
    )
    assert (row["event.action"], row["event.outcome"], row["user.name"]) == (
        "alert",
        "allowed",
        None,
    )


# ---------------------------------------------------------------------------------------------
# Vendors (tests/golden/cef/vendors.log, written from each vendor's documented CEF mapping).

VENDORS = read_lines(GOLDEN / "vendors.log")


def test_vendor_lines_all_parse() -> None:
    result = parse(VENDORS)
    assert result.rejects.num_rows == 0
    assert result.records.num_rows == len(VENDORS) == 11
    assert collections.Counter(result.records.column("event.outcome").to_pylist()) == {
        "allowed": 6,
        "blocked": 4,
        "failed": 1,
    }


def test_fortigate_traffic_and_webfilter() -> None:
    traffic = one(VENDORS[0])
    # FTNTFGTeventtime in nanoseconds; out = bytes sent by the client, in = received.
    assert traffic["@timestamp"] == utc(2024, 11, 26, 10, 0, 0, 123456)
    assert (traffic["http.request.bytes"], traffic["http.response.bytes"]) == (1850, 3109)
    assert (traffic["event.duration_ms"], traffic["user.name"]) == (12000, "ann")  # duser
    assert (traffic["url.domain"], traffic["event.action"], traffic["event.outcome"]) == (
        "157.240.22.35",
        "close",
        "allowed",
    )
    web = one(VENDORS[1])
    assert web["@timestamp"] == utc(2024, 11, 26, 10, 0, 5)  # eventtime in seconds
    assert (web["url.domain"], web["event.outcome"], web["http.request.method"]) == (
        "twitter.com",
        "blocked",
        "GET",
    )


def test_check_point_forcepoint_menlo() -> None:
    accept, drop = one(VENDORS[2]), one(VENDORS[3])
    assert (accept["url.domain"], accept["event.outcome"]) == ("teams.microsoft.com", "allowed")
    assert (drop["url.domain"], drop["event.action"], drop["event.outcome"]) == (
        "www.tiktok.com",
        "Drop",
        "blocked",
    )
    permitted = one(VENDORS[4])
    # suser=LDAP://10.0.0.1 OU\=Users,DC\=corp/ann: spaces and escaped "=" inside a value.
    assert permitted["user.name"] == "LDAP://10.0.0.1 OU=Users,DC=corp/ann"
    assert permitted["http.response.mime_type"] == "text/html"  # cs3Label=ContentType
    assert permitted["http.request.method"] == "CONNECT"
    blocked = one(VENDORS[5])
    assert (blocked["url.domain"], blocked["destination.port"], blocked["event.outcome"]) == (
        "www.dropbox.com",
        80,
        "blocked",
    )
    menlo = one(VENDORS[6])
    assert menlo["@timestamp"] == utc(2024, 11, 26, 15, 0, 0)  # "Nov 26 2024 15:00:00 UTC"
    assert (menlo["http.response.status_code"], menlo["event.outcome"]) == (200, "allowed")


def test_zscaler_cef_department_and_status() -> None:
    ok, down = one(VENDORS[7]), one(VENDORS[8])
    assert (ok["organization.unit"], ok["url.domain"], ok["destination.port"]) == (
        "Communications",
        "www.youtube.com",
        443,  # app=HTTPS
    )
    assert ok["url.original"] == "www.youtube.com/watch?v=abc"
    assert (down["organization.unit"], down["http.response.status_code"]) == ("Legal", 503)
    assert down["event.outcome"] == "failed"


def test_header_escapes_and_rfc5424_time() -> None:
    row = one(VENDORS[10])
    # 2024-11-26T15:00:00.250-05:00 from the syslog header (no rt).
    assert row["@timestamp"] == utc(2024, 11, 26, 20, 0, 0, 250000)
    assert (row["url.domain"], row["destination.port"]) == ("example.org", 8443)


def test_extension_escaping() -> None:
    row = one(
        r"CEF:0|v|p|1|s|n|3|rt=1732633200000 dhost=a.example suser=a\\b\=c\nd\re "
        r"request=http://a.example/q?x\=1&y\=2 in=7"
    )
    assert row["user.name"] == "a\\b=c\nd\re"
    assert row["url.original"] == "http://a.example/q?x=1&y=2"
    assert row["http.response.bytes"] == 7
    # An unescaped "=" inside a value (common in URLs) stays in the value.
    row = one("CEF:0|v|p|1|s|n|3|rt=1732633200000 request=http://a.example/?a=b&c=d src=10.0.0.1")
    assert (row["url.original"], row["source.address"]) == ("http://a.example/?a=b&c=d", "10.0.0.1")


@pytest.mark.parametrize(
    ("rt", "expected"),
    [
        ("1732633200000", utc(2024, 11, 26, 15, 0)),
        ("Nov 26 2024 15:00:00", utc(2024, 11, 26, 15, 0)),
        ("Nov 26 2024 15:00:00.125 GMT", utc(2024, 11, 26, 15, 0, 0, 125000)),
        ("Nov 26 2024 10:00:00 -0500", utc(2024, 11, 26, 15, 0)),
        ("26 November 2024 15:00:00", utc(2024, 11, 26, 15, 0)),
        ("2024-11-26T10:00:00-05:00", utc(2024, 11, 26, 15, 0)),
        ("2024-11-26T15:00:00Z", utc(2024, 11, 26, 15, 0)),
    ],
)
def test_times(rt: str, expected: dt.datetime) -> None:
    assert one(f"CEF:0|v|p|1|s|n|3|rt={rt} dhost=a.example")["@timestamp"] == expected


def test_hostile_golden_reasons() -> None:
    result = parse(read_lines(GOLDEN / "hostile.log"))
    assert result.rejects.to_pylist() == [
        {"log.line": 5, "reason": "bad-timestamp"},  # truncated inside rt
        {"log.line": 6, "reason": "bad-header"},  # truncated inside the header
        {"log.line": 7, "reason": "no-destination"},
        {"log.line": 8, "reason": "bad-port"},
        {"log.line": 9, "reason": "bad-address"},
        {"log.line": 10, "reason": "bad-timestamp"},  # a zone name other than UTC/GMT
        {"log.line": 11, "reason": "bad-bytes"},
        {"log.line": 12, "reason": "bad-timestamp"},  # no year
        {"log.line": 13, "reason": "not-cef"},
    ]
    rows = result.records.to_pylist()
    assert rows[0]["url.domain"] == "www.reddit.com"  # CRLF
    assert rows[2]["user.name"] == "<script>alert(1)</script>"  # kept as data, escaped by faces
    assert rows[3]["user.name"] == "caf \ufffd\ufffd\ufffd"  # bad UTF-8 replaced on reading


def test_too_long_and_blank() -> None:
    head = "CEF:0|v|p|1|s|n|3|rt=1732633200000 dhost=a.example request="
    longest = head + "x" * (32_768 - len(head))
    result = parse(["", "   ", longest + "x", longest])
    assert result.rejects.to_pylist() == [{"log.line": 3, "reason": "too-long"}]
    assert result.records.column("log.line").to_pylist() == [4]


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def _record(**fields: Any) -> dict[str, Any]:
    return record(**{"@timestamp": utc(2026, 3, 2, 14, 0, 5), **fields})


def test_write_shape() -> None:
    row = _record(**{"@timestamp": utc(2026, 3, 2, 14, 0, 5, 123000), "user.name": "ann = x\\",
                     "source.address": "10.1.0.1", "url.domain": "www.facebook.com",
                     "destination.port": 443, "event.outcome": "failed", "event.action": "TCP_MISS",
                     "organization.unit": "Comms", "http.response.status_code": 503})  # fmt: skip
    assert Cef.write(pa.Table.from_pylist([row], schema=RECORD_SCHEMA)) == [
        "<134>Mar 02 14:00:05 socialsight CEF:0|socialsight|simulator|1.0|access|Web request|3|"
        r"rt=1772460005123 src=10.1.0.1 suser=ann \= x\\ dhost=www.facebook.com dpt=443 "
        "act=TCP_MISS outcome=failure cs1=Comms cs1Label=dept cs4=503 cs4Label=HTTP Status"
    ]


dns_name = dns_names(min_labels=2)
address = addresses
# Values keep no edge spaces (CEF cannot tell them from separators) and no empty strings.
# Line breaks are escaped (\n, \r); other control characters cannot be written.
value_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n\r"),
    min_size=1,
).filter(lambda s: s.strip() == s and s != "")
OUTCOME_ACTIONS = {"allowed": ["TCP_MISS", "accept", "passthrough"], "blocked": ["TCP_DENIED"],
                   "failed": ["TCP_MISS"]}  # fmt: skip


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    outcome = draw(st.sampled_from(["allowed", "blocked", "failed"]))
    status = draw(st.sampled_from([None, 200, 302, 404] if outcome != "failed" else [None, 502]))
    domain = draw(dns_name | address)
    path = draw(st.from_regex(r"(/[A-Za-z0-9._~%?=&-]{0,12}){1,3}", fullmatch=True))
    port = draw(st.integers(1, 65535))
    host = f"[{domain}]" if ":" in domain else domain
    return _record(**{
        "@timestamp": dt.datetime.fromtimestamp(draw(st.integers(10**12, 4 * 10**12)) / 1e3, UTC),
        "user.name": draw(value_text | st.none()),
        "source.address": draw(address),
        "organization.unit": draw(value_text | st.none()),
        "http.request.method": draw(st.sampled_from(["GET", "POST", "CONNECT", None])),
        "url.domain": domain,
        "destination.port": port,
        "http.response.status_code": status,
        "event.action": draw(st.sampled_from(OUTCOME_ACTIONS[outcome])),
        "event.outcome": outcome,
        "http.request.bytes": draw(st.integers(0, 2**40) | st.none()),
        "http.response.bytes": draw(st.integers(0, 2**40) | st.none()),
        "http.response.mime_type": draw(st.sampled_from(["text/html", "image/png"]) | st.none()),
        "url.original": draw(st.just(f"https://{host}:{port}{path}") | st.none()),
    })  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=15))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    """Every field CEF carries comes back; only the duration is lost."""
    parsed = round_trip(Cef, rows)
    assert parsed == rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text()
        | st.lists(st.sampled_from(["CEF:0", "|", "\\", "=", " ", "rt=1732633200000", "dhost=",
                                    "a.example", "src=", "::1", "\\=", "act=deny", "x"]),
                   max_size=30).map("".join),
        max_size=10,
    ),
    st.integers(1, 10**9),
)  # fmt: skip
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first)
    assert_partitions(result, lines, first)
    Cef.write(result.records)


def test_other_formats_samples_are_not_cef() -> None:
    assert other_claims(Cef, own=["apache-metron-sample-data/*/parsers/cef/*.cef"]) == {}


def test_simulated_org_matches_the_squid_run(
    tmp_path: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """simulate --format cef -> ingest: the same services, people and units as Squid."""
    carried = {"requests", "blocked", "failed", "bytes_down", "first_seen", "last_seen"}
    compare_with_squid("cef", tmp_path, cli, tmp_path_factory, carried)
