"""Helpers shared by the HTTP access-log formats written by proxies and web servers
(``ncsa``, ``squid_common``, ``w3c``): URL splitting, the NCSA time stamp and the outcome
rules. Line preparation and the record/reject tables come from ``_chunks`` (re-exported here
for these modules).

Everything here works on whole Arrow arrays; nothing loops over lines in Python.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import (
    Lines,
    first_failure,
    outcome,
    prepare,
    records_table,
    rejects_table,
)

# The Squid module owns the URL grammar and the user-name decoding; the formats here read
# the same URLs and %-escaped user names, so they reuse its vectorised helpers.
from socialsight.formats.squid import (
    BLANK_CHARS,
    MAX_LINE_CHARS,
    _action_matches,
    _decode_users,
    _escape,
    _split_url,
)
from socialsight.schema import TIMESTAMP

__all__ = [
    "BLANK_CHARS",
    "MAX_LINE_CHARS",
    "Lines",
    "action_matches",
    "dash_null",
    "decode_users",
    "escape",
    "field",
    "first_failure",
    "ncsa_time",
    "prepare",
    "records_table",
    "rejects_table",
    "render_ncsa_time",
    "request_url",
    "split_url",
    "squid_outcome",
    "status_outcome",
    "strict_seconds",
    "token",
]

split_url = _split_url
decode_users = _decode_users
escape = _escape
action_matches = _action_matches

NCSA_TIME: Final = (
    r"^(?P<day>\d{1,2})/(?P<mon>[A-Za-z]{3})/(?P<year>\d{4}):(?P<hms>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<frac>\d{1,6}))? (?P<sign>[+-])(?P<zh>\d{2}):?(?P<zm>\d{2})$"
)
"""``[%d/%b/%Y:%H:%M:%S %z]`` as Apache and Squid (``%tl``, ``%tg``) write it, brackets
removed; some servers add fractional seconds or write the zone as ``+hh:mm``."""

_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)


def dash_null(values: pa.Array) -> pa.Array:
    """``-`` (and the empty string) mean "no value" in every format here."""
    return pc.if_else(pc.is_in(values, value_set=pa.array(["-", ""])), None, values)


def token(values: pa.Array) -> pa.Array:
    """A field as written: ``-`` for null or empty."""
    return pc.if_else(pc.equal(values, "").fill_null(True), "-", values)


def field(parts: pa.Array, name: str) -> pa.Array:
    """A capture group of ``pc.extract_regex``: null where the regex did not match (the
    struct's own ``.field()`` would give an empty string there)."""
    return pc.struct_field(parts, name)


def strict_seconds(iso: pa.Array) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS`` -> naive seconds, null unless the text names a real time
    (``strptime`` alone turns 31 February into 2 March)."""
    naive = pc.strptime(iso, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    # An overflowing day moves to the next month: compare the day back (cheaper than strftime).
    day = pc.utf8_slice_codeunits(iso, 8, 10)
    day = pc.if_else(pc.match_substring_regex(day, r"^\d\d$"), day, None).cast(pa.int64())
    same_day = pc.equal(pc.day(naive), day).fill_null(False)
    return pc.if_else(same_day, naive, None)


def ncsa_time(text: pa.Array) -> pa.Array:
    """``24/Feb/2015:23:13:42 +0100`` -> UTC timestamps; null where the text is not one.

    >>> ncsa_time(pa.array(["24/Feb/2015:23:13:42 +0100", "x"])).to_pylist()[0].isoformat()
    '2015-02-24T22:13:42+00:00'
    """
    fixed = pc.match_substring_regex(text, _NCSA_FIXED).fill_null(False)
    if pc.all(fixed).as_py():
        return _ncsa_time_fixed(text)
    if not pc.any(fixed).as_py():
        return _ncsa_time_general(text)
    result = _ncsa_time_general(text)
    return pc.replace_with_mask(result, fixed, _ncsa_time_fixed(text.filter(fixed)))


# What Apache and Squid write: two-digit day, zone without colon, no fraction.
_NCSA_FIXED = r"^\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}$"


def _ncsa_time_fixed(text: pa.Array) -> pa.Array:
    """:func:`ncsa_time` for lines that all match ``_NCSA_FIXED``: slices, no regex."""
    naive = pc.strptime(
        pc.utf8_slice_codeunits(text, 0, 20), format="%d/%b/%Y:%H:%M:%S", unit="s",
        error_is_null=True,
    )  # fmt: skip
    # An overflowing day (31 February) moves to the next month: compare the day back.
    day = pc.utf8_slice_codeunits(text, 0, 2).cast(pa.int64())
    naive = pc.if_else(pc.equal(pc.day(naive), day).fill_null(False), naive, None)
    hours = pc.utf8_slice_codeunits(text, 22, 24).cast(pa.int64())
    minutes = pc.utf8_slice_codeunits(text, 24, 26).cast(pa.int64())
    offset = pc.add(pc.multiply(hours, 3600), pc.multiply(minutes, 60))
    negative = pc.equal(pc.utf8_slice_codeunits(text, 21, 22), "-")
    offset = pc.if_else(negative, pc.negate(offset), offset)
    zone_ok = pc.and_(pc.less_equal(hours, 18), pc.less_equal(minutes, 59))
    utc = pc.subtract(naive.cast(pa.int64()), offset)
    return pc.multiply(pc.if_else(zone_ok, utc, None), 1_000_000).cast(TIMESTAMP)


def _ncsa_time_general(text: pa.Array) -> pa.Array:
    """:func:`ncsa_time` for any text (fractions, ``+hh:mm``, one-digit days)."""
    parts = pc.extract_regex(text, NCSA_TIME)
    month = pc.add(pc.index_in(pc.utf8_lower(field(parts, "mon")), value_set=pa.array(_MONTHS)), 1)
    iso = pc.binary_join_element_wise(
        field(parts, "year"),
        "-",
        pc.utf8_lpad(month.cast(pa.string()), 2, "0"),
        "-",
        pc.utf8_lpad(field(parts, "day"), 2, "0"),
        " ",
        field(parts, "hms"),
        "",
    )
    naive = strict_seconds(iso)
    micros = pc.multiply(naive.cast(pa.int64()), 1_000_000)
    frac = pc.utf8_rpad(field(parts, "frac").fill_null(""), width=6, padding="0")
    micros = pc.add(micros, frac.cast(pa.int64()))
    offset = pc.add(
        pc.multiply(field(parts, "zh").cast(pa.int64()), 3600),
        pc.multiply(field(parts, "zm").cast(pa.int64()), 60),
    )
    offset = pc.if_else(pc.equal(field(parts, "sign"), "-"), pc.negate(offset), offset)
    zone_ok = pc.and_(
        pc.less_equal(field(parts, "zh").cast(pa.int64()), 18),
        pc.less_equal(field(parts, "zm").cast(pa.int64()), 59),
    )
    utc = pc.subtract(micros, pc.multiply(offset, 1_000_000))
    return pc.if_else(zone_ok, utc, None).cast(TIMESTAMP)


def render_ncsa_time(timestamps: pa.Array) -> pa.Array:
    """UTC timestamps as ``24/Feb/2015:23:13:42 +0000`` (whole seconds)."""
    seconds = pc.floor_temporal(timestamps, unit="second").cast(pa.timestamp("s", tz="UTC"))
    return pc.strftime(seconds, format="%d/%b/%Y:%H:%M:%S +0000", locale="C")


def status_outcome(status: pa.Array) -> pa.Array:
    """Outcome from the HTTP status alone (formats without an appliance result code):
    407 -> blocked (only a proxy asks for proxy credentials), none or 5xx -> failed, other
    -> allowed (a 403 may come from the service itself)."""
    failed = pc.or_(status.is_null(), pc.greater_equal(status, 500).fill_null(True))
    return outcome(pc.equal(status, 407), failed)


# Squid's outcome table (docs/formats/squid.md), for the Squid layouts read outside squid.py.
_DENIED = r"(?:^|_)DENIED(?:_|$)"
_FAILED_ACTION = r"_(?:TIMEOUT|TIMEDOUT)"
_ABORTED_ACTION = r"_ABORTED"
_HIER_NONE = r"^(?:HIER_)?NONE(?:/|$)"


def squid_outcome(action: pa.Array, status: pa.Array, hierarchy: pa.Array) -> pa.Array:
    """Squid's outcome rules: a ``DENIED`` code or a 403/407 the proxy answered itself is
    blocked; no status, 5xx, ``_TIMEOUT`` or an ``_ABORTED`` transfer that sent nothing
    useful is failed; the rest is allowed."""
    blocked = pc.or_(
        action_matches(action, _DENIED),
        pc.and_(
            pc.is_in(status, value_set=pa.array([403, 407], pa.int32())).fill_null(False),
            pc.match_substring_regex(hierarchy, _HIER_NONE).fill_null(False),
        ),
    )
    server_error = pc.and_(pc.greater_equal(status, 500), pc.less_equal(status, 599))
    answered = pc.and_(pc.greater_equal(status, 200), pc.less_equal(status, 399))
    aborted = pc.and_(action_matches(action, _ABORTED_ACTION), pc.invert(answered.fill_null(False)))
    failed = pc.or_(
        pc.or_(status.is_null(), server_error.fill_null(False)),
        pc.or_(action_matches(action, _FAILED_ACTION), aborted),
    )
    return outcome(blocked, failed)


def request_url(records: pa.Table) -> pa.Array:
    """The URL to write for each record: ``host:port`` for CONNECT, else ``url.original``,
    else ``http://host[:port]/`` (IPv6 literals bracketed); null when nothing is known."""

    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    domain = col("url.domain")
    port = col("destination.port").cast(pa.string())
    host = pc.if_else(
        pc.match_substring(domain, ":"), pc.binary_join_element_wise("[", domain, "]", ""), domain
    )
    host_port = pc.if_else(port.is_valid(), pc.binary_join_element_wise(host, ":", port, ""), host)
    is_connect = pc.equal(col("http.request.method"), "CONNECT").fill_null(False)
    http_port = pc.if_else(pc.equal(port, "80").fill_null(True), host, host_port)
    fallback = pc.binary_join_element_wise("http://", http_port, "/", "")
    original = col("url.original")
    original = pc.if_else(pc.equal(original, "").fill_null(True), None, original)
    return pc.if_else(
        pc.and_(is_connect, domain.is_valid()), host_port, pc.coalesce(original, fallback)
    )
