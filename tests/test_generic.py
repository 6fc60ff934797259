"""The generic format: mapping files (valid and invalid), CSV and JSON lines, time formats and
zones, outcome maps, the ``--mapping`` option of ``socialsight ingest`` end to end, the writer
and property tests."""

from __future__ import annotations

import collections
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.errors import InputError
from socialsight.formats.base import ParseResult
from socialsight.formats.generic import DEFAULT_MAPPING, Generic, load_mapping, parse_mapping
from socialsight.schema import RECORD_SCHEMA

from conftest import CliResult
from format_checks import dns_names, utc

GOLDEN = Path(__file__).parent / "golden" / "generic"


def mapping(**doc: Any) -> Generic:
    base: dict[str, Any] = {"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h"}}
    base.update(doc)
    return Generic(parse_mapping(base))


def parse(parser: Generic, lines: list[str], first_line: int = 1) -> ParseResult:
    return parser.parse(pa.array(lines, pa.string()), first_line)


def reasons(result: ParseResult) -> dict[str, int]:
    return dict(collections.Counter(result.rejects.column("reason").to_pylist()))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"fields": {"@timestamp": "t", "url.domain": "h"}}, 'format must be "csv" or "jsonl"'),
        ({"format": "xml", "fields": {}}, 'format must be "csv" or "jsonl"'),
        ({"format": "csv"}, "a [fields] table is required"),
        ({"format": "csv", "fields": {"url.domain": "h"}}, 'must name the "@timestamp"'),
        ({"format": "csv", "fields": {"@timestamp": "t"}}, '"url.domain" or "url.original"'),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h", "user": "u"}},
         "unknown record field(s) user"),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": ""}},
         "non-empty column"),
        ({"format": "csv", "header": False, "fields": {"@timestamp": "t", "url.domain": "h"}},
         "needs columns"),
        ({"format": "csv", "delimiter": ";;", "fields": {"@timestamp": "t", "url.domain": "h"}},
         "delimiter must be one character"),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h"},
          "time": {"format": "dd/mm/yyyy"}}, "time.format must be"),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h"},
          "time": {"zone": "Mars/Olympus"}}, "unknown time zone"),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h"},
          "outcome": {"map": {"ok": "fine"}}}, "outcome.map values must be"),
        ({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h"}, "colums": []},
         "unknown key(s) colums"),
    ],
)  # fmt: skip
def test_invalid_mappings(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_mapping(doc, "m.toml")
    assert str(info.value).startswith("mapping m.toml: ")
    assert message in str(info.value)


def test_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_mapping(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("format = csv\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_mapping(broken)
    with pytest.raises(InputError, match="needs a mapping file"):
        Generic.configured({})
    with pytest.raises(InputError, match="takes only a mapping"):
        Generic.configured({"mapping": str(broken), "zone": "UTC"})
    loaded = load_mapping(GOLDEN / "firewall-csv.mapping.toml")
    assert (loaded.form, loaded.delimiter, loaded.zone) == ("csv", ";", "Europe/Paris")
    assert loaded.outcome_map == {
        "permitted": "allowed",
        "denied": "blocked",
        "upstream error": "failed",
    }


def test_never_detected() -> None:
    lines = (GOLDEN / "firewall-csv.log").read_text(encoding="latin-1").splitlines()
    assert Generic.sniff(lines) == 0.0
    assert formats.detect(lines) is None


@pytest.mark.parametrize(
    ("time", "text", "expected"),
    [
        ({"format": "epoch"}, "1700000000.25", utc(2023, 11, 14, 22, 13, 20, 250000)),
        ({"format": "epoch_ms"}, "1700000000250", utc(2023, 11, 14, 22, 13, 20, 250000)),
        ({"format": "iso8601"}, "2024-03-10T02:30:00", utc(2024, 3, 10, 2, 30)),
        ({"format": "iso8601", "zone": "America/Toronto"}, "2024-03-10T01:30:00",
         utc(2024, 3, 10, 6, 30)),
        # In the spring-forward gap: moved to the end of the gap (03:00 EDT).
        ({"format": "iso8601", "zone": "America/Toronto"}, "2024-03-10T02:30:00",
         utc(2024, 3, 10, 7)),
        # Repeated hour in the fall: the first of the two instants (EDT).
        ({"format": "iso8601", "zone": "America/Toronto"}, "2024-11-03T01:30:00",
         utc(2024, 11, 3, 5, 30)),
        ({"format": "iso8601", "zone": "America/Toronto"}, "2024-11-03T01:30:00-05:00",
         utc(2024, 11, 3, 6, 30)),
        ({"format": "%d/%m/%Y %H:%M"}, "7/3/2024 09:05", utc(2024, 3, 7, 9, 5)),
        ({"format": "%d/%m/%Y %H:%M", "zone": "Europe/Paris"}, "07/03/2024 09:05",
         utc(2024, 3, 7, 8, 5)),
        ({"format": "%Y-%m-%d %H:%M:%S%z"}, "2024-03-07 09:05:00+0100", utc(2024, 3, 7, 8, 5)),
    ],
)  # fmt: skip
def test_time_formats(time: dict[str, str], text: str, expected: dt.datetime) -> None:
    parser = mapping(time=time, delimiter="|", header=False, columns=["t", "h"])
    result = parse(parser, [f"{text}|a.example"])
    assert reasons(result) == {}
    assert result.records.column("@timestamp").to_pylist() == [expected]


@pytest.mark.parametrize(
    ("time", "text"),
    [
        ({"format": "epoch"}, "17e8"),
        ({"format": "epoch_ms"}, "-1"),
        ({"format": "iso8601"}, "2024-02-30T10:00:00"),
        ({"format": "%d/%m/%Y"}, "31/04/2024"),
        ({"format": "%d/%m/%Y"}, ""),
    ],
)
def test_bad_times(time: dict[str, str], text: str) -> None:
    parser = mapping(time=time, delimiter="|", header=False, columns=["t", "h"])
    assert reasons(parse(parser, [f"{text}|a.example"])) == {"bad-timestamp": 1}


def test_outcome_rules() -> None:
    parser = mapping(
        fields={"@timestamp": "t", "url.domain": "h", "event.outcome": "o",
                "http.response.status_code": "s"},
        outcome={"default": "blocked", "map": {"OK": "allowed", "Err": "failed"}},
        time={"format": "epoch"},
    )  # fmt: skip
    lines = ["t,h,o,s"] + [f"1700000000,a.example,{o},{s}" for o, s in
                           [("ok", "200"), ("ERR", "200"), ("Failed", ""), ("other", "503"),
                            ("other", "200"), ("", "")]]  # fmt: skip
    outcomes = parse(parser, lines).records.column("event.outcome").to_pylist()
    assert outcomes == ["allowed", "failed", "failed", "failed", "blocked", "blocked"]


def test_csv_header_state_and_quoting() -> None:
    parser = mapping(fields={"@timestamp": "t", "url.domain": "h", "user.name": "u"},
                     time={"format": "epoch"})  # fmt: skip
    first = parse(parser, ["t,h,u", '1700000000,a.example,"Smith, John"'])
    second = parse(parser, ['1700000001,"b.example","say ""hi"""', "t,h,u", "1,2"], 3)
    assert first.records.column("user.name").to_pylist() == ["Smith, John"]
    assert second.records.column("user.name").to_pylist() == ['say "hi"']
    assert second.rejects.to_pylist() == [{"log.line": 5, "reason": "bad-field-count"}]
    # A parser resuming in the middle of a file without `columns` knows no header.
    resumed = parse(mapping(time={"format": "epoch"}), ["1700000000,a.example"], 10)
    assert reasons(resumed) == {"no-header": 1}


def test_json_keys_and_pointers() -> None:
    parser = Generic(parse_mapping({
        "format": "jsonl",
        "fields": {"@timestamp": "time", "url.original": "/request/url", "user.name": "a/b",
                   "source.address": "client.ip"},
    }))  # fmt: skip
    lines = [
        json.dumps({"time": "2024-03-07T09:05:00Z", "request": {"url": "wss://Chat.Example/x"},
                    "a/b": "slash-key", "client.ip": "10.0.0.1"}),
        json.dumps({"time": "2024-03-07T09:05:00Z", "request": {"url": "/relative"}}),
        json.dumps({"time": "2024-03-07T09:05:00Z", "request": {"url": 42}}),
    ]  # fmt: skip
    result = parse(parser, lines)
    rows = [(r["url.domain"], r["destination.port"], r["user.name"], r["source.address"])
            for r in result.records.to_pylist()]  # fmt: skip
    assert rows == [
        ("chat.example", 443, "slash-key", "10.0.0.1"),
        (None, None, None, None),
        (None, None, None, None),
    ]


def test_ingest_with_mapping(cli: Callable[..., CliResult], data_dir: Path, tmp_path: Path) -> None:
    log = GOLDEN / "firewall-csv.log"
    mapping_file = GOLDEN / "firewall-csv.mapping.toml"
    code, out, err = cli("ingest", log, "--data", data_dir, "--format", "generic",
                         "--mapping", mapping_file, "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert (report["lines"], report["records"]) == (13, 5)
    assert report["rejected"] == {"bad-bytes": 1, "bad-csv": 1, "bad-field-count": 1,
                                  "bad-host": 1, "bad-status": 1, "bad-timestamp": 1}  # fmt: skip
    assert report["files"][0]["format"] == "generic"
    # Without a mapping, or with a broken one: one clear line, exit 1, nothing read.
    code, _, err = cli("ingest", log, "--data", data_dir, "--format", "generic")
    assert (code, err.strip()) == (
        1,
        "error: format generic needs a mapping file: --mapping FILE.toml",
    )
    broken = tmp_path / "broken.toml"
    broken.write_text('format = "csv"\n[fields]\n"@timestamp" = "Date"\n')
    code, _, err = cli("ingest", log, "--data", data_dir, "--format", "generic",
                       "--mapping", broken)  # fmt: skip
    assert code == 1
    assert 'must name "url.domain" or "url.original"' in err
    code, _, err = cli("ingest", log, "--data", data_dir, "--mapping", mapping_file)
    assert (code, err.strip()) == (1, "error: format options (--mapping) need --format")
    code, _, err = cli("ingest", log, "--data", data_dir, "--format", "squid",
                       "--mapping", mapping_file)  # fmt: skip
    assert code == 1
    assert "format squid takes no options" in err


# ---------------------------------------------------------------------------------------------
# The writer and properties.

host = dns_names(max_labels=3) | st.ip_addresses().map(str)
text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
               max_size=12).filter(lambda s: s == s.strip())  # fmt: skip


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    micros = draw(st.integers(0, 4_102_444_800_000_000))
    row["@timestamp"] = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
    row.update({
        "user.name": draw(text | st.none()),
        "source.address": draw(st.ip_addresses().map(str) | st.none()),
        "organization.unit": draw(text | st.none()),
        "http.request.method": draw(st.sampled_from(["GET", "POST", "CONNECT", None])),
        "url.domain": draw(host),
        "destination.port": draw(st.integers(1, 65535) | st.none()),
        "http.response.status_code": draw(st.integers(100, 599) | st.none()),
        "event.action": draw(text | st.none()),
        "event.outcome": draw(st.sampled_from(["allowed", "blocked", "failed"])),
        "http.request.bytes": draw(st.integers(0, 10**15) | st.none()),
        "http.response.bytes": draw(st.integers(0, 10**15) | st.none()),
        "event.duration_ms": draw(st.integers(0, 10**9) | st.none()),
        "http.response.mime_type": draw(text | st.none()),
        "url.original": None,
        "log.line": 1,
    })  # fmt: skip
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=8))
def test_round_trip(rows: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    lines = Generic.write(table)
    assert len(lines) == len(rows) + 1  # the header
    result = Generic(DEFAULT_MAPPING).parse(pa.array(lines), 1)
    assert reasons(result) == {}
    got = result.records.drop_columns(["log.line"]).to_pylist()
    assert got == table.drop_columns(["log.line"]).to_pylist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=30), max_size=10), st.sampled_from(["csv", "jsonl"]))
def test_any_text_never_raises(lines: list[str], form: str) -> None:
    parser = mapping(format=form, time={"format": "epoch"})
    result = parse(parser, lines)
    numbers = (
        result.records.column("log.line").to_pylist()
        + result.rejects.column("log.line").to_pylist()
    )
    assert len(numbers) == len(set(numbers))
    Generic.write(result.records)
