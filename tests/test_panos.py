"""The PAN-OS CSV format: the real Metron sample (50 THREAT + 50 TRAFFIC), Cisco ASA and
iptables lines rejected, column mapping, outcomes, the writer and round-trip properties."""

from __future__ import annotations

import collections
import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.formats.panos import PanOs
from socialsight.insights import Insights
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

from format_checks import addresses, assert_partitions, dns_names, record, round_trip, utc
from format_e2e import CliRun, compare_with_squid
from other_samples import other_claims, read_lines

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLE_INPUT = next(DATA.glob("apache-metron-sample-data/**/SampleInput"))
PALOALTO = SAMPLE_INPUT / "PaloaltoOutput"
ASA = SAMPLE_INPUT / "AsaOutput"
FIREWALLS = DATA / "logstash-patterns-core" / "spec" / "patterns" / "firewalls.messages.log"


def parse(lines: list[str], first_line: int = 1) -> ParseResult:
    return PanOs().parse(pa.array(lines, pa.string()), first_line)


def row_at(records: pa.Table, line: int) -> dict[str, Any]:
    rows = [r for r in records.to_pylist() if r["log.line"] == line]
    assert len(rows) == 1
    return rows[0]


# ---------------------------------------------------------------------------------------------
# Real files.


def test_metron_paloalto_sample() -> None:
    lines = read_lines(PALOALTO)
    assert len(lines) == 100
    result = parse(lines)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    # Line 88 is a TRAFFIC record whose addresses were mangled into "23.200,10,217".
    assert result.rejects.to_pylist() == [{"log.line": 88, "reason": "bad-address"}]
    assert result.records.num_rows == 99
    # grep -c ',THREAT,' = 50; ',TRAFFIC,' = 50 (one of them rejected).
    # awk -F, '{print $31}' (the action column) | sort | uniq -c, line 88 left out.
    actions = collections.Counter(result.records.column("event.action").to_pylist())
    assert actions == {"reset-both": 39, "allow": 48, "alert": 8, "deny": 4}
    # Blocked: reset-both and deny; failed: the five TRAFFIC "end allow" with 0 packets back.
    outcomes = collections.Counter(result.records.column("event.outcome").to_pylist())
    assert outcomes == {"blocked": 43, "allowed": 51, "failed": 5}
    assert PanOs.sniff(lines) == 1.0
    assert formats.detect(lines) is PanOs


def test_metron_threat_vulnerability_line() -> None:
    records = parse(read_lines(PALOALTO)).records
    # 1,2015/01/05 05:38:58,0006C110285,THREAT,vulnerability,...,10.0.0.115,216.0.10.198,...
    # EX-Allow,example\user.name,,web-browsing,...,54180,80,...,tcp,reset-both,"ad.aspx?...
    assert row_at(records, 1) == {
        "@timestamp": utc(2015, 1, 5, 5, 38, 58),
        "user.name": "example\\user.name",
        "source.address": "10.0.0.115",
        "organization.unit": None,
        "http.request.method": None,
        "url.domain": "216.0.10.198",
        "destination.port": 80,
        "http.response.status_code": None,
        "event.action": "reset-both",
        "event.outcome": "blocked",
        "http.request.bytes": None,
        "http.response.bytes": None,
        "event.duration_ms": None,
        "http.response.mime_type": None,
        "url.original": None,
        "log.line": 1,
    }


def test_metron_traffic_lines() -> None:
    lines = read_lines(PALOALTO)
    records = parse(lines).records
    first_traffic = next(i for i, line in enumerate(lines, 1) if ",TRAFFIC,end," in line)
    row = row_at(records, first_traffic)
    # ...,10.0.0.53,10.1.0.174,...,54270,40004,...,tcp,allow,5385,3299,2086,26,...,30,...,11,15
    assert (row["source.address"], row["url.domain"], row["destination.port"]) == (
        "10.0.0.53",
        "10.1.0.174",
        40004,
    )
    assert (row["http.request.bytes"], row["http.response.bytes"]) == (3299, 2086)
    assert (row["event.duration_ms"], row["event.outcome"], row["user.name"]) == (
        30000,
        "allowed",
        None,
    )
    # A UDP session that got no packet back (packets received 0): the service did not answer.
    failed = [r for r in records.to_pylist() if r["event.outcome"] == "failed"]
    assert len(failed) == 5
    assert all(r["http.response.bytes"] == 0 for r in failed)
    # The one TRAFFIC "drop" record (action deny): blocked.
    lines_by_number = dict(enumerate(lines, 1))
    drops = [r for r in records.to_pylist() if ",TRAFFIC,drop," in lines_by_number[r["log.line"]]]
    assert [(r["event.action"], r["event.outcome"]) for r in drops] == [("deny", "blocked")]


