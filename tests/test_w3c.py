"""W3C extended logs: the real Blue Coat samples (W3C file, "main" line, event syslog), headers
that change mid-file and across chunks, IIS and TMG field names, detection against every other
real sample, the writer and property tests."""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ncsa import SERVICE_FIELDS

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.w3c import PROXYSG_MAIN, W3C, WRITE_FIELDS
from socialsight.schema import RECORD_SCHEMA

from conftest import SHARED_DATA
from format_checks import BLANK, hosts, record, round_trip, safe_text, utc
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

STROOM = next(SHARED_DATA.glob("gchq-stroom-docs/**/sampleBluecoat.log"))
SYSLOG = next(SHARED_DATA.glob("apache-metron-sample-data/**/bluecoat/raw/BluecoatSyslog.txt"))
DEMISTO = next(SHARED_DATA.glob("demisto-content/**/SymantecBlueCoatProxySG_testdata.json"))


def parse(lines: list[str], first_line: int = 1, parser: W3C | None = None) -> ParseResult:
    return (parser or W3C()).parse(pa.array(lines, pa.string()), first_line)


def reasons(result: ParseResult) -> dict[str, int]:
    return dict(collections.Counter(result.rejects.column("reason").to_pylist()))


# ---------------------------------------------------------------------------------------------
# Real files.


def test_stroom_proxysg_sample() -> None:
    lines = read_lines(STROOM)
    assert len(lines) == 33 and lines[0] == "#Software: SGOS 3.2.4.28\r"  # CRLF kept by ingest
    result = parse(lines)
    assert (result.records.num_rows, result.rejects.num_rows) == (29, 0)
    records = result.records
    assert records.column("log.line").to_pylist() == list(range(5, 34))
    # awk over the data lines: users ($14), hosts ($11), methods ($9), sc-bytes ($7)
    assert collections.Counter(records.column("user.name").to_pylist()) == {
        "george": 21, "sally": 2, "bill": 2, "brad": 1, "jane": 1, "carol": 1, None: 1,
    }  # fmt: skip
    assert collections.Counter(records.column("url.domain").to_pylist()) == {
        "www.inmobus.com": 21, "images.google.com": 2, "idisk.mac.com": 3,
        "www.cedardalechurch.ca": 1, "aim-charts.pf.aol.com": 1, "home.silverstar.com": 1,
    }  # fmt: skip
    assert sum(records.column("http.response.bytes").to_pylist()) == 89634
    assert set(records.column("event.outcome").to_pylist()) == {"allowed"}
    assert set(records.column("destination.port").to_pylist()) == {80}
    row = records.to_pylist()[-1]
    assert row == {
        "@timestamp": utc(2005, 5, 4, 17, 17, 26),
        "user.name": None,
        "source.address": "45.108.2.100",
        "organization.unit": None,
        "http.request.method": "PUT",
        "url.domain": "idisk.mac.com",
        "destination.port": 80,
        "http.response.status_code": 401,
        "event.action": "TCP_NC_MISS",
        "event.outcome": "allowed",
        "http.request.bytes": 99884,
        "http.response.bytes": 1007,
        "event.duration_ms": 495,
        "http.response.mime_type": "text/html;charset=iso-8859-1",
        "url.original": "http://idisk.mac.com/fayray_account_transfer_holding_area_for_pictures"
        "_to_homepage_temporary/Documents/85bT9bmviawEbbBb4Sie/Image-2743371ABCC011D9.jpg",
        "log.line": 33,
    }
    google = [r for r in records.to_pylist() if r["url.domain"] == "images.google.com"]
    assert google[0]["url.original"].startswith("http://images.google.com/imgres?imgurl=")
    assert W3C.sniff(lines) == 1.0
    assert formats.detect([line.rstrip("\r") for line in lines]) is W3C


