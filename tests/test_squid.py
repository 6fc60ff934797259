"""The Squid native format: real third-party logs, outcome and reject rules, the writer, and
property tests (arbitrary text never raises; records survive write -> parse)."""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.squid import BLANK_CHARS, MAX_LINE_CHARS, SquidNative
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILEBEAT = DATA / "elastic-beats-filebeat" / "squid" / "log" / "test"
METRON = DATA / "apache-metron-sample-data"
METRON_RAW = next(METRON.glob("**/squid/raw/SquidExampleOutput"))
METRON_PARSED = next(METRON.glob("**/squid/parsed/SquidExampleParsed"))
METRON_CONTRIB = next(METRON.glob("metron-contrib/**/SquidExampleOutput.txt"))
LOGSTASH = DATA / "logstash-patterns-core" / "spec" / "patterns" / "squid.messages.log"
USIEM = DATA / "usiem-squid" / "docker" / "logs.log"
CUSTOM = DATA / "elastic-integrations/squid/log/_dev/test/pipeline/test-access-extensive.log"


def read_lines(path: Path) -> list[str]:
    """Lines of a file as ingest reads them (UTF-8 with replacement, split on \\n)."""
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return SquidNative().parse(pa.array(lines, pa.string()), first_line)


def parse_one(line: str) -> dict[str, Any]:
    result = parse([line])
    assert result.rejects.num_rows == 0, result.rejects.to_pylist()
    rows: list[dict[str, Any]] = result.records.to_pylist()
    assert len(rows) == 1
    return rows[0]


def reject_reason(line: str) -> str:
    result = parse([line])
    assert result.records.num_rows == 0
    reasons: list[str] = result.rejects.column("reason").to_pylist()
    assert len(reasons) == 1
    return reasons[0]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def line_of(records: pa.Table, line: int) -> dict[str, Any]:
    rows = [r for r in records.to_pylist() if r["log.line"] == line]
    assert len(rows) == 1
    return rows[0]


# ---------------------------------------------------------------------------------------------
# Real files: exact record / reject counts, outcomes, and spot checks of real lines.

