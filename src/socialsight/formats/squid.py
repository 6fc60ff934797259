"""Squid's native access.log format (``logformat squid``), parsed and written with Arrow.

A native line is ten fields separated by runs of spaces (or tabs)::

    time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type
    1157689344.736   4969 10.105.47.218 TCP_MISS/200 29359 GET http://hi5.com/ nazsoau \
DIRECT/204.13.51.238 text/html

Some real logs append fields after the mime type; they are accepted and ignored. Lines are
cut into columns by a C scanner (``_squidscan.c``, one pass, without the GIL) and every check
then runs once per *distinct* value with ``pyarrow.compute``; ``parse_reference`` does the
same with pyarrow kernels only and is what the scanner is tested against. Writing is
vectorised too. No Python code runs per line, only per distinct user name holding a ``%``
escape. ``docs/formats/squid.md`` documents the field mapping, the outcome table, the reject
reasons and how the scanner works.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Final, cast

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._squidbind import MAX_LINE_CHARS as MAX_LINE_CHARS
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA, TIMESTAMP

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from socialsight.sources import Body

_scan: Callable[[Buffer, int, int], dict[str, int | ScanBuffer]] | None
try:
    # The C scanner of parse_bytes; without it (a failed build) parse_bytes falls back to parse.
    from socialsight.formats._squidscan import ScanBuffer
    from socialsight.formats._squidscan import scan as _scan
except ImportError:  # pragma: no cover - tests/test_squidscan.py fails when it is missing
    _scan = None


# Characters stripped from both ends of a line; a line made only of them is blank and skipped.
# ASCII only, so that "blank" has one definition that tests can mirror exactly.
BLANK_CHARS: Final = " \t\r\n\f\v"

_SEP = r"[ \t]+"
_TAIL = r"(?:[ \t].*)?$"

# Fields are separated by runs of ASCII whitespace (spaces, tabs, and the control characters
# that can only be damage); pyarrow's ascii_split_whitespace splits on exactly these.
_WS = r"[ \t\r\n\f\v]"

_FIELD_NAMES: Final = (
    "time",
    "elapsed",
    "client",
    "code",
    "bytes",
    "method",
    "url",
    "user",
    "hier",
    "mime",
)

# A line that starts like a Squid record but has fewer than ten fields was cut short.
_PREFIX = r"^\d{1,10}(?:\.\d{1,6})?" + _WS + r"+-?\d{1,15}(?:" + _WS + "|$)"

_TIME = r"^(?P<sec>\d{1,10})(?:\.(?P<frac>\d{1,6}))?$"
_ELAPSED = r"^(?:-|-?\d{1,15})$"
# Client address as logged: IPv4, IPv6 (with a zone), or a name when log_fqdn is on.
_CLIENT = r"^[0-9A-Za-z.:%_\[\]-]+$"
_CODE = r"^(?P<action>[A-Za-z][A-Za-z0-9_]*)/(?P<status>\d{3})$"
_BYTES = r"^(?:-|\d{1,18})$"
_METHOD = r"^(?:-|[A-Za-z_][A-Za-z0-9_-]*)$"
_HIER = r"^[A-Za-z_]+/\S*$"

_ABSOLUTE = r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)"
# Squid logs refused or unparsable requests with a pseudo URL such as error:invalid-request.
_PSEUDO = r"^(?:(?i:error:)|-$)"
# Userinfo runs to the last "@" of the authority; after it, a bracketed IPv6 literal or a name,
# then the port.
_USERINFO = r"^.*@"
_AUTHORITY = r"^(?:\[(?P<v6>[^\]]*)\]|(?P<name>[^:\[\]@]*))(?::(?P<port>.*))?$"
_NAME = r"^[\p{L}\p{M}\p{N}_-]*[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$"
# _NAME restricted to ASCII, where it means exactly this: RE2 compiles the Unicode classes
# for each call (about 4 ms, more than the rest of a chunk's host checks).
_ASCII_NAME = r"^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_.-]*$"
_IPV6 = r"^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%(?:25)?[0-9A-Za-z._~-]+)?$"
_PORT = r"^\d{1,5}$"

_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}

DICTIONARY_FIELDS: Final = frozenset(
    {
        "user.name",
        "source.address",
        "http.request.method",
        "event.action",
        "http.response.mime_type",
        "url.domain",
    }
)
"""Columns that :meth:`SquidNative.parse_bytes` returns dictionary-encoded."""

SCAN_SCHEMA: Final = pa.schema(
    [
        f.with_type(pa.dictionary(pa.int32(), pa.string())) if f.name in DICTIONARY_FIELDS else f
        for f in RECORD_SCHEMA
    ]
)
"""The schema of :meth:`SquidNative.parse_bytes` records: ``RECORD_SCHEMA`` with the
:data:`DICTIONARY_FIELDS` as ``dictionary<int32, string>`` (unique values, nulls as null
indices). ``records.cast(RECORD_SCHEMA)`` gives exactly what :meth:`SquidNative.parse` gives."""

# Outcome rules (the table in docs/formats/squid.md).
_DENIED = r"(?:^|_)DENIED(?:_|$)"
_FAILED_ACTION = r"_(?:TIMEOUT|TIMEDOUT)"
# An aborted transfer failed only if nothing useful was sent: TCP_TUNNEL_ABORTED/200 carried
# data before the client closed it, and counting it as a failure would fake outages.
_ABORTED_ACTION = r"_ABORTED"
_HIER_NONE = r"^(?:HIER_)?NONE/"

# A strict native line, for sniffing only: what Squid itself writes (time with milliseconds, an
# upper-case result code with a three-digit status, a hierarchy code with a slash).
_STRICT = (
    r"^\d{9,10}\.\d{3}" + _SEP + r"-?\d+" + _SEP + r"[0-9A-Za-z.:%_\[\]-]+" + _SEP
    + r"[A-Z][A-Z0-9_]*/\d{3}" + _SEP + r"\d+" + _SEP + r"[A-Za-z_-]+" + _SEP + r"\S+"
    + _SEP + r"\S+" + _SEP + r"[A-Z_]+/\S+" + _SEP + r"\S+" + _TAIL
)  # fmt: skip

# Characters that would split a field or a line if written raw, with their %-escapes.
_UNSAFE = r"[\s\x0b\x1c-\x1e\x{85}\x{2028}\x{2029}]"
_ESCAPES: Final = (
    (" ", "%20"),
    ("\t", "%09"),
    ("\n", "%0A"),
    ("\r", "%0D"),
    ("\f", "%0C"),
    ("\v", "%0B"),
    ("\x1c", "%1C"),
    ("\x1d", "%1D"),
    ("\x1e", "%1E"),
    ("\x85", "%C2%85"),
    ("\u2028", "%E2%80%A8"),
    ("\u2029", "%E2%80%A9"),
)


class SquidNative(LogFormat):
    """Squid's default ``squid`` logformat.

    >>> import pyarrow as pa
    >>> line = ("1157689344.736   4969 10.105.47.218 TCP_MISS/200 29359 GET http://hi5.com/ "
    ...         "nazsoau DIRECT/204.13.51.238 text/html")
    >>> row = SquidNative().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["event.outcome"], row["user.name"]
    ('hi5.com', 80, 'allowed', 'nazsoau')
    """

    name: ClassVar[str] = "squid"
    title: ClassVar[str] = "Squid native access.log"
    chunk_independent: ClassVar[bool] = True
    """Each chunk parses on its own (no header or state): ingest may parse chunks in parallel."""
    replaces_invalid_utf8: ClassVar[bool] = True
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "event.duration_ms", "source.address", "event.action",
            "event.outcome", "http.response.status_code", "http.response.bytes",
            "http.request.method", "url.original", "url.domain", "destination.port",
            "user.name", "http.response.mime_type",
        }
    )  # fmt: skip

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that match a strict native-Squid line.

        >>> SquidNative.sniff(["1157689321.315 1 10.1.2.3 TCP_HIT/200 1464 GET "
        ...                    "http://a.example/ - NONE/- text/css", "hello"])
        0.5
        """
        text = pc.utf8_trim(pa.array(list(lines), pa.string()), BLANK_CHARS)
        text = text.filter(pc.not_equal(text, ""))
        if len(text) == 0:
            return 0.0
        hits = pc.sum(pc.match_substring_regex(text, _STRICT).cast(pa.int64())).as_py()
        return float(hits or 0) / len(text)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of native lines into records and rejects; never raises on content.

        Blank lines are skipped; every other line becomes exactly one record or one reject.
        The lines are joined into one body for the C scanner (:meth:`parse_bytes`); lines
        holding a newline, or a build without the scanner, go through
        :meth:`parse_reference`, which gives the same result.

        >>> res = SquidNative().parse(pa.array(["", "garbage"]), first_line=10)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 11, 'reason': 'not-squid-access'}])
        """
        lines = _string_array(lines)
        body = _body_of(lines) if _scan is not None else None
        if body is None:
            return self.parse_reference(lines, first_line)
        result = _parse_scanned(_scan_body(body, first_line))
        return ParseResult(records=result.records.cast(RECORD_SCHEMA), rejects=result.rejects)

    def parse_reference(self, lines: pa.Array, first_line: int) -> ParseResult:
        """:meth:`parse` with pyarrow kernels only: the reference the C scanner is tested
        against (``tests/test_squidscan.py``), and the path without it."""
        lines = _string_array(lines)
        text = pc.utf8_trim(lines.fill_null(""), BLANK_CHARS)
        keep = pc.not_equal(text, "")
        line_no = pc.add(pc.indices_nonzero(keep).cast(pa.int64()), first_line)
        if len(line_no) < len(text):
            text = text.filter(keep)

        # A split is four times faster than a regex with ten capture groups on RE2.
        split = pc.ascii_split_whitespace(text, max_splits=len(_FIELD_NAMES))
        # Bytes bound characters: count characters only on the rare lines with many bytes.
        too_long = pc.greater(pc.binary_length(text), MAX_LINE_CHARS)
        if pc.any(too_long).as_py():
            too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        complete = pc.and_(
            pc.greater_equal(pc.list_value_length(split), len(_FIELD_NAMES)), pc.invert(too_long)
        )
        # Lines without ten fields are rejected whole; the rest are checked field by field.
        short = pc.invert(complete)
        short_line_no = line_no.filter(short)
        if len(short_line_no):
            short_reason = pc.if_else(
                too_long.filter(short),
                "too-long",
                pc.if_else(
                    pc.match_substring_regex(text.filter(short), _PREFIX),
                    "truncated",
                    "not-squid-access",
                ),
            )
            split = split.filter(complete)
            line_no = line_no.filter(complete)
        else:
            short_reason = pa.array([], pa.string())
        part = _fields(split)
        # Low-cardinality fields (a few thousand distinct values per million lines) are checked
        # and transformed once per distinct value, then mapped back to the rows.
        client = _Distinct(part["client"])
        code = _Distinct(part["code"])
        method = _Distinct(part["method"])
        hier = _Distinct(part["hier"])
        method_upper = method.map(pc.utf8_upper)
        url = _split_url_rows(part["url"], method_upper.rows())
        time = pc.extract_regex(part["time"], _TIME)

        # Checks in priority order: the first that fails names the reject.
        time_bad = time.is_null()
        elapsed_bad = _no_match(part["elapsed"], _ELAPSED)
        code_bad = code.map(lambda v: _no_match(v, _CODE)).rows()
        checks: list[tuple[pa.Array, str]] = [
            # No number first and a second field out of shape: another program's line
            # (syslog, squidGuard, cache.log), not a damaged Squid record.
            (pc.and_(time_bad, pc.or_(elapsed_bad, code_bad)), "not-squid-access"),
            (time_bad, "bad-timestamp"),
            (elapsed_bad, "bad-elapsed"),
            (client.map(lambda v: _no_match(v, _CLIENT)).rows(), "bad-client"),
            (code_bad, "bad-result-code"),
            (_no_match(part["bytes"], _BYTES), "bad-bytes"),
            (method.map(lambda v: _no_match(v, _METHOD)).rows(), "bad-method"),
            (hier.map(lambda v: _no_match(v, _HIER)).rows(), "bad-hierarchy"),
            (url["host_bad"], "bad-host"),
            (url["port_bad"], "bad-port"),
        ]
        reason, rejected_line_no, is_record = _failures(checks, line_no)
        rejects = _rejects(short_line_no, short_reason, rejected_line_no, reason)
        rows = {
            "time": time,
            "elapsed": part["elapsed"],
            "bytes": part["bytes"],
            "url": part["url"],
            "domain": url["domain"],
            "port": url["port"],
        }
        distinct = {
            "client": client,
            "code": code,
            "method": method_upper,
            "hier": hier,
            "user": _Distinct(part["user"]),
            "mime": _Distinct(part["mime"]),
        }
        if is_record is not None:
            rows = {k: v.filter(is_record) for k, v in rows.items()}
            distinct = {k: v.filter(is_record) for k, v in distinct.items()}
            line_no = line_no.filter(is_record)
        records = _records(rows, distinct, line_no)
        return ParseResult(records=records, rejects=rejects)

    def parse_bytes(self, body: Body, first_line: int) -> tuple[int, ParseResult]:
        """Parse whole lines given as bytes: (number of lines in ``body``, result).

        ``body`` is UTF-8 text made of whole lines, each ending in a newline (``\\r\\n``
        too); invalid UTF-8 is replaced by U+FFFD. The result holds the same records and
        rejects as :meth:`parse` on the same lines, the records in :data:`SCAN_SCHEMA` (some
        columns dictionary-encoded). The lines are cut by a C scanner in one pass, without
        holding the GIL; every check and transformation then runs once per distinct value.

        >>> body = (b"1157689344.736 4969 10.1.2.3 TCP_MISS/200 29359 GET http://hi5.com/ "
        ...         b"- DIRECT/204.13.51.238 text/html\\r\\n\\ngarbage\\n")
        >>> count, res = SquidNative().parse_bytes(body, first_line=10)
        >>> count, res.records.column("url.domain").to_pylist(), res.rejects.to_pylist()
        (3, ['hi5.com'], [{'log.line': 12, 'reason': 'not-squid-access'}])
        """
        if _scan is None:
            lines = _lines_of(body)
            return len(lines), _as_scan_schema(self.parse_reference(lines, first_line))
        return self.parse_prescanned(_scan_body(body, first_line))

    def parse_prescanned(self, prescanned: object) -> tuple[int, ParseResult]:
        """:meth:`parse_bytes` from the scanner's pass over the body, done ahead by the
        ingest's prefetch (``_squidbind.prescan``)."""
        scanned = cast("_Scanned", prescanned)
        return _int(scanned, "lines"), _parse_scanned(scanned)

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render ``RECORD_SCHEMA`` rows as native lines (vectorised).

        The time keeps milliseconds (times before 1970 cannot be written). A null status is
        written ``000``; a null user, mime type, method, client, URL, byte count or duration
        ``-``. CONNECT is written ``host:port``, other requests use ``url.original`` or else
        ``http://host/``. The hierarchy is ``HIER_NONE/-`` for blocked and failed requests and
        ``HIER_DIRECT/<host>`` otherwise. Whitespace inside a field is %-escaped, so one record
        is always one line of ten fields.

        >>> import datetime as dt
        >>> from socialsight.schema import RECORD_SCHEMA
        >>> row = {"@timestamp": dt.datetime(2021, 2, 14, tzinfo=dt.UTC),
        ...        "source.address": "::1", "http.request.method": "CONNECT",
        ...        "url.domain": "www.google.com", "destination.port": 443,
        ...        "http.response.status_code": 200, "event.action": "TCP_TUNNEL",
        ...        "event.outcome": "allowed", "http.response.bytes": 5319,
        ...        "event.duration_ms": 355, "log.line": 1}
        >>> SquidNative.write(pa.Table.from_pylist([row], schema=RECORD_SCHEMA))
        ['1613260800.000    355 ::1 TCP_TUNNEL/200 5319 CONNECT www.google.com:443 - \
HIER_DIRECT/www.google.com -']
        """
        rendered: list[str] = _render(records).to_pylist()
        return rendered


def _failures(
    checks: Sequence[tuple[pa.Array | None, str]], line_no: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array | None]:
    """(reasons, line numbers) of the rows that fail a check, each named by the first failing
    check in priority order, and the mask of the rows kept (None when every row passes). A
    check given as None fails no row; the first check implies the second, so it does not
    add rows of its own. Only the failing rows go through the priority chain."""
    any_bad = None
    for bad, _ in checks[1:]:
        any_bad = _or(any_bad, bad)
    if any_bad is None or not pc.any(any_bad).as_py():
        return pa.array([], pa.string()), pa.array([], pa.int64()), None
    bad_rows = pc.indices_nonzero(any_bad)
    reason = pa.nulls(len(bad_rows), pa.string())
    for bad, reason_code in reversed(checks):
        if bad is not None:
            reason = pc.if_else(bad.take(bad_rows), reason_code, reason)
    return reason, line_no.take(bad_rows), pc.invert(any_bad)


def _rejects(
    short_line_no: pa.Array, short_reason: pa.Array, line_no: pa.Array, reason: pa.Array
) -> pa.Table:
    """The REJECT_SCHEMA table of the short lines and the lines that failed a check, in line
    order (each part is in order already: sorted only when both have rows)."""
    rejects = pa.Table.from_arrays(
        [pa.concat_arrays([short_line_no, line_no]), pa.concat_arrays([short_reason, reason])],
        schema=REJECT_SCHEMA,
    )
    if len(short_line_no) and len(line_no):
        rejects = rejects.sort_by("log.line")
    return rejects


def _no_match(values: pa.Array, pattern: str) -> pa.Array:
    return pc.invert(pc.match_substring_regex(values, pattern))


def _fields(split: pa.ListArray) -> dict[str, pa.Array]:
    """The first ten fields of each split line (every list has at least ten)."""
    # A gather from the flat values is twice as fast as ten list_element calls.
    values = split.values
    starts = split.offsets.slice(0, len(split))
    return {name: values.take(pc.add(starts, i)) for i, name in enumerate(_FIELD_NAMES)}


class _Distinct:
    """A string column as its distinct values plus one index per row (nulls stay null).

    Fields such as the result code, the method or the client take a few thousand values in a
    million lines: checking and transforming each distinct value once, then gathering, costs a
    fraction of running the same kernels on every row.
    """

    def __init__(self, values: pa.Array, indices: pa.Array | None = None) -> None:
        if indices is None:
            encoded = pc.dictionary_encode(values)
            values, indices = encoded.dictionary, encoded.indices
        self.values = values
        self.indices = indices

    def map(self, fn: Callable[[pa.Array], pa.Array]) -> _Distinct:
        """Transform the distinct values; the rows keep their indices."""
        return _Distinct(fn(self.values), self.indices)

    def rows(self) -> pa.Array:
        """One value per row."""
        return self.values.take(self.indices)

    def filter(self, mask: pa.Array) -> _Distinct:
        """Keep the rows where ``mask`` is true."""
        return _Distinct(self.values, self.indices.filter(mask))


# The scheme and authority of an absolute URL, without its path: the key of _split_url_rows.
_URL_PREFIX = r"^(?P<prefix>[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)"


def _split_url_rows(url: pa.Array, method: pa.Array) -> dict[str, pa.Array]:
    """:func:`_split_url` for every row, computed once per distinct authority.

    The host and port depend only on the scheme and authority of an absolute URL, or on the
    whole ``host:port`` of a CONNECT: that key has a few thousand values per million lines.
    """
    matched = pc.extract_regex(url, _URL_PREFIX)
    # A struct's field ignores the struct's own nulls: test the match on the struct.
    is_absolute = matched.is_valid()
    prefix = matched.field("prefix")
    connect = pc.and_(pc.equal(method, "CONNECT"), pc.invert(is_absolute))
    if pc.any(connect).as_py():
        connect = pc.and_(connect, _no_match(url, _PSEUDO))
    key = _Distinct(pc.if_else(is_absolute, prefix, pc.if_else(connect, url, None)))
    # Every key is an absolute prefix or a CONNECT target, which _split_url tells apart.
    info = _split_url(key.values, _constant_string("CONNECT", len(key.values)))
    return {
        "domain": info["domain"].take(key.indices),
        "port": info["port"].take(key.indices),
        "host_bad": info["host_bad"].take(key.indices).fill_null(False),
        "port_bad": info["port_bad"].take(key.indices).fill_null(False),
    }


def _constant_string(value: str, n: int) -> pa.Array:
    return pc.fill_null(pa.nulls(n, pa.string()), value)


def _split_url(url: pa.Array, method: pa.Array) -> dict[str, pa.Array]:
    """Host, port and the host/port validity of each logged URL (CONNECT ``host:port`` too)."""
    absolute = pc.extract_regex(url, _ABSOLUTE)
    is_absolute = absolute.is_valid()
    scheme = pc.utf8_lower(absolute.field("scheme"))
    pseudo = pc.match_substring_regex(url, _PSEUDO)
    # CONNECT logs the tunnel target as host:port without a scheme.
    is_connect = pc.and_(
        pc.and_(pc.equal(method, "CONNECT"), pc.invert(is_absolute)), pc.invert(pseudo)
    )
    has_authority = pc.or_(is_absolute, is_connect)
    authority = pc.if_else(is_absolute, absolute.field("authority"), url)
    parts = pc.extract_regex(pc.replace_substring_regex(authority, _USERINFO, ""), _AUTHORITY)
    v6 = parts.field("v6")
    # A trailing dot (fully qualified form) names the same host.
    name = pc.utf8_rtrim(parts.field("name"), ".")
    is_v6 = pc.not_equal(v6, "")
    host_ok = pc.and_(
        parts.is_valid(),
        pc.if_else(is_v6, pc.match_substring_regex(v6, _IPV6), _name_ok(name)),
    )
    domain = pc.utf8_lower(pc.if_else(is_v6, v6, name))

    port_text = parts.field("port")
    port_given = pc.not_equal(port_text, "")
    port_digits = pc.match_substring_regex(port_text, _PORT)
    port_value = pc.if_else(port_digits, port_text, None).cast(pa.int32())
    port_ok = pc.and_kleene(
        port_digits,
        pc.and_kleene(pc.greater_equal(port_value, 1), pc.less_equal(port_value, 65535)),
    ).fill_null(False)
    defaults = pc.take(
        pa.array(list(_DEFAULT_PORTS.values()), pa.int32()),
        pc.index_in(scheme, value_set=pa.array(list(_DEFAULT_PORTS))),
    )
    return {
        "domain": pc.if_else(has_authority, domain, None),
        "port": pc.if_else(
            has_authority, pc.if_else(port_given, port_value, defaults), pa.scalar(None, pa.int32())
        ),
        "host_bad": pc.and_(has_authority, pc.invert(host_ok)),
        "port_bad": pc.and_(has_authority, pc.and_(port_given, pc.invert(port_ok))),
    }


def _name_ok(names: pa.Array) -> pa.Array:
    """Whether each host name matches ``_NAME`` (the Unicode classes only when needed)."""
    if pc.all(pc.string_is_ascii(names)).as_py() is not False:
        return pc.match_substring_regex(names, _ASCII_NAME)
    return pc.match_substring_regex(names, _NAME)


def _dash_null(values: pa.Array) -> pa.Array:
    """Squid writes ``-`` for an absent value."""
    dash = pc.equal(values, "-")
    # Most columns of most chunks hold no dash: skip rewriting (and copying) their values.
    if not pc.any(dash).as_py():
        return values
    return pc.if_else(dash, None, values)


def _decode_users(users: pa.Array) -> pa.Array:
    """Undo Squid's %XX escaping of user names; a loop over distinct escaped names only."""
    escaped = pc.match_substring(users, "%").fill_null(False)
    if not pc.any(escaped).as_py():
        return users
    distinct = pc.unique(users.filter(escaped))
    decoded = pa.array(
        [urllib.parse.unquote(v, errors="replace") for v in distinct.to_pylist()], pa.string()
    )
    mapped = pc.take(decoded, pc.index_in(users, value_set=distinct))
    return pc.if_else(escaped, mapped, users)