def test_stroom_sample_in_chunks_keeps_the_header() -> None:
    """Ingest reads a file in chunks with one parser: the #Fields of chunk 1 apply later."""
    lines = read_lines(STROOM)
    whole = parse(lines).records
    parser = W3C()
    parts = [
        parse(lines[i : i + 7], first_line=i + 1, parser=parser).records for i in (0, 7, 14, 21, 28)
    ]
    assert pa.concat_tables(parts).equals(whole)


def test_bluecoat_event_syslog_is_rejected() -> None:
    lines = read_lines(SYSLOG)
    result = parse(lines)
    assert result.records.num_rows == 0
    assert reasons(result) == {"proxysg-event": 144}
    assert W3C.sniff(lines) == 0.0
    assert formats.detect(lines) is not W3C


def test_demisto_main_line_without_header() -> None:
    """A ProxySG "main" access line streamed over syslog has no header: the default main
    field list reads it (the fields Demisto's modeling rule expects)."""
    data = json.loads(DEMISTO.read_text(encoding="utf-8"))["data"]
    lines = [entry["event_data"]["_raw_log"] for entry in data]
    [row] = parse(lines).records.to_pylist()
    expected = data[0]["expected_values"]
    assert row["source.address"] == expected["xdm.source.ipv4"] == "8.8.8.8"
    assert row["http.response.status_code"] == int(expected["xdm.network.http.response_code"])
    assert row["http.request.method"] == expected["xdm.network.http.method"] == "CONNECT"
    assert row["url.domain"] == expected["xdm.source.host.hostname"] == "remote.msn.com"
    assert row["event.action"] == expected["xdm.event.outcome_reason"] == "TCP_DENIED"
    assert row["http.request.bytes"] == expected["xdm.source.sent_bytes"] == 362
    assert (row["user.name"], row["destination.port"], row["event.outcome"]) == (
        "anonymous logon",
        443,
        "blocked",
    )
    assert row["@timestamp"] == utc(2022, 11, 28, 7, 12, 56)
    assert len(PROXYSG_MAIN) == 24
    assert W3C.sniff(lines) == 1.0


def test_sniff_claims_no_other_real_sample() -> None:
    assert other_claims(W3C, own=[str(STROOM.relative_to(SHARED_DATA))]) == {}


# ---------------------------------------------------------------------------------------------
# Rules.


def test_fields_change_mid_chunk() -> None:
    lines = [
        "#Fields: date time c-ip cs-host sc-status",
        "2026-03-02 14:00:00 10.1.2.3 a.example 200",
        "#Fields: date time cs-host c-ip sc-status cs-bytes",
        "2026-03-02 14:00:01 b.example 10.1.2.4 503 77",
        "2026-03-02 14:00:02 10.1.2.3 a.example 200",
    ]
    result = parse(lines)
    rows = result.records.to_pylist()
    assert [(r["url.domain"], r["source.address"], r["event.outcome"]) for r in rows] == [
        ("a.example", "10.1.2.3", "allowed"),
        ("b.example", "10.1.2.4", "failed"),
    ]
    assert rows[1]["http.request.bytes"] == 77
    assert result.rejects.to_pylist() == [{"log.line": 5, "reason": "field-count"}]


def test_iis_fields() -> None:
    lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs(User-Agent) cs-host sc-status sc-substatus sc-win32-status time-taken",
        "2026-03-02 14:05:01 192.168.1.10 GET /owa/ a=1 8443 CORP\\bob 10.1.2.4 "
        "Mozilla/5.0+(Windows) Mail.Example.gov 302 0 0 31",
    ]
    [row] = parse(lines).records.to_pylist()
    assert (row["url.domain"], row["destination.port"], row["url.original"]) == (
        "mail.example.gov",
        8443,
        "http://Mail.Example.gov/owa/?a=1",
    )
    assert (row["user.name"], row["event.duration_ms"], row["event.action"]) == (
        "CORP\\bob",
        31,
        None,
    )


