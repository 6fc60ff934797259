"""What the DNS query log formats (``bind``, ``dnsmasq``, ``unbound``) share: the time stamp
prefixes that resolvers and syslog put in front of a message, the year of a syslog time stamp,
and marking a lookup as blocked when a later line says it was.

Time stamp prefixes recognised (the first that matches wins):

* BSD syslog ``Mon dd hh:mm:ss[.ffffff]`` (optionally after ``<PRI>``): no year and no zone;
* RFC 3339 / ISO 8601 ``YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm]`` (rsyslog's high-precision format);
* BIND's own ``dd-Mon-YYYY hh:mm:ss.fff``: no zone;
* Unbound's own ``[epoch-seconds]``: UTC by definition.

A time without a zone is taken in the parser's ``zone`` (UTC unless configured). A syslog time
without a year gets the year that puts it no later than one day after the parser's ``now``
(the current time unless set): a December line read in January belongs to last year.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.errors import InputError
from socialsight.formats._chunks import (
    BLANK_CHARS,
    first_failure,
    outcome,
    prepare,
    records_table,
    rejects_table,
)
from socialsight.formats._values import (
    ADDRESS,
    MAX_LINE_CHARS,
    civil_micros,
    epoch_time,
    group,
    host_name,
    iso_time,
    local_to_utc,
    no_match,
)
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.ndarrays import from_numpy, to_numpy
from socialsight.schema import TIMESTAMP

_MONTH = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_BSD = (
    r"^(?:<\d{1,3}>)?" + _MONTH + r" {1,2}(?P<day>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))? "
)
_RFC3339 = (
    r"^(?:<\d{1,3}>(?:1 )?)?(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
    r"(?:Z|z|[+-]\d\d:?\d\d)?) "
)
_BIND = (
    r"^(?P<day>\d{1,2})-" + _MONTH + r"-(?P<year>\d{4}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))? "
)
_EPOCH = r"^\[(?P<epoch>\d{1,10})\] "
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

BLOCKING_WINDOW: Final = 1000
"""A blocking line marks the nearest earlier lookup of the same name at most this many lines
before it (the same chunk only)."""


def _clock(year: pa.Array, match: pa.Array, zone: str) -> tuple[pa.Array, pa.Array]:
    """(UTC timestamps, bad mask) from year + ``mon``/``day``/``h``/``mi``/``s``/``frac``
    groups, naive in ``zone``."""
    month = pc.add(pc.index_in(group(match, "mon"), value_set=pa.array(list(_MONTHS))), 1)
    frac = pc.utf8_slice_codeunits(group(match, "frac", empty_as_null=False), 0, 6)
    micros = pc.utf8_rpad(frac, width=6, padding="0").cast(pa.int64())
    total, valid = civil_micros(
        year, month, group(match, "day"), group(match, "h"), group(match, "mi"),
        group(match, "s"), micros,
    )  # fmt: skip
    valid = pc.and_(valid, match.is_valid()).fill_null(False)
    stamp = local_to_utc(total, valid, zone).cast(TIMESTAMP)
    return stamp, pc.and_(match.is_valid(), pc.invert(valid)).fill_null(False)


def split_time(text: pa.Array, now: dt.datetime, zone: str = "UTC") -> tuple[pa.Array, pa.Array]:
    """(UTC timestamps, bad-time mask) for lines that may start with a time stamp prefix.

    Lines with no recognised prefix get a null time (not bad); a prefix with an impossible date
    (February 30) is bad. Each prefix regex runs only on the lines no earlier one matched, so a
    file written in one style pays for one regex.
    """
    n = len(text)
    # Not pa.array(np.arange(n)): converting an ndarray loads numpy.ma, 30 ms of every
    # format detection (this runs in Bind.sniff).
    pending = pc.indices_nonzero(pa.repeat(pa.scalar(True), n)).cast(pa.int64())
    rows: list[pa.Array] = []
    stamps: list[pa.Array] = []
    bads: list[pa.Array] = []
    readers: list[tuple[str, Callable[[pa.Array], tuple[pa.Array, pa.Array]]]] = [
        (_BSD, lambda m: _bsd_time(m, now, zone)),
        (_RFC3339, lambda m: iso_time(group(m, "iso"), naive_zone=zone)),
        (_BIND, lambda m: _clock(group(m, "year").cast(pa.int64()), m, zone)),
        (_EPOCH, lambda m: epoch_time(group(m, "epoch"))),
    ]
    for pattern, read in readers:
        if len(pending) == 0:
            break
        match = pc.extract_regex(text.take(pending), pattern)
        hit = match.is_valid()
        if not pc.any(hit).as_py():
            continue
        stamp, bad = read(match.filter(hit))
        rows.append(pending.filter(hit))
        stamps.append(pc.if_else(bad, pa.scalar(None, TIMESTAMP), stamp).cast(TIMESTAMP))
        bads.append(bad.fill_null(False))
        pending = pending.filter(pc.invert(hit))
    rows.append(pending)
    stamps.append(pa.nulls(len(pending), TIMESTAMP))
    bads.append(pa.repeat(pa.scalar(False), len(pending)))
    # Arrow's sort is stable; converting to numpy and back would load numpy.ma (30 ms).
    order = pc.sort_indices(pa.concat_arrays(rows))
    return pc.take(pa.concat_arrays(stamps), order), pc.take(pa.concat_arrays(bads), order)


def _bsd_time(match: pa.Array, now: dt.datetime, zone: str) -> tuple[pa.Array, pa.Array]:
    """Syslog has no year: this year, unless that is more than a day ahead of ``now``."""
    this, this_bad = _clock(pa.scalar(now.year, pa.int64()), match, zone)
    limit = pa.scalar(now.astimezone(dt.UTC) + dt.timedelta(days=1), TIMESTAMP)
    # February 29 in a non-leap current year may be last year's too.
    retry = pc.or_(pc.greater(this, limit).fill_null(False), this_bad)
    if not pc.any(retry).as_py():
        return this, this_bad
    last, last_bad = _clock(pa.scalar(now.year - 1, pa.int64()), match, zone)
    return pc.if_else(retry, last, this), pc.if_else(retry, last_bad, this_bad)


def mark_blocked(
    query_names: pa.Array,
    query_lines: pa.Array,
    block_names: pa.Array,
    block_lines: pa.Array,
    block_kinds: pa.Array,
) -> pa.Array:
    """For each lookup, the kind of the blocking line that answered it, or null.

    A blocking line (``gravity blocked x is 0.0.0.0``, an RPZ rewrite, a local-zone deny)
    names the host but not the lookup; it is joined to the nearest earlier lookup of the same
    name within :data:`BLOCKING_WINDOW` lines. Vectorised: the lookups and the blocking lines
    are sorted together by (name, line) and each blocking line looks at its predecessor.
    """
    import numpy as np  # when used: detection imports every parser (issue #6)

    nq = len(query_names)
    result = pa.nulls(nq, pa.string())
    if nq == 0 or len(block_names) == 0:
        return result
    names = pa.concat_arrays([query_names.cast(pa.string()), block_names.cast(pa.string())])
    # Through socialsight.ndarrays: the ingest program's Arrow has no NumPy support (#6).
    codes = to_numpy(pc.dictionary_encode(names.fill_null("")).indices)
    lines = to_numpy(pa.concat_arrays([query_lines, block_lines]).cast(pa.int64()))
    is_query = np.concatenate([np.ones(nq, bool), np.zeros(len(block_names), bool)])
    order = np.lexsort((lines, codes))
    s_codes, s_lines, s_query = codes[order], lines[order], is_query[order]
    hit = (
        ~s_query[1:]
        & s_query[:-1]
        & (s_codes[1:] == s_codes[:-1])
        & (s_lines[1:] - s_lines[:-1] <= BLOCKING_WINDOW)
    )
    blocked_query = order[:-1][hit]
    blocking = order[1:][hit] - nq
    kinds = pc.take(block_kinds, from_numpy(blocking.astype(np.int64)))
    mask = np.zeros(nq, bool)
    mask[blocked_query] = True
    position = np.zeros(nq, np.int64)
    position[blocked_query] = np.arange(len(blocked_query))
    spread = pc.take(kinds, from_numpy(position)) if len(kinds) else result
    return pc.if_else(from_numpy(mask), spread, result)


@dataclass(frozen=True)
class Messages:
    """What a DNS format read from the messages (the text after the time stamp prefix)."""

    is_query: pa.Array
    """The line is a lookup (becomes a record)."""
    client: pa.Array
    qname: pa.Array
    action: pa.Array
    """event.action of a lookup that no blocking line answers."""
    outcome: pa.Array
    """event.outcome of a lookup that no blocking line answers."""
    duration_ms: pa.Array
    is_block: pa.Array
    """The line says a lookup was blocked (joined to it, not a record itself)."""
    block_name: pa.Array
    block_kind: pa.Array


class DnsQueryLog(LogFormat):
    """A resolver's query log: lookups become events without bytes, port or method."""

    chunk_independent: ClassVar[bool] = True
    """No state across chunks: ingest may parse chunks in parallel (a blocking line is joined
    within its own chunk anyway)."""
    takes_timezone: ClassVar[bool] = True
    now: dt.datetime | None = None
    """The reading time used to give syslog time stamps a year (default: the current time)."""
    zone: str = "UTC"
    """Time zone of time stamps written without one."""

    def __init__(self, now: dt.datetime | None = None, zone: str = "UTC") -> None:
        self.now = now
        self.zone = zone

    @classmethod
    def configured(cls, options: Mapping[str, str]) -> DnsQueryLog:
        """A parser for ``options``: ``timezone`` (IANA name) for time stamps without a zone.

        >>> from socialsight.formats.dnsmasq import Dnsmasq
        >>> Dnsmasq.configured({"timezone": "America/Toronto"}).zone
        'America/Toronto'
        """
        unknown = sorted(set(options) - {"timezone"})
        if unknown:
            raise InputError(f"format {cls.name} takes no option {', '.join(unknown)}")
        zone = options.get("timezone", "UTC")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"unknown time zone {zone!r}") from exc
        return cls(zone=zone)

    def _messages(self, text: pa.Array) -> Messages:
        """What the lines say, found by unanchored regexes after the time stamp."""
        raise NotImplementedError

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank sample lines that this resolver wrote (any message type,
        with a time stamp)."""
        text = pa.array([line for line in lines if line.strip(BLANK_CHARS)], pa.string())
        if len(text) == 0:
            return 0.0
        named = pc.match_substring_regex(text, cls.program)
        if not pc.any(named).as_py():
            return 0.0  # no line names this resolver: the time stamps need not be read
        stamp, _bad = split_time(text, dt.datetime.now(dt.UTC))
        mine = pc.and_(stamp.is_valid(), named)
        return float(pc.sum(mine.cast(pa.int64())).as_py() or 0) / len(text)

    program: ClassVar[str]
    """Regex found in every line of this resolver (searched, not anchored: it follows the time
    stamp and an optional syslog host)."""

    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of lines: lookups become records; the blocking lines mark them; every
        other non-blank line is rejected (``not-a-query`` for the resolver's other messages)."""
        prep = prepare(lines, first_line, trim=False)
        text, line_no = prep.text, prep.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        text = pc.if_else(too_long, "", text)
        now = self.now or dt.datetime.now(dt.UTC)
        stamp, time_bad = split_time(text, now, self.zone)
        msg = self._messages(text)
        domain, host_bad = host_name(msg.qname)
        # Names are compared as hosts: "WWW.Example.com." blocked as "www.example.com".
        block_name, _ = host_name(msg.block_name)
        blocked_by = mark_blocked(
            domain.filter(msg.is_query),
            line_no.filter(msg.is_query),
            block_name.filter(msg.is_block),
            line_no.filter(msg.is_block),
            msg.block_kind.filter(msg.is_block),
        )
        reason = first_failure(
            len(text),
            [
                (too_long, "too-long"),
                (pc.invert(msg.is_query), "not-a-query"),
                (time_bad, "bad-timestamp"),
                (stamp.is_null(), "no-timestamp"),
                (no_match(msg.client, ADDRESS), "bad-client"),
                (host_bad, "bad-host"),
            ],
        )
        # Blocking lines are part of the log, not garbage, but they are not lookups either.
        ok = reason.is_null()
        q = msg.is_query
        blocked = blocked_by.is_valid()
        columns = {
            "@timestamp": stamp.filter(q),
            "source.address": msg.client.filter(q),
            "url.domain": domain.filter(q),
            "event.action": pc.coalesce(blocked_by, msg.action.filter(q)),
            "event.outcome": pc.if_else(blocked, "blocked", msg.outcome.filter(q)),
            "event.duration_ms": msg.duration_ms.filter(q),
        }
        ok_q = ok.filter(q)
        records = records_table(
            {k: v.filter(ok_q) for k, v in columns.items()}, line_no.filter(q).filter(ok_q)
        )
        rejects = rejects_table([(line_no.filter(pc.invert(ok)), reason.drop_null())])
        return ParseResult(records=records, rejects=rejects)


