"""Unbound query and reply logs (``log-queries: yes`` / ``log-replies: yes``):
``[1700000000] unbound[123:0] info: 10.0.0.1 example.com. A IN`` (a query) or the same with
``NOERROR 0.000123 0 45`` appended (a reply: rcode, seconds, from cache, size). Local-zone
actions (``log-local-actions: yes``) that refuse or sinkhole a name mark the lookup blocked.

See ``docs/formats/unbound.md`` for the line shapes, time zones and reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._dnslog import DnsQueryLog, Messages, const, dns_outcome, dns_rcode_for
from socialsight.formats._values import group

_PROGRAM = r"(?:^| )unbound(?:\[\d+:\d+\]:?|: \[\d+:\d+\]) "
_LOOKUP = _PROGRAM + (
    r"info: (?P<client>[0-9A-Fa-f.:%]+) (?P<qname>\S+) [A-Za-z0-9]+ "
    r"[A-Za-z0-9]+(?: (?P<rcode>[A-Z][A-Z0-9_]*) (?P<secs>\d+)\.(?P<frac>\d{1,9}) "
    r"\d \d+)?$"
)
_LOCAL = _PROGRAM + (
    r"info: \S+ (?P<ltype>always_nxdomain|always_refuse|always_null|always_deny|refuse|deny|"
    r"inform_deny) [0-9A-Fa-f.:%]+@\d+ (?P<qname>\S+) \S+ \S+$"
)


class Unbound(DnsQueryLog):
    """Unbound query/reply log.

    >>> import pyarrow as pa
    >>> line = "[1700000000] unbound[123:0] info: 10.0.0.1 Example.com. A IN NOERROR 0.012 0 45"
    >>> row = Unbound().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> str(row["@timestamp"]), row["url.domain"], row["event.action"], row["event.duration_ms"]
    ('2023-11-14 22:13:20+00:00', 'example.com', 'NOERROR', 12)
    """

    name: ClassVar[str] = "unbound"
    title: ClassVar[str] = "Unbound query/reply log"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "source.address", "url.domain", "event.action", "event.outcome",
            "event.duration_ms",
        }
    )  # fmt: skip
    program: ClassVar[str] = _PROGRAM

    def _messages(self, rest: pa.Array) -> Messages:
        n = len(rest)
        lookup = pc.extract_regex(rest, _LOOKUP)
        local = pc.extract_regex(rest, _LOCAL)
        rcode = group(lookup, "rcode")
        is_reply = rcode.is_valid()
        seconds = group(lookup, "secs").cast(pa.int64())
        frac = pc.utf8_rpad(pc.utf8_slice_codeunits(group(lookup, "frac"), 0, 3), 3, "0")
        millis = pc.add(pc.multiply(seconds, 1000), frac.cast(pa.int64()))
        return Messages(
            is_query=lookup.is_valid(),
            client=group(lookup, "client"),
            qname=group(lookup, "qname"),
            action=pc.coalesce(rcode, const("query", n)),
            outcome=pc.if_else(is_reply, dns_outcome(rcode, pa.nulls(n, pa.string())), "allowed"),
            duration_ms=millis,
            is_block=local.is_valid(),
            block_name=group(local, "qname"),
            block_kind=group(local, "ltype"),
        )

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render lookups as reply lines (``log-replies``), so the outcome survives: blocked
        is written ``REFUSED``, failed ``SERVFAIL`` (or its own rcode). Lookups without a host
        or client are left out."""
        keep = pc.and_(
            records.column("url.domain").is_valid(), records.column("source.address").is_valid()
        )
        records = records.filter(keep)
        if records.num_rows == 0:
            return []
        micros = records.column("@timestamp").combine_chunks().cast(pa.int64())
        seconds = pc.divide(micros, 1_000_000).cast(pa.string())
        duration = pc.fill_null(records.column("event.duration_ms").combine_chunks(), 0)
        secs = pc.divide(duration, 1000)
        frac = pc.subtract(duration, pc.multiply(secs, 1000))
        elapsed = pc.binary_join_element_wise(
            secs.cast(pa.string()), pc.utf8_lpad(frac.cast(pa.string()), 3, "0"), "."
        )
        lines = pc.binary_join_element_wise(
            "[", seconds, "] unbound[123:0] info: ",
            records.column("source.address").combine_chunks(), " ",
            records.column("url.domain").combine_chunks(), ". A IN ",
            dns_rcode_for(records), " ", elapsed, " 0 64", "",
        )  # fmt: skip
        result: list[str] = lines.to_pylist()
        return result


FORMATS = (Unbound,)