@pytest.mark.parametrize(
    ("status", "action", "filter_result", "exception", "outcome"),
    [
        ("200", "TCP_HIT", "OBSERVED", "-", "allowed"),
        ("403", "TCP_NC_MISS", "PROXIED", "-", "allowed"),
        ("403", "TCP_DENIED", "DENIED", "policy_denied", "blocked"),
        ("200", "TCP_NC_MISS", "DENIED", "-", "blocked"),
        ("302", "TCP_POLICY_REDIRECT", "PROXIED", "policy_redirect", "blocked"),
        ("407", "TCP_AUTH_MISS", "PROXIED", "-", "blocked"),
        ("503", "TCP_ERR_MISS", "PROXIED", "tcp_error", "failed"),
        ("200", "TCP_ERR_MISS", "PROXIED", "-", "failed"),
        ("504", "TCP_NC_MISS", "PROXIED", "gateway_timeout", "failed"),
        ("0", "TCP_NC_MISS", "PROXIED", "dns_unresolved_hostname", "failed"),
        ("-", "TCP_NC_MISS", "PROXIED", "-", "failed"),
    ],
)
def test_outcome_rules(
    status: str, action: str, filter_result: str, exception: str, outcome: str
) -> None:
    lines = [
        "#Fields: date time sc-status s-action sc-filter-result x-exception-id cs-host",
        f"2026-03-02 14:00:00 {status} {action} {filter_result} {exception} a.example",
    ]
    [row] = parse(lines).records.to_pylist()
    assert (row["event.outcome"], row["event.action"]) == (outcome, action)


FIELDS = "#Fields: date time c-ip cs-method cs-host cs-uri-port time-taken sc-bytes"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2026-03-02 14:00:00 10.1.2.3 GET a.example 80 1", "field-count"),
        ("2026-13-02 14:00:00 10.1.2.3 GET a.example 80 1 2", "bad-timestamp"),
        ("2026-03-02 24:00:00 10.1.2.3 GET a.example 80 1 2", "bad-timestamp"),
        ("2026-03-02 14:00:00 1<2 GET a.example 80 1 2", "bad-client"),
        ("2026-03-02 14:00:00 10.1.2.3 GET a.example 80 1 many", "bad-bytes"),
        ("2026-03-02 14:00:00 10.1.2.3 GET a.example 80 1.5 2", "bad-duration"),
        ("2026-03-02 14:00:00 10.1.2.3 GET a_b!.example 80 1 2", "bad-host"),
        ("2026-03-02 14:00:00 10.1.2.3 GET a.example 65536 1 2", "bad-port"),
        ("<29>Apr 14 20:31:07 ProxySG: 250017 Authentication failed", "proxysg-event"),
        ("hello world", "not-w3c-access"),
        ("#fields\tts\tuid", "unknown-directive"),
        ("2026-03-02 14:00:00 10.1.2.3 GET a.example 80 1 " + "x" * 40_000, "too-long"),
    ],
)
def test_reject_reasons(line: str, reason: str) -> None:
    result = parse([FIELDS, line])
    assert result.records.num_rows == 0
    assert reasons(result) == {reason: 1}


def test_resumed_file_without_header_is_counted_not_misread() -> None:
    """An IIS file appended to after a first ingest run: the new lines come without the
    header, do not fit ProxySG's main list, and are rejected with a reason that says so."""
    lines = ["2026-03-02 14:05:01 192.168.1.10 GET /owa/ - 443 bob 10.1.2.4 - a.example 200 0 0 31"]
    assert parse(lines).rejects.to_pylist() == [{"log.line": 1, "reason": "no-fields-header"}]


def test_absurd_header_is_refused() -> None:
    header = "#Fields: date time " + " ".join(f"x-{i}" for i in range(300))
    result = parse([header, "2026-03-02 14:00:00 a", "#Fields: date time c-ip",
                    "2026-03-02 14:00:00 ::1"])  # fmt: skip
    assert result.rejects.to_pylist() == [{"log.line": 2, "reason": "too-many-fields"}]
    assert result.records.column("source.address").to_pylist() == ["::1"]


