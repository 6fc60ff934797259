"""Zscaler Internet Access (ZIA) web logs as streamed by an NSS (or Cloud NSS) feed.

An NSS feed's output is whatever its "Feed Output Format" string says; socialsight reads the
three shapes feeds are commonly configured with, line by line (one file may mix them):

* **JSON lines**, flat or nested under ``"event"`` as in Elastic's and Splunk's recommended
  format: ``{"sourcetype":"zscalernss-web","event":{"time":"Fri Dec 31 07:07:07 2021",...}}``;
* **CSV** with the fields of :data:`CSV_FIELDS` in that order (the same fields as the JSON
  format, each ``"%s{...}"`` quoted);
* **key=value**, tab-separated, with NSS field names as keys (``time=...<TAB>login=...``), any
  order, optionally after a syslog header.

``docs/formats/zscaler.md`` gives the exact feed output format strings, the field mapping, the
outcome rules and the reject reasons. JSON members are found by one regex pass that marks every
``"name": scalar`` pair, then splits (so a damaged line is rejected alone and a nested or flat
object reads the same), and JSON-unescaped once per distinct escaped value; CSV goes through
``pyarrow.csv``; key=value through splits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import (
    first_failure,
    outcome,
    prepare,
    records_table,
    rejects_table,
)
from socialsight.formats._csvish import MAX_LINE_CHARS, one_line, pick_keys, split_csv
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.schema import TIMESTAMP

CSV_FIELDS: Final = (
    "time", "login", "proto", "eurl", "action", "appname", "appclass", "reqsize", "respsize",
    "stime", "ctime", "urlclass", "urlsupercat", "urlcat", "malwarecat", "threatname",
    "riskscore", "dlpeng", "dlpdict", "location", "dept", "cip", "sip", "reqmethod", "respcode",
    "ua", "ereferer", "ruletype", "rulelabel", "contenttype", "unscannabletype", "deviceowner",
    "devicehostname",
)  # fmt: skip
"""The CSV feed's columns, in order (docs/formats/zscaler.md has the output format string)."""

# Each canonical input and the NSS names that may carry it, first found wins.
ALIASES: Final = {
    "time": ("time", "datetime"),
    "epochtime": ("epochtime",),
    "login": ("login", "elogin", "user"),
    "proto": ("proto",),
    "url": ("eurl", "url"),
    "host": ("ehost", "host"),
    "action": ("action",),
    "reqsize": ("reqsize",),
    "respsize": ("respsize",),
    "stime": ("stime",),
    "ctime": ("ctime",),
    "dept": ("dept", "department", "edepartment"),
    "cip": ("cip", "clientip"),
    "reqmethod": ("reqmethod",),
    "respcode": ("respcode",),
    "contenttype": ("contenttype",),
}
_NSS_TIME = "%a %b %d %H:%M:%S %Y"
# Placeholders NSS writes for "no value".
_PLACEHOLDERS = ("", "None", "NA", "N/A", "Unknown", "none")

