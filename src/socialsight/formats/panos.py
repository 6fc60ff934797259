"""Palo Alto Networks PAN-OS syslog CSV: TRAFFIC and THREAT (including URL filtering) logs.

PAN-OS sends one comma-separated record per syslog message; the columns are fixed per log type
and later PAN-OS versions only append columns, so the leading columns read here are the same
from PAN-OS 6.1 to 11::

    <14>Jan  5 12:51:34 PAN1 1,2015/01/05 12:51:33,0011C103117,TRAFFIC,end,1,2015/01/05 \
12:51:33,10.0.0.53,10.1.0.174,...

The syslog header (RFC 3164 or RFC 5424) is optional and ignored: the record's own
``Generated Time`` is used. Lines are split with real CSV rules (quoted fields with commas) by
:func:`socialsight.formats._csvish.split_csv`, then mapped by column position.
``docs/formats/panos.md`` lists the columns, the outcome table and the reject reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import (
    first_failure,
    match_share,
    outcome,
    prepare,
    records_table,
    rejects_table,
)
from socialsight.formats._csvish import MAX_LINE_CHARS, one_line, quote_csv, split_csv, strptime_utc
from socialsight.formats.base import LogFormat, ParseResult

# Column positions (0-based) shared by TRAFFIC and THREAT logs, PAN-OS 6.1 and later.
RECEIVE_TIME, SERIAL, TYPE, SUBTYPE, GENERATED = 1, 2, 3, 4, 6
SRC, DST, RULE, SRCUSER, DSTUSER, APP = 7, 8, 11, 12, 13, 14
SPORT, DPORT, PROTO, ACTION = 24, 25, 29, 30
# TRAFFIC only.
BYTES_SENT, BYTES_RECEIVED, ELAPSED, PKTS_RECEIVED = 32, 33, 36, 45
# THREAT only.
MISC, THREAT_CATEGORY, DIRECTION, CONTENT_TYPE = 31, 33, 35, 41

N_FIELDS: Final = 46
MIN_FIELDS: Final = {"TRAFFIC": 46, "THREAT": 40}
"""Fewer columns than PAN-OS 6.1 writes for the type: the record was cut short."""

# The start of a PAN-OS CSV record (after any syslog header): FUTURE_USE, receive time,
# serial, type; at the line start or after a blank. Used as a match only (no captures).
_BODY = r"(?:^|[ \t])[0-9]*,\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2},[^,]*,[A-Z][A-Z_-]*,"
_IPV4 = r"^(?:\d{1,3}\.){3}\d{1,3}$"
_IPV6 = r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"
_PORT = r"^\d{1,5}$"
_COUNT = r"^\d{1,19}$"
_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"
_UNSPECIFIED: Final = "0.0.0.0"  # noqa: S104 (PAN-OS's "no address", not a bind address)

# Outcome rules (docs/formats/panos.md): the firewall refused the session or the URL.
_BLOCKED = r"^(?:deny|drop.*|reset-.*|block.*|sinkhole|random-drop|override-lockout)$"


class PanOs(LogFormat):
    """PAN-OS TRAFFIC and THREAT/URL CSV records, with or without a syslog header.

    >>> import pyarrow as pa
    >>> line = ('<14>Jan  5 12:51:34 fw 1,2015/01/05 12:51:33,001,THREAT,url,1,2015/01/05 12:51:33,'
    ...         '10.0.0.5,157.240.1.35,0.0.0.0,0.0.0.0,web,corp\\\\ann,,facebook-base,vsys1,trust,'
    ...         'untrust,e1/1,e1/2,fwd,2015/01/05 12:51:33,1,1,50000,443,0,0,0x8000,tcp,alert,'
    ...         '"www.facebook.com/groups",(9999),social-networking,informational,'
    ...         'client-to-server,1,0x0,10.0.0.0-10.255.255.255,US,0,text/html,0,,')
    >>> row = PanOs().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["event.outcome"], row["user.name"]
    ('www.facebook.com', 443, 'allowed', 'corp\\\\ann')
    """

    name: ClassVar[str] = "panos"
    title: ClassVar[str] = "Palo Alto Networks PAN-OS CSV (TRAFFIC, THREAT/URL)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "user.name", "source.address", "url.domain", "destination.port",
            "event.action", "event.outcome", "http.request.bytes", "http.response.bytes",
            "event.duration_ms", "http.response.mime_type", "url.original",
        }
    )  # fmt: skip

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that hold a PAN-OS CSV record of any type.

        >>> PanOs.sniff(["1,2015/01/05 12:51:33,001,SYSTEM,general,0,x", "hello"])
        0.5
        """
        return match_share(lines, _BODY)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of lines into records and rejects; never raises on content.

        >>> res = PanOs().parse(pa.array(["", "%ASA-6-302013: Built outbound"]), first_line=3)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 4, 'reason': 'not-panos'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        # A match without captures is a fast DFA scan; the syslog header (no comma in it) is
        # then cut at the last blank before the first comma.
        is_pan = pc.match_substring_regex(pc.if_else(too_long, "", text), _BODY)
        body = pc.replace_substring_regex(
            text.filter(is_pan), r"^[^,]*[ \t]", "", max_replacements=1
        )
        split = split_csv(body, N_FIELDS)
        f = split.fields
        kind = f[TYPE]
        count = split.count

        s2c = pc.and_(
            pc.equal(kind, "THREAT"), pc.equal(f[DIRECTION], "server-to-client").fill_null(False)
        )
        # A server-to-client threat names the server as source: turn it back to the client.
        client = pc.if_else(s2c, f[DST], f[SRC])
        server = pc.if_else(s2c, f[SRC], f[DST])
        port = pc.if_else(s2c, f[SPORT], f[DPORT])
        user = pc.if_else(s2c, f[DSTUSER], f[SRCUSER])
        is_url = pc.and_(pc.equal(kind, "THREAT"), pc.equal(f[SUBTYPE], "url").fill_null(False))
        url_host = pc.utf8_lower(
            pc.extract_regex(
                f[MISC].fill_null(""), r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?P<h>[^/:?#\s]+)"
            ).field("h")
        )
        timestamp = strptime_utc(f[GENERATED].fill_null(""), [_TIME_FORMAT])
        minimum = pc.if_else(pc.equal(kind, "TRAFFIC"), MIN_FIELDS["TRAFFIC"], 40)

        def invalid(values: pa.Array, pattern: str) -> pa.Array:
            return pc.invert(pc.match_substring_regex(values, pattern).fill_null(False))

        bad_ip = pc.or_(
            pc.and_(invalid(client, _IPV4), invalid(client, _IPV6)),
            pc.and_(invalid(server, _IPV4), invalid(server, _IPV6)),
        )
        traffic = pc.equal(kind, "TRAFFIC")
        bad_count = pc.and_(
            traffic,
            pc.or_(
                pc.or_(invalid(f[BYTES_SENT], _COUNT), invalid(f[BYTES_RECEIVED], _COUNT)),
                pc.or_(invalid(f[ELAPSED], _COUNT), invalid(f[PKTS_RECEIVED], _COUNT)),
            ),
        )
        checks: list[tuple[pa.Array, str]] = [
            (split.bad, "bad-csv"),
            (pc.invert(pc.is_in(kind, value_set=pa.array(["TRAFFIC", "THREAT"]))), "not-traffic"),
            (pc.less(count, minimum), "truncated"),
            (timestamp.is_null(), "bad-timestamp"),
            (bad_ip, "bad-address"),
            (invalid(port, _PORT), "bad-port"),
            (bad_count, "bad-counter"),
        ]
        reason = first_failure(len(body), checks)
        is_record = reason.is_null()

        pan_lines = line_no.filter(is_pan)
        other = pc.invert(is_pan)
        other_reason = pc.if_else(too_long.filter(other), "too-long", "not-panos")
        rejects = rejects_table(
            [
                (line_no.filter(other), other_reason),
                (pan_lines.filter(pc.invert(is_record)), reason.drop_null()),
            ]
        )

        def keep(values: pa.Array) -> pa.Array:
            return values.filter(is_record)

        kind, f_keep = keep(kind), [keep(v) for v in f]
        traffic, is_url = keep(traffic), keep(is_url)
        action = f_keep[ACTION]
        blocked = pc.or_(
            pc.match_substring_regex(action, _BLOCKED),
            pc.and_(traffic, pc.is_in(f_keep[SUBTYPE], value_set=pa.array(["deny", "drop"]))),
        )
        # An allowed session that ended without a single packet back: the service never
        # answered (what an outage looks like to a firewall).
        no_answer = pc.and_(
            pc.and_(traffic, pc.equal(f_keep[SUBTYPE], "end")),
            pc.equal(f_keep[PKTS_RECEIVED], "0").fill_null(False),
        )
        server_kept = pc.utf8_lower(keep(server))
        mime = pc.if_else(traffic, None, f_keep[CONTENT_TYPE])
        columns = {
            "@timestamp": keep(timestamp),
            "user.name": _empty_null(keep(user)),
            "source.address": pc.utf8_lower(keep(client)),
            "organization.unit": pa.nulls(len(action), pa.string()),
            "http.request.method": pa.nulls(len(action), pa.string()),
            "url.domain": pc.if_else(
                pc.and_(is_url, pc.not_equal(keep(url_host), "").fill_null(False)),
                keep(url_host),
                server_kept,
            ),
            "destination.port": keep(port).cast(pa.int32()),
            "http.response.status_code": pa.nulls(len(action), pa.int32()),
            "event.action": action,
            "event.outcome": outcome(blocked, no_answer),
            "http.request.bytes": pc.if_else(traffic, f_keep[BYTES_SENT], None).cast(pa.int64()),
            "http.response.bytes": pc.if_else(traffic, f_keep[BYTES_RECEIVED], None).cast(
                pa.int64()
            ),
            "event.duration_ms": pc.multiply(
                pc.if_else(traffic, f_keep[ELAPSED], None).cast(pa.int64()), 1000
            ),
            "http.response.mime_type": _empty_null(mime),
            "url.original": pc.if_else(is_url, _empty_null(f_keep[MISC]), None),
        }
        return ParseResult(records=records_table(columns, keep(pan_lines)), rejects=rejects)

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as PAN-OS 6.1 syslog lines (vectorised).

        A record whose destination is an IP literal becomes a TRAFFIC ``end`` record (bytes,
        duration; a failed record has zero packets received); any other becomes a THREAT
        ``url`` record whose URL column carries the host and path (PAN-OS URL logs have no
        byte counts, no method and no status, and cannot say that a request failed: failed
        records are written with action ``alert``, i.e. allowed). Times keep whole seconds.
        """
        rendered: list[str] = _render(records).to_pylist()
        return rendered


def _empty_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, "").fill_null(True), None, values)


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _render(records: pa.Table) -> pa.Array:
    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    n = records.num_rows
    seconds = pc.cast(col("@timestamp"), pa.timestamp("s", tz="UTC"), safe=False)
    when = pc.strftime(seconds, format=_TIME_FORMAT)
    syslog = pc.strftime(seconds, format="%b %d %H:%M:%S")
    domain = one_line(col("url.domain").fill_null(""), "")
    is_ip = pc.or_(pc.match_substring_regex(domain, _IPV4), pc.match_substring_regex(domain, _IPV6))
    outcome = col("event.outcome").fill_null("allowed")
    blocked = pc.equal(outcome, "blocked")
    failed = pc.equal(outcome, "failed")
    client = one_line(col("source.address").fill_null(_UNSPECIFIED), "")
    client = pc.if_else(pc.equal(client, ""), _UNSPECIFIED, client)
    server = pc.if_else(is_ip, domain, _UNSPECIFIED)
    port = col("destination.port").cast(pa.string()).fill_null("443")
    user = quote_csv(one_line(col("user.name").fill_null("")))
    kind = pc.if_else(is_ip, "TRAFFIC", "THREAT")
    subtype = pc.if_else(is_ip, pc.if_else(blocked, "deny", "end"), "url")
    action = pc.if_else(
        is_ip, pc.if_else(blocked, "deny", "allow"), pc.if_else(blocked, "block-url", "alert")
    )
    sent_n = col("http.request.bytes").fill_null(0)
    received_n = col("http.response.bytes").fill_null(0)
    sent, received = sent_n.cast(pa.string()), received_n.cast(pa.string())
    total = pc.add(sent_n, received_n).cast(pa.string())
    elapsed = pc.divide(col("event.duration_ms").fill_null(0), 1000).cast(pa.string())
    packets_back = pc.if_else(pc.or_(failed, blocked), "0", "1")
    path = pc.if_else(
        pc.equal(col("url.original"), "").fill_null(True),
        _join(domain, "/"),
        pc.replace_substring_regex(col("url.original"), r"^[A-Za-z][A-Za-z0-9+.-]*://", ""),
    )
    url = quote_csv(one_line(path, "%20"))
    mime = quote_csv(one_line(col("http.response.mime_type").fill_null("")))
    head = [
        "1", when, "001801000000", kind, subtype, "1", when, client, server, _UNSPECIFIED,
        _UNSPECIFIED, "allow-web", user, "", "web-browsing", "vsys1", "trust", "untrust",
        "ethernet1/1", "ethernet1/2", "forward", when,
    ]  # fmt: skip
    seq = pa.array(range(1, n + 1)).cast(pa.string()) if n else pa.array([], pa.string())
    common = [*head, seq, "1", "50000", port, "0", "0", "0x8000", "tcp", action]
    traffic = pc.binary_join_element_wise(
        *common, total, sent, received, "2", when, elapsed, "any", "0", seq, "0x0",
        "10.0.0.0-10.255.255.255", "US", "0", "1", packets_back, ",",
    )  # fmt: skip
    threat = pc.binary_join_element_wise(
        *common, url, "(9999)", "any", "informational", "client-to-server", seq, "0x0",
        "10.0.0.0-10.255.255.255", "US", "0", mime, "0", "", "", ",",
    )  # fmt: skip
    body = pc.if_else(is_ip, traffic, threat)
    return _join("<14>", syslog, " PA-VM ", body)


FORMATS = (PanOs,)
