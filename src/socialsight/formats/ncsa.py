"""Apache/NCSA common and combined access logs, as written by web servers and proxies.

A line is ``host ident user [time] "request" status bytes``, optionally followed by
``"referer" "user-agent"`` (combined) and further fields (``%I %O``, ``%D``), which are
ignored::

    10.1.2.3 - alice [24/Feb/2015:23:13:42 +0100] "CONNECT www.facebook.com:443 HTTP/1.1" 200 5120
    10.1.2.3 - - [24/Feb/2015:23:13:42 +0000] "GET http://hi5.com/ HTTP/1.1" 200 29359 "-" "curl/8"

Squid's own ``common``/``combined`` logformats add a ``TCP_MISS:HIER_DIRECT`` token at the end;
they are read by ``squid_common`` (which uses the result code), and ``sniff`` here does not
claim them. ``docs/formats/ncsa.md`` documents the mapping and the reject reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import match_share
from socialsight.formats._http import (
    MAX_LINE_CHARS,
    dash_null,
    decode_users,
    escape,
    field,
    first_failure,
    ncsa_time,
    prepare,
    records_table,
    rejects_table,
    render_ncsa_time,
    request_url,
    split_url,
    status_outcome,
    token,
)
from socialsight.formats.base import LogFormat, ParseResult

_WS = r"[ \t]+"
# The user may hold spaces (Apache does not escape them), so it runs lazily up to the time
# stamp, which must start like one.
_HEAD = (
    r"^(?P<client>\S+)" + _WS + r"(?P<ident>\S+)" + _WS + r"(?P<user>.*?)" + _WS
    + r"\[(?P<time>\d{1,2}/[A-Za-z]{3}/\d{4}:[^\]]*)\]" + _WS
)  # fmt: skip
_QUOTED = r'"(?:[^"\\]|\\.)*"'
LINE: Final = (
    _HEAD + r'"(?P<request>(?:[^"\\]|\\.)*)"' + _WS + r"(?P<status>\S+)" + _WS
    + r"(?P<bytes>\S+)(?P<rest>(?:[ \t].*)?)$"
)  # fmt: skip
"""An NCSA line; ``rest`` holds whatever follows the byte count."""

# A line that starts like an NCSA record (up to the time stamp) but does not finish as one.
_TRUNCATED = r"^\S+[ \t]+\S+[ \t]+\S+[ \t]+\[\d{1,2}/[A-Za-z]{3}/\d{4}:"
_METHOD = r"^[A-Za-z][A-Za-z0-9_-]*$"
_PROTOCOL = r" HTTP/\d+(?:\.\d+)?$"
_CLIENT = r"^[0-9A-Za-z.:%_\[\]-]+$"
_STATUS = r"^(?:\d{1,3}|-)$"
_BYTES = r"^(?:\d{1,18}|-)$"

# What sniff accepts: a time stamp with its zone, a three-digit status, then nothing or
# quoted strings and numbers only, so that Squid's trailing result code is not claimed.
_STRICT = (
    _HEAD.replace(r"[^\]]*", r"\d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4}") + _QUOTED + _WS
    + r"(?:\d{3}|-)" + _WS + r"(?:\d+|-)(?:" + _WS + r"(?:" + _QUOTED + r"|-?\d+))*$"
)  # fmt: skip


def parse_fields(text: pa.Array) -> dict[str, pa.Array]:
    """The NCSA fields of each line (null where the line is not NCSA-shaped), decoded.

    Keys: ``matched`` (bool), ``client``, ``user``, ``time`` (UTC, null when bad),
    ``time_bad``, ``method``, ``url``, ``status`` (int32, null for ``-``/``0``), ``bytes``,
    ``rest``, and the checks ``client_bad``, ``status_bad``, ``bytes_bad``, ``host_bad``,
    ``port_bad``, plus ``domain`` and ``port`` from the URL.
    """
    parts = pc.extract_regex(text, LINE)
    matched = parts.is_valid()
    # "METHOD target HTTP/x.y" split with string kernels: a lazy regex is three times slower.
    request = pc.replace_substring(field(parts, "request"), '\\"', '"')
    # A space appended first guarantees two words; it is cut off the target again.
    padded = pc.binary_join_element_wise(request.fill_null(""), " ", "")
    words = pc.split_pattern(padded, " ", max_splits=1)
    method = pc.list_element(words, 0)
    target = pc.utf8_slice_codeunits(pc.list_element(words, 1), 0, -1)
    target = pc.replace_substring_regex(target, _PROTOCOL, "")
    well_formed = pc.and_(
        pc.match_substring_regex(method, _METHOD).fill_null(False), pc.not_equal(target, "")
    ).fill_null(False)
    method = pc.utf8_upper(pc.if_else(well_formed, method, None))
    url = pc.if_else(well_formed, target, None)
    split = split_url(url, method.fill_null(""))
    status_text = field(parts, "status")
    status_ok = pc.match_substring_regex(status_text, _STATUS)
    status = pc.if_else(status_ok, status_text, None)
    status = pc.if_else(pc.equal(status, "-"), None, status).cast(pa.int32())
    status = pc.if_else(pc.equal(status, 0), pa.scalar(None, pa.int32()), status)
    bytes_text = field(parts, "bytes")
    bytes_ok = pc.match_substring_regex(bytes_text, _BYTES)
    time = ncsa_time(field(parts, "time"))
    user = dash_null(field(parts, "user"))
    return {
        "matched": matched,
        "client": dash_null(field(parts, "client")),
        "client_bad": pc.invert(pc.match_substring_regex(field(parts, "client"), _CLIENT)),
        "user": decode_users(user),
        "time": time,
        "time_bad": time.is_null(),
        "method": method,
        "url": url,
        "status": status,
        "status_bad": pc.invert(status_ok),
        "bytes": dash_null(pc.if_else(bytes_ok, bytes_text, None)).cast(pa.int64()),
        "bytes_bad": pc.invert(bytes_ok),
        "domain": split["domain"],
        "port": split["port"],
        "host_bad": split["host_bad"],
        "port_bad": split["port_bad"],
        "rest": field(parts, "rest"),
    }


def unmatched_reason(text: pa.Array, not_format: str) -> pa.Array:
    """Why a line that did not match :data:`LINE` is rejected."""
    return pc.if_else(
        pc.greater(pc.utf8_length(text), MAX_LINE_CHARS),
        "too-long",
        pc.if_else(pc.match_substring_regex(text, _TRUNCATED), "truncated", not_format),
    )


def field_checks(fields: dict[str, pa.Array]) -> list[tuple[pa.Array, str]]:
    """The per-field checks of a matched line, in priority order."""
    return [
        (fields["time_bad"], "bad-timestamp"),
        (fields["client_bad"], "bad-client"),
        (fields["status_bad"], "bad-status"),
        (fields["bytes_bad"], "bad-bytes"),
        (fields["host_bad"], "bad-host"),
        (fields["port_bad"], "bad-port"),
    ]


def render_head(records: pa.Table) -> pa.Array:
    """``client - user [time] "METHOD url HTTP/1.1" status bytes`` for each record."""

    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    user = col("user.name")
    # A user literally named "-" must not read back as "no user".
    user = pc.if_else(pc.equal(user, "-").fill_null(False), "%2D", escape(user, also_percent=True))
    user = _quote_safe(user)
    method = col("http.request.method")
    url = _quote_safe(escape(request_url(records)))
    request = pc.if_else(
        pc.and_(method.is_valid(), url.is_valid()),
        pc.binary_join_element_wise(_quote_safe(escape(method)), " ", url, " HTTP/1.1", ""),
        "-",
    )
    fields = [
        token(escape(col("source.address"))),
        "-",
        token(user),
        pc.binary_join_element_wise("[", render_ncsa_time(col("@timestamp")), "]", ""),
        pc.binary_join_element_wise('"', request, '"', ""),
        token(col("http.response.status_code").cast(pa.string())),
        token(col("http.response.bytes").cast(pa.string())),
    ]
    return pc.binary_join_element_wise(*fields, " ")


def _quote_safe(values: pa.Array) -> pa.Array:
    """%-escape what would end a quoted field or start an escape in it."""
    return pc.replace_substring(pc.replace_substring(values, '"', "%22"), "\\", "%5C")


class Ncsa(LogFormat):
    """Apache/NCSA common and combined logs.

    >>> line = ('10.1.2.3 - alice [24/Feb/2015:23:13:42 +0100] '
    ...         '"CONNECT www.facebook.com:443 HTTP/1.1" 200 5120')
    >>> row = Ncsa().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["@timestamp"].isoformat()
    ('www.facebook.com', 443, '2015-02-24T22:13:42+00:00')
    """

    name: ClassVar[str] = "ncsa"
    title: ClassVar[str] = "Apache/NCSA common and combined"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "user.name", "source.address", "http.request.method", "url.domain",
            "destination.port", "http.response.status_code", "event.outcome",
            "http.response.bytes", "url.original",
        }
    )  # fmt: skip

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that are strict NCSA lines (not Squid's variant).

        >>> Ncsa.sniff(['::1 - - [24/Feb/2015:23:13:42 +0000] "GET / HTTP/1.1" 200 12', 'x'])
        0.5
        """
        return match_share(lines, _STRICT)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of NCSA lines; every non-blank line is one record or one reject.

        >>> res = Ncsa().parse(pa.array(["", "garbage"]), first_line=10)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 11, 'reason': 'not-ncsa-access'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        f = parse_fields(text)
        matched = pc.and_(f["matched"], pc.less_equal(pc.utf8_length(text), MAX_LINE_CHARS))
        unmatched = pc.invert(matched)
        reason = first_failure(len(text), field_checks(f))
        reason = pc.if_else(unmatched, unmatched_reason(text, "not-ncsa-access"), reason)
        is_record = reason.is_null()
        kept = {k: v.filter(is_record) for k, v in f.items()}
        columns = {
            "@timestamp": kept["time"],
            "user.name": kept["user"],
            "source.address": kept["client"],
            "http.request.method": kept["method"],
            "url.domain": kept["domain"],
            "destination.port": kept["port"],
            "http.response.status_code": kept["status"],
            "event.outcome": status_outcome(kept["status"]),
            "http.response.bytes": kept["bytes"],
            "url.original": kept["url"],
        }
        records = records_table(columns, line_no.filter(is_record))
        rejects = rejects_table([(line_no.filter(pc.invert(is_record)), reason.drop_null())])
        return ParseResult(records=records, rejects=rejects)

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as combined lines (referer and user agent ``"-"``), time in UTC.

        Sub-second precision, the result code, durations, upload bytes and mime types are
        lost; null fields are written ``-``.
        """
        head = render_head(records)
        rendered: list[str] = pc.binary_join_element_wise(head, ' "-" "-"', "").to_pylist()
        return rendered


FORMATS = (Ncsa,)
