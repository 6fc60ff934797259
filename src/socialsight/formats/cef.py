"""ArcSight Common Event Format (CEF), as sent by FortiGate, Check Point, Forcepoint, Palo Alto,
Menlo, Zscaler and others, bare or wrapped in a syslog header::

    <134>Feb 14 19:04:54 fw CEF:0|Vendor|Product|1.0|100|Web request|3|rt=1613329494000 \
src=10.1.2.3 suser=ann dhost=www.facebook.com dpt=443 act=allowed

The header has seven ``|``-separated fields (``\\|`` and ``\\\\`` escaped), the extension is
``key=value`` pairs separated by spaces; a value may hold spaces, and ``=``, ``\\``, newlines are
escaped as ``\\=``, ``\\\\``, ``\\n``, ``\\r``.

Vectorised extension parsing: one regex pass marks every key boundary (whitespace followed by
``key=``; an escaped ``\\=`` never matches) with a separator character, the extension is split
on it, each pair is split at its first ``=``, and each wanted key is picked from the flattened
pairs by equality (the first occurrence wins). Values are unescaped only where they hold a
backslash. ``docs/formats/cef.md`` has the key mapping, the vendor table and the reject reasons.
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
from socialsight.formats._csvish import MAX_LINE_CHARS, one_line, pick_keys
from socialsight.formats._urls import default_port
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.schema import TIMESTAMP

# A header field: anything but a pipe, or an escaped character.
_FIELD = r"(?:[^|\\]|\\.)*"
# What follows "CEF:": the version and the six other header fields (no capture: capturing
# groups make RE2 several times slower; the one field used, the vendor, is taken apart).
_AFTER_CEF = r"^ ?\d+\|" + r"\|".join([_FIELD] * 6) + r"\|"
_HEADER = r"CEF: ?\d+\|" + r"\|".join([_FIELD] * 6) + r"\|"
_VENDOR = r"^ ?\d+\|(?P<vendor>" + _FIELD + r")\|"
_CEF_START = r"CEF: ?\d+\|"
# The syslog header's own time, when it is RFC 5424 / ISO 8601 (it has a year and a zone).
_SYSLOG_ISO = r"(?:^|\s)(?P<t>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:?\d\d))\s"

# A key boundary: whitespace, then key=. Keys are letters, digits, _ . [ ] (ArcSight names,
# vendor keys such as FTNTFGTduration, ad.* keys).
_KEY_BOUNDARY = r"(?:^|\s+)([A-Za-z0-9_.\[\]]+)="
_SEP: Final = "\x1f"

KEYS: Final = (
    "rt", "start", "end", "src", "shost", "suser", "duser", "dhost", "dst", "dpt",
    "request", "requestMethod", "act", "outcome", "in", "out", "app",
    "requestClientApplication", "FTNTFGThostname", "FTNTFGTduration", "FTNTFGTeventtime",
    *(f"cs{i}" for i in range(1, 7)), *(f"cs{i}Label" for i in range(1, 7)),
)  # fmt: skip
"""The extension keys read; every other key is ignored."""

# cs1..cs6 labels (compared lower case, without spaces, _ or -) and the field they fill.
LABELS: Final = {
    "dept": "organization.unit",
    "department": "organization.unit",
    "contenttype": "http.response.mime_type",
    "mimetype": "http.response.mime_type",
    "httpstatus": "http.response.status_code",
    "statuscode": "http.response.status_code",
    "httpstatuscode": "http.response.status_code",
    "responsecode": "http.response.status_code",
    "respcode": "http.response.status_code",
}

# Outcome rules (docs/formats/cef.md), on the lower-cased ``act``.
_BLOCKED_ACT = (
    r"^(?:block|blocked|block-.*|deny|denied|drop|dropped|drop-.*|reject|rejected|prevent|"
    r"prevented|reset-.*|sinkhole|quarantine|quarantined)$"
)
_FAILED_ACT = r"^(?:timeout|server-rst|error|failed|failure|fail)$"
_FAILED_OUTCOME = r"^/?(?:failure|failed|fail)$"
_BLOCKED_OUTCOME = r"^/?(?:blocked|denied)$"

_IPV4 = r"^(?:\d{1,3}\.){3}\d{1,3}$"
_IPV6 = r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z._~-]+)?$"
_URL_HOST = (
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?:[^/?#@\s]*@)?"
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^/:?#\s\[\]@]+))(?::(?P<port>\d{1,5}))?(?:[/?#]|$)"
)
_HOSTNAME = r"^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$"

_MONTH_FIRST = (
    r"^(?P<mon>[A-Za-z]{3,9})\.? +(?P<day>\d{1,2}),? (?P<year>\d{4}) (?P<time>\d{1,2}:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))?(?: (?P<zone>[A-Za-z]{1,5}|[+-]\d\d:?\d\d))?$"
)
_DAY_FIRST = (
    r"^(?P<day>\d{1,2}) (?P<mon>[A-Za-z]{3,9}) (?P<year>\d{4}) (?P<time>\d{1,2}:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))?(?: (?P<zone>[A-Za-z]{1,5}|[+-]\d\d:?\d\d))?$"
)
_ISO = (
    r"^(?P<year>\d{4})-(?P<mon>\d\d)-(?P<day>\d\d)[T ](?P<time>\d\d:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))?(?P<zone>Z|[+-]\d\d:?\d\d)?$"
)
_UTC_NAMES = ("", "Z", "GMT", "UTC", "UT")


class Cef(LogFormat):
    """ArcSight CEF records with a destination, from any vendor.

    >>> import pyarrow as pa
    >>> line = ("<134>Feb 14 19:04:54 fw CEF:0|Forcepoint|Security|8.5|194|Transaction permitted|"
    ...         "1|rt=1613329494000 src=10.1.2.3 suser=ann dhost=www.facebook.com dpt=443 "
    ...         "act=permitted requestMethod=GET request=https://www.facebook.com/x\\\\=y in=5120")
    >>> row = Cef().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["event.outcome"], row["url.original"], row["http.response.bytes"]
    ('www.facebook.com', 'allowed', 'https://www.facebook.com/x=y', 5120)
    """

    name: ClassVar[str] = "cef"
    title: ClassVar[str] = "ArcSight CEF (FortiGate, Check Point, Forcepoint, Palo Alto, ...)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "user.name", "source.address", "organization.unit",
            "http.request.method", "url.domain", "destination.port", "http.response.status_code",
            "event.action", "event.outcome", "http.request.bytes", "http.response.bytes",
            "event.duration_ms", "http.response.mime_type", "url.original",
        }
    )  # fmt: skip

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank lines that hold a CEF header.

        >>> Cef.sniff(["CEF:0|a|b|1|2|n|3|src=10.0.0.1", "hello"])
        0.5
        """
        return match_share(lines, _HEADER)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of lines into records and rejects; never raises on content.

        >>> res = Cef().parse(pa.array(["", "CEF:0|a|b", "hello"]), first_line=1)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 2, 'reason': 'bad-header'}, {'log.line': 3, 'reason': 'not-cef'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        text = pc.if_else(too_long, "", text)
        # Split at the first "CEF:" (a substring search), then check the header after it.
        has_cef = pc.match_substring(text, "CEF:")
        parts = pc.split_pattern(text.filter(has_cef), "CEF:", max_splits=1)
        prefix, rest = pc.list_element(parts, 0), pc.list_element(parts, 1)
        good = pc.match_substring_regex(rest, _AFTER_CEF)
        is_cef = pc.replace_with_mask(has_cef, has_cef, good)
        head_reason = pc.if_else(
            too_long,
            "too-long",
            pc.if_else(pc.match_substring_regex(text, _CEF_START), "bad-header", "not-cef"),
        )
        cef_lines = line_no.filter(is_cef)
        prefix, rest = prefix.filter(good), rest.filter(good)
        ext = _extension(pc.replace_substring_regex(rest, _AFTER_CEF, "", max_replacements=1))
        vendor_raw = pc.struct_field(pc.extract_regex(rest, _VENDOR), "vendor")
        vendor = pc.utf8_lower(_unescape_header(vendor_raw))
        labelled = _labelled(ext)

        # The event's own time (rt, else end or start, else FortiOS eventtime), else the
        # syslog header's when it has a year and a zone. A bad rt is not replaced by another.
        syslog_time = pc.struct_field(pc.extract_regex(prefix, _SYSLOG_ISO), "t")
        stated = pc.coalesce(ext["rt"], ext["end"], ext["start"])
        timestamp = pc.coalesce(
            _cef_time(stated),
            pc.if_else(stated.is_null(), _epoch(ext["FTNTFGTeventtime"]), None),
            pc.if_else(stated.is_null(), _cef_time(syslog_time), None),
        )
        request = pc.utf8_trim(ext["request"], '"\\')
        request = pc.if_else(pc.equal(request, ""), None, request)
        url = pc.extract_regex(request, _URL_HOST)
        url_name = pc.if_else(
            pc.match_substring_regex(pc.struct_field(url, "name"), _HOSTNAME),
            pc.struct_field(url, "name"),
            None,
        )
        url_host = pc.coalesce(_empty_null(pc.struct_field(url, "v6")), url_name)
        dhost = _host_of(ext["dhost"])
        domain = pc.coalesce(dhost, url_host, _host_of(ext["FTNTFGThostname"]), ext["dst"])
        domain = pc.utf8_lower(pc.utf8_rtrim(domain, "."))

        # The URL's scheme, else the application protocol (Zscaler's app=HTTPS).
        scheme = pc.utf8_lower(pc.coalesce(_empty_null(pc.struct_field(url, "scheme")), ext["app"]))
        scheme_port = default_port(scheme)
        port_text = pc.coalesce(ext["dpt"], _empty_null(pc.struct_field(url, "port")))
        port_ok = pc.match_substring_regex(port_text, r"^\d{1,5}$")
        port = pc.if_else(port_ok, port_text, None).cast(pa.int32())
        port_bad = pc.or_kleene(pc.invert(port_ok), pc.greater(port, 65535)).fill_null(False)

        def not_ip(values: pa.Array) -> pa.Array:
            ok = pc.or_(
                pc.match_substring_regex(values, _IPV4), pc.match_substring_regex(values, _IPV6)
            )
            return pc.and_(values.is_valid(), pc.invert(ok.fill_null(False)))

        counts_bad = pc.or_(_not_count(ext["in"]), _not_count(ext["out"]))
        checks: list[tuple[pa.Array, str]] = [
            (timestamp.is_null(), "bad-timestamp"),
            (domain.is_null(), "no-destination"),
            (pc.or_(not_ip(ext["src"]), not_ip(ext["dst"])), "bad-address"),
            (port_bad, "bad-port"),
            (counts_bad, "bad-bytes"),
        ]
        reason = first_failure(len(cef_lines), checks)
        is_record = reason.is_null()

        other = pc.invert(is_cef)
        rejects = rejects_table(
            [
                (line_no.filter(other), head_reason.filter(other)),
                (cef_lines.filter(pc.invert(is_record)), reason.drop_null()),
            ]
        )

        def keep(values: pa.Array) -> pa.Array:
            return values.filter(is_record)

        act = keep(ext["act"])
        act_lower = pc.utf8_lower(act)
        outcome_text = keep(ext["outcome"])
        outcome_lower = pc.utf8_lower(outcome_text)
        status_text = pc.coalesce(
            pc.if_else(pc.match_substring_regex(outcome_text, r"^\d{3}$"), outcome_text, None),
            keep(labelled["http.response.status_code"]),
        )
        status = pc.if_else(
            pc.match_substring_regex(status_text, r"^\d{3}$"), status_text, None
        ).cast(pa.int32())
        blocked = pc.or_(
            pc.match_substring_regex(act_lower, _BLOCKED_ACT).fill_null(False),
            pc.match_substring_regex(outcome_lower, _BLOCKED_OUTCOME).fill_null(False),
        )
        failed = pc.or_(
            pc.or_(
                pc.match_substring_regex(act_lower, _FAILED_ACT).fill_null(False),
                pc.match_substring_regex(outcome_lower, _FAILED_OUTCOME).fill_null(False),
            ),
            pc.greater_equal(status, 500).fill_null(False),
        )
        fortinet = pc.equal(keep(vendor), "fortinet")
        user = pc.coalesce(keep(ext["suser"]), pc.if_else(fortinet, keep(ext["duser"]), None))
        duration = pc.if_else(
            pc.and_(
                fortinet, pc.match_substring_regex(keep(ext["FTNTFGTduration"]), r"^\d{1,12}$")
            ),
            keep(ext["FTNTFGTduration"]),
            None,
        )
        columns = {
            "@timestamp": keep(timestamp),
            "user.name": user,
            "source.address": pc.coalesce(keep(ext["src"]), keep(ext["shost"])),
            "organization.unit": keep(labelled["organization.unit"]),
            "http.request.method": pc.utf8_upper(keep(ext["requestMethod"])),
            "url.domain": keep(domain),
            "destination.port": pc.coalesce(keep(port), keep(scheme_port)),
            "http.response.status_code": status,
            "event.action": act,
            "event.outcome": outcome(blocked, failed),
            "http.request.bytes": keep(ext["out"]).cast(pa.int64()),
            "http.response.bytes": keep(ext["in"]).cast(pa.int64()),
            "event.duration_ms": pc.multiply(duration.cast(pa.int64()), 1000),
            "http.response.mime_type": keep(labelled["http.response.mime_type"]),
            "url.original": keep(request),
        }
        return ParseResult(records_table(columns, keep(cef_lines)), rejects)

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as syslog-wrapped CEF lines (vectorised), vendor ``socialsight``.

        ``rt`` is epoch milliseconds; ``act`` the record's action (else its outcome);
        ``outcome`` says ``success``, ``blocked`` or ``failure``; the status, unit and mime type
        go in labelled ``cs4``, ``cs1`` and ``cs3``. The duration is not carried. Values are
        CEF-escaped, so one record is always one line.
        """
        rendered: list[str] = _render(records).to_pylist()
        return rendered


def _empty_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, "").fill_null(True), None, values)


def _not_count(values: pa.Array) -> pa.Array:
    return pc.invert(pc.match_substring_regex(values, r"^\d{1,18}$")).fill_null(False)


def _host_of(values: pa.Array) -> pa.Array:
    """A host name or address given alone (``dhost``): brackets and a port removed."""
    parts = pc.extract_regex(
        values,
        r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]\s]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*))(?::\d{1,5})?$",
    )
    return pc.coalesce(
        _empty_null(pc.struct_field(parts, "v6")), _empty_null(pc.struct_field(parts, "name"))
    )


def _unescape_header(values: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(values, r"\\([\\|])", r"\1")


def _unescape(values: pa.Array) -> pa.Array:
    """Undo extension escaping (``\\=``, ``\\\\``, ``\\n``, ``\\r``) where a backslash occurs."""
    mask = pc.match_substring(values, "\\").fill_null(False)
    if not pc.any(mask).as_py():
        return values
    subset = values.filter(mask)
    # A doubled backslash first becomes a character that cannot be in a decoded line.
    subset = pc.replace_substring(subset, "\\\\", "\x00")
    for escaped, raw in (("\\=", "="), ("\\n", "\n"), ("\\r", "\r"), ("\\|", "|")):
        subset = pc.replace_substring(subset, escaped, raw)
    subset = pc.replace_substring(subset, "\x00", "\\")
    return pc.replace_with_mask(values, mask, subset)


def _extension(ext: pa.Array) -> dict[str, pa.Array]:
    """The value of each key of :data:`KEYS` in each extension; null when absent or empty."""
    n = len(ext)
    # The separator cannot occur in a value: a literal one becomes a space first.
    clean = pc.replace_substring(ext, _SEP, " ")
    marked = pc.replace_substring_regex(clean, _KEY_BOUNDARY, _SEP + r"\1=")
    pairs = pc.split_pattern(marked, _SEP)
    parents = pc.list_parent_indices(pairs)
    flat = pc.list_flatten(pairs)
    # Only text before the first key has no "=" (junk or nothing): drop it.
    is_pair = pc.match_substring(flat, "=")
    flat, parents = flat.filter(is_pair), parents.filter(is_pair)
    kv = pc.split_pattern(flat, "=", max_splits=1)
    keys, values = pc.list_element(kv, 0), pc.list_element(kv, 1)
    wanted = pc.is_in(keys, value_set=pa.array(KEYS))
    keys, values, parents = keys.filter(wanted), values.filter(wanted), parents.filter(wanted)
    picked = pick_keys(keys, _unescape(values), parents, n, KEYS)
    return {key: _empty_null(pc.utf8_rtrim(v, " \t")) for key, v in picked.items()}


def _labelled(ext: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Fields filled through ``csNLabel``/``csN`` pairs, by :data:`LABELS`."""
    n = len(ext["rt"])
    names = pa.array(list(LABELS))
    targets = pa.array(list(LABELS.values()))
    found = {target: pa.nulls(n, pa.string()) for target in set(LABELS.values())}
    for i in range(1, 7):
        label = pc.utf8_lower(pc.replace_substring_regex(ext[f"cs{i}Label"], r"[\s_-]", ""))
        target_of = pc.take(targets, pc.index_in(label, value_set=names))
        for target in found:
            hit = pc.equal(target_of, target).fill_null(False)
            found[target] = pc.coalesce(found[target], pc.if_else(hit, ext[f"cs{i}"], None))
    return found


def _zone_offset_us(zone: pa.Array) -> pa.Array:
    """Microseconds east of UTC for a zone text; null for a zone name other than UTC/GMT."""
    zone = zone.fill_null("")
    utc = pc.is_in(zone, value_set=pa.array(_UTC_NAMES))
    parts = pc.extract_regex(zone, r"^(?P<sign>[+-])(?P<h>\d\d):?(?P<m>\d\d)$")
    minutes = pc.add(
        pc.multiply(pc.struct_field(parts, "h").cast(pa.int64()), 60),
        pc.struct_field(parts, "m").cast(pa.int64()),
    )
    signed = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), pc.negate(minutes), minutes)
    return pc.if_else(utc, 0, pc.multiply(signed, 60_000_000))


