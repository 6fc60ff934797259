"""DNS query logs (bind, dnsmasq / Pi-hole, unbound): the real samples, time stamp prefixes and
the syslog year, blocking lines joined to their lookups, detection, the writers and property
tests."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialsight import formats
from socialsight.errors import InputError
from socialsight.formats._dnslog import DnsQueryLog
from socialsight.formats.base import ParseResult
from socialsight.formats.bind import Bind
from socialsight.formats.dnsmasq import Dnsmasq
from socialsight.formats.unbound import Unbound
from socialsight.schema import RECORD_SCHEMA

from conftest import SHARED_DATA
from format_checks import assert_partitions, dns_names, utc
from other_samples import other_claims, read_lines

BIND_SAMPLE = SHARED_DATA / "logstash-patterns-core" / "spec" / "patterns" / "bind.messages.log"
PIHOLE = next(SHARED_DATA.glob("simple_template_log_parser/**/pihole_sample_log.log"))
NOW = dt.datetime(2025, 7, 1, 12, tzinfo=dt.UTC)


def parse(parser: DnsQueryLog, lines: list[str], first_line: int = 1) -> ParseResult:
    return parser.parse(pa.array(lines, pa.string()), first_line)


def reasons(result: ParseResult) -> dict[str, int]:
    return dict(collections.Counter(result.rejects.column("reason").to_pylist()))


# ---------------------------------------------------------------------------------------------
# Real samples.


def test_bind_sample() -> None:
    result = parse(Bind(), read_lines(BIND_SAMPLE))
    rows = [(r["@timestamp"], r["source.address"], r["url.domain"], r["event.outcome"])
            for r in result.records.to_pylist()]  # fmt: skip
    assert rows == [
        (utc(2018, 2, 17, 23, 6, 56, 326000), "172.26.0.1", "test.example.com", "allowed"),
        (utc(2018, 6, 30, 15, 50, 0, 999000), "192.168.10.48", "91.2.10.170.in-addr.internal",
         "allowed"),
    ]  # fmt: skip
    # The third line has no time stamp at all: it cannot be an event.
    assert result.rejects.to_pylist() == [{"log.line": 3, "reason": "no-timestamp"}]
    assert Bind.sniff(read_lines(BIND_SAMPLE)) == pytest.approx(2 / 3)
    assert formats.detect(read_lines(BIND_SAMPLE)) is Bind


def test_pihole_sample() -> None:
    """35 lines of every dnsmasq / Pi-hole line type: one lookup, the rest counted."""
    lines = read_lines(PIHOLE)
    assert len(lines) == 35  # the last one without a line break
    result = parse(Dnsmasq(now=NOW), lines)
    assert result.records.to_pylist() == [
        {
            "@timestamp": utc(2025, 6, 12, 16, 13, 28),
            "user.name": None,
            "source.address": "10.86.32.102",
            "organization.unit": None,
            "http.request.method": None,
            "url.domain": "queried_website.com",
            "destination.port": None,
            "http.response.status_code": None,
            "event.action": "query",
            "event.outcome": "allowed",
            "http.request.bytes": None,
            "http.response.bytes": None,
            "event.duration_ms": None,
            "http.response.mime_type": None,
            "url.original": None,
            "log.line": 5,
        }
    ]
    # 35 lines - 1 blank - 1 lookup; FTL and installer lines are not dnsmasq queries either.
    assert reasons(result) == {"not-a-query": 33}
    # grep -c 'dnsmasq\[' of 34 non-blank lines
    assert Dnsmasq.sniff(lines) == pytest.approx(27 / 34)
    assert formats.detect(lines) is Dnsmasq


@pytest.mark.parametrize("cls", [Bind, Dnsmasq, Unbound], ids=lambda c: c.name)
def test_other_samples_are_not_claimed(cls: type[DnsQueryLog]) -> None:
    own = [str(path.relative_to(SHARED_DATA)) for path in (BIND_SAMPLE, PIHOLE)]
    assert other_claims(cls, own) == {}


# ---------------------------------------------------------------------------------------------
# Time stamps.


@pytest.mark.parametrize(
    ("prefix", "now", "expected"),
    [
        ("Jun 12 16:13:28", NOW, utc(2025, 6, 12, 16, 13, 28)),
        ("Jul  2 11:00:00", NOW, utc(2025, 7, 2, 11)),  # within a day ahead: clock skew
        ("Jul  3 11:00:00", NOW, utc(2024, 7, 3, 11)),  # further ahead: last year
        ("Dec 31 23:59:59", utc(2026, 1, 1, 0, 5), utc(2025, 12, 31, 23, 59, 59)),
        ("Feb 29 10:00:00", utc(2024, 3, 1), utc(2024, 2, 29, 10)),
        ("Jun 12 16:13:28.250", NOW, utc(2025, 6, 12, 16, 13, 28, 250000)),
        ("<30>Jun 12 16:13:28", NOW, utc(2025, 6, 12, 16, 13, 28)),
        ("2025-06-12T16:13:28+02:00", NOW, utc(2025, 6, 12, 14, 13, 28)),
        ("2025-06-12T16:13:28.5Z", NOW, utc(2025, 6, 12, 16, 13, 28, 500000)),
        ("2025-06-12 16:13:28", NOW, utc(2025, 6, 12, 16, 13, 28)),
    ],
)
def test_time_prefixes(prefix: str, now: dt.datetime, expected: dt.datetime) -> None:
    line = f"{prefix} dnsmasq[1]: query[A] a.example from 10.0.0.1"
    row = parse(Dnsmasq(now=now), [line]).records.to_pylist()[0]
    assert row["@timestamp"] == expected


def test_zone_for_times_without_one() -> None:
    parser = Dnsmasq.configured({"timezone": "America/Toronto"})
    parser.now = NOW
    lines = [
        "Jun 12 16:13:28 dnsmasq[1]: query[A] a.example from 10.0.0.1",
        "2025-06-12T16:13:28Z dnsmasq[1]: query[A] a.example from 10.0.0.1",
    ]
    stamps = parse(parser, lines).records.column("@timestamp").to_pylist()
    assert stamps == [utc(2025, 6, 12, 20, 13, 28), utc(2025, 6, 12, 16, 13, 28)]
    with pytest.raises(InputError, match="unknown time zone"):
        Dnsmasq.configured({"timezone": "Mars/Olympus"})
    with pytest.raises(InputError, match="takes no option"):
        Bind.configured({"mapping": "x.toml"})


def test_bad_dates_are_rejected() -> None:
    lines = [
        "Feb 30 10:00:00 dnsmasq[1]: query[A] a.example from 10.0.0.1",
        "31-Apr-2024 10:00:00.000 queries: info: client 10.0.0.1#1 (a): query: a IN A + (1.1.1.1)",
    ]
    assert reasons(parse(Dnsmasq(now=NOW), lines[:1])) == {"bad-timestamp": 1}
    assert reasons(parse(Bind(), lines[1:])) == {"bad-timestamp": 1}


# ---------------------------------------------------------------------------------------------
# Line shapes and blocking.


@pytest.mark.parametrize(
    ("line", "client", "domain"),
    [
        ("17-Feb-2018 23:06:56.326 client 172.26.0.1#12345: query: a.example IN A +",
         "172.26.0.1", "a.example"),
        ("Feb 17 23:06:56 ns1 named[812]: client @0x7f2a 2001:db8::10#53211 (B.example): "
         "view internal: query: B.example IN AAAA +E(0)DC (2001:db8::53)", "2001:db8::10",
         "b.example"),
        ("Feb 17 23:06:56 named[812]: queries: info: client 10.0.0.1#1 (c.example): query: "
         "c.example IN HTTPS -E(0)T (10.0.0.53)", "10.0.0.1", "c.example"),
    ],
)  # fmt: skip
def test_bind_shapes(line: str, client: str, domain: str) -> None:
    result = parse(Bind(), [line])
    assert reasons(result) == {}
    row = result.records.to_pylist()[0]
    assert (row["source.address"], row["url.domain"]) == (client, domain)


def test_dnsmasq_blocking_lines() -> None:
    lines = [
        "Jun 12 10:00:00 dnsmasq[1]: query[A] ads.example from 10.0.0.1",
        "Jun 12 10:00:00 dnsmasq[1]: gravity blocked ads.example is 0.0.0.0",
        "Jun 12 10:00:01 dnsmasq[1]: query[A] ok.example from 10.0.0.1",
        "Jun 12 10:00:01 dnsmasq[1]: reply ok.example is 192.0.2.1",
        "Jun 12 10:00:02 dnsmasq[1]: query[A] old.example from 10.0.0.2",
        "Jun 12 10:00:02 dnsmasq[1]: /etc/pihole/gravity.list old.example is 0.0.0.0",
        "Jun 12 10:00:03 dnsmasq[1]: query[A] local.lan from 10.0.0.2",
        "Jun 12 10:00:03 dnsmasq[1]: /etc/pihole/hosts/custom.list local.lan is 10.0.0.5",
        "Jun 12 10:00:04 dnsmasq[1]: query[AAAA] Rx.Example. from 10.0.0.3",
        "Jun 12 10:00:04 dnsmasq[1]: regex denied rx.example is ::",
        "Jun 12 10:00:05 dnsmasq[1]: gravity blocked never-asked.example is 0.0.0.0",
    ]
    result = parse(Dnsmasq(now=NOW), lines)
    rows = [(r["url.domain"], r["event.action"], r["event.outcome"])
            for r in result.records.to_pylist()]  # fmt: skip
    assert rows == [
        ("ads.example", "gravity blocked", "blocked"),
        ("ok.example", "query", "allowed"),
        ("old.example", "/etc/pihole/gravity.list", "blocked"),
        ("local.lan", "query", "allowed"),
        ("rx.example", "regex denied", "blocked"),
    ]
    assert reasons(result) == {"not-a-query": 6}


def test_bind_rpz_marks_the_query() -> None:
    lines = [
        "05-Mar-2024 09:15:03.000 queries: info: client 10.1.2.3#5 (t.example): query: "
        "t.example IN A + (10.1.2.53)",
        "05-Mar-2024 09:15:03.001 rpz: info: client 10.1.2.3#5 (t.example): rpz QNAME "
        "Local-Data rewrite t.example/A/IN via t.example.rpz",
    ]
    row = parse(Bind(), lines).records.to_pylist()[0]
    assert (row["event.action"], row["event.outcome"]) == ("rpz Local-Data", "blocked")


def test_unbound_shapes() -> None:
    lines = [
        "[1700000000] unbound[1:0] info: 10.0.0.1 a.example. A IN",
        "[1700000000] unbound[1:0] info: 10.0.0.1 a.example. A IN NOERROR 0.250000 1 61",
        "Nov 14 22:13:21 host unbound: [1:0] info: 10.0.0.2 b.example. AAAA IN SERVFAIL 5.0 0 0",
        "[1700000002] unbound[1:0] info: 10.0.0.3 c.example. A IN REFUSED 0.000 0 0",
        "[1700000003] unbound[1:0] info: resolving a.example. A IN",
        "[1700000004] unbound[1:0] notice: init module 0: validator",
    ]
    result = parse(Unbound(now=NOW), lines)
    rows = [(r["url.domain"], r["event.action"], r["event.outcome"], r["event.duration_ms"])
            for r in result.records.to_pylist()]  # fmt: skip
    assert rows == [
        ("a.example", "query", "allowed", None),
        ("a.example", "NOERROR", "allowed", 250),
        ("b.example", "SERVFAIL", "failed", 5000),
        ("c.example", "REFUSED", "blocked", 0),
    ]
    assert reasons(result) == {"not-a-query": 2}


# ---------------------------------------------------------------------------------------------
# Writers and properties.

host = dns_names()
# Syslog time stamps have whole seconds and are read against NOW: stay within the last year.
recent = st.integers(0, 363 * 86400).map(lambda s: NOW - dt.timedelta(seconds=s))


@st.composite
def lookups(draw: st.DrawFn, outcomes: tuple[str, ...], millis: bool) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    stamp = draw(recent)
    if millis:
        stamp += dt.timedelta(milliseconds=draw(st.integers(0, 999)))
    outcome = draw(st.sampled_from(outcomes))
    row.update({"@timestamp": stamp, "source.address": draw(st.ip_addresses().map(str)),
                "url.domain": draw(host), "event.outcome": outcome, "log.line": 1})  # fmt: skip
    return row


CASES = {
    "bind": (Bind, ("allowed", "blocked"), True),
    "dnsmasq": (Dnsmasq, ("allowed", "blocked"), False),
    "unbound": (Unbound, ("allowed", "blocked", "failed"), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(name: str, data: st.DataObject) -> None:
    cls, outcomes, millis = CASES[name]
    rows = data.draw(st.lists(lookups(outcomes, millis), min_size=1, max_size=8))
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    lines = cls.write(table)
    blocked = sum(r["event.outcome"] == "blocked" for r in rows)
    extra = blocked if cls is not Unbound else 0  # a blocking line after each blocked lookup
    assert len(lines) == len(rows) + extra
    result = cls(now=NOW).parse(pa.array(lines), 1)
    fields = ["@timestamp", "source.address", "url.domain", "event.outcome"]
    assert result.records.select(fields).to_pylist() == table.select(fields).to_pylist()
    assert cls.sniff(lines) == 1.0 or extra
    assert reasons(result) == ({"not-a-query": extra} if extra else {})


dnsish = st.lists(
    st.sampled_from(["Jun 12 10:00:00 ", "dnsmasq[1]: ", "query[A] ", "from ", "10.0.0.1",
                     "client ", "#53 ", "(x): ", "query: ", "IN A +", "[1700000000] ",
                     "unbound[1:0] ", "info: ", "gravity blocked ", " is 0.0.0.0", "<script>"])
    | st.text(max_size=5),
    max_size=12,
).map("".join)  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text() | dnsish, max_size=10), first=st.integers(1, 10**9))
def test_any_text_never_raises(name: str, lines: list[str], first: int) -> None:
    cls = CASES[name][0]
    result = cls(now=NOW).parse(pa.array(lines, pa.string()), first)
    assert_partitions(result, lines, first)
    cls.sniff(lines)
    cls.write(result.records)