REAL_FILES = {
    # name: (path, lines, records, rejects, outcome counts, sniff)
    "access1": (FILEBEAT / "access1.log", 100, 100, 0, {"allowed": 85, "blocked": 15}, 1.0),
    "access2": (
        FILEBEAT / "access2.log",
        100,
        100,
        0,
        {"allowed": 98, "blocked": 1, "failed": 1},
        1.0,
    ),
    "access3": (FILEBEAT / "access3.log", 100, 100, 0, {"allowed": 74, "failed": 26}, 1.0),
    "access4": (FILEBEAT / "access4.log", 100, 100, 0, {"allowed": 100}, 1.0),
    # 5 squidGuard lines + 2 blank lines + 7 Squid records.
    "usiem": (USIEM, 14, 7, 5, {"failed": 5, "allowed": 2}, 7 / 12),
    "metron-raw": (METRON_RAW, 2, 2, 0, {"allowed": 2}, 1.0),
    "metron-contrib": (METRON_CONTRIB, 5, 5, 0, {"allowed": 5}, 1.0),
    "logstash": (LOGSTASH, 4, 4, 0, {"allowed": 2, "failed": 2}, 1.0),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_file_counts(name: str) -> None:
    path, n_lines, n_records, n_rejects, outcomes, sniff = REAL_FILES[name]
    lines = read_lines(path)
    assert len(lines) == n_lines
    result = parse(lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    assert (result.records.num_rows, result.rejects.num_rows) == (n_records, n_rejects)
    assert dict(collections.Counter(result.records.column("event.outcome").to_pylist())) == (
        outcomes
    )
    assert SquidNative.sniff(lines) == pytest.approx(sniff)
    # Squid never logs request bytes in the native format.
    assert result.records.column("http.request.bytes").null_count == n_records


def test_filebeat_aggregates_match_awk() -> None:
    """Figures computed independently with awk over the same files ($5, $3, $8)."""
    expected = {  # name: (sum of bytes, distinct clients, records without user)
        "access1": (578214, 8, 15),
        "access2": (370092, 4, 100),
        "access3": (2381656, 1, 100),
        "access4": (5714024, 3, 100),
    }
    for name, (total, clients, no_user) in expected.items():
        records = parse(read_lines(REAL_FILES[name][0])).records
        assert sum(records.column("http.response.bytes").to_pylist()) == total
        assert len(set(records.column("source.address").to_pylist())) == clients
        assert records.column("user.name").null_count == no_user


def test_access1_hi5_lines() -> None:
    records = parse(read_lines(FILEBEAT / "access1.log")).records
    # 1157689337.481      4 10.105.47.218 TCP_DENIED/407 1661 GET http://hi5.com/ - NONE/- ...
    assert line_of(records, 22) == {
        "@timestamp": utc(2006, 9, 8, 4, 22, 17, 481000),
        "user.name": None,
        "source.address": "10.105.47.218",
        "organization.unit": None,
        "http.request.method": "GET",
        "url.domain": "hi5.com",
        "destination.port": 80,
        "http.response.status_code": 407,
        "event.action": "TCP_DENIED",
        "event.outcome": "blocked",
        "http.request.bytes": None,
        "http.response.bytes": 1661,
        "event.duration_ms": 4,
        "http.response.mime_type": "text/html",
        "url.original": "http://hi5.com/",
        "log.line": 22,
    }
    # Line 26: the same person, authenticated, gets through.
    row = line_of(records, 26)
    assert row["user.name"] == "nazsoau"
    assert row["event.outcome"] == "allowed"
    assert (row["event.action"], row["http.response.status_code"]) == ("TCP_MISS", 200)
    assert (row["http.response.bytes"], row["event.duration_ms"]) == (29359, 4969)
    assert row["@timestamp"] == utc(2006, 9, 8, 4, 22, 24, 736000)
    hi5 = [r for r in records.to_pylist() if (r["url.domain"] or "").endswith("hi5.com")]
    assert len(hi5) == 7  # grep -c hi5.com access1.log
    # Line 1: CONNECT login.yahoo.com:443 with a user.
    first = line_of(records, 1)
    assert (first["url.domain"], first["destination.port"], first["user.name"]) == (
        "login.yahoo.com",
        443,
        "badeyek",
    )
    assert first["http.response.mime_type"] is None


def test_access1_nonstandard_port() -> None:
    records = parse(read_lines(FILEBEAT / "access1.log")).records
    rows = [r for r in records.to_pylist() if r["url.domain"] == "natrocket.kmip.net"]
    assert [(r["destination.port"], r["event.outcome"]) for r in rows] == [
        (5288, "blocked"),
        (5288, "blocked"),
    ]


def test_access2_old_hierarchy_codes() -> None:
    records = parse(read_lines(FILEBEAT / "access2.log")).records
    # Line 88: TCP_MISS/000 ... TIMEOUT_DEFAULT_PARENT/proxy.mel.connect.com.au -
    row = line_of(records, 88)
    assert row["http.response.status_code"] is None
    assert row["event.outcome"] == "failed"
    assert row["event.duration_ms"] == 43001
    # Line 96: TCP_DENIED/403 with NONE/-.
    row = line_of(records, 96)
    assert (row["event.action"], row["http.response.status_code"], row["event.outcome"]) == (
        "TCP_DENIED",
        403,
        "blocked",
    )
    assert row["url.domain"] == "rmapup.real.com"
    # Line 3 uses TIMEOUT_FIRST_PARENT_MISS: an ICP timeout, not a failed request.
    assert line_of(records, 3)["event.outcome"] == "allowed"


def test_access3_facebook_and_errors() -> None:
    records = parse(read_lines(FILEBEAT / "access3.log")).records
    # 1349057715.339    267 192.168.0.35 TCP_MISS/302 379 GET http://www.facebook.com/ - ...
    row = line_of(records, 97)
    assert row["@timestamp"] == utc(2012, 10, 1, 2, 15, 15, 339000)
    assert (row["url.domain"], row["http.response.status_code"], row["event.outcome"]) == (
        "www.facebook.com",
        302,
        "allowed",
    )
    row = line_of(records, 99)
    assert (row["http.request.method"], row["url.domain"], row["destination.port"]) == (
        "CONNECT",
        "www.facebook.com",
        443,
    )
    assert row["http.response.bytes"] == 87179
    assert line_of(records, 51)["url.domain"] == "docs.google.com"
    # Line 1: TCP_MISS/503 0 CONNECT safebrowsing.google.com:443 - DIRECT/- -
    assert line_of(records, 1)["event.outcome"] == "failed"
    # Line 29: TCP_MISS/503 4244 ... NONE/- text/html (the proxy's own error page).
    assert line_of(records, 29)["event.outcome"] == "failed"
    domains = collections.Counter(records.column("url.domain").to_pylist())
    assert domains["www.facebook.com"] == 3
    assert domains["s-static.ak.facebook.com"] == 1


def test_access4_ipv6_client_and_docs() -> None:
    records = parse(read_lines(FILEBEAT / "access4.log")).records
    row = line_of(records, 1)
    assert row == {
        "@timestamp": utc(2015, 5, 18, 16, 34, 16, 793000),
        "user.name": None,
        "source.address": "::1",
        "organization.unit": None,
        "http.request.method": "CONNECT",
        "url.domain": "0.docs.google.com",
        "destination.port": 443,
        "http.response.status_code": 200,
        "event.action": "TCP_MISS",
        "event.outcome": "allowed",
        "http.request.bytes": None,
        "http.response.bytes": 16674,
        "event.duration_ms": 48016,
        "http.response.mime_type": None,
        "url.original": "0.docs.google.com:443",
        "log.line": 1,
    }
    domains = collections.Counter(records.column("url.domain").to_pylist())
    # grep -c " docs.google.com:" and " 0.docs.google.com:"
    assert (domains["docs.google.com"], domains["0.docs.google.com"]) == (9, 31)
    ocsp = line_of(records, 15)
    assert (ocsp["http.request.method"], ocsp["http.response.mime_type"]) == (
        "POST",
        "application/ocsp-response",
    )
    clients = collections.Counter(records.column("source.address").to_pylist())
    assert clients == {"::1": 69, "10.100.0.1": 21, "10.100.2.85": 10}  # awk '{print $3}' | uniq -c


def test_usiem_squidguard_lines_are_rejected() -> None:
    lines = read_lines(USIEM)
    result = parse(lines)
    assert result.rejects.to_pylist() == [
        {"log.line": n, "reason": "not-squid-access"} for n in range(1, 6)
    ]
    assert lines[5] == lines[6] == ""  # skipped, neither record nor reject
    records = result.records.to_pylist()
    assert [r["log.line"] for r in records] == list(range(8, 15))
    # NONE/503 0 CONNECT https:443 - HIER_NONE/- -: squid logged the scheme as the host.
    assert (records[0]["event.action"], records[0]["url.domain"]) == ("NONE", "https")
    assert records[0]["http.response.status_code"] == 503
    tunnel = records[2]
    assert (tunnel["event.action"], tunnel["url.domain"], tunnel["http.response.bytes"]) == (
        "TCP_TUNNEL_ABORTED",
        "google.com",
        5319,
    )
    assert tunnel["@timestamp"] == utc(2021, 2, 14, 0, 0, 36, 625000)


def test_logstash_sample_with_trailing_field() -> None:
    records = parse(read_lines(LOGSTASH)).records
    # 1525334330.556 3 120.65.1.1 TCP_REFRESH_MISS/200 2014 GET ... text/plain 902351708.872
    row = line_of(records, 2)
    assert (row["user.name"], row["http.response.mime_type"], row["url.domain"]) == (
        "public-user",
        "text/plain",
        "www.sample.com",
    )
    assert (row["event.action"], row["event.outcome"]) == ("TCP_REFRESH_MISS", "allowed")
    row = line_of(records, 3)
    assert (row["event.action"], row["http.response.status_code"], row["event.outcome"]) == (
        "TCP_MISS_ABORTED",
        None,
        "failed",
    )
    row = line_of(records, 1)
    assert (row["event.action"], row["url.domain"]) == (
        "TCP_TUNNEL",
        "logs.ap-southeast-2.amazonaws.com",
    )


def test_metron_parsed_expectations() -> None:
    """Fields that Metron's own Squid parser produced for the same lines."""
    records = parse(read_lines(METRON_RAW)).records.to_pylist()
    expected = [json.loads(line) for line in read_lines(METRON_PARSED)]
    assert len(records) == len(expected) == 2
    for row, metron in zip(records, expected, strict=True):
        assert row["event.duration_ms"] == metron["elapsed"]
        assert row["http.response.status_code"] == metron["code"]
        assert row["http.request.method"] == metron["method"]
        assert row["http.response.bytes"] == metron["bytes"]
        assert row["event.action"] == metron["action"]
        assert row["source.address"] == metron["ip_src_addr"]
        assert row["url.original"] == metron["url"]
        assert row["url.domain"] == metron["full_hostname"]
        assert row["@timestamp"] == dt.datetime.fromtimestamp(metron["timestamp"] / 1000, dt.UTC)


def test_metron_contrib_lines() -> None:
    records = parse(read_lines(METRON_CONTRIB)).records
    assert records.column("url.domain").to_pylist() == [
        "www.cnn.com",
        "www.nba.com",
        "www.aliexpress.com",
        "www.help.1and1.co.uk",
        "www.pravda.ru",
    ]
    assert records.column("event.duration_ms").to_pylist() == [161, 159, 415, 671, 1893]


def test_custom_logformat_is_not_native() -> None:
    """elastic-integrations' custom logformat puts the client port in field 4."""
    lines = read_lines(CUSTOM)
    result = parse(lines)
    assert result.records.num_rows == 0
    assert result.rejects.column("reason").to_pylist() == ["bad-result-code"] * 11
    assert SquidNative.sniff(lines) == 0.0
    assert formats.detect(lines) is not SquidNative


def test_detect_picks_squid_for_native_files() -> None:
    assert formats.detect(read_lines(FILEBEAT / "access2.log")) is SquidNative
    assert formats.detect(read_lines(USIEM)) is SquidNative  # 7 of 12 non-blank lines


# ---------------------------------------------------------------------------------------------
# Rules, one line at a time.

BASE = "1636300800.123    250 10.1.2.3 {code} 512 {method} {url} - {hier} text/html"


@pytest.mark.parametrize(
    ("code", "hier", "outcome"),
    [
        ("TCP_MISS/200", "HIER_DIRECT/1.2.3.4", "allowed"),
        ("TCP_HIT/200", "NONE/-", "allowed"),
        ("TCP_MISS/404", "HIER_DIRECT/1.2.3.4", "allowed"),
        ("TCP_MISS/403", "HIER_DIRECT/1.2.3.4", "allowed"),
        ("NONE/400", "HIER_NONE/-", "allowed"),
        ("TCP_DENIED/403", "HIER_NONE/-", "blocked"),
        ("TCP_DENIED/407", "NONE/-", "blocked"),
        ("TCP_DENIED_REPLY/403", "HIER_DIRECT/1.2.3.4", "blocked"),
        ("UDP_DENIED/000", "HIER_NONE/-", "blocked"),
        ("NONE/403", "HIER_NONE/-", "blocked"),
        ("TCP_MISS/407", "NONE/-", "blocked"),
        ("TCP_MISS/000", "HIER_DIRECT/1.2.3.4", "failed"),
        ("TCP_MISS/500", "HIER_DIRECT/1.2.3.4", "failed"),
        ("TCP_MISS/599", "HIER_DIRECT/1.2.3.4", "failed"),
        ("NONE/503", "HIER_NONE/-", "failed"),
        ("TCP_MISS_ABORTED/200", "HIER_DIRECT/1.2.3.4", "allowed"),
        ("TCP_TUNNEL_ABORTED/200", "HIER_DIRECT/1.2.3.4", "allowed"),
        ("TCP_MISS_ABORTED/404", "HIER_DIRECT/1.2.3.4", "failed"),
        ("TCP_MISS_TIMEDOUT/200", "HIER_DIRECT/1.2.3.4", "failed"),
        ("TCP_MISS/200", "TIMEOUT_FIRST_PARENT_MISS/p", "allowed"),
        ("TCP_MISS/600", "HIER_DIRECT/1.2.3.4", "allowed"),
    ],
)
def test_outcome_table(code: str, hier: str, outcome: str) -> None:
    row = parse_one(BASE.format(code=code, method="GET", url="http://a.example/", hier=hier))
    assert row["event.outcome"] == outcome
    assert row["event.action"] == code.split("/")[0]


@pytest.mark.parametrize(
    ("method", "url", "domain", "port"),
    [
        ("GET", "http://A.Example./x", "a.example", 80),
        ("GET", "https://a.example/x", "a.example", 443),
        ("GET", "HTTPS://a.example:444", "a.example", 444),
        ("GET", "ftp://u:p@files.example/", "files.example", 21),
        ("GET", "wss://chat.example/socket", "chat.example", 443),
        ("GET", "gopher://old.example/", "old.example", None),
        ("GET", "http://a.example:/x", "a.example", 80),
        ("GET", "http://a@b@c.example/", "c.example", 80),
        ("GET", "http://[2001:DB8::1]:8080/", "2001:db8::1", 8080),
        ("GET", "http://[fe80::1%25eth0]/", "fe80::1%25eth0", 80),
        ("GET", "http://xn--bcher-kva.example/", "xn--bcher-kva.example", 80),
        ("GET", "http://bücher.example/", "bücher.example", 80),
        ("GET", "http://_dmarc.example/", "_dmarc.example", 80),
        ("CONNECT", "www.facebook.com:443", "www.facebook.com", 443),
        ("connect", "[2001:db8::1]:443", "2001:db8::1", 443),
        ("CONNECT", "192.0.2.1:5222", "192.0.2.1", 5222),
        ("CONNECT", "host.example", "host.example", None),
        ("CONNECT", "error:invalid-request", None, None),
        ("GET", "/relative", None, None),
        ("GET", "error:invalid-request", None, None),
        ("NONE", "-", None, None),
        ("GET", "www.example.com:443", None, None),
    ],
)
def test_url_domain_and_port(method: str, url: str, domain: str | None, port: int | None) -> None:
    row = parse_one(BASE.format(code="TCP_MISS/200", method=method, url=url, hier="NONE/-"))
    assert (row["url.domain"], row["destination.port"]) == (domain, port)
    assert row["url.original"] == (None if url == "-" else url)
    assert row["http.request.method"] == method.upper()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello world", "not-squid-access"),
        ("Nov  7 12:00:00 proxy squid[1]: a b c d e f g h i j k", "not-squid-access"),
        ("1636300800.123 250 10.1.2.3 TCP_MISS/200 512 GET http://a.example/ -", "truncated"),
        ("1636300800.123", "not-squid-access"),
        ("1636300800.123 250", "truncated"),
        (BASE.replace("{code}", "TCP_MISS"), "bad-result-code"),
        (BASE.replace("{code}", "TCP_MISS/20"), "bad-result-code"),
        (BASE.replace("1636300800.123", "x1636300800"), "bad-timestamp"),
        (BASE.replace("1636300800.123", "1.2.3"), "bad-timestamp"),
        (BASE.replace("1636300800.123", "99999999999"), "bad-timestamp"),
        (BASE.replace("1636300800.123", "1636300800.1234567"), "bad-timestamp"),
        (BASE.replace(" 250 ", " 2.5 "), "bad-elapsed"),
        (BASE.replace(" 250 ", " 9999999999999999 "), "bad-elapsed"),
        (BASE.replace("10.1.2.3", "<b>"), "bad-client"),
        (BASE.replace("10.1.2.3", 'a"b'), "bad-client"),
        (BASE.replace(" 512 ", " 5k "), "bad-bytes"),
        (BASE.replace(" 512 ", " 9999999999999999999 "), "bad-bytes"),
        (BASE.replace("{method}", "G<E>T"), "bad-method"),
        (BASE.replace("{hier}", "DIRECT"), "bad-hierarchy"),
        (BASE.replace("{url}", "http://<x>/"), "bad-host"),
        (BASE.replace("{url}", "http://a'b.example/"), "bad-host"),
        (BASE.replace("{url}", "http:///nohost"), "bad-host"),
        (BASE.replace("{url}", "http://.../"), "bad-host"),
        (BASE.replace("{url}", "http://[zz::1]/"), "bad-host"),
        (BASE.replace("{url}", "http://a\ufffd.example/"), "bad-host"),
        (BASE.replace("{url}", "http://a.example:0/"), "bad-port"),
        (BASE.replace("{url}", "http://a.example:65536/"), "bad-port"),
        (BASE.replace("{url}", "http://a.example:80:80/"), "bad-port"),
        ("1636300800.123 250 10.1.2.3 TCP_MISS/200 512 GET http://" + "a" * MAX_LINE_CHARS,
         "too-long"),
    ],
)  # fmt: skip
def test_reject_reasons(line: str, reason: str) -> None:
    line = line.format(code="TCP_MISS/200", method="GET", url="http://a.example/", hier="NONE/-")
    assert reject_reason(line) == reason


