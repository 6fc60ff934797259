"""The Zeek formats (zeek_http, zeek_ssl, zeek_dns): real third-party logs in TSV and JSON,
the TSV/JSON parity of the same traffic, header state across chunks, detection, the writer and
property tests."""

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
from socialsight.formats._zeek import ZeekLog
from socialsight.formats.base import ParseResult
from socialsight.formats.zeek_dns import ZeekDns
from socialsight.formats.zeek_http import ZeekHttp
from socialsight.formats.zeek_ssl import ZeekSsl
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from conftest import SHARED_DATA
from format_checks import hosts, utc
from other_samples import other_claims, read_lines, sniff_scores

RITA = SHARED_DATA / "activecm-rita" / "test_data"
BRIM = SHARED_DATA / "brimdata-zed-sample-data" / "zeek-default"
BEATS = SHARED_DATA / "elastic-beats-filebeat" / "zeek"
BTEST = SHARED_DATA / "zeek-btest-baselines"
METRON = next(SHARED_DATA.glob("apache-metron-sample-data/**/bro/raw/BroExampleOutput"))


def parse(cls: type[ZeekLog], lines: list[str], first_line: int = 1) -> ParseResult:
    return cls().parse(pa.array(lines, pa.string()), first_line)


def reasons(result: ParseResult) -> dict[str, int]:
    return dict(collections.Counter(result.rejects.column("reason").to_pylist()))


def outcomes(result: ParseResult) -> dict[str, int]:
    return dict(collections.Counter(result.records.column("event.outcome").to_pylist()))


# ---------------------------------------------------------------------------------------------
# Real files: exact counts (lines, records, rejects by reason, outcomes).

