"""dnsmasq / Pi-hole query logs (``log-queries``): ``query[A] host from client`` lines are
lookups; Pi-hole's ``gravity blocked host is 0.0.0.0`` and similar lines mark them blocked.

See ``docs/formats/dnsmasq.md`` for the line types, the blocking rule, the year of syslog time
stamps and the reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._dnslog import DnsQueryLog, Messages, const, interleave, syslog_time
from socialsight.formats._values import group

_PROGRAM = r"(?:^| )(?:dnsmasq|pihole-FTL)\[\d+\]: "
_EXTRA = r"(?:\d+ [0-9A-Fa-f.:]+/\d+ )?"  # log-queries=extra: serial and source address/port
_QUERY = _PROGRAM + _EXTRA + r"query\[[^\]\s]+\] (?P<qname>\S+) from (?P<client>[^\s#]+)(?:#\d+)?$"
_BLOCK = (
    _PROGRAM + _EXTRA + r"(?P<kind>gravity blocked|exactly blacklisted|exactly denied|"
    r"regex blacklisted|regex denied|special domain|blocked upstream with [A-Za-z0-9 ]+?|"
    r"database [a-z ]+?|Rate-limiting|/etc/pihole/(?:gravity|black|regex)[^ ]*|config) "
    r"(?P<qname>\S+) is (?P<answer>\S+)"
)
# A plain dnsmasq "config" answer is a blocking rule only when it answers nothing.
_NOTHING = r"^(?:0\.0\.0\.0|::|NXDOMAIN|NODATA(?:-IPv[46])?)$"


class Dnsmasq(DnsQueryLog):
    """dnsmasq and Pi-hole (``pihole-FTL``) query logs.

    >>> import datetime as dt
    >>> import pyarrow as pa
    >>> lines = pa.array([
    ...     "Jun 12 16:13:28 dnsmasq[421]: query[A] WWW.Facebook.com from 10.1.2.3",
    ...     "Jun 12 16:13:28 dnsmasq[421]: gravity blocked www.facebook.com is 0.0.0.0"])
    >>> res = Dnsmasq(now=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)).parse(lines, first_line=1)
    >>> row = res.records.to_pylist()[0]
    >>> str(row["@timestamp"]), row["url.domain"], row["event.outcome"], row["event.action"]
    ('2025-06-12 16:13:28+00:00', 'www.facebook.com', 'blocked', 'gravity blocked')
    >>> res.rejects.to_pylist()
    [{'log.line': 2, 'reason': 'not-a-query'}]
    """

    name: ClassVar[str] = "dnsmasq"
    title: ClassVar[str] = "dnsmasq / Pi-hole query log"
    provides: ClassVar[frozenset[str]] = frozenset(
        {"@timestamp", "source.address", "url.domain", "event.action", "event.outcome"}
    )
    program: ClassVar[str] = _PROGRAM

    def _messages(self, rest: pa.Array) -> Messages:
        n = len(rest)
        query = pc.extract_regex(rest, _QUERY)
        block = pc.extract_regex(rest, _BLOCK)
        kind = group(block, "kind")
        answer = group(block, "answer")
        is_block = pc.and_(
            block.is_valid(),
            pc.or_(pc.not_equal(kind, "config"), pc.match_substring_regex(answer, _NOTHING)),
        ).fill_null(False)
        return Messages(
            is_query=query.is_valid(),
            client=group(query, "client"),
            qname=group(query, "qname"),
            action=const("query", n),
            outcome=const("allowed", n),
            duration_ms=pa.nulls(n, pa.int64()),
            is_block=is_block,
            block_name=group(block, "qname"),
            block_kind=kind,
        )

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render lookups as ``query[A]`` lines (UTC syslog time, no year); a blocked lookup is
        followed by a ``gravity blocked <host> is 0.0.0.0`` line. A lookup without a host or
        client cannot be written and is left out."""
        keep = pc.and_(
            records.column("url.domain").is_valid(), records.column("source.address").is_valid()
        )
        records = records.filter(keep)
        if records.num_rows == 0:
            return []
        time = syslog_time(records.column("@timestamp").combine_chunks())
        domain = records.column("url.domain").combine_chunks()
        head = pc.binary_join_element_wise(time, " dnsmasq[421]: ", "")
        query = pc.binary_join_element_wise(
            head,
            "query[A] ",
            domain,
            " from ",
            records.column("source.address").combine_chunks(),
            "",
        )
        blocked = pc.equal(records.column("event.outcome").combine_chunks(), "blocked")
        block = pc.binary_join_element_wise(head, "gravity blocked ", domain, " is 0.0.0.0", "")
        return interleave(query, block, blocked)


FORMATS = (Dnsmasq,)
