"""BIND 9 query logs (``querylog yes``, category ``queries``): one line per query received,
from BIND's own log file (``17-Feb-2018 23:06:56.326 queries: info: client ...``) or through
syslog (``Feb 17 23:06:56 ns1 named[123]: client ...``). Response Policy Zone rewrites
(category ``rpz``) mark the query they answer as blocked.

See ``docs/formats/bind.md`` for the line shapes, time zones and reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._dnslog import DnsQueryLog, Messages, const, interleave
from socialsight.formats._values import group

_PROGRAM = r"(?:^| )client (?:@0x[0-9A-Fa-f]+ )?[^\s#]+#\d+"
_CLIENT = (
    r"(?:^| )client (?:@0x[0-9A-Fa-f]+ )?(?P<client>[^\s#]+)#\d+(?: \([^)\s]*\))?: "
    r"(?:view [^:\s]+: )?"
)
_QUERY = _CLIENT + (
    r"query: (?P<qname>\S+) [A-Z0-9]+ [A-Z0-9-]+ [-+]\S*"
    r"(?: \([^)]*\))?$"
)
_RPZ = _CLIENT + (r"rpz [A-Za-z-]+ (?P<policy>[A-Za-z-]+) rewrite (?P<qname>[^/\s]+)/")


class Bind(DnsQueryLog):
    """BIND 9 query log.

    >>> import pyarrow as pa
    >>> line = ("17-Feb-2018 23:06:56.326 queries: info: client 172.26.0.1#12345 "
    ...         "(test.example.com): query: test.example.com IN A +E(0)K (172.26.0.3)")
    >>> row = Bind().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> str(row["@timestamp"]), row["source.address"], row["url.domain"], row["event.outcome"]
    ('2018-02-17 23:06:56.326000+00:00', '172.26.0.1', 'test.example.com', 'allowed')
    """

    name: ClassVar[str] = "bind"
    title: ClassVar[str] = "BIND 9 query log"
    provides: ClassVar[frozenset[str]] = frozenset(
        {"@timestamp", "source.address", "url.domain", "event.action", "event.outcome"}
    )
    program: ClassVar[str] = _PROGRAM

    def _messages(self, rest: pa.Array) -> Messages:
        n = len(rest)
        query = pc.extract_regex(rest, _QUERY)
        rpz = pc.extract_regex(rest, _RPZ)
        policy = group(rpz, "policy")
        # PASSTHRU lets the answer through; every other RPZ policy replaces it.
        is_block = pc.and_(rpz.is_valid(), pc.not_equal(policy, "PASSTHRU")).fill_null(False)
        return Messages(
            is_query=query.is_valid(),
            client=group(query, "client"),
            qname=group(query, "qname"),
            action=const("query", n),
            outcome=const("allowed", n),
            duration_ms=pa.nulls(n, pa.int64()),
            is_block=is_block,
            block_name=group(rpz, "qname"),
            block_kind=pc.binary_join_element_wise("rpz ", policy, ""),
        )

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render lookups as BIND's own query log lines (UTC, milliseconds); a blocked lookup
        is followed by an ``rpz QNAME NXDOMAIN rewrite`` line. Lookups without a host or
        client are left out."""
        keep = pc.and_(
            records.column("url.domain").is_valid(), records.column("source.address").is_valid()
        )
        records = records.filter(keep)
        if records.num_rows == 0:
            return []
        stamp = records.column("@timestamp").combine_chunks()
        # (%S of a microsecond timestamp prints a fraction: format whole seconds.)
        whole = stamp.cast(pa.timestamp("s", tz="UTC"), safe=False)
        time = pc.strftime(whole, format="%d-%b-%Y %H:%M:%S", locale="C")
        millis = pc.divide(pc.subtract(stamp.cast(pa.int64()), pc.multiply(
            pc.divide(stamp.cast(pa.int64()), 1_000_000), 1_000_000)), 1000)  # fmt: skip
        time = pc.binary_join_element_wise(
            time, pc.utf8_lpad(millis.cast(pa.string()), 3, "0"), "."
        )
        domain = records.column("url.domain").combine_chunks()
        client = pc.binary_join_element_wise(
            "client @0x7f0000000000 ", records.column("source.address").combine_chunks(),
            "#50000 (", domain, "): ", "",
        )  # fmt: skip
        query = pc.binary_join_element_wise(
            time, " queries: info: ", client, "query: ", domain, " IN A + (192.0.2.53)", ""
        )
        rpz = pc.binary_join_element_wise(
            time, " rpz: info: ", client, "rpz QNAME NXDOMAIN rewrite ", domain,
            "/A/IN via ", domain, ".rpz.local", "",
        )  # fmt: skip
        blocked = pc.equal(records.column("event.outcome").combine_chunks(), "blocked")
        return interleave(query, rpz, blocked)


FORMATS = (Bind,)