def _action_matches(action: pa.Array, pattern: str) -> pa.Array:
    """``pattern`` tested once per distinct result code (a log has a few dozen at most)."""
    distinct = pc.unique(action)
    return pc.is_in(action, value_set=distinct.filter(pc.match_substring_regex(distinct, pattern)))


def _outcome_of_codes(codes: pa.Array) -> dict[str, pa.Array]:
    """Per distinct ``code/status`` field: action, status and the parts of the outcome."""
    code = pc.extract_regex(codes, _CODE)
    # Codes that do not match (their rows are rejected) give nulls, not empty strings.
    valid = code.is_valid()
    action = pc.if_else(valid, code.field("action"), None)
    status = pc.if_else(valid, code.field("status"), None).cast(pa.int32())
    status = pc.if_else(pc.equal(status, 0), pa.scalar(None, pa.int32()), status)
    server_error = pc.and_(pc.greater_equal(status, 500), pc.less_equal(status, 599))
    answered = pc.and_(pc.greater_equal(status, 200), pc.less_equal(status, 399))
    aborted = pc.and_(
        pc.match_substring_regex(action, _ABORTED_ACTION), pc.invert(answered.fill_null(False))
    )
    failed = pc.or_(
        pc.or_(status.is_null(), server_error.fill_null(False)),
        pc.or_(pc.match_substring_regex(action, _FAILED_ACTION), aborted),
    )
    return {
        "action": action,
        "status": status,
        "denied": pc.match_substring_regex(action, _DENIED),
        "refused": pc.is_in(status, value_set=pa.array([403, 407], pa.int32())).fill_null(False),
        "failed": failed,
    }