_JSON_LINE = r"^\{.*\}$"
# A member with a scalar value: a string (escapes included), a number, null or a boolean.
_JSON_PAIR = (
    r'"([A-Za-z_][A-Za-z0-9_.]*)"\s*:\s*'
    r'("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false)'
)
_CSV_LINE = r'^"?[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]?\d \d\d:\d\d:\d\d \d{4}"?,'
_KV_LINE = r"(?:^|\t|\s)(?:eurl|url)=[^\t]*\t|\t(?:eurl|url)="
_SNIFF_JSON = r'^\{.*"(?:cip|clientip)"\s*:.*\}$'
_SNIFF_JSON_URL = r'"(?:eurl|url)"\s*:'
_SNIFF_KV = r"(?:^|\t)(?:cip|clientip|login)=[^\t]*(?:\t|$)"
_URL = (
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?:[^/?#@\s]*@)?"
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^/:?#\s\[\]@]+))(?::(?P<port>[^/?#]*))?(?:[/?#].*)?$"
)
_HOSTNAME = r"^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$"
_IPV6 = r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"
_CLIENT = r"^[0-9A-Za-z.:%_\[\]-]+$"
_COUNT = r"^\d{1,18}$"


class Zscaler(LogFormat):
    """Zscaler NSS web feed: JSON lines, CSV or tab-separated key=value.

    >>> import pyarrow as pa
    >>> line = ('{"sourcetype":"zscalernss-web","event":{"time":"Fri Dec 31 07:07:07 2021",'
    ...         '"login":"ann@example.org","eurl":"www.facebook.com/groups","action":"Allowed",'
    ...         '"reqmethod":"GET","respcode":"200","proto":"HTTPS","dept":"Communications",'
    ...         '"cip":"10.1.2.3","reqsize":"600","respsize":"6500"}}')
    >>> row = Zscaler().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["organization.unit"], row["event.outcome"]
    ('www.facebook.com', 443, 'Communications', 'allowed')
    """

    name: ClassVar[str] = "zscaler"
    title: ClassVar[str] = "Zscaler NSS web feed (JSON, CSV, key=value)"
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
        """Share of the non-blank lines that look like an NSS web record in any of the shapes.

        >>> Zscaler.sniff(['"Fri Dec 31 07:07:07 2021","ann","HTTPS","x.org/"', "hello"])
        0.5
        """
        text = prepare(pa.array(list(lines), pa.string()), 1).text
        if len(text) == 0:
            return 0.0
        json_like = pc.and_(
            pc.match_substring_regex(text, _SNIFF_JSON),
            pc.match_substring_regex(text, _SNIFF_JSON_URL),
        )
        kv_like = pc.and_(
            pc.match_substring_regex(text, _SNIFF_KV), pc.match_substring_regex(text, _KV_LINE)
        )
        csv_like = pc.match_substring_regex(text, _CSV_LINE)
        hits = pc.or_(pc.or_(json_like, kv_like), csv_like)
        return float(pc.sum(hits.cast(pa.int64())).as_py() or 0) / len(text)

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of lines (any mix of the three shapes); never raises on content.

        >>> res = Zscaler().parse(pa.array(["", "hello", '{"time":"x"'] ), first_line=1)
        >>> res.records.num_rows, res.rejects.to_pylist()
        (0, [{'log.line': 2, 'reason': 'not-zscaler'}, {'log.line': 3, 'reason': 'truncated'}])
        """
        prepared = prepare(lines, first_line)
        text, line_no = prepared.text, prepared.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        text = pc.if_else(too_long, "", text)
        is_json = pc.match_substring_regex(text, _JSON_LINE)
        is_csv = pc.and_(pc.invert(is_json), pc.match_substring_regex(text, _CSV_LINE))
        is_kv = pc.and_(
            pc.and_(pc.invert(is_json), pc.invert(is_csv)), pc.match_substring_regex(text, _KV_LINE)
        )
        cut_json = pc.and_(
            pc.starts_with(text, "{"), pc.invert(pc.or_(pc.or_(is_json, is_csv), is_kv))
        )
        shaped = [
            (is_json, _json_fields),
            (is_csv, _csv_fields),
            (is_kv, _kv_fields),
        ]
        parts: list[dict[str, pa.Array]] = []
        numbers: list[pa.Array] = []
        pre: list[pa.Array] = []
        for mask, reader in shaped:
            fields, early = reader(text.filter(mask))
            parts.append(fields)
            numbers.append(line_no.filter(mask))
            pre.append(early)
        fields = {k: pa.concat_arrays([p[k] for p in parts]) for k in ALIASES}
        numbers_all = pa.concat_arrays(numbers)
        reason = pa.concat_arrays(pre)

        unmatched = pc.invert(pc.or_(pc.or_(is_json, is_csv), is_kv))
        unmatched_reason = pc.if_else(
            too_long, "too-long", pc.if_else(cut_json, "truncated", "not-zscaler")
        ).filter(unmatched)

        row = _Row(fields)
        checks: list[tuple[pa.Array, str]] = [
            (row.timestamp.is_null(), "bad-timestamp"),
            (row.domain.is_null(), "no-url"),
            (row.port_bad, "bad-port"),
            (row.client_bad, "bad-client"),
            (row.counts_bad, "bad-bytes"),
        ]
        # A reason found while reading a shape (``early``) comes before these checks.
        reason = pc.coalesce(reason, first_failure(len(reason), checks))
        is_record = reason.is_null()
        rejects = rejects_table(
            [
                (line_no.filter(unmatched), unmatched_reason),
                (numbers_all.filter(pc.invert(is_record)), reason.drop_null()),
            ]
        )
        records = row.records(numbers_all, is_record).sort_by("log.line")
        return ParseResult(records=records, rejects=rejects)

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as NSS JSON lines nested under ``"event"`` (vectorised).

        ``time`` keeps whole seconds (UTC); ``action`` is ``Blocked`` or ``Allowed``; a failed
        request without a status is written ``respcode":"0"``; ``eurl`` is host[:port]/path
        without the scheme, ``proto`` HTTPS for port 443 and HTTP otherwise. Missing numbers are
        written ``0`` (NSS always writes numbers), missing strings ``None``.
        """
        rendered: list[str] = _render(records).to_pylist()
        return rendered


class _Row:
    """Canonical values computed from the raw NSS fields of the candidate lines."""

    def __init__(self, f: dict[str, pa.Array]) -> None:
        self.f = f
        epoch = pc.if_else(
            pc.match_substring_regex(f["epochtime"], r"^\d{1,10}$"), f["epochtime"], None
        )
        parsed = pc.strptime(
            pc.utf8_trim_whitespace(f["time"]), format=_NSS_TIME, unit="us", error_is_null=True
        )
        self.timestamp = pc.coalesce(
            pc.multiply(epoch.cast(pa.int64()), 1_000_000).cast(TIMESTAMP),
            pc.assume_timezone(parsed, "UTC"),
        )
        url = pc.extract_regex(f["url"], _URL)
        name = pc.struct_field(url, "name")
        v6 = _none(pc.struct_field(url, "v6"))
        host = pc.coalesce(
            _none(f["host"]), v6, pc.if_else(pc.match_substring_regex(name, _HOSTNAME), name, None)
        )
        self.domain = pc.utf8_lower(pc.utf8_rtrim(host, "."))
        port_text = _none(pc.struct_field(url, "port"))
        port_ok = pc.match_substring_regex(port_text, r"^\d{1,5}$")
        port = pc.if_else(port_ok, port_text, None).cast(pa.int32())
        self.port_bad = pc.and_(
            port_text.is_valid(),
            pc.invert(pc.and_kleene(port_ok, pc.less_equal(port, 65535)).fill_null(False)),
        )
        scheme = pc.utf8_lower(pc.coalesce(_none(pc.struct_field(url, "scheme")), f["proto"]))
        default = pc.if_else(
            pc.match_substring_regex(scheme, r"^(?:https|wss|ssl|tls)"), 443,
            pc.if_else(pc.match_substring_regex(scheme, r"^(?:http|ws)"), 80, None),
        )  # fmt: skip
        # A tunnel logged without its port is TLS in practice (proto says HTTP for CONNECT).
        connect = pc.equal(pc.utf8_upper(f["reqmethod"]), "CONNECT").fill_null(False)
        default = pc.if_else(connect, 443, default)
        self.port = pc.coalesce(port, default.cast(pa.int32()))
        self.client_bad = pc.and_(
            f["cip"].is_valid(),
            pc.invert(pc.match_substring_regex(f["cip"], _CLIENT).fill_null(False)),
        )
        self.counts_bad = pc.or_(_not_count(f["reqsize"]), _not_count(f["respsize"]))

    def records(self, line_no: pa.Array, keep: pa.Array) -> pa.Table:
        f = {k: v.filter(keep) for k, v in self.f.items()}
        action = _none(f["action"])
        status_text = f["respcode"]
        status = pc.if_else(
            pc.match_substring_regex(status_text, r"^[1-9]\d\d$"), status_text, None
        ).cast(pa.int32())
        blocked = pc.match_substring_regex(pc.utf8_lower(action), r"^block").fill_null(False)
        failed = pc.or_(
            pc.greater_equal(status, 500).fill_null(False),
            pc.equal(status_text, "0").fill_null(False),
        )
        stime = pc.if_else(pc.match_substring_regex(f["stime"], _COUNT), f["stime"], None)
        ctime = pc.if_else(pc.match_substring_regex(f["ctime"], _COUNT), f["ctime"], None)
        duration = pc.add(stime.cast(pa.int64()), ctime.cast(pa.int64()))
        method = pc.utf8_upper(_none(f["reqmethod"]))
        columns = {
            "@timestamp": self.timestamp.filter(keep),
            "user.name": _none(f["login"]),
            "source.address": _none(f["cip"]),
            "organization.unit": _none(f["dept"]),
            "http.request.method": method,
            "url.domain": self.domain.filter(keep),
            "destination.port": self.port.filter(keep),
            "http.response.status_code": status,
            "event.action": action,
            "event.outcome": outcome(blocked, failed),
            "http.request.bytes": f["reqsize"].cast(pa.int64()),
            "http.response.bytes": f["respsize"].cast(pa.int64()),
            "event.duration_ms": duration,
            "http.response.mime_type": pc.if_else(
                pc.equal(f["contenttype"], "Other").fill_null(False), None, _none(f["contenttype"])
            ),
            "url.original": _none(f["url"]),
        }
        return records_table(columns, line_no.filter(keep))


def _none(values: pa.Array) -> pa.Array:
    """NSS placeholders (``None``, ``NA``, ``Unknown``, empty) as null."""
    return pc.if_else(
        pc.is_in(values, value_set=pa.array(_PLACEHOLDERS)).fill_null(True), None, values
    )


def _not_count(values: pa.Array) -> pa.Array:
    return pc.and_(
        values.is_valid(), pc.invert(pc.match_substring_regex(values, _COUNT).fill_null(False))
    )


def _empty_fields(n: int) -> dict[str, pa.Array]:
    return {k: pa.nulls(n, pa.string()) for k in ALIASES}


def _pick(found: dict[str, pa.Array], n: int) -> dict[str, pa.Array]:
    """Canonical inputs from the raw NSS fields by :data:`ALIASES` (first alias present wins)."""
    out = _empty_fields(n)
    for key, names in ALIASES.items():
        for name in names:
            if name in found:
                out[key] = pc.coalesce(out[key], found[name])
    return out


def _json_fields(text: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
    """Scalar members of JSON objects, flat or nested, by name (first occurrence wins).

    One regex pass rewrites every ``"name": scalar`` pair as ``\x1fname=scalar\x1e``; splitting
    on the markers gives (line, name, raw value) triples without a loop. Scanning left to right,
    a string value is consumed whole, so a quoted ``\"cip\":`` inside another value is never
    taken for a member."""
    n = len(text)
    clean = pc.replace_substring(pc.replace_substring(text, "\x1e", " "), "\x1f", " ")
    marked = pc.replace_substring_regex(clean, _JSON_PAIR, "\x1f\\1=\\2\x1e")
    pairs = pc.split_pattern(marked, "\x1f")
    parents = pc.list_parent_indices(pairs)
    flat = pc.list_flatten(pairs)
    is_pair = pc.match_substring(flat, "\x1e")
    flat, parents = flat.filter(is_pair), parents.filter(is_pair)
    kv = pc.split_pattern(flat, "=", max_splits=1)
    keys = pc.list_element(kv, 0)
    raw = pc.list_element(pc.split_pattern(pc.list_element(kv, 1), "\x1e", max_splits=1), 0)
    quoted = pc.starts_with(raw, '"')
    value = pc.if_else(
        quoted,
        pc.utf8_slice_codeunits(raw, 1, -1),
        pc.if_else(pc.match_substring_regex(raw, r"^-?\d"), raw, None),
    )
    names = sorted({a for names in ALIASES.values() for a in names})
    picked = pick_keys(keys, value, parents, n, names)
    found = {name: _json_unescape(_empty_null(v)) for name, v in picked.items()}
    return _pick(found, n), pa.nulls(n, pa.string())


def _empty_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, "").fill_null(True), None, values)


