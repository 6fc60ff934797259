"""W3C extended log files (Blue Coat ProxySG, Microsoft IIS, ISA/TMG), read by their
``#Fields`` header.

A file is directive lines (``#Software``, ``#Version``, ``#Date``, ``#Fields``, ``#Remark``,
``#Start-Date``, ``#End-Date``) and data lines whose space-separated fields are named by the
last ``#Fields`` directive; a field holding spaces is double-quoted, ``-`` is "no value"::

    #Fields: date time time-taken c-ip sc-status s-action sc-bytes cs-bytes cs-method ...
    2005-05-04 17:16:12 51 45.14.4.127 200 TCP_NC_MISS 926 1104 GET http images.google.com ...

The header may change mid-file (a ProxySG upload, an IIS restart, a configuration change), and a
file is read in chunks, so the current field list lives on the parser instance. Data lines
before any ``#Fields`` header are read with ProxySG's default ``main`` field list (what a
ProxySG streams over syslog, without header). Dates and times are UTC, as the W3C draft says.

Each run of data lines under one header is parsed with one RE2 regular expression built for that
header's field count (``pc.extract_regex``), or with a whitespace split when the run holds no
quotes; the only Python loop is over ``#Fields`` lines.
``docs/formats/w3c.md`` documents the field names read, the outcome rules and the reject reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import outcome
from socialsight.formats._http import (
    MAX_LINE_CHARS,
    dash_null,
    decode_users,
    escape,
    first_failure,
    prepare,
    records_table,
    rejects_table,
    split_url,
    strict_seconds,
    token,
)
from socialsight.formats._urls import default_port
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.schema import TIMESTAMP

PROXYSG_MAIN: Final = (
    "date", "time", "time-taken", "c-ip", "sc-status", "s-action", "sc-bytes", "cs-bytes",
    "cs-method", "cs-uri-scheme", "cs-host", "cs-uri-port", "cs-uri-path", "cs-uri-query",
    "cs-username", "cs-auth-group", "s-supplier-name", "rs(content-type)", "cs(referer)",
    "cs(user-agent)", "sc-filter-result", "cs-categories", "x-virus-id", "s-ip",
)  # fmt: skip
"""ProxySG's default ``main`` log format, assumed for data lines before any ``#Fields``."""

WRITE_FIELDS: Final = (
    "date", "time", "time-taken", "c-ip", "cs-username", "s-action", "sc-status",
    "sc-filter-result", "x-exception-id", "cs-method", "cs-uri-scheme", "cs-host",
    "cs-uri-port", "cs-uri-path", "cs-uri-query", "sc-bytes", "cs-bytes", "rs(Content-Type)",
)  # fmt: skip
"""The ``#Fields`` that :meth:`W3C.write` emits (a ProxySG-style selection)."""

MAX_FIELDS: Final = 256
"""A ``#Fields`` header naming more fields than this is refused (its lines are rejected as
``too-many-fields``): real appliances log a few dozen, and the row expression grows with it."""

_DIRECTIVE = r"(?i)^#(?:software|version|date|fields|remark|start-date|end-date):"
"""Directives skipped silently (``#Fields`` also sets the field list)."""
_FIELDS_DIRECTIVE = r"(?i)^#fields:"

# Names read for each record field, first present wins (lower case).
_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "date": ("date",),
    "time": ("time",),
    "duration": ("time-taken",),
    "client": ("c-ip",),
    "user": ("cs-username",),
    "status": ("sc-status",),
    "action": ("s-action", "action"),
    "filter": ("sc-filter-result",),
    "exception": ("x-exception-id",),
    "method": ("cs-method", "s-operation"),
    "scheme": ("cs-uri-scheme",),
    "host": ("cs-host", "r-host", "cs(host)"),
    "port": ("cs-uri-port", "r-port"),
    "server_port": ("s-port",),
    "path": ("cs-uri-path", "cs-uri-stem"),
    "query": ("cs-uri-query",),
    "uri": ("cs-uri", "cs-url"),
    "sent": ("sc-bytes",),
    "received": ("cs-bytes",),
    "mime": ("rs(content-type)", "cs-mime-type", "sc(content-type)"),
}

