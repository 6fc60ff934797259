"""Squid's common/combined logformats and the extended custom layout: the real
elastic-integrations sample, the rules, detection against every other real sample, the writer
and property tests."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ncsa import SERVICE_FIELDS

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.squid import SquidNative
from socialsight.formats.squid_common import SquidCommon
from socialsight.schema import RECORD_SCHEMA

from conftest import SHARED_DATA
from format_checks import (
    assert_partitions,
    only_record,
    only_reject,
    record,
    round_trip,
    utc,
)
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

EXTENSIVE = (
    SHARED_DATA / "elastic-integrations/squid/log/_dev/test/pipeline/test-access-extensive.log"
)
USIEM = SHARED_DATA / "usiem-squid" / "docker" / "logs.log"
FILEBEAT = SHARED_DATA / "elastic-beats-filebeat" / "squid" / "log" / "test"


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return SquidCommon().parse(pa.array(lines, pa.string()), first_line)


def parse_one(line: str) -> dict[str, Any]:
    return only_record(parse([line]))


def reject_reason(line: str) -> str:
    return only_reject(parse([line]))


# ---------------------------------------------------------------------------------------------
# Real files.


def test_extensive_sample_every_line() -> None:
    lines = read_lines(EXTENSIVE)
    result = parse(lines)
    assert (result.records.num_rows, result.rejects.num_rows) == (11, 0)
    records = result.records
    # Elastic's expected output for the same file: duration, bytes, source bytes, port.
    assert records.column("event.duration_ms").to_pylist() == [
        104, 158, 790, 22, 0, 0, 215, 315, 545, 220, 180
    ]  # fmt: skip
    assert records.column("http.response.bytes").to_pylist() == [
        904, 28854, 640, 824, 905, 905, 4042, 6907, 768, 15432, 1200
    ]  # fmt: skip
    assert records.column("http.request.bytes").to_pylist() == [
        123, 2051, 161, 134, 123, 154, 220, 2034, 205, 1980, 200
    ]  # fmt: skip
    assert collections.Counter(records.column("url.domain").to_pylist()) == {
        "example.com": 4, "httpbin.org": 4, "www.google.com": 1, "api.github.com": 1,
        "secure.example.com": 1,
    }  # fmt: skip
    assert records.column("destination.port").to_pylist() == [
        80, 443, 80, 80, 80, 80, 80, 443, 80, 443, 80
    ]  # fmt: skip
    assert records.column("user.name").to_pylist().count("badeyek") == 3
    assert set(records.column("event.outcome").to_pylist()) == {"allowed"}
    first = records.to_pylist()[0]
    assert first["@timestamp"] == utc(2026, 3, 13, 15, 48, 42, 391000)
    assert (first["event.action"], first["http.response.status_code"]) == ("TCP_MISS", 200)
    assert (first["http.response.mime_type"], first["source.address"]) == (
        "text/html",
        "10.105.21.199",
    )
    assert SquidCommon.sniff(lines) == 1.0
    assert formats.detect(lines) is SquidCommon


def test_native_files_are_not_claimed() -> None:
    """Native Squid lines (and squidGuard's) are rejected here and detection keeps them
    native."""
    lines = read_lines(USIEM)
    result = parse(lines)
    assert result.records.num_rows == 0
    assert dict(collections.Counter(result.rejects.column("reason").to_pylist())) == {
        "not-squid-access": 12
    }
    assert formats.detect(lines) is SquidNative
    for name in ("access1", "access2", "access3", "access4"):
        path = FILEBEAT / f"{name}.log"
        assert SquidCommon.sniff(read_lines(path)) == 0.0
        assert formats.detect(read_lines(path)) is SquidNative


def test_sniff_claims_no_other_real_sample() -> None:
    assert other_claims(SquidCommon, own=[str(EXTENSIVE.relative_to(SHARED_DATA))]) == {}


# ---------------------------------------------------------------------------------------------
# Rules.

COMMON = '10.1.2.3 - - [13/Mar/2026:15:48:42 +0000] "GET http://a.example/ HTTP/1.1" {} 9 {}'


@pytest.mark.parametrize(
    ("status", "codes", "outcome"),
    [
        ("200", "TCP_MISS:HIER_DIRECT", "allowed"),
        ("403", "TCP_MISS:HIER_DIRECT", "allowed"),
        ("403", "TCP_DENIED:HIER_NONE", "blocked"),
        ("403", "NONE:HIER_NONE", "blocked"),
        ("407", "TCP_MISS:NONE", "blocked"),
        ("0", "TCP_MISS:HIER_DIRECT", "failed"),
        ("000", "NONE:HIER_NONE", "failed"),
        ("-", "TCP_MISS:HIER_DIRECT", "failed"),
        ("502", "TCP_MISS:HIER_DIRECT", "failed"),
        ("200", "TCP_MISS_TIMEDOUT:HIER_DIRECT", "failed"),
        ("404", "TCP_MISS_ABORTED:HIER_DIRECT", "failed"),
        ("200", "TCP_TUNNEL_ABORTED:HIER_DIRECT", "allowed"),
    ],
)
def test_outcome_follows_squid_table(status: str, codes: str, outcome: str) -> None:
    row = parse_one(COMMON.format(status, codes))
    assert row["event.outcome"] == outcome
    assert row["event.action"] == codes.split(":")[0]


def test_extended_relative_url_takes_the_host_header() -> None:
    line = (
        "1773416971.500 180 10.1.2.3 32892 TCP_MISS/200 1200 200 310 200 890 GET /headers 1.1 - "
        'HIER_DIRECT/192.0.2.30 - application/json - - "-" "curl" "HTTPBin.org:8080" "-" 55 -'
    )
    row = parse_one(line)
    assert (row["url.domain"], row["destination.port"], row["url.original"]) == (
        "httpbin.org",
        8080,
        "/headers",
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (COMMON.format("200", "").rstrip(), "no-squid-codes"),
        (COMMON.format("200", "tcp_miss:hier_direct"), "no-squid-codes"),
        (COMMON.format("abc", "TCP_MISS:HIER_DIRECT"), "bad-status"),
        (COMMON.replace("13/Mar", "32/Mar").format("200", "TCP_MISS:HIER_DIRECT"), "bad-timestamp"),
        (COMMON.replace("a.example", "<b>").format("200", "TCP_MISS:HIER_DIRECT"), "bad-host"),
        ('10.1.2.3 - - [13/Mar/2026:15:48:42 +0000] "GET http://a.ex', "truncated"),
        ("1773416972.100 5 10.1.2.3 32896 TCP_MISS/200 904 123 364", "truncated"),
        ("1773416972.100 5 10.1.2.3 32896 TCP_MISS/200 many 123 364 123 528 GET http://a.example/ "
         '1.1 - HIER_DIRECT/1.2.3.4 80 - - - "-" "-" "-" "-" - -', "bad-field"),
        ("1773416972.100 5 1<2 32896 TCP_MISS/200 904 123 364 123 528 GET http://a.example/ 1.1 - "
         'HIER_DIRECT/1.2.3.4 80 - - - "-" "-" "-" "-" - -', "bad-client"),
        ("2021-02-14 00:00:24 [26] Request(default/additional/-) x.com:443 1.2.3.4/1.2.3.4 - "
         "CONNECT REDIRECT", "not-squid-access"),
        ("x" * 40_000, "too-long"),
    ],
)  # fmt: skip
def test_reject_reasons(line: str, reason: str) -> None:
    assert reject_reason(line) == reason


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def test_write_examples() -> None:
    rows = [
        record(**{"source.address": "10.1.2.3", "http.request.method": "GET",
                   "url.domain": "www.facebook.com", "destination.port": 80,
                   "http.response.status_code": 403, "event.action": "TCP_DENIED",
                   "event.outcome": "blocked", "http.response.bytes": 3900}),
        record(**{"http.request.method": "CONNECT", "url.domain": "a.example",
                   "destination.port": 443, "event.action": "weird code"}),
    ]  # fmt: skip
    assert SquidCommon.write(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)) == [
        '10.1.2.3 - - [02/Mar/2026:14:00:00 +0000] "GET http://www.facebook.com/ HTTP/1.1" 403 '
        '3900 "-" "-" TCP_DENIED:HIER_NONE',
        '- - - [02/Mar/2026:14:00:00 +0000] "CONNECT a.example:443 HTTP/1.1" - - "-" "-" '
        "NONE:HIER_DIRECT",
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text()
        | st.lists(
            st.sampled_from(['"x"', "TCP_MISS:HIER_DIRECT", "TCP_MISS/200", "1773416972.100",
                             "[13/Mar/2026:15:48:42 +0000]", "-", "200", "\r", "<b>"])
            | st.text(max_size=4),
            max_size=26,
        ).map(" ".join),
        max_size=10,
    ),
    st.integers(1, 10**9),
)  # fmt: skip
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first_line=first)
    assert_partitions(result, lines, first)
    SquidCommon.write(result.records)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """Records as ``combined`` carries them: whole seconds, the outcome that Squid's table
    gives for the written action, status and hierarchy."""
    from test_ncsa import records as ncsa_records

    row: dict[str, Any] = draw(ncsa_records())
    action = draw(st.sampled_from(["TCP_MISS", "TCP_HIT", "TCP_TUNNEL", "TCP_DENIED", "NONE"]))
    status = row["http.response.status_code"]
    if action == "TCP_DENIED":
        outcome = "blocked"
    elif status is None or status >= 500:
        outcome = "failed"
    elif status in (403, 407):
        # Written HIER_DIRECT when allowed: the origin or a parent answered.
        outcome = draw(st.sampled_from(["allowed", "blocked"]))
    else:
        outcome = "allowed"
    row.update({"event.action": action, "event.outcome": outcome})
    return row


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=20))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    parsed = round_trip(SquidCommon, rows)
    assert parsed == pa.Table.from_pylist(rows, schema=RECORD_SCHEMA).to_pylist()


def test_real_extended_records_survive_write_as_combined() -> None:
    """What ``combined`` carries of the extended sample comes back unchanged."""
    records = parse(read_lines(EXTENSIVE)).records
    again = parse(SquidCommon.write(records)).records
    carried = ["user.name", "source.address", "http.request.method", "url.domain",
               "destination.port", "http.response.status_code", "event.action",
               "event.outcome", "http.response.bytes"]  # fmt: skip
    assert again.select(carried).equals(records.select(carried))
    assert again.column("http.request.bytes").null_count == records.num_rows


def test_simulated_org_end_to_end(
    cli: CliRun, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Simulated in this format, ingested with detection: the same services as Squid's run,
    and the same outcomes, blocked included (the result code travels)."""
    run, squid = compare_with_squid(
        "squid_common", tmp_path, cli, tmp_path_factory, (*SERVICE_FIELDS, "blocked")
    )
    assert run.outcomes == squid.outcomes
    assert squid.outcomes["blocked"] > 0