def test_fields_spacing_crlf_and_trailing_fields() -> None:
    line = "\t1636300800.5 \t 7\t10.1.2.3  TCP_MISS/200   9 GET http://a.example/ - NONE/- - x y\r"
    row = parse_one(line)
    assert row["@timestamp"] == utc(2021, 11, 7, 16, 0, 0, 500000)
    assert (row["event.duration_ms"], row["http.response.bytes"]) == (7, 9)
    assert row["http.response.mime_type"] is None


def test_timestamp_precision_is_exact() -> None:
    good = BASE.format(code="TCP_MISS/200", method="GET", url="http://a/", hier="NONE/-")
    micro = parse_one(good.replace("1636300800.123", "1636300800.000001"))
    assert micro["@timestamp"] == utc(2021, 11, 7, 16, 0, 0, 1)
    assert parse_one(good.replace("1636300800.123", "0"))["@timestamp"] == utc(1970, 1, 1)
    latest = parse_one(good.replace("1636300800.123", "9999999999.999"))
    assert latest["@timestamp"] == utc(2286, 11, 20, 17, 46, 39, 999000)


def test_user_names_are_decoded() -> None:
    line = BASE.replace(" - ", " {user} ")
    fill = {"code": "TCP_MISS/200", "method": "GET", "url": "http://a/", "hier": "NONE/-"}
    cases = {
        "-": None,
        "%2D": "-",
        "john%20smith": "john smith",
        "CORP%5Cjdoe": "CORP\\jdoe",
        "caf%C3%A9": "café",
        "bad%FF": "bad\ufffd",
        "100%": "100%",
        "a+b": "a+b",
    }
    lines = [line.format(user=raw, **fill) for raw in cases]
    users = parse(lines).records.column("user.name").to_pylist()
    assert users == list(cases.values())