_FIELD = r'(?P<f{}>"[^"]*"|[^ \t]+)'
_SEP = r"[ \t]+"
_NOT_PLAIN = r'["\r\n\f\v]'
_DATE_START = r"^\d{4}-\d{2}-\d{2}[ \t]"
_SNIFF_HINT = (
    r"(?i)^(?:#(?:software|version|date|fields|remark|start-date|end-date):|\d{4}-\d{2}-\d{2}[ \t])"
)
_PROXYSG_EVENT = r"(?:^|[ \t])ProxySG:[ \t]+\d+[ \t]"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_TIME = r"^(?P<hms>\d{1,2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))?$"
_NUMBER = r"^(?:\d{1,18}|-)$"
_CLIENT = r"^[0-9A-Za-z.:%_\[\]-]+$"
_IPV6_BARE = r"^[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$"

# Outcome rules (docs/formats/w3c.md).
_BLOCKED_ACTION = r"(?i)(?:^|_)DENIED(?:_|$)|^denied$"
_FAILED_ACTION = r"(?i)_ERR_|_TIMEOUT|TIMEDOUT|^failed$"
_BLOCKED_EXCEPTION = (
    r"^(?:policy_|authentication_|authorization_|content_filter_denied|invalid_auth)"
)
_FAILED_EXCEPTION = (
    r"^(?:tcp_error|dns_|gateway_|connect_|server_|internal_error|unsupported_|"
    r"icap_error|refresh_failed|ssl_)"
)


@cache
def _row_pattern(count: int) -> str:
    """A data line of exactly ``count`` fields (each quoted or a run of non-blanks)."""
    return "^" + _SEP.join(_FIELD.format(i) for i in range(count)) + "$"