def const(value: str | None, n: int) -> pa.Array:
    """n copies of a string (or n nulls)."""
    nulls = pa.nulls(n, pa.string())
    return nulls if value is None else pc.fill_null(nulls, value)


def syslog_time(timestamps: pa.Array) -> pa.Array:
    """``Mon dd hh:mm:ss`` in UTC, the day space-padded as syslog writes it."""
    whole = timestamps.cast(pa.timestamp("s", tz="UTC"), safe=False)
    text = pc.strftime(whole, format="%b %d %H:%M:%S", locale="C")
    # %d pads with a zero; syslog pads with a space.
    return pc.replace_substring_regex(text, r"^([A-Z][a-z]{2}) 0", r"\1  ")


_ANSWERED = pa.array(["NOERROR", "NXDOMAIN"])
# Answers that are only 0.0.0.0 / :: : a DNS filter's way of saying "blocked".
_SINKHOLE = r"^(?:0\.0\.0\.0|::|0:0:0:0:0:0:0:0)(?:,(?:0\.0\.0\.0|::|0:0:0:0:0:0:0:0))*$"


def dns_outcome(rcode: pa.Array, answers: pa.Array) -> pa.Array:
    """allowed / blocked / failed of DNS answers: REFUSED, or answers that are all
    ``0.0.0.0``/``::`` (``,``-separated), is blocked; NOERROR and NXDOMAIN are allowed; any
    other rcode, or none (no answer seen), is failed."""
    sinkhole = pc.match_substring_regex(answers, _SINKHOLE).fill_null(False)
    refused = pc.equal(rcode, "REFUSED").fill_null(False)
    answered = pc.is_in(rcode, value_set=_ANSWERED)
    return outcome(pc.or_(refused, sinkhole), pc.invert(answered))