def test_line_numbers_blank_lines_and_offset() -> None:
    good = BASE.format(code="TCP_MISS/200", method="GET", url="http://a/", hier="NONE/-")
    result = parse(["", good, " \t\r", "junk", good, "\r"], first_line=101)
    assert result.records.column("log.line").to_pylist() == [102, 105]
    assert result.rejects.to_pylist() == [{"log.line": 104, "reason": "not-squid-access"}]


def test_input_variants() -> None:
    good = BASE.format(code="TCP_MISS/200", method="GET", url="http://a/", hier="NONE/-")
    chunked = pa.chunked_array([[good, None], ["junk"]], pa.large_string())
    result = SquidNative().parse(chunked, first_line=1)  # type: ignore[arg-type]
    assert result.records.column("log.line").to_pylist() == [1]
    assert result.rejects.column("log.line").to_pylist() == [3]
    empty = SquidNative().parse(pa.array([], pa.string()), first_line=1)
    assert (empty.records.num_rows, empty.rejects.num_rows) == (0, 0)
    assert empty.records.schema.equals(RECORD_SCHEMA, check_metadata=True)


def test_sniff() -> None:
    good = "1636300800.123    250 10.1.2.3 TCP_MISS/200 512 GET http://a/ - NONE/- text/html"
    assert SquidNative.sniff([good, good, "", "junk"]) == pytest.approx(2 / 3)
    assert SquidNative.sniff([]) == 0.0
    assert SquidNative.sniff(["", "  "]) == 0.0
    # Parseable, but not what Squid itself writes: sniffing is stricter than parsing.
    assert SquidNative.sniff([good.replace(".123", "")]) == 0.0
    assert SquidNative.sniff([good.replace("TCP_MISS", "tcp_miss")]) == 0.0