def test_header_without_time_rejects_its_lines() -> None:
    result = parse(["#Fields: c-ip cs-host", "10.1.2.3 a.example"])
    assert result.rejects.to_pylist() == [{"log.line": 2, "reason": "no-time-field"}]


def test_quoted_fields_and_dash_nulls() -> None:
    lines = [
        "#Fields: date time cs-username c-ip cs-host rs(Content-Type) cs(User-Agent)",
        '2026-03-02 14:00:00 "Jane Doe" 2001:db8::5 2001:db8::1 - "Mozilla/5.0 (X11; Linux)"',
    ]
    [row] = parse(lines).records.to_pylist()
    assert (row["user.name"], row["source.address"], row["url.domain"]) == (
        "Jane Doe",
        "2001:db8::5",
        "2001:db8::1",
    )
    assert row["http.response.mime_type"] is None


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def test_write_examples() -> None:
    rows = [
        record(**{"source.address": "10.1.2.3", "user.name": "a b%", "http.request.method": "GET",
                   "url.domain": "www.facebook.com", "destination.port": 443,
                   "url.original": "https://www.facebook.com/x y?q=1", "event.action": "TCP_MISS",
                   "http.response.status_code": 200, "http.response.bytes": 10,
                   "http.request.bytes": 5, "event.duration_ms": 7,
                   "http.response.mime_type": "text/html"}),
        record(**{"http.request.method": "CONNECT", "url.domain": "2001:db8::1",
                   "destination.port": 443, "event.outcome": "blocked"}),
    ]  # fmt: skip
    assert W3C.write(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)) == [
        "#Software: socialsight simulator",
        "#Version: 1.0",
        "#Date: 2026-03-02 14:00:00",
        "#Fields: " + " ".join(WRITE_FIELDS),
        "2026-03-02 14:00:00 7 10.1.2.3 a%20b%25 TCP_MISS 200 PROXIED - GET https "
        "www.facebook.com 443 /x%20y ?q=1 10 5 text/html",
        "2026-03-02 14:00:00 - - - - - DENIED policy_denied CONNECT tcp [2001:db8::1] 443 / - "
        "- - -",
    ]
    assert W3C.write(pa.Table.from_pylist([], schema=RECORD_SCHEMA))[3].startswith("#Fields: ")


def test_split_and_row_expression_agree() -> None:
    """A chunk without quotes is split; one quoted line switches the chunk to the row
    expression. Both read the same lines (taken from the real ProxySG file) the same way."""
    header = "#Fields: date time time-taken c-ip sc-status s-action sc-bytes cs-bytes cs-method"
    rows = [" ".join(line.split()[:9]) for line in read_lines(STROOM)[4:]]
    split = parse([header, *rows]).records
    quoted = '2026-03-02 14:00:00 1 "::1" 200 TCP_HIT 1 1 GET'
    expression = parse([header, *rows, quoted]).records
    assert split.num_rows == 29
    assert expression.slice(0, 29).equals(split)
    assert expression.column("source.address")[29].as_py() == "::1"