HTTP_OUTCOMES = {"allowed": 27053, "failed": 151}
REAL = [
    # (format, path, lines, records, rejects, outcomes)
    (ZeekHttp, RITA / "valid_tsv/http.log.gz", 27213, 27204, {}, HTTP_OUTCOMES),
    (ZeekHttp, RITA / "valid_json/http.log.gz", 27204, 27204, {}, HTTP_OUTCOMES),
    (ZeekHttp, RITA / "json_with_all_fields/http.log", 10, 10, {}, {"allowed": 10}),
    (ZeekHttp, RITA / "proxy/http.log", 416, 407, {}, {"allowed": 407}),
    (ZeekHttp, BEATS / "http/test/http-json.log", 2, 2, {}, {"allowed": 2}),
    (ZeekHttp, METRON, 31, 7, {"not-http-log": 24}, {"allowed": 7}),
    (ZeekSsl, BRIM / "ssl.log.gz", 49483, 49474, {}, {"allowed": 13897, "failed": 35577}),
    (ZeekSsl, RITA / "json_with_all_fields/ssl.log", 10, 10, {}, {"allowed": 10}),
    (ZeekSsl, RITA / "proxy/ssl.log", 416, 407, {}, {"allowed": 10, "failed": 397}),
    (ZeekSsl, BEATS / "ssl/test/ssl-json.log", 3, 3, {}, {"allowed": 3}),
    (ZeekSsl, METRON, 31, 1, {"not-ssl-log": 30}, {"allowed": 1}),
    (ZeekDns, BRIM / "dns.log.gz", 53624, 49759, {"bad-host": 3856},
     {"allowed": 42106, "blocked": 1993, "failed": 5660}),
    (ZeekDns, RITA / "json_with_all_fields/dns.log", 34, 34, {}, {"allowed": 32, "failed": 2}),
    (ZeekDns, RITA / "proxy/dns.log", 951, 924, {"bad-host": 18}, {"allowed": 254, "failed": 670}),
    (ZeekDns, BEATS / "dns/test/dns-json.log", 3, 3, {}, {"allowed": 2, "failed": 1}),
    (ZeekDns, METRON, 31, 3, {"not-dns-log": 28}, {"allowed": 3}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "path", "n_lines", "n_records", "rejected", "outcome"),
    REAL,
    ids=[f"{c.name}:{p.relative_to(SHARED_DATA)}" for c, p, *_ in REAL],
)
def test_real_file_counts(
    cls: type[ZeekLog],
    path: Path,
    n_lines: int,
    n_records: int,
    rejected: dict[str, int],
    outcome: dict[str, int],
) -> None:
    lines = read_lines(path)
    assert len(lines) == n_lines
    result = parse(cls, lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    assert result.records.num_rows == n_records
    assert reasons(result) == rejected
    assert outcomes(result) == outcome
    # Header lines (#separator ... #close) are neither records nor rejects.
    headers = sum(line.startswith("#") for line in lines)
    assert n_records + sum(rejected.values()) + headers == n_lines
    # Zeek knows no user: the client address stands for the person.
    assert result.records.column("user.name").null_count == n_records
    assert result.records.column("source.address").null_count == 0


def test_tsv_and_json_of_the_same_traffic_give_the_same_events() -> None:
    """activecm-rita wrote one capture both ways: every field both forms carry agrees."""
    tsv = parse(ZeekHttp, read_lines(RITA / "valid_tsv/http.log.gz")).records
    json_ = parse(ZeekHttp, read_lines(RITA / "valid_json/http.log.gz")).records
    assert tsv.num_rows == json_.num_rows == 27204
    # The TSV has 8 header lines first; otherwise the lines correspond one to one.
    assert tsv.column("log.line").to_pylist() == [
        n + 8 for n in json_.column("log.line").to_pylist()
    ]
    assert tsv.drop_columns(["log.line"]).equals(json_.drop_columns(["log.line"]))
    # Non-printable bytes stay escaped as Zeek's JSON writer gives them (17 demdex URLs).
    escaped = [u for u in tsv.column("url.original").to_pylist() if u and "\\x01" in u]
    assert len(escaped) == 17


def test_rita_http_fields() -> None:
    result = parse(ZeekHttp, read_lines(RITA / "valid_tsv/http.log.gz"))
    rows = result.records.to_pylist()
    assert rows[0] == {
        "@timestamp": utc(2018, 1, 30, 18, 15, 54, 78555),
        "user.name": None,
        "source.address": "10.55.100.109",
        "organization.unit": None,
        "http.request.method": "GET",
        "url.domain": "www.alexa.com",
        "destination.port": 80,
        "http.response.status_code": 301,
        "event.action": None,
        "event.outcome": "allowed",
        "http.request.bytes": 0,
        "http.response.bytes": 178,
        "event.duration_ms": None,
        "http.response.mime_type": "text/html",
        "url.original": "http://www.alexa.com/topsites/category;2/Top/Business/",
        "log.line": 9,
    }
    records = result.records
    # awk -F'\t' '!/^#/ {s+=$14; r+=$15; if ($8=="POST") p++} END {print s, r, p}'
    assert sum(records.column("http.request.bytes").to_pylist()) == 1_324_007
    assert sum(records.column("http.response.bytes").to_pylist()) == 798_624_791
    methods = collections.Counter(records.column("http.request.method").to_pylist())
    assert methods["POST"] == 746


def test_proxy_connect_and_ssl_over_the_proxy() -> None:
    http = parse(ZeekHttp, read_lines(RITA / "proxy/http.log")).records.to_pylist()
    assert collections.Counter((r["http.request.method"], r["url.domain"], r["destination.port"])
                               for r in http) == {
        ("CONNECT", "www.honestimnotevil.com", 443): 397,
        ("CONNECT", "www.google.com", 443): 10,
    }  # fmt: skip
    ssl = parse(ZeekSsl, read_lines(RITA / "proxy/ssl.log")).records.to_pylist()
    # The TLS inside the tunnel is seen on the proxy port; the SNI names the service.
    actions = collections.Counter((r["url.domain"], r["destination.port"], r["event.action"])
                                  for r in ssl)  # fmt: skip
    assert actions == {
        ("www.honestimnotevil.com", 3128, "unknown_ca"): 397,
        ("www.google.com", 3128, "established"): 10,
    }


def test_brim_ssl_and_dns_fields() -> None:
    ssl = parse(ZeekSsl, read_lines(BRIM / "ssl.log.gz")).records
    first = ssl.slice(0, 1).to_pylist()[0]
    # No SNI: the server address is the destination.
    assert (first["url.domain"], first["destination.port"], first["event.action"]) == (
        "10.47.3.200",
        443,
        "established",
    )
    assert first["@timestamp"] == utc(2018, 3, 24, 17, 15, 20, 615923)
    dns = parse(ZeekDns, read_lines(BRIM / "dns.log.gz")).records
    row = dns.slice(0, 1).to_pylist()[0]
    assert (row["url.domain"], row["event.action"], row["event.duration_ms"]) == (
        "ise.wrccdc.org",
        "NOERROR",
        1,
    )
    assert row["destination.port"] is None
    # awk -F'\t' '!/^#/ && $10!="*" && $10 !~ /[][ /]/ {c[$16]++}' (the names kept)
    actions = collections.Counter(dns.column("event.action").to_pylist())
    assert actions == {"NOERROR": 42008, None: 5651, "NXDOMAIN": 2089, "SERVFAIL": 8,
                       "REFUSED": 2, "NOTIMP": 1}  # fmt: skip


def test_btest_baselines_reject_masked_timestamps() -> None:
    """Zeek's own test baselines mask time stamps (XXXXXXXXXX.XXXXXX): no record is invented,
    every line is accounted for."""
    expected = {
        ZeekHttp: (67, 753, {"unknown-header": 67, "bad-timestamp": 185, "bad-json": 1,
                             "no-fields-header": 41}),
        ZeekSsl: (48, 526, {"unknown-header": 48, "bad-timestamp": 56, "bad-host": 4,
                            "no-fields-header": 4}),
        ZeekDns: (27, 348, {"unknown-header": 27, "bad-timestamp": 78}),
    }  # fmt: skip
    for cls, (n_files, n_lines, rejected) in expected.items():
        paths = sorted(BTEST.glob(f"*/{cls.path}.log"))
        assert len(paths) == n_files
        total: collections.Counter[str] = collections.Counter()
        lines = 0
        for path in paths:
            content = read_lines(path)
            lines += len(content)
            result = parse(cls, content)
            assert result.records.num_rows == 0
            total.update(result.rejects.column("reason").to_pylist())
        assert lines == n_lines
        assert dict(total) == rejected


def test_header_state_carries_across_chunks() -> None:
    lines = read_lines(RITA / "proxy/dns.log")
    whole = parse(ZeekDns, lines)
    parser = ZeekDns()
    parts = [
        parser.parse(pa.array(lines[start : start + 100]), start + 1)
        for start in range(0, len(lines), 100)
    ]
    assert pa.concat_tables([p.records for p in parts]).equals(whole.records)
    assert pa.concat_tables([p.rejects for p in parts]).equals(whole.rejects)
    # A fresh parser on the second chunk alone has no #fields: nothing is guessed.
    alone = parse(ZeekDns, lines[100:200], 101)
    assert reasons(alone) == {"no-fields-header": 100}


def test_detection() -> None:
    assert formats.detect(read_lines(RITA / "valid_tsv/http.log.gz")[:100]) is ZeekHttp
    assert formats.detect(read_lines(RITA / "valid_json/http.log.gz")[:100]) is ZeekHttp
    assert formats.detect(read_lines(BRIM / "ssl.log.gz")[:100]) is ZeekSsl
    assert formats.detect(read_lines(BRIM / "dns.log.gz")[:100]) is ZeekDns
    assert formats.detect(read_lines(BEATS / "dns/test/dns-json.log")) is ZeekDns
    # conn.log is Zeek too, but none of these.
    for cls in (ZeekHttp, ZeekSsl, ZeekDns):
        assert cls.sniff(read_lines(RITA / "proxy/conn.log")[:100]) == 0.0
    # Metron's mixed file: 7 of 31 lines are http, too few to claim the file.
    assert ZeekHttp.sniff(read_lines(METRON)) == pytest.approx(7 / 31)


@pytest.mark.parametrize("cls", [ZeekHttp, ZeekSsl, ZeekDns], ids=lambda c: c.name)
def test_other_samples_are_not_claimed(cls: type[ZeekLog]) -> None:
    """Every real sample in shared/data that is not this Zeek log scores zero; Metron's
    files mix the Zeek logs (BroExampleOutput.txt: 7 of 10 lines are http)."""
    mixed = "apache-metron-sample-data/*/BroExampleOutput*"
    assert other_claims(cls, [f"*/{cls.path}.log*", f"*/{cls.path}-json.log", mixed]) == {}
    claimed = [s for s in sniff_scores(cls).values() if s >= formats.DETECT_THRESHOLD]
    assert len(claimed) >= 5


# ---------------------------------------------------------------------------------------------
# Rules, a few lines at a time.

HEADER = [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\thttp",
    "#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tmethod\thost\turi\tstatus_code\tresp_mime_types",
]


def http_row(**fields: str) -> str:
    values = {"ts": "1700000000.5", "id.orig_h": "10.0.0.1", "id.resp_h": "192.0.2.1",
              "id.resp_p": "80", "method": "GET", "host": "www.example.org", "uri": "/",
              "status_code": "200", "resp_mime_types": "text/html"}  # fmt: skip
    values.update(fields)
    return "\t".join(values.values())


@pytest.mark.parametrize(
    ("fields", "domain", "port", "original"),
    [
        ({}, "www.example.org", 80, "http://www.example.org/"),
        ({"host": "WWW.Example.org:8080", "id.resp_p": "8080"}, "www.example.org", 8080,
         "http://WWW.Example.org:8080/"),
        ({"host": "-"}, "192.0.2.1", 80, "http://192.0.2.1/"),
        ({"host": "-", "id.resp_h": "2001:db8::1"}, "2001:db8::1", 80, "http://[2001:db8::1]/"),
        ({"uri": "https://files.example/x", "id.resp_p": "3128"}, "files.example", 443,
         "https://files.example/x"),
        ({"method": "CONNECT", "uri": "chat.example:5222", "id.resp_p": "3128"}, "chat.example",
         5222, "chat.example:5222"),
        ({"method": "CONNECT", "uri": "mailin03.sul.t-online.de:25 /", "host": "-"},
         "mailin03.sul.t-online.de", 25, "mailin03.sul.t-online.de:25 /"),
        ({"host": "(empty)"}, "192.0.2.1", 80, "http://192.0.2.1/"),
        ({"uri": "*", "method": "OPTIONS"}, "www.example.org", 80, "*"),
    ],
)  # fmt: skip
def test_http_destination(fields: dict[str, str], domain: str, port: int, original: str) -> None:
    result = parse(ZeekHttp, [*HEADER, http_row(**fields)])
    assert reasons(result) == {}
    row = result.records.to_pylist()[0]
    assert (row["url.domain"], row["destination.port"], row["url.original"]) == (
        domain,
        port,
        original,
    )


@pytest.mark.parametrize(
    ("fields", "outcome", "status"),
    [
        ({"status_code": "200"}, "allowed", 200),
        ({"status_code": "404"}, "allowed", 404),
        ({"status_code": "403"}, "allowed", 403),
        ({"status_code": "503"}, "failed", 503),
        ({"status_code": "-"}, "failed", None),
        ({"status_code": "0"}, "failed", None),
    ],
)
def test_http_outcome(fields: dict[str, str], outcome: str, status: int | None) -> None:
    row = parse(ZeekHttp, [*HEADER, http_row(**fields)]).records.to_pylist()[0]
    assert (row["event.outcome"], row["http.response.status_code"]) == (outcome, status)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"ts": "XXXXXXXXXX.XXXXXX"}, "bad-timestamp"),
        ({"ts": "-"}, "bad-timestamp"),
        ({"id.orig_h": "<b>"}, "bad-address"),
        ({"id.resp_p": "80000"}, "bad-port"),
        ({"method": "G\\x20T"}, "bad-method"),
        ({"host": "a b"}, "bad-host"),
        ({"host": "x.example:0"}, "bad-port"),
        ({"status_code": "20x"}, "bad-status"),
    ],
)
def test_http_rejects(fields: dict[str, str], reason: str) -> None:
    result = parse(ZeekHttp, [*HEADER, http_row(**fields)])
    assert result.records.num_rows == 0
    assert reasons(result) == {reason: 1}