# ---------------------------------------------------------------------------------------------
# The writer.


def _record(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    row.update({"@timestamp": utc(2021, 11, 7, 16), "event.outcome": "allowed", "log.line": 1})
    row.update(fields)
    return row


def write(*rows: dict[str, Any]) -> list[str]:
    return SquidNative.write(pa.Table.from_pylist(list(rows), schema=RECORD_SCHEMA))


def test_write_shapes() -> None:
    assert write(
        _record(
            **{
                "@timestamp": utc(2021, 11, 7, 16, 0, 0, 123999),
                "source.address": "10.1.2.3",
                "http.request.method": "GET",
                "url.domain": "www.facebook.com",
                "destination.port": 80,
                "http.response.status_code": 200,
                "event.action": "TCP_MISS",
                "http.response.bytes": 5120,
                "event.duration_ms": 250,
                "user.name": "alice smith",
                "http.response.mime_type": "text/html",
            }
        ),
        _record(
            **{
                "source.address": "::1",
                "organization.unit": None,
                "http.request.method": "CONNECT",
                "url.domain": "2001:db8::1",
                "destination.port": 443,
                "event.action": "TCP_DENIED",
                "http.response.status_code": 403,
                "event.outcome": "blocked",
                "event.duration_ms": 1234567,
                "url.original": "ignored-for-connect:1",
            }
        ),
        _record(**{"url.domain": "a.example", "destination.port": 8080, "event.outcome": "failed"}),
        _record(**{"user.name": "-", "url.original": "error:invalid-request"}),
    ) == [
        "1636300800.123    250 10.1.2.3 TCP_MISS/200 5120 GET http://www.facebook.com/ "
        "alice%20smith HIER_DIRECT/www.facebook.com text/html",
        "1636300800.000 1234567 ::1 TCP_DENIED/403 - CONNECT [2001:db8::1]:443 - HIER_NONE/- -",
        "1636300800.000      - - NONE/000 - - http://a.example:8080/ - HIER_NONE/- -",
        "1636300800.000      - - NONE/000 - - error:invalid-request %2D HIER_DIRECT/- -",
    ]


def test_write_never_splits_lines_or_fields() -> None:
    nasty = "a b\tc\nd\re\x0bf\x85g\u2028h%"
    [line] = write(
        _record(
            **{
                "user.name": nasty,
                "url.original": "http://x.example/" + nasty,
                "http.response.mime_type": nasty,
                "source.address": "",
            }
        )
    )
    assert len(line.split()) == 10
    assert line.splitlines() == [line]
    row = parse_one(line)
    assert row["user.name"] == nasty
    assert row["source.address"] is None


@pytest.mark.parametrize("name", ["access1", "access2", "access3", "access4"])
def test_write_parse_real_file_round_trip(name: str) -> None:
    """Real records -> write -> parse gives the same records, every field."""
    records = parse(read_lines(REAL_FILES[name][0])).records
    again = parse(SquidNative.write(records)).records
    assert again.equals(records)


# ---------------------------------------------------------------------------------------------
# Properties.

TOKENS = [
    "1636300800.123",
    "1636300800",
    "-",
    "250",
    "10.1.2.3",
    "::1",
    "TCP_MISS/200",
    "NONE/000",
    "TCP_DENIED/407",
    "GET",
    "CONNECT",
    "http://a.example/",
    "a.example:443",
    "[::1]:443",
    "http://[::1",
    "error:x",
    "HIER_NONE/-",
    "DIRECT/1.2.3.4",
    "text/html",
    "<script>",
    "%",
    "\ufffd",
    "\r",
    "",
]
squidish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=14).map(
    lambda tokens: " ".join(tokens)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text() | squidish, max_size=12), st.integers(1, 10**9))
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first_line=first)
    record_lines = result.records.column("log.line").to_pylist()
    reject_lines = result.rejects.column("log.line").to_pylist()
    non_blank = [first + i for i, line in enumerate(lines) if line.strip(BLANK_CHARS)]
    assert sorted(record_lines + reject_lines) == non_blank
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert set(result.rejects.column("reason").to_pylist()) <= {
        "not-squid-access",
        "truncated",
        "too-long",
        "bad-timestamp",
        "bad-elapsed",
        "bad-client",
        "bad-result-code",
        "bad-bytes",
        "bad-method",
        "bad-hierarchy",
        "bad-host",
        "bad-port",
    }
    assert SquidNative.sniff(lines) <= 1.0
    SquidNative.write(result.records)