def _records(
    rows: dict[str, pa.Array], distinct: dict[str, _Distinct], line_no: pa.Array
) -> pa.Table:
    time = rows["time"]
    seconds = time.field("sec").cast(pa.int64())
    micros = pc.utf8_rpad(time.field("frac"), width=6, padding="0").cast(pa.int64())
    timestamp = pc.add(pc.multiply(seconds, 1_000_000), micros).cast(TIMESTAMP)

    code = distinct["code"]
    by_code = _outcome_of_codes(code.values)
    hier_none = distinct["hier"].map(lambda v: pc.match_substring_regex(v, _HIER_NONE)).rows()

    def per_row(name: str) -> pa.Array:
        return by_code[name].take(code.indices)

    blocked = pc.or_(per_row("denied"), pc.and_(per_row("refused"), hier_none))
    outcome = pc.if_else(blocked, "blocked", pc.if_else(per_row("failed"), "failed", "allowed"))

    columns = {
        "@timestamp": timestamp,
        "user.name": distinct["user"].map(lambda v: _decode_users(_dash_null(v))).rows(),
        "source.address": distinct["client"].map(_dash_null).rows(),
        "http.request.method": distinct["method"].map(_dash_null).rows(),
        "url.domain": rows["domain"],
        "destination.port": rows["port"],
        "http.response.status_code": per_row("status"),
        "event.action": per_row("action"),
        "event.outcome": outcome,
        "http.request.bytes": pa.nulls(len(line_no), pa.int64()),
        "http.response.bytes": _dash_null(rows["bytes"]).cast(pa.int64()),
        "event.duration_ms": _dash_null(rows["elapsed"]).cast(pa.int64()),
        "http.response.mime_type": distinct["mime"].map(_dash_null).rows(),
        "url.original": _dash_null(rows["url"]),
        "log.line": line_no,
    }
    # Fields Squid cannot fill (the source's own unit, ...) are null.
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(len(line_no), f.type)
        for f in RECORD_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=RECORD_SCHEMA)