def _json_unescape(values: pa.Array) -> pa.Array:
    """JSON string escapes decoded, once per distinct escaped value."""
    mask = pc.match_substring(values, "\\").fill_null(False)
    if not pc.any(mask).as_py():
        return values
    distinct = pc.unique(values.filter(mask))
    decoded = []
    for raw in distinct.to_pylist():
        try:
            decoded.append(json.loads(f'"{raw}"'))
        except ValueError:
            decoded.append(None)  # a broken escape: the value is unusable
    mapped = pc.take(pa.array(decoded, pa.string()), pc.index_in(values, value_set=distinct))
    return pc.if_else(mask, mapped, values)


def _csv_fields(text: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
    n = len(text)
    split = split_csv(text, len(CSV_FIELDS))
    found = {name: _empty_null(split.fields[i]) for i, name in enumerate(CSV_FIELDS)}
    reason = pc.if_else(
        split.bad,
        "bad-csv",
        pc.if_else(pc.not_equal(split.count, len(CSV_FIELDS)), "field-count", None),
    )
    return _pick(found, n), reason.cast(pa.string())


def _kv_fields(text: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
    n = len(text)
    pairs = pc.split_pattern(text, "\t")
    parents = pc.list_parent_indices(pairs)
    flat = pc.list_flatten(pairs)
    is_pair = pc.match_substring(flat, "=")
    flat, parents = flat.filter(is_pair), parents.filter(is_pair)
    kv = pc.split_pattern(flat, "=", max_splits=1)
    # A syslog header may precede the first key, on the same tab-separated token.
    keys = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.list_element(kv, 0), r"^.*\s", ""))
    values = pc.list_element(kv, 1)
    names = sorted({a for names in ALIASES.values() for a in names})
    picked = pick_keys(keys, values, parents, n, names)
    found = {name: _empty_null(v) for name, v in picked.items()}
    return _pick(found, n), pa.nulls(n, pa.string())