def _epoch(values: pa.Array) -> pa.Array:
    """An epoch time in seconds, milliseconds, microseconds or nanoseconds (by its digits, as
    FortiOS writes ``eventtime`` in seconds or, since 6.2, nanoseconds)."""
    digits = pc.utf8_length(values)
    ok = pc.match_substring_regex(values, r"^\d{9,19}$")
    number = pc.if_else(ok, values, None).cast(pa.int64())
    micros = pc.if_else(
        pc.less_equal(digits, 10), pc.multiply(number, 1_000_000),
        pc.if_else(pc.less_equal(digits, 13), pc.multiply(number, 1000),
                   pc.if_else(pc.less_equal(digits, 16), number, pc.divide(number, 1000))),
    )  # fmt: skip
    return micros.cast(TIMESTAMP)


def _cef_time(values: pa.Array) -> pa.Array:
    """A CEF time: epoch milliseconds, ``MMM dd yyyy HH:mm:ss[.SSS][ zone]``, ``dd MMMM yyyy
    HH:mm:ss`` or ISO 8601. No zone means UTC; a zone name other than UTC/GMT is refused."""
    values = pc.utf8_trim_whitespace(values)
    epoch = pc.match_substring_regex(values, r"^\d{12,13}$")
    result = pc.multiply(pc.if_else(epoch, values, None).cast(pa.int64()), 1000)
    for pattern, fmt in ((_MONTH_FIRST, "%Y %b %d %H:%M:%S"), (_DAY_FIRST, "%Y %b %d %H:%M:%S"),
                         (_ISO, "%Y %m %d %H:%M:%S")):  # fmt: skip
        p = pc.extract_regex(values, pattern)
        month = pc.utf8_slice_codeunits(pc.struct_field(p, "mon"), 0, 3)
        text = pc.binary_join_element_wise(
            pc.struct_field(p, "year"),
            month,
            pc.utf8_lpad(pc.struct_field(p, "day"), 2, "0"),
            pc.struct_field(p, "time"),
            " ",
        )
        base = pc.strptime(text, format=fmt, unit="us", error_is_null=True).cast(pa.int64())
        frac = pc.utf8_rpad(_empty_null(pc.struct_field(p, "frac")).fill_null("0"), 6, "0").cast(
            pa.int64()
        )
        local = pc.add(base, frac)
        result = pc.coalesce(
            result, pc.subtract(local, _zone_offset_us(pc.struct_field(p, "zone")))
        )
    return result.cast(TIMESTAMP)


