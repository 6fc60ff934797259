"""Squid's NCSA-style logformats (``common``, ``combined``) and the extended custom layout
of Elastic's Squid integration, in one module.

``common`` and ``combined`` are NCSA lines (see :mod:`socialsight.formats.ncsa`) that Squid
ends with its result and hierarchy codes, ``%Ss:%Sh``::

    10.1.2.3 - alice [13/Mar/2026:15:48:42 +0000] "GET http://example.com/ HTTP/1.1" 200 904 \
TCP_MISS:HIER_DIRECT
    10.1.2.3 - - [13/Mar/2026:15:48:42 +0000] "CONNECT www.google.com:443 HTTP/1.1" 200 28854 \
"-" "curl/8.14.1" TCP_TUNNEL:HIER_DIRECT

The extended layout is the native line with more fields: client port, request and reply
sizes, HTTP version, server port, and quoted referer, user agent, Host and X-Forwarded-For
(and, on some lines, one more quoted value)::

    1773416922.391    104 10.105.21.199 58938 TCP_MISS/200 904 123 364 123 528 GET \
http://example.com/ 1.1 badeyek HIER_DIRECT/203.0.113.10 80 text/html - - "-" "curl/8.14.1" \
"example.com" "-" 53 -

Both carry Squid's result code, so the outcome follows Squid's table. ``write`` emits
``combined``. ``docs/formats/squid_common.md`` documents the layouts and the reject reasons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import match_share
from socialsight.formats._http import (
    MAX_LINE_CHARS,
    dash_null,
    decode_users,
    field,
    first_failure,
    prepare,
    records_table,
    rejects_table,
    split_url,
    squid_outcome,
)
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.formats.ncsa import (
    field_checks,
    parse_fields,
    render_head,
    unmatched_reason,
)

_WS = r"[ \t]+"
_Q = r'"(?P<{}>[^"]*)"'

# What follows the NCSA byte count in Squid's common/combined: optional referer and agent,
# then %Ss:%Sh.
_SUFFIX: Final = (
    r'^(?:[ \t]+"(?:[^"\\]|\\.)*"[ \t]+"(?:[^"\\]|\\.)*")?[ \t]+'
    r"(?P<action>[A-Z][A-Z0-9_]*):(?P<hier>[A-Z][A-Z0-9_]*)$"
)

EXTENDED: Final = (
    r"^(?P<sec>\d{1,10})(?:\.(?P<frac>\d{1,6}))?" + _WS + r"(?P<elapsed>-?\d{1,15}|-)" + _WS
    + r"(?P<client>\S+)" + _WS + r"(?P<cport>\d{1,5}|-)" + _WS
    + r"(?P<action>[A-Za-z][A-Za-z0-9_]*)/(?P<status>\d{3})" + _WS
    + r"(?P<out>\d{1,18}|-)" + _WS + r"(?P<in>\d{1,18}|-)" + _WS
    + r"\S+" + _WS + r"\S+" + _WS + r"\S+" + _WS
    + r"(?P<method>\S+)" + _WS + r"(?P<url>\S+)" + _WS + r"\S+" + _WS + r"(?P<user>\S+)" + _WS
    + r"(?P<hier>[A-Za-z_]+)/\S*" + _WS + r"(?P<sport>\S+)" + _WS + r"(?P<mime>\S+)" + _WS
    + r"\S+" + _WS + r"\S+" + _WS + _Q.format("referer") + _WS + _Q.format("agent") + _WS
    + _Q.format("host") + _WS + _Q.format("xff") + r"(?:" + _WS + _Q.format("extra") + r")?"
    + _WS + r"\S+" + _WS + r"\S+$"
)  # fmt: skip
"""The extended custom layout, field by field (see the module docstring)."""

# Starts like an extended line (time, elapsed, client, client port, code/status) but is cut.
_EXTENDED_PREFIX = (
    r"^\d{1,10}(?:\.\d{1,6})?" + _WS + r"(?:-?\d+|-)" + _WS + r"\S+" + _WS + r"(?:\d{1,5}|-)"
    + _WS + r"[A-Za-z][A-Za-z0-9_]*/\d{3}(?:[ \t]|$)"
)  # fmt: skip

_CLIENT = r"^[0-9A-Za-z.:%_\[\]-]+$"
_METHOD = r"^(?:-|[A-Za-z_][A-Za-z0-9_-]*)$"
_PORT = r"^(?:\d{1,5}|-)$"

_STRICT_SUFFIX = r'(?:[ \t]+"[^"]*"[ \t]+"[^"]*")?[ \t]+[A-Z][A-Z0-9_]*:[A-Z][A-Z0-9_]*$'
_STRICT = (
    r"^\S+[ \t]+\S+[ \t]+\S+[ \t]+\[\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]"
    r'[ \t]+"[^"]*"[ \t]+\d{1,3}[ \t]+(?:\d+|-)' + _STRICT_SUFFIX
    + "|" + re.sub(r"\(\?P<[a-z]+>", "(?:", EXTENDED)
)  # fmt: skip
"""What sniff accepts: what Squid itself writes (named groups dropped: sniff only matches)."""


class SquidCommon(LogFormat):
    """Squid ``common``/``combined`` logformats and the extended custom layout.

    >>> line = ('10.1.2.3 - alice [13/Mar/2026:15:48:42 +0000] '
    ...         '"GET http://Example.com/ HTTP/1.1" 403 904 TCP_DENIED:HIER_NONE')
    >>> row = SquidCommon().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["event.action"], row["event.outcome"]
    ('example.com', 'TCP_DENIED', 'blocked')
    """

    name: ClassVar[str] = "squid_common"
    title: ClassVar[str] = "Squid common/combined and extended custom logformat"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "user.name", "source.address", "http.request.method", "url.domain",
            "destination.port", "http.response.status_code", "event.action", "event.outcome",
            "http.request.bytes", "http.response.bytes", "event.duration_ms",
            "http.response.mime_type", "url.original",
        }
    )  # fmt: skip

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that are Squid common/combined or extended lines.

        >>> SquidCommon.sniff(['::1 - - [24/Feb/2015:23:13:42 +0000] "GET / HTTP/1.1" 200 12'])
        0.0
        """
        return match_share(lines, _STRICT)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk; every non-blank line becomes one record or one reject.

        >>> res = SquidCommon().parse(pa.array(["", "garbage"]), first_line=10)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 11, 'reason': 'not-squid-access'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        extended = pc.and_(pc.match_substring_regex(text, _EXTENDED_PREFIX), pc.invert(too_long))
        tables: list[pa.Table] = []
        rejects: list[tuple[pa.Array, pa.Array]] = []
        for mask, parse in ((extended, _parse_extended), (pc.invert(extended), _parse_common)):
            if pc.any(mask).as_py():
                records, reject_line, reason = parse(text.filter(mask), line_no.filter(mask))
                tables.append(records)
                rejects.append((reject_line, reason))
        records = records_table({}, pa.array([], pa.int64()))
        if tables:
            records = pa.concat_tables(tables).sort_by("log.line")
        return ParseResult(records=records, rejects=rejects_table(rejects))

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as Squid ``combined`` lines, time in UTC (``+0000``).

        The result code is ``event.action`` (``NONE`` when null); the hierarchy code is
        ``HIER_NONE`` for blocked and failed records and ``HIER_DIRECT`` otherwise. Durations,
        upload bytes, mime types and sub-second precision are lost.
        """
        action = records.column("event.action").combine_chunks()
        action = pc.if_else(pc.match_substring_regex(action, r"^[A-Z][A-Z0-9_]*$"), action, "NONE")
        action = action.fill_null("NONE")
        outcome = records.column("event.outcome").combine_chunks()
        unanswered = pc.is_in(outcome, value_set=pa.array(["blocked", "failed"])).fill_null(False)
        hier = pc.if_else(unanswered, "HIER_NONE", "HIER_DIRECT")
        rendered: list[str] = pc.binary_join_element_wise(
            render_head(records), ' "-" "-" ', action, ":", hier, ""
        ).to_pylist()
        return rendered


Parsed = tuple[pa.Table, pa.Array, pa.Array]


def _parse_common(text: pa.Array, line_no: pa.Array) -> Parsed:
    f = parse_fields(text)
    suffix = pc.extract_regex(f["rest"], _SUFFIX)
    action, hier = field(suffix, "action"), field(suffix, "hier")
    unmatched = pc.invert(f["matched"])
    checks = [(suffix.is_null(), "no-squid-codes"), *field_checks(f)]
    reason = first_failure(len(text), checks)
    reason = pc.if_else(unmatched, unmatched_reason(text, "not-squid-access"), reason)
    # Long lines that happen to match are still refused: nothing downstream wants them.
    reason = pc.if_else(pc.greater(pc.utf8_length(text), MAX_LINE_CHARS), "too-long", reason)
    ok = reason.is_null()
    kept = {k: v.filter(ok) for k, v in f.items()}
    status, action, hier = kept["status"], action.filter(ok), hier.filter(ok)
    columns = {
        "@timestamp": kept["time"],
        "user.name": kept["user"],
        "source.address": kept["client"],
        "http.request.method": kept["method"],
        "url.domain": kept["domain"],
        "destination.port": kept["port"],
        "http.response.status_code": status,
        "event.action": action,
        "event.outcome": squid_outcome(action, status, hier),
        "http.response.bytes": kept["bytes"],
        "url.original": kept["url"],
    }
    bad = pc.invert(ok)
    return records_table(columns, line_no.filter(ok)), line_no.filter(bad), reason.drop_null()


def _parse_extended(text: pa.Array, line_no: pa.Array) -> Parsed:
    parts = pc.extract_regex(text, EXTENDED)
    matched = parts.is_valid()
    method = pc.utf8_upper(dash_null(field(parts, "method")))
    url = field(parts, "url")
    split = split_url(url, method.fill_null(""))
    # A relative URL (transparent interception) names its host in the Host header only.
    host_header = dash_null(field(parts, "host"))
    from_header = split_url(host_header, pa.nulls(len(text), pa.string()).fill_null("CONNECT"))
    use_header = pc.and_(split["domain"].is_null(), host_header.is_valid())
    client = field(parts, "client")
    sport = field(parts, "sport")
    # All four quoted headers present means the line is complete and a field is out of shape.
    complete = pc.match_substring_regex(text, r'"[^"]*"[ \t]+"[^"]*"[ \t]+"[^"]*"[ \t]+"[^"]*"')
    checks = [
        (pc.and_(pc.invert(matched), complete), "bad-field"),
        (pc.invert(matched), "truncated"),
        (pc.invert(pc.match_substring_regex(client, _CLIENT)), "bad-client"),
        (pc.invert(pc.match_substring_regex(method.fill_null("-"), _METHOD)), "bad-method"),
        (pc.invert(pc.match_substring_regex(sport, _PORT)), "bad-port"),
        (pc.if_else(use_header, from_header["host_bad"], split["host_bad"]), "bad-host"),
        (pc.if_else(use_header, from_header["port_bad"], split["port_bad"]), "bad-port"),
    ]
    reason = first_failure(len(text), checks)
    ok = reason.is_null()

    def kept(values: pa.Array) -> pa.Array:
        return values.filter(ok)

    seconds = kept(field(parts, "sec")).cast(pa.int64())
    frac = pc.utf8_rpad(kept(field(parts, "frac")).fill_null(""), width=6, padding="0")
    timestamp = pc.add(pc.multiply(seconds, 1_000_000), frac.cast(pa.int64()))
    status = kept(field(parts, "status")).cast(pa.int32())
    status = pc.if_else(pc.equal(status, 0), pa.scalar(None, pa.int32()), status)
    action = kept(field(parts, "action"))
    server_port = dash_null(kept(sport)).cast(pa.int32())
    url_port = kept(pc.if_else(use_header, from_header["port"], split["port"]))
    columns = {
        "@timestamp": timestamp.cast(pa.timestamp("us", tz="UTC")),
        "user.name": decode_users(dash_null(kept(field(parts, "user")))),
        "source.address": dash_null(kept(client)),
        "http.request.method": kept(method),
        "url.domain": kept(pc.if_else(use_header, from_header["domain"], split["domain"])),
        "destination.port": pc.coalesce(server_port, url_port),
        "http.response.status_code": status,
        "event.action": action,
        "event.outcome": squid_outcome(action, status, kept(field(parts, "hier"))),
        "http.request.bytes": dash_null(kept(field(parts, "in"))).cast(pa.int64()),
        "http.response.bytes": dash_null(kept(field(parts, "out"))).cast(pa.int64()),
        "event.duration_ms": dash_null(kept(field(parts, "elapsed"))).cast(pa.int64()),
        "http.response.mime_type": dash_null(kept(field(parts, "mime"))),
        "url.original": dash_null(kept(url)),
    }
    bad = pc.invert(ok)
    return records_table(columns, line_no.filter(ok)), line_no.filter(bad), reason.drop_null()


FORMATS = (SquidCommon,)