def _json_escape(values: pa.Array) -> pa.Array:
    """A JSON string body: backslash, quote and control characters escaped."""
    values = pc.replace_substring(values, "\\", "\\\\")
    values = pc.replace_substring(values, '"', '\\"')
    mask = pc.match_substring_regex(values, r"[\x00-\x1f\x7f\x{85}\x{2028}\x{2029}]").fill_null(
        False
    )
    if not pc.any(mask).as_py():
        return values
    subset = values.filter(mask)
    for code in [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]:
        subset = pc.replace_substring(subset, chr(code), f"\\u{code:04x}")
    return pc.replace_with_mask(values, mask, subset)


def _render(records: pa.Table) -> pa.Array:
    def col(name: str) -> pa.Array:
        return records.column(name).combine_chunks()

    def text(values: pa.Array, missing: str = "None") -> pa.Array:
        values = values.cast(pa.string())
        return _json_escape(pc.if_else(pc.equal(values, "").fill_null(True), missing, values))

    seconds = pc.cast(col("@timestamp"), pa.timestamp("s", tz="UTC"), safe=False)
    when = pc.strftime(seconds, format=_NSS_TIME)
    domain = col("url.domain").fill_null("")
    host = pc.if_else(
        pc.match_substring_regex(domain, _IPV6),
        pc.binary_join_element_wise("[", domain, "]", ""),
        domain,
    )
    port = col("destination.port")
    https = pc.equal(port, 443).fill_null(False)
    connect = pc.equal(col("http.request.method"), "CONNECT").fill_null(False)
    plain_http = pc.and_(pc.equal(port, 80).fill_null(True), pc.invert(connect))
    default = pc.or_(https, plain_http)
    authority = pc.if_else(
        default, host, pc.binary_join_element_wise(host, ":", port.cast(pa.string()), "")
    )
    path = pc.replace_substring_regex(
        col("url.original").fill_null(""), r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*", ""
    )
    eurl = one_line(pc.binary_join_element_wise(authority, path, ""), "%20")
    outcome = col("event.outcome").fill_null("allowed")
    action = pc.if_else(pc.equal(outcome, "blocked"), "Blocked", "Allowed")
    status = col("http.response.status_code").cast(pa.string())
    status = pc.if_else(pc.and_(status.is_null(), pc.equal(outcome, "failed")), "0", status)
    zero = "0"
    values = {
        "time": when,
        "login": text(col("user.name")),
        "proto": pc.if_else(https, "HTTPS", "HTTP"),
        "eurl": text(eurl),
        "action": action,
        "appname": "General Browsing",
        "reqsize": col("http.request.bytes").cast(pa.string()).fill_null(zero),
        "respsize": col("http.response.bytes").cast(pa.string()).fill_null(zero),
        "stime": col("event.duration_ms").cast(pa.string()).fill_null(zero),
        "ctime": zero,
        "urlcat": "Miscellaneous or Unknown",
        "dept": text(col("organization.unit")),
        "cip": text(col("source.address")),
        "reqmethod": text(col("http.request.method"), "NA"),
        "respcode": status.fill_null("NA"),
        "contenttype": text(col("http.response.mime_type"), "Other"),
    }
    parts: list[pa.Array | str] = []
    for i, (key, value) in enumerate(values.items()):
        parts += [("," if i else "") + f'"{key}":"', value, '"']
    body = pc.binary_join_element_wise(*parts, "")
    return pc.binary_join_element_wise('{"sourcetype":"zscalernss-web","event":{', body, "}}", "")


FORMATS = (Zscaler,)