class W3C(LogFormat):
    """W3C extended logs: fields from the ``#Fields`` header, which may change mid-file.

    >>> lines = ["#Fields: date time c-ip cs-method cs-host cs-uri-port sc-status",
    ...          "2026-03-02 14:00:00 10.1.2.3 GET WWW.Facebook.com 443 200"]
    >>> row = W3C().parse(pa.array(lines), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["@timestamp"].isoformat()
    ('www.facebook.com', 443, '2026-03-02T14:00:00+00:00')
    """

    name: ClassVar[str] = "w3c"
    title: ClassVar[str] = "W3C extended (Blue Coat ProxySG, IIS, ISA/TMG)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "user.name", "source.address", "http.request.method", "url.domain",
            "destination.port", "http.response.status_code", "event.action", "event.outcome",
            "http.request.bytes", "http.response.bytes", "event.duration_ms",
            "http.response.mime_type", "url.original",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        self.fields: tuple[str, ...] | None = None
        """The current ``#Fields`` (lower case), carried across chunks of one file."""

    def state(self) -> str | None:
        """The ``#Fields`` in force, as a directive line."""
        return None if self.fields is None else "#Fields: " + " ".join(self.fields)

    def restore(self, state: str) -> None:
        self.fields = tuple(state.partition(":")[2].lower().split())

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that are W3C directives or data lines that fit their
        header (ProxySG ``main`` before any header).

        >>> W3C.sniff(["#Version: 1.0", "#Fields: date time c-ip", "2026-03-02 14:00:00 ::1"])
        1.0
        """
        sample = [line for line in lines if line.strip()]
        if not sample:
            return 0.0
        # Most files are not W3C at all: no W3C directive and no line starting with a date.
        text = pa.array(sample, pa.string())
        if not pc.any(pc.match_substring_regex(text, _SNIFF_HINT)).as_py():
            return 0.0
        result = cls().parse(text, first_line=1)
        return 1.0 - float(result.rejects.num_rows) / len(sample)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk; directives are skipped, every data line is a record or a reject.

        >>> res = W3C().parse(pa.array(["#Remark: hi", "", "garbage", "#Bogus: x"]), 1)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 3, 'reason': 'not-w3c-access'}, \
{'log.line': 4, 'reason': 'unknown-directive'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        directive = pc.starts_with(text, "#")
        known = pc.match_substring_regex(text, _DIRECTIVE)
        fields_at = pc.match_substring_regex(text, _FIELDS_DIRECTIVE)
        positions = pc.indices_nonzero(fields_at).to_pylist()
        headers = text.take(pa.array(positions, pa.int64())).to_pylist() if positions else []

        tables: list[pa.Table] = []
        rejects: list[tuple[pa.Array, pa.Array]] = []
        run_start = 0
        # A loop over the #Fields lines only: each one closes the run of data lines before it.
        for position, header in zip(positions, headers, strict=True):
            self._parse_run(text, line_no, directive, run_start, position, tables, rejects)
            self.fields = tuple(header.partition(":")[2].lower().split())
            run_start = position + 1
        self._parse_run(text, line_no, directive, run_start, len(text), tables, rejects)
        unknown = pc.and_(directive, pc.invert(known))
        numbers = line_no.filter(unknown)
        rejects.append(
            (numbers, pa.nulls(len(numbers), pa.string()).fill_null("unknown-directive"))
        )
        records = records_table({}, pa.array([], pa.int64()))
        if tables:
            records = pa.concat_tables(tables)
        return ParseResult(records=records, rejects=rejects_table(rejects))

    def _parse_run(
        self,
        text: pa.Array,
        line_no: pa.Array,
        directive: pa.Array,
        start: int,
        stop: int,
        tables: list[pa.Table],
        rejects: list[tuple[pa.Array, pa.Array]],
    ) -> None:
        if stop <= start:
            return
        data = pc.invert(directive.slice(start, stop - start))
        if not pc.any(data).as_py():
            return
        run = text.slice(start, stop - start).filter(data)
        numbers = line_no.slice(start, stop - start).filter(data)
        fields = self.fields if self.fields is not None else PROXYSG_MAIN
        if len(fields) > MAX_FIELDS:
            reasons = pa.nulls(len(numbers), pa.string()).fill_null("too-many-fields")
            rejects.append((numbers, reasons))
            return
        records, bad_numbers, reasons = _parse_lines(run, numbers, fields, self.fields is None)
        tables.append(records)
        rejects.append((bad_numbers, reasons))

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as a ProxySG-style W3C file: four directive lines, then one line
        per record with the :data:`WRITE_FIELDS`.

        Times are whole seconds (UTC); whitespace, ``"`` and (in user names) ``%`` are
        %-escaped so that no field needs quotes. ``url.original`` is not written whole: the
        scheme, host, port, path and query are, and the parser rebuilds the URL from them.
        The outcome is carried by ``sc-filter-result`` (``DENIED`` for blocked) and
        ``x-exception-id`` (``policy_denied``, or ``tcp_error`` for failed).
        """
        lines = _render(records).to_pylist() if records.num_rows else []
        first = "-"
        if records.num_rows:
            stamp = records.column("@timestamp")[0]
            first = stamp.as_py().strftime("%Y-%m-%d %H:%M:%S") if stamp.is_valid else "-"
        header = [
            "#Software: socialsight simulator",
            "#Version: 1.0",
            f"#Date: {first}",
            "#Fields: " + " ".join(WRITE_FIELDS),
        ]
        return header + lines


def _pick(values: dict[str, pa.Array], key: str, n: int) -> pa.Array:
    """The first present field named for ``key``, ``-`` read as null; all null if none."""
    for candidate in _NAMES[key]:
        if candidate in values:
            return dash_null(values[candidate])
    return pa.nulls(n, pa.string())


def _has(fields: Sequence[str], key: str) -> bool:
    return any(name in fields for name in _NAMES[key])