ACTIONS = ["TCP_MISS", "TCP_HIT", "TCP_TUNNEL", "TCP_DENIED", "NONE", "TCP_MISS_ABORTED"]
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
dns_name = st.lists(label, min_size=1, max_size=4).map(".".join)
host = dns_name | st.ip_addresses(v=4).map(str) | st.ip_addresses(v=6).map(str)
safe_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)


def expected_outcome(action: str, status: int | None, from_proxy: bool) -> str:
    """The documented table, written independently of the parser."""
    if "DENIED" in action or (status in (403, 407) and from_proxy):
        return "blocked"
    if status is None or 500 <= status <= 599:
        return "failed"
    if action.endswith("_ABORTED") and not 200 <= status <= 399:
        return "failed"
    return "allowed"


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "CONNECT", "HEAD", "PUT", None]))
    domain = draw(host | st.none()) if method != "CONNECT" else draw(host)
    port = draw(st.integers(1, 65535) | st.none())
    if domain is None:
        url, port = draw(st.sampled_from(["error:invalid-request", "/relative", None])), None
    else:
        bracketed = f"[{domain}]" if ":" in domain else domain
        authority = bracketed if port is None else f"{bracketed}:{port}"
        path = draw(st.from_regex(r"(/[A-Za-z0-9._~%?=&-]{0,12}){1,3}", fullmatch=True))
        url = authority if method == "CONNECT" else f"http://{authority}{path}"
        if method != "CONNECT" and port is None:
            port = 80
    action = draw(st.sampled_from(ACTIONS))
    status = draw(st.sampled_from([None, 200, 204, 302, 304, 403, 404, 407, 500, 503]))
    # A failed 403/407 is written HIER_NONE and would read back as blocked: the one
    # combination the native format cannot tell apart.
    from_proxy = draw(st.booleans())
    outcome = expected_outcome(action, status, from_proxy)
    assume(not (status in (403, 407) and outcome == "failed"))
    return {
        "@timestamp": dt.datetime.fromtimestamp(
            draw(st.integers(0, 9_999_999_999_999)) / 1000, dt.UTC
        ).replace(microsecond=0)
        + dt.timedelta(milliseconds=draw(st.integers(0, 999))),
        "user.name": draw(safe_text | st.none()),
        "source.address": draw(host | st.none()),
        "http.request.method": method,
        "url.domain": domain,
        "destination.port": port,
        "http.response.status_code": status,
        "event.action": action,
        "event.outcome": outcome,
        "http.request.bytes": None,
        "http.response.bytes": draw(st.integers(0, 2**40) | st.none()),
        "event.duration_ms": draw(st.integers(0, 10**9) | st.none()),
        "http.response.mime_type": draw(
            st.sampled_from(["text/html", "application/json", "image/png"]) | st.none()
        ),
        "url.original": url,
        "log.line": 0,
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=20))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    for number, row in enumerate(rows, start=1):
        row["log.line"] = number
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    lines = SquidNative.write(table)
    assert len(lines) == len(rows)
    assert all(line.splitlines() == [line] for line in lines)
    result = parse(lines)
    assert result.rejects.to_pylist() == []
    assert result.records.to_pylist() == table.to_pylist()