def _escape_value(values: pa.Array) -> pa.Array:
    """CEF extension escaping: backslash, equals sign, line breaks."""
    values = pc.replace_substring(values, "\\", "\\\\")
    values = pc.replace_substring(values, "=", "\\=")
    values = pc.replace_substring(values, "\r", "\\r")
    values = pc.replace_substring(values, "\n", "\\n")
    return one_line(values)


def _render(records: pa.Table) -> pa.Array:
    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    ts = col("@timestamp")
    millis = pc.divide(ts.cast(pa.int64()), 1000).cast(pa.string())
    seconds = pc.cast(ts, pa.timestamp("s", tz="UTC"), safe=False)
    syslog = pc.strftime(seconds, format="%b %d %H:%M:%S")
    outcome = col("event.outcome").fill_null("allowed")
    word = pc.take(
        pa.array(["success", "blocked", "failure"]),
        pc.index_in(outcome, value_set=pa.array(["allowed", "blocked", "failed"])).fill_null(0),
    )
    act = pc.coalesce(_empty_null(col("event.action")), outcome)

    def pair(key: str, values: pa.Array) -> pa.Array:
        text = _escape_value(values.cast(pa.string()))
        return pc.if_else(
            pc.equal(values.cast(pa.string()), "").fill_null(True),
            "",
            pc.binary_join_element_wise(f" {key}=", text, ""),
        )

    domain = col("url.domain")
    ip = pc.or_(
        pc.match_substring_regex(domain, _IPV4), pc.match_substring_regex(domain, _IPV6)
    ).fill_null(False)
    parts = [
        pc.binary_join_element_wise("rt=", millis, ""),
        pair("src", col("source.address")),
        pair("suser", col("user.name")),
        pair("dhost", pc.if_else(ip, None, domain)),
        pair("dst", pc.if_else(ip, domain, None)),
        pair("dpt", col("destination.port")),
        pair("requestMethod", col("http.request.method")),
        pair("request", col("url.original")),
        pair("act", act),
        pair("outcome", word),
        pair("out", col("http.request.bytes")),
        pair("in", col("http.response.bytes")),
        pair("cs1", col("organization.unit")),
        pc.if_else(col("organization.unit").is_valid(), " cs1Label=dept", ""),
        pair("cs3", col("http.response.mime_type")),
        pc.if_else(col("http.response.mime_type").is_valid(), " cs3Label=ContentType", ""),
        pair("cs4", col("http.response.status_code")),
        pc.if_else(col("http.response.status_code").is_valid(), " cs4Label=HTTP Status", ""),
    ]
    return pc.binary_join_element_wise(
        "<134>", syslog, " socialsight CEF:0|socialsight|simulator|1.0|access|Web request|3|",
        *parts, "",
    )  # fmt: skip


FORMATS = (Cef,)