def dns_rcode_for(records: pa.Table) -> pa.Array:
    """An rcode that says each record's outcome when read back with :func:`dns_outcome`:
    blocked -> REFUSED, failed -> SERVFAIL, allowed -> its NOERROR/NXDOMAIN action or NOERROR."""
    action = records.column("event.action").combine_chunks()
    outcome = records.column("event.outcome").combine_chunks()
    answered = pc.is_in(action, value_set=_ANSWERED).fill_null(False)
    return pc.if_else(
        pc.equal(outcome, "blocked").fill_null(False),
        "REFUSED",
        pc.if_else(
            pc.equal(outcome, "failed").fill_null(False),
            "SERVFAIL",
            pc.if_else(answered, action, "NOERROR"),
        ),
    )


def interleave(first: pa.Array, second: pa.Array, mask: pa.Array) -> list[str]:
    """``first[i]`` and, where ``mask[i]``, ``second[i]`` right after it, as one list."""
    import numpy as np  # when used: detection imports every parser (issue #6)

    n = len(first)
    kept = mask.fill_null(False)
    keep = to_numpy(kept)
    position = np.concatenate([np.arange(n) * 2, (np.arange(n) * 2 + 1)[keep]])
    lines = pa.concat_arrays([first, second.filter(kept)])
    order = from_numpy(np.argsort(position, kind="stable").astype(np.int64))
    ordered: list[str] = pc.take(lines, order).to_pylist()
    return ordered