def test_metron_server_to_client_threat_is_turned_around() -> None:
    lines = read_lines(PALOALTO)
    records = parse(lines).records
    number = next(i for i, line in enumerate(lines, 1) if "FreemakeVideoConverterSetup" in line)
    row = row_at(records, number)
    # src 94.0.0.3 (the server, port 80) -> dst 10.0.0.208 (the client), dstuser the person.
    assert (row["source.address"], row["url.domain"], row["destination.port"]) == (
        "10.0.0.208",
        "94.0.0.3",
        80,
    )
    assert (row["user.name"], row["event.outcome"]) == ("example\\user.name", "blocked")


@pytest.mark.parametrize(("path", "count"), [(ASA, 100), (FIREWALLS, 34)])
def test_cisco_asa_and_iptables_are_not_panos(path: Path, count: int) -> None:
    lines = read_lines(path)
    assert len(lines) == count
    result = parse(lines)
    assert result.records.num_rows == 0
    assert collections.Counter(result.rejects.column("reason").to_pylist()) == {"not-panos": count}
    assert PanOs.sniff(lines) == 0.0


# ---------------------------------------------------------------------------------------------
# Hand-written lines.

URL_LINE = (
    "<14>1 2024-05-01T10:00:01+00:00 fw01 - - - - 1,2024/05/01 10:00:00,0123456789,THREAT,url,"
    "2561,2024/05/01 10:00:00,10.1.2.3,157.240.22.35,203.0.113.9,157.240.22.35,allow-web,"
    "corp\\ann,,facebook-base,vsys1,trust,untrust,ethernet1/1,ethernet1/2,fwd,"
    "2024/05/01 10:00:00,1234,1,51000,443,40000,443,0x408000,tcp,alert,"
    '"www.facebook.com/groups/x?a=1,2",(9999),social-networking,informational,'
    "client-to-server,77,0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,text/html,"
    "0,,,1,Mozilla/5.0,,,,,,,0,0,0,0,0,,fw01,"
)

# The first TRAFFIC line of the Metron sample.
TRAFFIC_LINE = (
    "<14>Jan  5 12:51:34 PAN1.exampleCustomer.com 1,2015/01/05 12:51:33,0011C103117,TRAFFIC,end,1,"
    "2015/01/05 12:51:33,10.0.0.53,10.1.0.174,0.0.0.0,0.0.0.0,EX-EasyAV2,,,mssql-db,vsys1,"
    "v_dmz-internal,v_dmz-external,ethernet1/4,ethernet1/3,LOG-Default,2015/01/05 12:51:33,"
    "34103936,1,54270,40004,0,0,0x401c,tcp,allow,5385,3299,2086,26,2015/01/05 12:51:01,30,any,0,"
    "17754932047,0x0,10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,0,11,15 "
)


