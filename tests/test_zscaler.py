"""The Zscaler NSS web format: the real Elastic sample (nested JSON), CSV and key=value feeds,
the department filling the unit at ingest, the writer and round-trip properties."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.zscaler import CSV_FIELDS, Zscaler
from socialsight.insights import Insights
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from format_checks import addresses, assert_partitions, dns_names, record, round_trip, utc
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ELASTIC = DATA / "elastic-integrations/zscaler_zia/web/_dev/test/pipeline/test-web.log"
GOLDEN = Path(__file__).parent / "golden" / "zscaler"


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return Zscaler().parse(pa.array(lines, pa.string()), first_line)


def test_elastic_sample() -> None:
    lines = read_lines(ELASTIC)
    assert len(lines) == 6
    result = parse(lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    assert (result.records.num_rows, result.rejects.num_rows) == (6, 0)
    rows = result.records.to_pylist()
    # grep -o '"action":"[A-Za-z]*"' | sort | uniq -c: 5 Blocked, 1 Allowed.
    assert collections.Counter(r["event.outcome"] for r in rows) == {"blocked": 5, "allowed": 1}
    assert rows[1] == {
        "@timestamp": utc(2021, 12, 31, 7, 7, 7),  # "Fri Dec 31 07:07:07 2021", feed in GMT
        "user.name": "test@example.com",
        "source.address": "81.2.69.193",
        "organization.unit": None,  # "dept":"Unknown" is NSS's placeholder
        "http.request.method": "POST",
        "url.domain": "www.example.com.com",
        "destination.port": 443,  # "proto":"HTTPS"
        "http.response.status_code": 403,
        "event.action": "Blocked",
        "event.outcome": "blocked",
        "http.request.bytes": 218,
        "http.response.bytes": 14230,
        "event.duration_ms": 0,  # stime 0 + ctime 0
        "http.response.mime_type": None,  # "contenttype":"Other"
        "url.original": "www.example.com.com/join/",
        "log.line": 2,
    }
    # "proto":"HTTP_PROXY","eurl":"www.example.com:443": the port from the URL.
    assert (rows[5]["destination.port"], rows[5]["@timestamp"]) == (
        443,
        utc(2022, 8, 29, 9, 20, 35),
    )
    # A CONNECT logged as proto HTTP without a port is a TLS tunnel.
    assert (rows[0]["http.request.method"], rows[0]["destination.port"]) == ("CONNECT", 443)
    assert sum(r["http.response.bytes"] for r in rows) == 65 + 14230 + 65 + 65 + 14135 + 65
    assert Zscaler.sniff(lines) == 1.0
    assert formats.detect(lines) is Zscaler


def test_golden_shapes_read_the_same_fields() -> None:
    """The first record of the JSON, CSV and key=value goldens is the same request."""
    json_row = parse(read_lines(GOLDEN / "json.log")).records.to_pylist()[3]
    csv_row = parse(read_lines(GOLDEN / "csv.log")).records.to_pylist()[0]
    kv_row = parse(read_lines(GOLDEN / "kv.log")).records.to_pylist()[0]
    for row in (json_row, csv_row, kv_row):
        assert row["@timestamp"] == utc(2026, 3, 2, 15, 4, 5)
        assert (row["user.name"], row["source.address"]) == ("ann@example.org", "10.1.2.3")
        assert (row["url.domain"], row["destination.port"]) == ("www.facebook.com", 443)
        assert (row["organization.unit"], row["event.outcome"]) == ("Communications", "allowed")
    assert csv_row["http.response.bytes"] == json_row["http.response.bytes"] == 68000


def test_json_escapes_and_hostile_values() -> None:
    result = parse(read_lines(GOLDEN / "json.log"))
    rows = {r["log.line"]: r for r in result.records.to_pylist()}
    assert rows[5]["user.name"] == 'bob "the builder" \\ o\u00e9'
    assert rows[5]["url.original"] == "https://www.linkedin.com:8443/feed/"
    assert (rows[5]["destination.port"], rows[5]["source.address"]) == (8443, "2001:db8::7")
    assert (rows[5]["http.request.bytes"], rows[5]["event.outcome"]) == (10, "failed")  # 503
    assert rows[6]["user.name"] == "<script>alert(1)</script>"
    assert rows[7]["event.outcome"] == "failed"  # respcode 0: no answer
    assert rows[8]["url.domain"] == "www.reddit.com"  # CRLF line
    assert result.rejects.to_pylist() == [
        {"log.line": 9, "reason": "truncated"},
        {"log.line": 10, "reason": "bad-timestamp"},
        {"log.line": 11, "reason": "no-url"},
        {"log.line": 12, "reason": "bad-port"},
        {"log.line": 13, "reason": "bad-bytes"},
        {"log.line": 14, "reason": "not-zscaler"},
    ]


def test_csv_feed_quoting_and_rejects() -> None:
    result = parse(read_lines(GOLDEN / "csv.log"))
    rows = result.records.to_pylist()
    assert rows[1]["url.original"] == "www.dropbox.com/upload?a=1,2"  # comma inside quotes
    assert (rows[1]["destination.port"], rows[1]["event.outcome"]) == (80, "blocked")
    assert (rows[2]["organization.unit"], rows[2]["event.outcome"]) == (
        None,
        "failed",
    )  # Unknown, 502
    assert result.rejects.to_pylist() == [
        {"log.line": 4, "reason": "field-count"},
        {"log.line": 5, "reason": "bad-csv"},
    ]
    assert len(CSV_FIELDS) == 33


def test_key_value_feed() -> None:
    result = parse(read_lines(GOLDEN / "kv.log"))
    rows = result.records.to_pylist()
    assert rows[1]["@timestamp"] == utc(2026, 3, 2, 15, 5, 6)  # epochtime=1772463906
    assert rows[1]["event.outcome"] == "blocked"
    assert result.rejects.to_pylist() == [{"log.line": 3, "reason": "bad-timestamp"}]


def test_mixed_shapes_keep_line_order() -> None:
    json_line = read_lines(GOLDEN / "json.log")[3]
    csv_line = read_lines(GOLDEN / "csv.log")[0]
    kv_line = read_lines(GOLDEN / "kv.log")[0]
    result = parse([kv_line, "", csv_line, "junk", json_line], first_line=100)
    assert result.records.column("log.line").to_pylist() == [100, 102, 104]
    assert result.rejects.to_pylist() == [{"log.line": 103, "reason": "not-zscaler"}]


def test_too_long() -> None:
    line = '{"time":"Mon Mar 02 15:04:05 2026","eurl":"a.example/' + "x" * 70_000 + '"}'
    assert parse([line]).rejects.to_pylist() == [{"log.line": 1, "reason": "too-long"}]


def test_department_fills_the_unit_when_the_directory_has_none(
    tmp_path: Path, data_dir: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    """ann is in the directory (Legal there, Communications in the log: the directory wins);
    cara is not (her log department is used); dan has neither (unknown)."""
    log = tmp_path / "nss.log"
    template = (
        '{{"time":"Mon Mar 02 15:0{i}:00 2026","login":"{user}","eurl":"www.facebook.com/",'
        '"action":"Allowed","reqsize":"1","respsize":"2","dept":"{dept}","cip":"10.0.0.{i}",'
        '"reqmethod":"GET","respcode":"200","proto":"HTTPS"}}'
    )
    people = [("ann", "Communications"), ("cara", "Finance"), ("dan", "None")]
    log.write_text(
        "\n".join(template.format(i=i, user=u, dept=d) for i, (u, d) in enumerate(people)) + "\n"
    )
    directory = tmp_path / "staff.csv"
    directory.write_text("user,unit\nann,Legal\n")
    code, _, stderr = cli("ingest", "--data", data_dir, "--directory", directory, log)
    assert code == 0, stderr
    events = Insights.open(data_dir).events
    units = events.select("log.line", "organization.unit").to_pyarrow().sort_by("log.line")
    assert units.column("organization.unit").to_pylist() == ["Legal", "Finance", "unknown"]


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def _record(**fields: Any) -> dict[str, Any]:
    return record(**{"@timestamp": utc(2026, 3, 2, 14, 0, 5), **fields})


def test_write_shape() -> None:
    row = _record(**{"user.name": 'a"b\\c\n', "source.address": "10.0.0.1",
                     "url.domain": "www.facebook.com", "destination.port": 8080,
                     "url.original": "http://www.facebook.com:8080/x", "event.outcome": "failed",
                     "http.request.method": "GET", "organization.unit": "Comms"})  # fmt: skip
    assert Zscaler.write(pa.Table.from_pylist([row], schema=RECORD_SCHEMA)) == [
        '{"sourcetype":"zscalernss-web","event":{"time":"Mon Mar 02 14:00:05 2026",'
        '"login":"a\\"b\\\\c\\u000a","proto":"HTTP","eurl":"www.facebook.com:8080/x",'
        '"action":"Allowed","appname":"General Browsing","reqsize":"0","respsize":"0",'
        '"stime":"0","ctime":"0","urlcat":"Miscellaneous or Unknown","dept":"Comms",'
        '"cip":"10.0.0.1","reqmethod":"GET","respcode":"0","contenttype":"Other"}}'
    ]


dns_name = dns_names(min_labels=2)
address = addresses
value_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(
    lambda s: s not in ("None", "NA", "N/A", "Unknown", "none")
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    outcome = draw(st.sampled_from(["allowed", "blocked", "failed"]))
    status = draw(st.sampled_from([200, 302, 404] if outcome != "failed" else [None, 502]))
    method = draw(st.sampled_from(["GET", "POST", "CONNECT"]))
    domain = draw(dns_name | address)
    port = draw(st.integers(1, 65535))
    path = (
        ""
        if method == "CONNECT"
        else draw(st.from_regex(r"/[A-Za-z0-9._~%?=&-]{0,12}", fullmatch=True))
    )
    host = f"[{domain}]" if ":" in domain else domain
    return _record(**{
        "@timestamp": dt.datetime.fromtimestamp(draw(st.integers(0, 4 * 10**9)), dt.UTC),
        "user.name": draw(value_text | st.none()),
        "source.address": draw(address),
        "organization.unit": draw(value_text | st.none()),
        "http.request.method": method,
        "url.domain": domain,
        "destination.port": port,
        "http.response.status_code": status,
        "event.action": "Blocked" if outcome == "blocked" else "Allowed",
        "event.outcome": outcome,
        "http.request.bytes": draw(st.integers(0, 2**40)),
        "http.response.bytes": draw(st.integers(0, 2**40)),
        "event.duration_ms": draw(st.integers(0, 10**6)),
        "http.response.mime_type": draw(st.sampled_from(["text/html", "image/png"]) | st.none()),
        "url.original": f"https://{host}:{port}{path}",
    })  # fmt: skip


def expected(row: dict[str, Any]) -> dict[str, Any]:
    """The URL loses its scheme and a default port; a failed request without status is 0."""
    host = f"[{row['url.domain']}]" if ":" in row["url.domain"] else row["url.domain"]
    port = row["destination.port"]
    default = port == 443 or (port == 80 and row["http.request.method"] != "CONNECT")
    authority = host if default else f"{host}:{port}"
    path = row["url.original"][len(f"https://{host}:{port}") :]
    return {**row, "url.original": authority + path}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=15))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    parsed = round_trip(Zscaler, rows)
    assert parsed == [expected(r) for r in rows]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text()
        | st.lists(st.sampled_from(['{"', '"time":"Mon Mar 02 15:04:05 2026"', ",", '"eurl":"a.b/"',
                                    "}", "\\", '"', "\t", "eurl=a.b", "cip=::1", "login=x", "="]),
                   max_size=12).map("".join),
        max_size=10,
    ),
    st.integers(1, 10**9),
)  # fmt: skip
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first)
    assert_partitions(result, lines, first)
    Zscaler.write(result.records)


@pytest.mark.parametrize("shape", ["json", "csv", "kv"])
def test_sniff_each_shape(shape: str) -> None:
    lines = read_lines(GOLDEN / f"{shape}.log")
    assert Zscaler.sniff(lines) >= 0.5
    assert formats.detect(lines) is Zscaler


def test_other_formats_samples_are_not_zscaler() -> None:
    assert other_claims(Zscaler, own=[str(ELASTIC.relative_to(DATA))]) == {}


def test_simulated_org_matches_the_squid_run(
    tmp_path: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """simulate --format zscaler -> ingest: the same services, people and units as Squid."""
    carried = {"requests", "blocked", "failed", "bytes_down"}
    compare_with_squid("zscaler", tmp_path, cli, tmp_path_factory, carried)


def test_default_port_follows_the_scheme() -> None:
    """A URL without a port gets its scheme's port: wss is TLS (443), not plain ws (80)."""
    template = (
        '{"time":"Mon Mar 02 15:04:05 2026","login":"ann@example.org","proto":"HTTP",'
        '"eurl":"%s","action":"Allowed","cip":"10.1.2.3","reqmethod":"GET","respcode":"101"}'
    )
    urls = ["wss://chat.example.org/socket", "ws://chat.example.org/socket",
            "https://www.example.org/", "http://www.example.org/"]  # fmt: skip
    rows = parse([template % url for url in urls]).records.to_pylist()
    assert [row["destination.port"] for row in rows] == [443, 80, 443, 80]