# ---------------------------------------------------------------- parse_bytes (the C scanner)

_Scanned = dict[str, "int | ScanBuffer"]
_OUTCOMES: Final = pa.array(["allowed", "blocked", "failed"], pa.string())


def _string_array(lines: pa.Array) -> pa.Array:
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if lines.type != pa.string():
        lines = lines.cast(pa.string())
    return lines


# Lines joined for the scanner stay far below its 1 GiB limit (ingest chunks are 16 MiB).
_MAX_JOINED_BYTES: Final = 256 * 1024 * 1024


def _body_of(lines: pa.Array) -> Buffer | None:
    """The lines as one body ending in a newline, or None when the scanner cannot take them:
    a line holding a newline would read as two lines."""
    lines = lines.fill_null("")
    if lines.nbytes > _MAX_JOINED_BYTES or pc.any(pc.match_substring(lines, "\n")).as_py():
        return None
    # An empty last line makes the join end with the final newline.
    lines = pa.concat_arrays([lines, pa.array([""], pa.string())])
    offsets = pa.array([0, len(lines)], pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, lines), "\n")
    body: Buffer = joined[0].as_buffer()  # zero-copy
    return body


def _scan_body(body: Buffer, first_line: int) -> _Scanned:
    """Run the scanner (which replaces invalid UTF-8 by U+FFFD, as ingest decodes)."""
    assert _scan is not None
    return _scan(body, first_line, MAX_LINE_CHARS)