def test_url_log_with_rfc5424_header_and_later_columns() -> None:
    result = parse([URL_LINE])
    assert result.rejects.num_rows == 0
    row = result.records.to_pylist()[0]
    assert row["@timestamp"] == utc(2024, 5, 1, 10, 0, 0)
    assert row["url.domain"] == "www.facebook.com"
    assert row["url.original"] == "www.facebook.com/groups/x?a=1,2"
    assert (row["destination.port"], row["user.name"], row["event.outcome"]) == (
        443,
        "corp\\ann",
        "allowed",
    )
    assert row["http.response.mime_type"] == "text/html"
    blocked = parse([URL_LINE.replace(",alert,", ",block-url,")]).records.to_pylist()[0]
    assert (blocked["event.action"], blocked["event.outcome"]) == ("block-url", "blocked")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1,2024/05/01 10:00:00,0123,SYSTEM,general,0,2024/05/01 10:00:00,,general,,0,0,"
         "general,informational,\"User admin logged in\",1,0x0", "not-traffic"),
        (URL_LINE.split(",alert,")[0] + ",alert", "truncated"),
        (URL_LINE.replace("2024/05/01 10:00:00,10.1", "2024/13/01 10:00:00,10.1"), "bad-timestamp"),
        (URL_LINE.replace("10.1.2.3,", "host.example,"), "bad-address"),
        (URL_LINE.replace(",51000,443,", ",51000,http,"), "bad-port"),
        (URL_LINE.replace('"www.facebook', "www.facebook"), "bad-csv"),
        (TRAFFIC_LINE.replace(",5385,3299,", ",5385,lots,"), "bad-counter"),
        ("hello world", "not-panos"),
        ("1,2015/01/05 12:51:33,001,TRAFFIC," + "x" * 70_000, "too-long"),
    ],
)  # fmt: skip
def test_reject_reasons(line: str, reason: str) -> None:
    result = parse(["", line])
    assert result.records.num_rows == 0
    assert result.rejects.to_pylist() == [{"log.line": 2, "reason": reason}]


def test_blank_and_crlf_lines() -> None:
    result = parse(["", "  ", URL_LINE + "\r", "\r"], first_line=10)
    assert result.records.column("log.line").to_pylist() == [12]
    assert result.rejects.num_rows == 0


def test_sniff() -> None:
    assert PanOs.sniff([URL_LINE, "junk", ""]) == pytest.approx(0.5)
    assert PanOs.sniff([]) == 0.0


# ---------------------------------------------------------------------------------------------
# Writer and properties.


def _record(**fields: Any) -> dict[str, Any]:
    return record(**{"@timestamp": utc(2026, 3, 2, 14, 0, 5), **fields})


def test_write_shapes() -> None:
    rows = [
        _record(**{"url.domain": "www.facebook.com", "destination.port": 443,
                   "source.address": "10.1.0.1", "user.name": 'ann, "x"',
                   "url.original": "https://www.facebook.com/a?b=c,d"}),
        _record(**{"url.domain": "157.240.1.1", "destination.port": 443, "source.address": "::1",
                   "event.outcome": "failed", "http.request.bytes": 10, "http.response.bytes": 0,
                   "event.duration_ms": 3000}),
    ]  # fmt: skip
    lines = PanOs.write(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA))
    assert lines[0].startswith(
        "<14>Mar 02 14:00:05 PA-VM 1,2026/03/02 14:00:05,001801000000,THREAT,url,1,"
        '2026/03/02 14:00:05,10.1.0.1,0.0.0.0,0.0.0.0,0.0.0.0,allow-web,"ann, ""x""",'
    )
    assert ',alert,"www.facebook.com/a?b=c,d",(9999),' in lines[0]
    assert ",TRAFFIC,end,1,2026/03/02 14:00:05,::1,157.240.1.1," in lines[1]
    assert lines[1].endswith(",tcp,allow,10,10,0,2,2026/03/02 14:00:05,3,any,0,2,0x0,"
                             "10.0.0.0-10.255.255.255,US,0,1,0")  # fmt: skip


def test_write_keeps_one_record_per_line() -> None:
    nasty = 'a\nb\rc\u2028d,"e'
    fields = {"url.domain": "x.example", "destination.port": 80, "source.address": "10.0.0.1",
              "user.name": nasty, "url.original": "http://x.example/" + nasty}  # fmt: skip
    rows = [_record(**fields)]
    [line] = PanOs.write(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA))
    assert line.splitlines() == [line]
    row = parse([line]).records.to_pylist()[0]
    assert row["user.name"] == 'a b c d,"e'