def test_field_count_and_headers() -> None:
    good = http_row()
    result = parse(ZeekHttp, [*HEADER, good + "\textra", good.rsplit("\t", 2)[0], "#bogus\tx"])
    assert result.rejects.to_pylist() == [
        {"log.line": 7, "reason": "bad-field-count"},
        {"log.line": 8, "reason": "truncated"},
        {"log.line": 9, "reason": "unknown-header"},
    ]
    # A #path of another log stops the lines under it from being read as http.
    other = parse(ZeekHttp, [*HEADER[:4], "#path\tconn", HEADER[5], good])
    assert reasons(other) == {"not-http-log": 1}
    # A custom separator (Zeek's LogAscii::separator) is honoured.
    comma = [h.replace("\t", ",") for h in HEADER]
    comma[0] = "#separator \\x2c"
    comma[1] = "#set_separator,|"
    row = parse(ZeekHttp, [*comma, http_row(resp_mime_types="a/b|c/d").replace("\t", ",")])
    assert row.records.column("http.response.mime_type").to_pylist() == ["a/b"]


def test_escapes() -> None:
    rows = [
        http_row(uri="/a\\x09b"),  # an escaped tab stays escaped text
        http_row(uri="/back\\\\slash"),  # \\ is one backslash
        http_row(uri="\\x2d"),  # a literal "-", not unset
    ]
    result = parse(ZeekHttp, [*HEADER, *rows])
    assert result.records.column("url.original").to_pylist() == [
        "http://www.example.org/a\\x09b",
        "http://www.example.org/back\\slash",
        "-",
    ]


