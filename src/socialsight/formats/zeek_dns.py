"""Zeek's ``dns.log`` (TSV or JSON lines): one record per DNS query (with its answer when one
was seen); the query name is the destination host.

See :mod:`socialsight.formats._zeek` for the two physical forms and
``docs/formats/zeek_dns.md`` for the field mapping, outcome rule and reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._dnslog import dns_outcome, dns_rcode_for
from socialsight.formats._values import empty_null, host_name
from socialsight.formats._zeek import ZeekLog


class ZeekDns(ZeekLog):
    """Zeek ``dns.log``.

    >>> import pyarrow as pa
    >>> line = ('{"ts":1547188415.857497,"id.orig_h":"192.168.86.167","id.resp_h":"192.168.86.1",'
    ...         '"id.resp_p":53,"trans_id":15209,"rtt":0.076967,"query":"Example.COM",'
    ...         '"rcode_name":"NOERROR","answers":["93.184.216.34"]}')
    >>> row = ZeekDns().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["event.action"], row["event.outcome"], row["event.duration_ms"]
    ('example.com', 'NOERROR', 'allowed', 77)
    """

    name: ClassVar[str] = "zeek_dns"
    title: ClassVar[str] = "Zeek dns.log (TSV or JSON)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "source.address", "url.domain", "event.action", "event.outcome",
            "event.duration_ms",
        }
    )  # fmt: skip

    path: ClassVar[str] = "dns"
    fields: ClassVar[tuple[str, ...]] = ("query", "rcode_name", "rtt", "answers")
    joined: ClassVar[frozenset[str]] = frozenset({"answers"})
    markers: ClassVar[tuple[str, ...]] = ("query",)
    write_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("proto", "enum"),
        ("trans_id", "count"),
        ("rtt", "interval"),
        ("query", "string"),
        ("qclass", "count"),
        ("qclass_name", "string"),
        ("qtype", "count"),
        ("qtype_name", "string"),
        ("rcode", "count"),
        ("rcode_name", "string"),
        ("AA", "bool"),
        ("TC", "bool"),
        ("RD", "bool"),
        ("RA", "bool"),
        ("Z", "count"),
        ("answers", "vector[string]"),
        ("TTLs", "vector[interval]"),
        ("rejected", "bool"),
    )

    def _convert(
        self, col: dict[str, pa.Array], common: dict[str, pa.Array]
    ) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
        query, query_bad = host_name(empty_null(col["query"]))
        rcode = empty_null(col["rcode_name"])
        rtt_ok = pc.match_substring_regex(col["rtt"], r"^\d{1,9}(?:\.\d{1,9})?$")
        rtt = pc.if_else(rtt_ok, col["rtt"], None).cast(pa.float64())
        columns = {
            "url.domain": query,
            "event.action": rcode,
            "event.outcome": dns_outcome(rcode, col["answers"]),
            "event.duration_ms": pc.round(pc.multiply(rtt, 1000.0)).cast(pa.int64()),
        }
        checks = [
            (query_bad, "bad-host"),
            (pc.and_(col["rtt"].is_valid(), pc.invert(rtt_ok.fill_null(False))), "bad-rtt"),
            (no_rcode_shape(rcode), "bad-rcode"),
        ]
        return columns, checks

    @classmethod
    def _write_values(cls, records: pa.Table) -> dict[str, pa.Array]:
        def col(name: str) -> pa.Array:
            return records.column(name).combine_chunks()

        # The outcome must survive the round trip: blocked is written REFUSED.
        rcode = dns_rcode_for(records)
        millis = col("event.duration_ms")
        seconds = pc.divide(millis, 1000)
        rtt_text = pc.binary_join_element_wise(
            seconds.cast(pa.string()),
            pc.utf8_lpad(pc.subtract(millis, pc.multiply(seconds, 1000)).cast(pa.string()), 3, "0"),
            ".",
        )
        return {
            "id.orig_h": col("source.address"),
            "id.resp_p": pc.fill_null(pa.nulls(records.num_rows, pa.string()), "53"),
            "proto": pc.fill_null(pa.nulls(records.num_rows, pa.string()), "udp"),
            "rtt": rtt_text,
            "query": col("url.domain"),
            "rcode_name": rcode,
        }


def no_rcode_shape(rcode: pa.Array) -> pa.Array:
    """True where an rcode name is not an upper-case token (NOERROR, NXDOMAIN, ...)."""
    return pc.invert(pc.match_substring_regex(rcode, r"^[A-Z][A-Za-z0-9_-]{0,31}$")).fill_null(
        False
    )


FORMATS = (ZeekDns,)