def _split_fields(text: pa.Array, fields: Sequence[str]) -> tuple[pa.Array, dict[str, pa.Array]]:
    """Which lines have exactly one value per field, and the values by field name (null on
    other lines). Quoted values lose their quotes."""
    n = len(text)
    if not fields:
        return pa.array([False] * n), {}
    if not pc.any(pc.match_substring_regex(text, _NOT_PLAIN)).as_py():
        # No quotes (the common case for written files) and no whitespace but spaces and tabs:
        # a whitespace split then means the row expression's separator and is several times
        # faster. Lines with another number of fields become a placeholder row first, so
        # that every list has one item per field.
        matched = pc.equal(pc.list_value_length(pc.ascii_split_whitespace(text)), len(fields))
        placeholder = " ".join(["-"] * len(fields))
        split = pc.ascii_split_whitespace(pc.if_else(matched, text, placeholder))
        values: dict[str, pa.Array] = {}
        for i, name in enumerate(fields):
            if name not in values:
                values[name] = pc.if_else(matched, pc.list_element(split, i), None)
        return matched, values
    parts = pc.extract_regex(text, _row_pattern(len(fields)))
    values = {}
    for i, name in enumerate(fields):
        if name in values:
            continue
        raw = pc.struct_field(parts, [i])
        # A quoted field loses its quotes; "-" stays the null marker.
        quoted = pc.and_(
            pc.and_(pc.starts_with(raw, '"'), pc.ends_with(raw, '"')),
            pc.greater_equal(pc.utf8_length(raw), 2),
        )
        values[name] = pc.if_else(quoted, pc.utf8_slice_codeunits(raw, 1, -1), raw)
    return parts.is_valid(), values