dns_name = dns_names(min_labels=2)
address = addresses
user_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    max_size=12,
).filter(lambda s: s.strip() == s)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    by_address = draw(st.booleans())
    outcome = draw(st.sampled_from(["allowed", "blocked", "failed"]))
    return _record(**{
        "@timestamp": dt.datetime.fromtimestamp(draw(st.integers(0, 4_102_444_800)), dt.UTC),
        "user.name": draw(user_text.filter(bool) | st.none()),
        "source.address": draw(address),
        "url.domain": draw(address) if by_address else draw(dns_name),
        "destination.port": draw(st.integers(1, 65535)),
        "event.outcome": outcome,
        "http.request.bytes": draw(st.integers(0, 2**40)),
        "http.response.bytes": 0 if outcome != "allowed" else draw(st.integers(0, 2**40)),
        "event.duration_ms": draw(st.integers(0, 10**6)) * 1000,
        "url.original": None,
    })  # fmt: skip


def expected(row: dict[str, Any]) -> dict[str, Any]:
    """What PAN-OS can carry back: TRAFFIC for an address, URL records for a name."""
    try:
        ipaddress.ip_address(row["url.domain"])
        by_address = True
    except ValueError:
        by_address = False
    outcome = row["event.outcome"]
    if by_address:
        action = "deny" if outcome == "blocked" else "allow"
        carried = {"http.request.bytes": row["http.request.bytes"],
                   "http.response.bytes": row["http.response.bytes"],
                   "event.duration_ms": row["event.duration_ms"], "url.original": None}  # fmt: skip
    else:
        action = "block-url" if outcome == "blocked" else "alert"
        outcome = "blocked" if outcome == "blocked" else "allowed"  # a URL log cannot fail
        carried = {"http.request.bytes": None, "http.response.bytes": None,
                   "event.duration_ms": None, "url.original": row["url.domain"] + "/"}  # fmt: skip
    return {**row, **carried, "event.action": action, "event.outcome": outcome,
            "source.address": row["source.address"].lower(),
            "url.domain": row["url.domain"].lower()}  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=15))
def test_write_parse_round_trip(rows: list[dict[str, Any]]) -> None:
    parsed = round_trip(PanOs, rows)
    assert parsed == [expected(r) for r in rows]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text()
        | st.lists(st.sampled_from(["1", "2015/01/05 12:51:33", "TRAFFIC", "THREAT", "url", "",
                                    '"', "10.0.0.1", "::1", "80", "allow", "x,y"]), max_size=50)
        .map(",".join),
        max_size=10,
    ),
    st.integers(1, 10**9),
)  # fmt: skip
def test_any_text_never_raises_and_partitions_lines(lines: list[str], first: int) -> None:
    result = parse(lines, first)
    assert_partitions(result, lines, first)
    PanOs.write(result.records)


def test_other_formats_samples_are_not_panos() -> None:
    assert other_claims(PanOs, own=["apache-metron-sample-data/*/PaloaltoOutput"]) == {}


def test_simulated_org_matches_the_squid_run(
    tmp_path: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """simulate --format panos -> ingest: the same services, people and units as Squid."""
    compare_with_squid("panos", tmp_path, cli, tmp_path_factory, {"requests", "blocked"})


def test_traffic_to_bare_addresses_is_classified_by_ip_range(
    tmp_path: Path, data_dir: Path, cli: CliRun
) -> None:
    """TRAFFIC records name the destination by address: the catalog's IP ranges give Facebook
    (157.240.0.0/17) and WhatsApp (31.13.64.60/31, nested in Facebook's 31.13.64.0/18)."""
    log = tmp_path / "traffic.log"
    lines = [
        TRAFFIC_LINE.replace("10.1.0.174", ip).replace(",40004,", ",443,")
        for ip in ("157.240.22.35", "31.13.64.61", "10.1.0.174")
    ]
    log.write_text("\n".join(lines) + "\n")
    code, _, stderr = cli("ingest", "--data", data_dir, log)
    assert code == 0, stderr
    events = Insights.open(data_dir).events
    table = events.select("log.line", "url.domain", "service.id", "host.is_ip").to_pyarrow()
    rows = sorted(table.to_pylist(), key=lambda r: r["log.line"])
    assert [(r["url.domain"], r["service.id"], r["host.is_ip"]) for r in rows] == [
        ("157.240.22.35", "facebook", True),
        ("31.13.64.61", "whatsapp", True),
        ("10.1.0.174", None, True),
    ]