def test_json_forms() -> None:
    lines = [
        '{"ts":"2024-03-05T09:15:02.5+01:00","id.orig_h":"10.0.0.1","id.resp_h":"192.0.2.1",'
        '"id.resp_p":80,"trans_depth":1,"method":"GET","host":"a.example","uri":"/"}',
        '{"ts":1700000000,"id.orig_h":"10.0.0.1","id.resp_p":80,"trans_depth":1,"uri":"/",'
        '"host":"b.example","status_code":200}',
        '{"ts":1700000000,"id.orig_h":"10.0.0.1","trans_depth":1,"uri":"/","call_id":"x"}',
        '{"ts":1700000000,"id.orig_h":"10.0.0.1","id.resp_p":53,"query":"c.example"}',
        "{}",
        "[]",
        "{not json",
    ]
    result = parse(ZeekHttp, lines)
    rows = result.records.to_pylist()
    assert [r["@timestamp"] for r in rows] == [
        utc(2024, 3, 5, 8, 15, 2, 500000),
        utc(2023, 11, 14, 22, 13, 20),
    ]
    # No status and no reply: failed; a reply: allowed.
    assert [r["event.outcome"] for r in rows] == ["failed", "allowed"]
    assert result.rejects.to_pylist() == [
        {"log.line": 3, "reason": "not-http-log"},  # sip.log shares trans_depth/uri
        {"log.line": 4, "reason": "not-http-log"},
        {"log.line": 5, "reason": "not-http-log"},
        {"log.line": 6, "reason": "bad-json"},
        {"log.line": 7, "reason": "bad-json"},
    ]