def _lines_of(body: Body) -> pa.Array:
    """Whole-line bytes -> the lines without terminators (the fallback without the scanner)."""
    if isinstance(body, memoryview):
        body = body.tobytes()
    if not body.isascii():
        body = body.decode("utf-8", errors="replace").encode("utf-8")
    whole = pa.array([body], pa.large_binary())
    pieces = pc.split_pattern(whole, "\n").flatten()
    # The body ends with a newline: the last piece is the empty text after it.
    lines = pieces.slice(0, max(len(pieces) - 1, 0)).view(pa.large_string()).cast(pa.string())
    return pc.utf8_rtrim(lines, characters="\r")


def _as_scan_schema(result: ParseResult) -> ParseResult:
    return ParseResult(records=result.records.cast(SCAN_SCHEMA), rejects=result.rejects)


def _int(scanned: _Scanned, key: str) -> int:
    value = scanned[key]
    assert isinstance(value, int)
    return value


def _buffer(scanned: _Scanned, key: str) -> pa.Buffer:
    # Zero-copy: the Arrow buffer keeps the scanner's memory alive.
    return pa.py_buffer(scanned[key])


def _strings(scanned: _Scanned, prefix: str, n: int, valid: str | None = None) -> pa.Array:
    validity = _buffer(scanned, valid) if valid else None
    buffers = [validity, _buffer(scanned, prefix + "_offsets"), _buffer(scanned, prefix + "_data")]
    nulls = _int(scanned, prefix + "_nulls") if valid else 0
    return pa.Array.from_buffers(pa.string(), n, buffers, nulls)