def _parse_lines(
    text: pa.Array, line_no: pa.Array, fields: Sequence[str], assumed: bool = False
) -> tuple[pa.Table, pa.Array, pa.Array]:
    """Records and rejects for data lines that share one field list (``assumed``: the
    ProxySG ``main`` default, no ``#Fields`` seen yet)."""
    n = len(text)
    matched, values = _split_fields(text, fields)

    date, time = _pick(values, "date", n), _pick(values, "time", n)
    clock = pc.extract_regex(time, _TIME)
    seconds = strict_seconds(pc.binary_join_element_wise(date, pc.struct_field(clock, "hms"), " "))
    seconds = pc.if_else(pc.match_substring_regex(date, _DATE), seconds, None)
    frac = pc.utf8_rpad(pc.struct_field(clock, "frac").fill_null(""), width=6, padding="0")
    micros = pc.add(pc.multiply(seconds.cast(pa.int64()), 1_000_000), frac.cast(pa.int64()))

    method = pc.utf8_upper(_pick(values, "method", n))
    scheme = pc.utf8_lower(_pick(values, "scheme", n))
    host = _pick(values, "host", n)
    # IIS and ProxySG log an IPv6 host without brackets; the URL grammar wants them.
    host = pc.if_else(
        pc.match_substring_regex(host, _IPV6_BARE).fill_null(False),
        pc.binary_join_element_wise("[", host, "]", ""),
        host,
    )
    from_host = split_url(host, pa.nulls(n, pa.string()).fill_null("CONNECT"))
    uri = _pick(values, "uri", n)
    from_uri = split_url(uri, method.fill_null(""))
    port_text = _pick(values, "port", n)
    port_ok = pc.match_substring_regex(port_text, r"^\d{1,5}$")
    port = pc.if_else(port_ok, port_text, None).cast(pa.int32())
    port_bad = pc.and_(
        port_text.is_valid(),
        pc.invert(pc.and_kleene(port_ok, pc.less_equal(port, 65535)).fill_null(False)),
    )
    port = pc.if_else(pc.equal(port, 0), pa.scalar(None, pa.int32()), port)
    defaults = default_port(scheme)
    server_port = pa.nulls(n, pa.int32())
    if not _has(fields, "scheme") and _has(fields, "path"):
        # A web server's own log (IIS): the server is the destination, s-port its port.
        server_port = _pick(values, "server_port", n)
        server_port = pc.if_else(
            pc.match_substring_regex(server_port, r"^\d{1,5}$"), server_port, None
        ).cast(pa.int32())
    domain = pc.coalesce(from_host["domain"], from_uri["domain"])
    destination_port = pc.coalesce(port, from_host["port"], from_uri["port"], defaults, server_port)
    destination_port = pc.if_else(domain.is_valid(), destination_port, None)

    status_text = _pick(values, "status", n)
    status_ok = pc.match_substring_regex(status_text, r"^\d{1,3}$")
    status = pc.if_else(status_ok, status_text, None).cast(pa.int32())
    # 0 (nothing was sent back, as TMG and Squid write it) is no status.
    status = pc.if_else(pc.equal(status, 0), pa.scalar(None, pa.int32()), status)
    numbers = {k: _pick(values, k, n) for k in ("sent", "received", "duration")}
    client = _pick(values, "client", n)
    url = _url(uri, scheme, host, port_text, _pick(values, "path", n), _pick(values, "query", n))
    # A tunnel's URL is its target, host:port, as Squid and NCSA logs write it.
    target = pc.if_else(port_ok, pc.binary_join_element_wise(host, ":", port_text, ""), host)
    url = pc.if_else(
        pc.and_(pc.equal(method, "CONNECT").fill_null(False), host.is_valid()), target, url
    )
    host_bad = pc.or_kleene(from_host["host_bad"], from_uri["host_bad"])

    checks = [
        (pc.invert(matched), "field-count"),
        (micros.is_null(), "bad-timestamp"),
        (pc.invert(pc.match_substring_regex(client, _CLIENT).fill_null(True)), "bad-client"),
        (pc.invert(status_ok).fill_null(False), "bad-status"),
        *[
            (pc.invert(pc.match_substring_regex(v, _NUMBER).fill_null(True)), f"bad-{k}")
            for k, v in (("bytes", numbers["sent"]), ("bytes", numbers["received"]))
        ],
        (pc.invert(pc.match_substring_regex(numbers["duration"], _NUMBER).fill_null(True)),
         "bad-duration"),
        (host_bad, "bad-host"),
        (pc.or_kleene(port_bad, pc.or_kleene(from_host["port_bad"], from_uri["port_bad"])),
         "bad-port"),
    ]  # fmt: skip
    reason = first_failure(n, checks)
    if not (_has(fields, "date") and _has(fields, "time")):
        reason = pc.if_else(matched, "no-time-field", reason)
    # Lines that do not fit the header: another program's line, or a W3C line cut short.
    misfit = pc.if_else(
        pc.match_substring_regex(text, _DATE_START),
        "no-fields-header" if assumed else "field-count",
        pc.if_else(
            pc.match_substring_regex(text, _PROXYSG_EVENT), "proxysg-event", "not-w3c-access"
        ),
    )
    reason = pc.if_else(matched, reason, misfit)
    reason = pc.if_else(pc.greater(pc.utf8_length(text), MAX_LINE_CHARS), "too-long", reason)
    ok = reason.is_null()

    def kept(values: pa.Array) -> pa.Array:
        return values.filter(ok)

    action = kept(_pick(values, "action", n))
    outcome = _outcome(
        kept(status), action, kept(_pick(values, "filter", n)), kept(_pick(values, "exception", n))
    )
    columns = {
        "@timestamp": kept(micros).cast(TIMESTAMP),
        "user.name": decode_users(kept(_pick(values, "user", n))),
        "source.address": kept(client),
        "http.request.method": kept(method),
        "url.domain": kept(domain),
        "destination.port": kept(destination_port),
        "http.response.status_code": kept(status),
        "event.action": action,
        "event.outcome": outcome,
        "http.request.bytes": kept(numbers["received"]).cast(pa.int64()),
        "http.response.bytes": kept(numbers["sent"]).cast(pa.int64()),
        "event.duration_ms": kept(numbers["duration"]).cast(pa.int64()),
        "http.response.mime_type": kept(_pick(values, "mime", n)),
        "url.original": kept(url),
    }
    bad = pc.invert(ok)
    return records_table(columns, kept(line_no)), line_no.filter(bad), reason.drop_null()