def test_written_files_concatenate() -> None:
    """The simulator writes a header per day: headers repeated mid-file are not rejects."""
    day = pa.Table.from_pylist([record(**{"url.domain": "a.example", "destination.port": 80})],
                               schema=RECORD_SCHEMA)  # fmt: skip
    lines = W3C.write(day) + W3C.write(day)
    result = parse(lines)
    assert (result.records.num_rows, result.rejects.num_rows) == (2, 0)
    assert result.records.column("log.line").to_pylist() == [5, 10]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text()
        | st.lists(
            st.sampled_from(["#Fields:", "date", "time", "c-ip", "cs-host", "2026-03-02",
                             "14:00:00", '"a b"', '"', "-", "#Version: 1.0", "::1", "\r"])
            | st.text(max_size=4),
            max_size=10,
        ).map(" ".join),
        max_size=10,
    ),
    st.integers(1, 10**9),
)  # fmt: skip
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first_line=first)
    record_lines = result.records.column("log.line").to_pylist()
    reject_lines = result.rejects.column("log.line").to_pylist()
    non_blank = [first + i for i, line in enumerate(lines) if line.strip(BLANK)]
    directives = [
        first + i
        for i, line in enumerate(lines)
        if line.strip(BLANK).startswith("#") and line.strip(BLANK) not in reject_lines
    ]
    assert set(record_lines) | set(reject_lines) <= set(non_blank)
    assert not set(record_lines) & set(reject_lines)
    assert set(non_blank) - set(record_lines) - set(reject_lines) <= set(directives)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    W3C.write(result.records)


host = hosts


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """Records as the written W3C fields carry them: whole seconds, a URL rebuilt from
    scheme, host, non-default port, path and query; the outcome as written."""
    method = draw(st.sampled_from(["GET", "POST", "CONNECT", "PUT"]))
    domain = draw(host)
    bracketed = f"[{domain}]" if ":" in domain else domain
    scheme = draw(st.sampled_from(["http", "https"]))
    port = draw(st.sampled_from([80 if scheme == "http" else 443]) | st.integers(1, 65535))
    default = port == (80 if scheme == "http" else 443)
    if method == "CONNECT":
        url = f"{bracketed}:{port}"
    else:
        authority = bracketed if default else f"{bracketed}:{port}"
        path = draw(st.from_regex(r"/[A-Za-z0-9._~%=&-]{0,12}", fullmatch=True))
        query = draw(st.from_regex(r"(\?[A-Za-z0-9=&]{1,8})?", fullmatch=True))
        url = f"{scheme}://{authority}{path}{query}"
    status = draw(st.sampled_from([None, 200, 302, 403, 404, 407, 500]))
    outcome = draw(st.sampled_from(["allowed", "blocked", "failed"]))
    if status is None or status >= 500:
        outcome = draw(st.sampled_from(["failed", "blocked"]))
    if status == 407:
        outcome = "blocked"
    return record(
        **{
            "@timestamp": dt.datetime.fromtimestamp(draw(st.integers(0, 4 * 10**9)), dt.UTC),
            "user.name": draw(safe_text | st.none()),
            "source.address": draw(st.ip_addresses().map(str) | st.none()),
            "http.request.method": method,
            "url.domain": domain,
            "destination.port": port,
            "http.response.status_code": status,
            "event.action": draw(st.sampled_from(["TCP_HIT", "TCP_NC_MISS", "TCP_TUNNELED"])),
            "event.outcome": outcome,
            "http.request.bytes": draw(st.integers(0, 2**40) | st.none()),
            "http.response.bytes": draw(st.integers(0, 2**40) | st.none()),
            "event.duration_ms": draw(st.integers(0, 10**9) | st.none()),
            "http.response.mime_type": draw(st.sampled_from(["text/html", "a/b; c=d"]) | st.none()),
            "url.original": url,
        }
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=20))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    # The header takes the first four lines.
    parsed = round_trip(W3C, rows, first_record_line=5)
    expected = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA).to_pylist()
    for row in expected:
        # The writer escapes the mime type's space; the parser keeps escapes as logged.
        if row["http.response.mime_type"]:
            row["http.response.mime_type"] = row["http.response.mime_type"].replace(" ", "%20")
    assert parsed == expected


def test_simulated_org_end_to_end(
    cli: CliRun, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Simulated in this format, ingested with detection: the same services as Squid's run,
    and the same outcomes, blocked included (the result code travels)."""
    run, squid = compare_with_squid(
        "w3c", tmp_path, cli, tmp_path_factory, (*SERVICE_FIELDS, "blocked")
    )
    assert run.outcomes == squid.outcomes
    assert squid.outcomes["blocked"] > 0