def test_ssl_outcomes() -> None:
    def line(established: str, alert: str = "-", sni: str = "x.example") -> str:
        return "\t".join(["1700000000.0", "10.0.0.1", "192.0.2.1", "443", sni, alert, established])

    header = ["#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tserver_name\tlast_alert\testablished"]
    result = parse(ZeekSsl, [*header, line("T"), line("F"), line("F", "protocol_version"),
                             line("-"), line("T", sni="-"), line("yes")])  # fmt: skip
    rows = [(r["url.domain"], r["event.action"], r["event.outcome"])
            for r in result.records.to_pylist()]  # fmt: skip
    assert rows == [
        ("x.example", "established", "allowed"),
        ("x.example", "not-established", "failed"),
        ("x.example", "protocol_version", "failed"),
        ("x.example", None, "allowed"),
        ("192.0.2.1", "established", "allowed"),
    ]
    assert reasons(result) == {"bad-established": 1}


# ---------------------------------------------------------------------------------------------
# The writer and properties.

host = hosts
stamp = st.integers(0, 4_102_444_800_000_000).map(
    lambda us: dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)
)


def _base(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    row["@timestamp"] = draw(stamp)
    row["source.address"] = draw(st.ip_addresses().map(str))
    row["log.line"] = 1
    return row


@st.composite
def http_records(draw: st.DrawFn) -> dict[str, Any]:
    row = _base(draw)
    method = draw(st.sampled_from(["GET", "POST", "CONNECT", "PUT", None]))
    domain = draw(host)
    bracketed = f"[{domain}]" if ":" in domain else domain
    if method == "CONNECT":
        port = draw(st.integers(1, 65535))
        original = f"{bracketed}:{port}"
    else:
        port = draw(st.integers(1, 65535) | st.none())
        scheme = "http" if port is None else draw(st.sampled_from(["http", "https"]))
        default = {"http": 80, "https": 443}[scheme]
        authority = bracketed if port is None else f"{bracketed}:{port}"
        path = draw(st.from_regex(r"/[A-Za-z0-9._~%?=&<>-]{0,12}", fullmatch=True))
        original = f"{scheme}://{authority}{path}"
        port = default if port is None else port
    status = draw(st.sampled_from([None, 200, 204, 302, 403, 404, 500, 503]))
    row.update({
        "http.request.method": method, "url.domain": domain, "destination.port": port,
        "url.original": original, "http.response.status_code": status,
        "event.outcome": "failed" if status is None or status >= 500 else "allowed",
        "http.request.bytes": draw(st.integers(0, 2**62) | st.none()),
        "http.response.bytes": draw(st.integers(0, 2**62) | st.none()),
        "http.response.mime_type": draw(st.sampled_from(["text/html", "-", "a b", None])),
    })  # fmt: skip
    return row


@st.composite
def ssl_records(draw: st.DrawFn) -> dict[str, Any]:
    row = _base(draw)
    outcome = draw(st.sampled_from(["allowed", "failed"]))
    action = (
        "established"
        if outcome == "allowed"
        else draw(st.sampled_from(["not-established", "handshake_failure", "unknown_ca"]))
    )
    row.update({"url.domain": draw(host), "destination.port": draw(st.integers(0, 65535)),
                "event.action": action, "event.outcome": outcome})  # fmt: skip
    return row


@st.composite
def dns_records(draw: st.DrawFn) -> dict[str, Any]:
    row = _base(draw)
    outcome = draw(st.sampled_from(["allowed", "blocked", "failed"]))
    action = {"allowed": draw(st.sampled_from(["NOERROR", "NXDOMAIN"])), "blocked": "REFUSED",
              "failed": "SERVFAIL"}[outcome]  # fmt: skip
    row.update({"url.domain": draw(host), "event.action": action, "event.outcome": outcome,
                "event.duration_ms": draw(st.integers(0, 10**6) | st.none())})  # fmt: skip
    return row


CARRIED = {
    ZeekHttp: ["@timestamp", "source.address", "http.request.method", "url.domain",
               "destination.port", "http.response.status_code", "event.outcome",
               "http.request.bytes", "http.response.bytes", "http.response.mime_type",
               "url.original"],
    ZeekSsl: ["@timestamp", "source.address", "url.domain", "destination.port", "event.action",
              "event.outcome"],
    ZeekDns: ["@timestamp", "source.address", "url.domain", "event.action", "event.outcome",
              "event.duration_ms"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "strategy"),
    [(ZeekHttp, http_records()), (ZeekSsl, ssl_records()), (ZeekDns, dns_records())],
    ids=["zeek_http", "zeek_ssl", "zeek_dns"],
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(cls: type[ZeekLog], strategy: Any, data: st.DataObject) -> None:
    rows = data.draw(st.lists(strategy, min_size=1, max_size=8))
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    lines = cls.write(table)
    assert all("\n" not in line and "\r" not in line for line in lines)
    result = parse(cls, lines)
    assert reasons(result) == {}
    got = result.records.select(CARRIED[cls]).to_pylist()
    assert got == table.select(CARRIED[cls]).to_pylist()


def test_write_repeats_headers_and_reads_back_in_one_file() -> None:
    rows = parse(ZeekHttp, read_lines(BEATS / "http/test/http-json.log")).records
    lines = ZeekHttp.write(rows) + ZeekHttp.write(rows)  # two days, two header blocks
    assert lines[:2] == ["#separator \\x09", "#set_separator\t,"]
    assert sum(line.startswith("#fields") for line in lines) == 2
    assert len(lines) == 2 * (9 + 2)
    result = parse(ZeekHttp, lines)
    assert reasons(result) == {}
    again = result.records.drop_columns(["log.line"])
    assert again.equals(pa.concat_tables([rows, rows]).drop_columns(["log.line"]))
    assert ZeekHttp.sniff(lines) == 1.0


zeekish = st.lists(
    st.sampled_from(["#fields", "#separator \\x09", "#path\thttp", "ts", "-", "(empty)", "{",
                     "}", '"ts":1', "\t", "1700000000.1", "GET", "\\x", "<script>", "\ufffd"])
    | st.text(max_size=5),
    max_size=12,
).map("".join)  # fmt: skip


@pytest.mark.parametrize("cls", [ZeekHttp, ZeekSsl, ZeekDns], ids=lambda c: c.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text() | zeekish, max_size=10), first=st.integers(1, 10**9))
def test_any_text_never_raises(cls: type[ZeekLog], lines: list[str], first: int) -> None:
    result = parse(cls, [*HEADER, *lines], first)
    numbers = (
        result.records.column("log.line").to_pylist()
        + result.rejects.column("log.line").to_pylist()
    )
    assert len(numbers) == len(set(numbers))
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    cls.sniff(lines)
    cls.write(result.records)