def _int64s(scanned: _Scanned, key: str, n: int) -> pa.Array:
    # The scanner counts the nulls: Arrow would otherwise count them on first use.
    buffers = [_buffer(scanned, key + "_valid"), _buffer(scanned, key)]
    return pa.Array.from_buffers(pa.int64(), n, buffers, _int(scanned, key + "_nulls"))


def _flags(scanned: _Scanned, key: str, n: int) -> pa.Array | None:
    """Per-row flags from a bitmap; None when no row is flagged."""
    if not _int(scanned, key + "_rows"):
        return None
    return pa.Array.from_buffers(pa.bool_(), n, [None, _buffer(scanned, key)])


def _distinct(scanned: _Scanned, name: str, n: int) -> _Distinct:
    values = _strings(scanned, name, _int(scanned, name + "_distinct"))
    valid = _buffer(scanned, name + "_valid") if name == "url_key" else None
    nulls = _int(scanned, name + "_nulls") if valid else 0
    indices = pa.Array.from_buffers(
        pa.int32(), n, [valid, _buffer(scanned, name + "_indices")], nulls
    )
    return _Distinct(values, indices)


def _per_row(flags: pa.Array, values: _Distinct) -> pa.Array | None:
    """Per-distinct flags as per-row flags; None when no distinct value is flagged."""
    if not pc.any(flags).as_py():
        return None
    return flags.take(values.indices).fill_null(False)