def _url(
    uri: pa.Array,
    scheme: pa.Array,
    host: pa.Array,
    port: pa.Array,
    path: pa.Array,
    query: pa.Array,
) -> pa.Array:
    """The logged ``cs-uri``, or the URL rebuilt from its parts (port only if not default)."""
    scheme = scheme.fill_null("http")
    is_default = pc.equal(default_port(scheme).cast(pa.string()), port).fill_null(False)
    authority = pc.if_else(
        pc.or_(port.is_null(), is_default),
        host,
        pc.binary_join_element_wise(host, ":", port, ""),
    )
    query = pc.if_else(
        pc.starts_with(query, "?"), query, pc.binary_join_element_wise("?", query, "")
    )
    tail = pc.binary_join_element_wise(path.fill_null(""), query.fill_null(""), "")
    absolute = pc.binary_join_element_wise(scheme, "://", authority, tail, "")
    rebuilt = pc.if_else(host.is_valid(), absolute, pc.if_else(pc.equal(tail, ""), None, tail))
    return pc.coalesce(uri, rebuilt)


def _outcome(
    status: pa.Array, action: pa.Array, filter_result: pa.Array, exception: pa.Array
) -> pa.Array:
    blocked = pc.or_(
        pc.or_(
            pc.equal(pc.utf8_upper(filter_result), "DENIED").fill_null(False),
            pc.match_substring_regex(action, _BLOCKED_ACTION).fill_null(False),
        ),
        pc.or_(
            pc.match_substring_regex(exception, _BLOCKED_EXCEPTION).fill_null(False),
            pc.equal(status, 407).fill_null(False),
        ),
    )
    failed = pc.or_(
        pc.or_(status.is_null(), pc.greater_equal(status, 500).fill_null(False)),
        pc.or_(
            pc.match_substring_regex(action, _FAILED_ACTION).fill_null(False),
            pc.match_substring_regex(exception, _FAILED_EXCEPTION).fill_null(False),
        ),
    )
    return outcome(blocked, failed)


_ABSOLUTE = r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://[^/?#]*(?P<path>[^?#]*)(?P<query>\?[^#]*)?"


def _render(records: pa.Table) -> pa.Array:
    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    def safe(values: pa.Array) -> pa.Array:
        return token(pc.replace_substring(escape(values), '"', "%22"))

    stamp = pc.floor_temporal(col("@timestamp"), unit="second").cast(pa.timestamp("s", tz="UTC"))
    date = pc.strftime(stamp, format="%Y-%m-%d", locale="C")
    time = pc.strftime(stamp, format="%H:%M:%S", locale="C")
    user = col("user.name")
    user = pc.if_else(pc.equal(user, "-").fill_null(False), "%2D", escape(user, also_percent=True))
    user = pc.replace_substring(user, '"', "%22")
    outcome = col("event.outcome")
    blocked = pc.equal(outcome, "blocked").fill_null(False)
    failed = pc.equal(outcome, "failed").fill_null(False)
    method = col("http.request.method")
    is_connect = pc.equal(method, "CONNECT").fill_null(False)
    parts = pc.extract_regex(col("url.original"), _ABSOLUTE)
    scheme = pc.if_else(
        is_connect, "tcp", pc.utf8_lower(pc.struct_field(parts, "scheme")).fill_null("http")
    )
    path = pc.if_else(is_connect, "/", pc.struct_field(parts, "path"))
    path = pc.if_else(pc.equal(path, "").fill_null(True), "/", path)
    domain = col("url.domain")
    host = pc.if_else(
        pc.match_substring(domain, ":"), pc.binary_join_element_wise("[", domain, "]", ""), domain
    )
    fields = [
        date,
        time,
        token(col("event.duration_ms").cast(pa.string())),
        safe(col("source.address")),
        token(user),
        safe(col("event.action")),
        token(col("http.response.status_code").cast(pa.string())),
        pc.if_else(blocked, "DENIED", "PROXIED"),
        pc.if_else(blocked, "policy_denied", pc.if_else(failed, "tcp_error", "-")),
        safe(method),
        scheme,
        safe(host),
        token(col("destination.port").cast(pa.string())),
        safe(path),
        safe(pc.struct_field(parts, "query")),
        token(col("http.response.bytes").cast(pa.string())),
        token(col("http.request.bytes").cast(pa.string())),
        safe(col("http.response.mime_type")),
    ]
    return pc.binary_join_element_wise(*fields, " ")


FORMATS = (W3C,)
