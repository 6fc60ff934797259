"""The NCSA (Apache common/combined) format: the real logstash samples, the rules line by line,
detection against every other real sample, the writer, and property tests."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.ncsa import Ncsa
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from conftest import SHARED_DATA
from format_checks import (
    assert_partitions,
    hosts,
    only_record,
    only_reject,
    record,
    round_trip,
    safe_text,
    utc,
)
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

PATTERNS = SHARED_DATA / "logstash-patterns-core" / "spec" / "patterns"
HTTPD = PATTERNS / "httpd.messages.log"
HAPROXY = PATTERNS / "haproxy.messages.log"


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return Ncsa().parse(pa.array(lines, pa.string()), first_line)


def parse_one(line: str) -> dict[str, Any]:
    return only_record(parse([line]))


def reject_reason(line: str) -> str:
    return only_reject(parse([line]))


# ---------------------------------------------------------------------------------------------
# Real files.


def test_httpd_sample() -> None:
    """Three access lines; four Apache error-log lines are rejected."""
    lines = read_lines(HTTPD)
    assert len(lines) == 7
    result = parse(lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    assert result.records.column("log.line").to_pylist() == [1, 2, 3]
    assert result.rejects.to_pylist() == [
        {"log.line": n, "reason": "not-ncsa-access"} for n in (4, 5, 6, 7)
    ]
    first, second, third = result.records.to_pylist()
    assert first["@timestamp"] == utc(2015, 2, 24, 23, 13, 42)
    assert (first["source.address"], first["http.response.bytes"]) == ("83.149.9.216", 203023)
    # A web server logs relative URLs: the host is not known, the line is still a record.
    assert (first["url.domain"], first["destination.port"]) == (None, None)
    assert first["url.original"].startswith("/presentations/logstash-monitorama-2013/")
    assert (second["user.name"], second["http.response.status_code"]) == (
        "username@example.com",
        400,
    )
    # [11/Jan/2020:23:05:27 +0100] is 22:05:27 UTC; the status "-" is none: failed.
    assert third["@timestamp"] == utc(2020, 1, 11, 22, 5, 27)
    assert (third["http.request.method"], third["http.response.status_code"]) == ("OPTIONS", None)
    assert third["event.outcome"] == "failed"
    assert Ncsa.sniff(lines) == pytest.approx(3 / 7)


def test_haproxy_sample_is_rejected() -> None:
    """HAProxy's HTTP log is not NCSA (frontend, timers and flags sit between the time and
    the request): every line is rejected, none mistaken for a truncated NCSA line."""
    lines = read_lines(HAPROXY)
    result = parse(lines)
    assert result.records.num_rows == 0
    assert dict(collections.Counter(result.rejects.column("reason").to_pylist())) == {
        "not-ncsa-access": 8
    }
    assert Ncsa.sniff(lines) == 0.0


def test_sniff_claims_no_other_real_sample() -> None:
    assert other_claims(Ncsa, own=[str(HTTPD.relative_to(SHARED_DATA))]) == {}


def test_detect_picks_ncsa_for_written_lines() -> None:
    lines = Ncsa.write(_table([record(**{"url.domain": "a.example"})] * 3))
    assert formats.detect(lines) is Ncsa


# ---------------------------------------------------------------------------------------------
# Rules.


def test_connect_absolute_and_ipv6() -> None:
    row = parse_one(
        '::1 - - [02/Mar/2026:09:15:00 -0500] "CONNECT [2001:db8::1]:8443 HTTP/1.1" 200 5'
    )
    assert (row["url.domain"], row["destination.port"]) == ("2001:db8::1", 8443)
    assert row["@timestamp"] == utc(2026, 3, 2, 14, 15)
    row = parse_one(
        '10.1.2.3 - - [02/Mar/2026:14:15:00 +0000] "GET https://X.Example/a HTTP/1.1" 200 5'
    )
    assert (row["url.domain"], row["destination.port"]) == ("x.example", 443)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("200", "allowed"), ("304", "allowed"), ("403", "allowed"), ("404", "allowed"),
     ("407", "blocked"), ("500", "failed"), ("503", "failed"), ("-", "failed"), ("0", "failed")],
)  # fmt: skip
def test_outcome_from_status(status: str, outcome: str) -> None:
    line = f'10.1.2.3 - - [02/Mar/2026:14:15:00 +0000] "GET http://a.example/ HTTP/1.1" {status} 5'
    assert parse_one(line)["event.outcome"] == outcome


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +0000] "GET http://a.example/ HTT', "truncated"),
        ('1.2.3.4 - - [02/Xyz/2026:14:15:00 +0000] "GET / HTTP/1.1" 200 5', "bad-timestamp"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +2500] "GET / HTTP/1.1" 200 5', "bad-timestamp"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00] "GET / HTTP/1.1" 200 5', "bad-timestamp"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +0000] "GET / HTTP/1.1" abc 5', "bad-status"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +0000] "GET / HTTP/1.1" 200 -5', "bad-bytes"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +0000] "GET http://a b/ HTTP/1.1" 200 5', "bad-host"),
        ('1.2.3.4 - - [02/Mar/2026:14:15:00 +0000] "CONNECT a.example:0 HTTP/1.1" 200 5',
         "bad-port"),
        ("<script>alert(1)</script>", "not-ncsa-access"),
        ("x" * 40_000, "too-long"),
    ],
)  # fmt: skip
def test_reject_reasons(line: str, reason: str) -> None:
    assert reject_reason(line) == reason


def test_escaped_quotes_and_spaces_in_user() -> None:
    row = parse_one(
        '10.0.0.2 - alice smith [07/Apr/2016:18:42:25 +0000] "GET /a\\"b HTTP/1.1" 200 5'
    )
    assert (row["user.name"], row["url.original"]) == ("alice smith", '/a"b')


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)


def test_write_examples() -> None:
    assert Ncsa.write(
        _table(
            [
                record(**{"source.address": "10.1.2.3", "user.name": 'a "b"\\c',
                           "http.request.method": "GET", "url.domain": "www.facebook.com",
                           "destination.port": 80, "http.response.status_code": 200,
                           "http.response.bytes": 5120}),
                record(**{"http.request.method": "CONNECT", "url.domain": "2001:db8::1",
                           "destination.port": 443, "user.name": "-"}),
            ]
        )
    ) == [
        '10.1.2.3 - a%20%22b%22%5Cc [02/Mar/2026:14:00:00 +0000] '
        '"GET http://www.facebook.com/ HTTP/1.1" 200 5120 "-" "-"',
        '- - %2D [02/Mar/2026:14:00:00 +0000] "CONNECT [2001:db8::1]:443 HTTP/1.1" - - "-" "-"',
    ]  # fmt: skip


TOKENS = ["-", "[02/Mar/2026:14:15:00 +0000]", '"GET / HTTP/1.1"', "200", "::1", '"', "\\",
          "[", "]", "\ufffd", "\r", "", "CONNECT a:1", "<script>"]  # fmt: skip
ncsaish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=12).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text() | ncsaish, max_size=12), st.integers(1, 10**9))
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first_line=first)
    assert_partitions(result, lines, first)
    assert Ncsa.sniff(lines) <= 1.0
    Ncsa.write(result.records)


host = hosts


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """Records as the NCSA format carries them: whole seconds, no action, outcome from the
    status (so not a blocked 403), no duration, upload bytes or mime type."""
    method = draw(st.sampled_from(["GET", "POST", "CONNECT", "HEAD"]))
    domain = draw(host)
    port = draw(st.integers(1, 65535))
    bracketed = f"[{domain}]" if ":" in domain else domain
    if method == "CONNECT":
        url = f"{bracketed}:{port}"
    else:
        port = draw(st.sampled_from([80, port]))
        authority = bracketed if port == 80 else f"{bracketed}:{port}"
        url = f"http://{authority}" + draw(
            st.from_regex(r"/[A-Za-z0-9._~%?=&-]{0,12}", fullmatch=True)
        )
    status = draw(st.sampled_from([None, 200, 302, 403, 404, 407, 500, 503]))
    outcome = "blocked" if status == 407 else "failed" if status in (None, 500, 503) else "allowed"
    return record(
        **{
            "@timestamp": dt.datetime.fromtimestamp(draw(st.integers(0, 4 * 10**9)), dt.UTC),
            "user.name": draw(safe_text | st.none()),
            "source.address": draw(st.ip_addresses().map(str) | st.none()),
            "http.request.method": method,
            "url.domain": domain,
            "destination.port": port,
            "http.response.status_code": status,
            "event.outcome": outcome,
            "http.response.bytes": draw(st.integers(0, 2**40) | st.none()),
            "url.original": url,
        }
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=20))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    parsed = round_trip(Ncsa, rows)
    assert parsed == _table(rows).to_pylist()


# ---------------------------------------------------------------------------------------------
# End to end: simulate in this format, ingest with detection, compare with the Squid run.

# Columns of the services table that the HTTP access-log formats carry as Squid does.
SERVICE_FIELDS = ("requests", "failed", "bytes_down")


def test_simulated_org_end_to_end(
    cli: CliRun, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run, squid = compare_with_squid("ncsa", tmp_path, cli, tmp_path_factory, SERVICE_FIELDS)
    # NCSA has no result code: the proxy's 403 refusals read back as allowed.
    denied = squid.outcomes["blocked"]
    assert denied > 0
    expected = squid.outcomes + collections.Counter(allowed=denied)
    del expected["blocked"]
    assert run.outcomes == expected