def _or(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
    if a is None or b is None:
        return a if b is None else b
    return pc.or_(a, b)


def _encoded(values: pa.Array, indices: pa.Array) -> pa.DictionaryArray:
    """Rows as a dictionary array with unique values (a transformation may merge values)."""
    if values.null_count == 0 and pc.count_distinct(values).as_py() == len(values):
        return pa.DictionaryArray.from_arrays(indices, values)
    encoded = pc.dictionary_encode(values)
    return pa.DictionaryArray.from_arrays(encoded.indices.take(indices), encoded.dictionary)


def _parse_scanned(scanned: _Scanned) -> ParseResult:
    """The records and rejects of a scanned body, with :meth:`SquidNative.parse`'s rules.

    Checks and transformations run on the distinct values; a check that no distinct value
    fails costs nothing per row.
    """
    n = _int(scanned, "rows")
    n_short = _int(scanned, "short_rows")
    short_line_no = pa.Array.from_buffers(
        pa.int64(), n_short, [None, _buffer(scanned, "short_line")]
    )
    if n_short:
        short_text = _strings(scanned, "short", n_short)
        too_long = pc.not_equal(
            pa.Array.from_buffers(pa.uint8(), n_short, [None, _buffer(scanned, "short_too_long")]),
            0,
        )
        short_reason = pc.if_else(
            too_long,
            "too-long",
            pc.if_else(
                pc.match_substring_regex(short_text, _PREFIX), "truncated", "not-squid-access"
            ),
        )
    else:
        short_reason = pa.array([], pa.string())

    line_no = pa.Array.from_buffers(pa.int64(), n, [None, _buffer(scanned, "line")])
    time = _int64s(scanned, "time", n)
    elapsed = _int64s(scanned, "elapsed", n)
    size = _int64s(scanned, "bytes", n)
    url = _strings(scanned, "url", n, valid="url_valid")
    client = _distinct(scanned, "client", n)
    code = _distinct(scanned, "code", n)
    method = _distinct(scanned, "method", n).map(pc.utf8_upper)
    hier = _distinct(scanned, "hier", n)
    user = _distinct(scanned, "user", n)
    mime = _distinct(scanned, "mime", n)
    domain, port, host_bad, port_bad = _hosts_of_keys(_distinct(scanned, "url_key", n))

    time_bad = time.is_null() if time.null_count else None
    elapsed_bad = _flags(scanned, "elapsed_bad", n)
    code_bad = _per_row(_no_match(code.values, _CODE), code)
    not_squid = None
    if time_bad is not None:
        other = _or(elapsed_bad, code_bad)
        not_squid = None if other is None else pc.and_(time_bad, other)
    # The method check is case-blind: upper-casing the distinct methods changes no verdict.
    checks: list[tuple[pa.Array | None, str]] = [
        (not_squid, "not-squid-access"),
        (time_bad, "bad-timestamp"),
        (elapsed_bad, "bad-elapsed"),
        (_per_row(_no_match(client.values, _CLIENT), client), "bad-client"),
        (code_bad, "bad-result-code"),
        (_flags(scanned, "bytes_bad", n), "bad-bytes"),
        (_per_row(_no_match(method.values, _METHOD), method), "bad-method"),
        (_per_row(_no_match(hier.values, _HIER), hier), "bad-hierarchy"),
        (host_bad, "bad-host"),
        (port_bad, "bad-port"),
    ]
    reason, rejected_line_no, keep = _failures(checks, line_no)
    if keep is not None:
        line_no, time, elapsed, size, url, domain, port = (
            a.filter(keep) for a in (line_no, time, elapsed, size, url, domain, port)
        )
        client, code, method, hier, user, mime = (
            d.filter(keep) for d in (client, code, method, hier, user, mime)
        )

    rejects = _rejects(short_line_no, short_reason, rejected_line_no, reason)

    by_code = _outcome_of_codes(code.values)
    columns = {
        "@timestamp": time.view(TIMESTAMP),
        "user.name": _encoded(_decode_users(_dash_null(user.values)), user.indices),
        "source.address": _encoded(_dash_null(client.values), client.indices),
        "http.request.method": _encoded(_dash_null(method.values), method.indices),
        "url.domain": domain,
        "destination.port": port,
        "http.response.status_code": by_code["status"].take(code.indices),
        "event.action": _encoded(by_code["action"], code.indices),
        "event.outcome": _outcomes(by_code, code, hier),
        "http.response.bytes": size,
        "event.duration_ms": elapsed,
        "http.response.mime_type": _encoded(_dash_null(mime.values), mime.indices),
        "url.original": url,
        "log.line": line_no,
    }
    rows = len(line_no)
    arrays = [columns[f.name] if f.name in columns else pa.nulls(rows, f.type) for f in SCAN_SCHEMA]
    return ParseResult(records=pa.Table.from_arrays(arrays, schema=SCAN_SCHEMA), rejects=rejects)


def _outcomes(by_code: dict[str, pa.Array], code: _Distinct, hier: _Distinct) -> pa.Array:
    """event.outcome per row, decided per distinct code (and per hierarchy where it matters)."""
    # 0 allowed, 1 blocked, 2 failed; a refusal (403/407) is blocked only without a hierarchy.
    failed = pc.if_else(by_code["failed"], 2, 0).cast(pa.int8())
    outcome = pc.if_else(by_code["denied"], 1, failed).cast(pa.int8())
    refused = pc.and_(by_code["refused"], pc.invert(by_code["denied"]))
    rows = outcome.take(code.indices)
    if pc.any(refused).as_py():
        hier_none = pc.match_substring_regex(hier.values, _HIER_NONE).take(hier.indices)
        rows = pc.if_else(pc.and_(refused.take(code.indices), hier_none), 1, rows).cast(pa.int8())
    return _OUTCOMES.take(rows)


def _hosts_of_keys(
    key: _Distinct,
) -> tuple[pa.DictionaryArray, pa.Array, pa.Array | None, pa.Array | None]:
    """Per row: the domain (dictionary-encoded), port, and the host and port flagged bad (None
    when no row is).

    ``key`` is the scheme://authority prefix of an absolute URL, the target of a CONNECT, and
    null for other requests (which have no host).
    """
    info = _split_url(key.values, _constant_string("CONNECT", len(key.values)))
    domains = pc.dictionary_encode(info["domain"])
    return (
        pa.DictionaryArray.from_arrays(domains.indices.take(key.indices), domains.dictionary),
        info["port"].take(key.indices),
        _per_row(info["host_bad"].fill_null(False), key),
        _per_row(info["port_bad"].fill_null(False), key),
    )


def _escape(values: pa.Array, also_percent: bool = False) -> pa.Array:
    """%-escape what would split a field or a line; only rows that need it are rewritten."""
    pattern = "[%]|" + _UNSAFE if also_percent else _UNSAFE
    mask = pc.match_substring_regex(values, pattern).fill_null(False)
    if not pc.any(mask).as_py():
        return values
    subset = values.filter(mask)
    if also_percent:
        subset = pc.replace_substring(subset, "%", "%25")
    for raw, escaped in _ESCAPES:
        subset = pc.replace_substring(subset, raw, escaped)
    return pc.replace_with_mask(values, mask, subset)


def _token(values: pa.Array) -> pa.Array:
    """A field as written: ``-`` for null or empty."""
    return pc.if_else(pc.equal(values, "").fill_null(True), "-", values)


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _render(records: pa.Table) -> pa.Array:
    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    micros = col("@timestamp").cast(pa.int64())
    millis = pc.divide(micros, 1000)
    seconds = pc.divide(millis, 1000)
    fraction = pc.subtract(millis, pc.multiply(seconds, 1000))
    time = _join(seconds.cast(pa.string()), ".", pc.utf8_lpad(fraction.cast(pa.string()), 3, "0"))

    elapsed = pc.utf8_lpad(_token(col("event.duration_ms").cast(pa.string())), 6, " ")
    status = col("http.response.status_code").cast(pa.string())
    status = pc.utf8_lpad(status.fill_null("0"), 3, "0")
    action = pc.if_else(
        pc.equal(col("event.action"), "").fill_null(True), "NONE", col("event.action")
    )
    code = _join(_escape(action), "/", status)

    domain = col("url.domain")
    port = col("destination.port").cast(pa.string())
    # IPv6 literals are bracketed in URLs and CONNECT targets.
    host = pc.if_else(pc.match_substring(domain, ":"), _join("[", domain, "]"), domain)
    host_port = pc.if_else(port.is_valid(), _join(host, ":", port), host)
    method = col("http.request.method")
    is_connect = pc.equal(method, "CONNECT").fill_null(False)
    http_port = pc.if_else(pc.equal(port, "80").fill_null(True), host, host_port)
    fallback = _join("http://", http_port, "/")
    original = pc.if_else(
        pc.equal(col("url.original"), "").fill_null(True), None, col("url.original")
    )
    url = pc.if_else(
        pc.and_(is_connect, domain.is_valid()), host_port, pc.coalesce(original, fallback)
    )

    user = col("user.name")
    # A user literally named "-" must not read back as "no user".
    user = pc.if_else(pc.equal(user, "-").fill_null(False), "%2D", _escape(user, also_percent=True))

    outcome = col("event.outcome")
    unanswered = pc.is_in(outcome, value_set=pa.array(["blocked", "failed"])).fill_null(False)
    hierarchy = pc.if_else(
        unanswered, "HIER_NONE/-", _join("HIER_DIRECT/", _token(_escape(domain)))
    )
    fields = [
        time,
        elapsed,
        _token(_escape(col("source.address"))),
        code,
        _token(col("http.response.bytes").cast(pa.string())),
        _token(_escape(method)),
        _token(_escape(url)),
        _token(user),
        hierarchy,
        _token(_escape(col("http.response.mime_type"))),
    ]
    return pc.binary_join_element_wise(*fields, " ")


FORMATS = (SquidNative,)
