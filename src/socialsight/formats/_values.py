"""Vectorised value helpers shared by the Zeek, DNS query log and generic formats: host,
port and URL authority checks, and epoch and ISO 8601 time stamps. (Line preparation and the
record/reject tables are in ``_chunks``.)

Everything works on whole Arrow arrays; nothing here loops over lines in Python.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._urls import default_port
from socialsight.schema import TIMESTAMP

MAX_LINE_CHARS: Final = 65_536
"""Longer lines are rejected as ``too-long``: no appliance writes such records, and nothing
downstream should carry megabytes per record."""

# A host: letters (any script), digits, "_", "-" and ".", with at least one letter or digit.
HOST_NAME: Final = r"^[\p{L}\p{M}\p{N}_-]*[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$"
# An IPv6 literal, optionally with a zone.
IPV6: Final = r"^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%(?:25)?[0-9A-Za-z._~-]+)?$"
# A client address as logged: IPv4, IPv6 (with a zone), or a host name.
ADDRESS: Final = r"^[0-9A-Za-z.:%_-]{1,255}$"
_AUTHORITY = r"^(?:\[(?P<v6>[^\]]*)\]|(?P<name>[^:\[\]@]*))(?::(?P<port>.*))?$"
_ABSOLUTE = r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)"

_EPOCH = r"^(?P<sec>\d{1,10})(?:\.(?P<frac>\d{0,9}))?$"
_ISO = (
    r"^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:[.,](?P<frac>\d{1,9}))?(?P<zone>Z|z|[+-]\d\d:?\d\d)?$"
)


def constant(value: str, n: int) -> pa.Array:
    """n copies of one string."""
    return pc.fill_null(pa.nulls(n, pa.string()), value)


def no_match(values: pa.Array, pattern: str) -> pa.Array:
    """True where a non-null value does not match ``pattern`` (null values pass)."""
    return pc.invert(pc.match_substring_regex(values, pattern)).fill_null(False)


def empty_null(values: pa.Array) -> pa.Array:
    """Empty strings become null."""
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)


def host_name(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(lower-case host without a trailing dot or IPv6 brackets, bad-host mask).

    Null and the DNS root ``.`` give null and are not bad; a value that is not a host name or an
    IP literal is bad.
    """
    values = pc.if_else(pc.equal(values, "."), pa.scalar(None, pa.string()), values)
    text = pc.utf8_rtrim(values, ".")
    bracketed = pc.extract_regex(text, r"^\[(?P<v6>[^\]]*)\]$")
    text = pc.coalesce(group(bracketed, "v6", empty_as_null=False), text)
    is_v6 = pc.match_substring(text, ":")
    ok = pc.if_else(
        is_v6, pc.match_substring_regex(text, IPV6), pc.match_substring_regex(text, HOST_NAME)
    )
    bad = pc.and_(values.is_valid(), pc.invert(ok.fill_null(False)))
    return pc.utf8_lower(text), bad


def port_number(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(int32 port, bad mask): a port must be 0-65535 digits; null stays null."""
    digits = pc.match_substring_regex(values, r"^\d{1,5}$")
    port = pc.if_else(digits, values, None).cast(pa.int32())
    ok = pc.and_kleene(digits, pc.less_equal(port, 65535)).fill_null(False)
    return port, pc.and_(values.is_valid(), pc.invert(ok))


def split_authority(authority: pa.Array) -> dict[str, pa.Array]:
    """Host and port of ``host[:port]`` / ``[v6][:port]`` text (userinfo before ``@`` dropped).

    Returns ``domain`` (lower case), ``port`` (int32, null when not given), ``host_bad`` and
    ``port_bad`` masks (false where ``authority`` is null).
    """
    given = authority.is_valid()
    parts = pc.extract_regex(pc.replace_substring_regex(authority, r"^.*@", ""), _AUTHORITY)
    v6 = group(parts, "v6", empty_as_null=False)
    is_v6 = pc.not_equal(v6, "")
    name = pc.utf8_rtrim(group(parts, "name", empty_as_null=False), ".")
    ok = pc.and_(
        parts.is_valid(),
        pc.if_else(
            is_v6, pc.match_substring_regex(v6, IPV6), pc.match_substring_regex(name, HOST_NAME)
        ),
    ).fill_null(False)
    port_text = group(parts, "port")
    port, port_bad = port_number(port_text)
    port_zero = pc.equal(port, 0).fill_null(False)
    return {
        "domain": pc.if_else(ok, pc.utf8_lower(pc.if_else(is_v6, v6, name)), None),
        "port": port,
        "host_bad": pc.and_(given, pc.invert(ok)),
        "port_bad": pc.and_(given, pc.or_(port_bad, port_zero)),
    }


def absolute_url(url: pa.Array) -> dict[str, pa.Array]:
    """For absolute ``scheme://authority/...`` URLs: ``is_absolute``, ``authority`` and the
    scheme's default ``default_port`` (null for other schemes and non-absolute URLs)."""
    match = pc.extract_regex(url, _ABSOLUTE)
    scheme = pc.utf8_lower(group(match, "scheme"))
    return {
        "is_absolute": match.is_valid().fill_null(False),
        "authority": group(match, "authority", empty_as_null=False),
        "default_port": default_port(scheme),
    }


def group(match: pa.Array, name: str, empty_as_null: bool = True) -> pa.Array:
    """A named group of ``pc.extract_regex`` output: null where the regex did not match, and
    (by default) null where an optional group took no part."""
    value = pc.struct_field(match, name)
    return empty_null(value) if empty_as_null else value


def epoch_time(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(UTC timestamps, bad mask) for ``seconds[.fraction]`` text, exact to the microsecond
    (digits beyond microseconds are dropped). Null stays null and is not bad."""
    match = pc.extract_regex(text, _EPOCH)
    seconds = group(match, "sec").cast(pa.int64())
    frac = pc.utf8_slice_codeunits(group(match, "frac", empty_as_null=False), 0, 6)
    micros = pc.utf8_rpad(frac, width=6, padding="0").cast(pa.int64())
    stamp = pc.add(pc.multiply(seconds, 1_000_000), micros).cast(TIMESTAMP)
    bad = pc.and_(text.is_valid(), pc.invert(match.is_valid()))
    return stamp, bad


def _mod(a: pa.Array, b: int) -> pa.Array:
    """a mod b for non-negative integers (pyarrow has no modulo kernel)."""
    return pc.subtract(a, pc.multiply(pc.divide(a, b), b))


_DAYS_IN_MONTH = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())


def civil_micros(
    year: pa.Array,
    month: pa.Array,
    day: pa.Array,
    hour: pa.Array,
    minute: pa.Array,
    second: pa.Array,
    micros: pa.Array,
) -> tuple[pa.Array, pa.Array]:
    """(microseconds since 1970 for a proleptic Gregorian date and time, valid mask).

    Integer arithmetic only (Howard Hinnant's days-from-civil), so that no per-value date
    library call runs: impossible dates (February 30, hour 24) are not valid. Years 1-9999.
    """
    y, m, d = year.cast(pa.int64()), month.cast(pa.int64()), day.cast(pa.int64())
    hh, mi, ss = hour.cast(pa.int64()), minute.cast(pa.int64()), second.cast(pa.int64())
    leap = pc.or_(
        pc.and_(pc.equal(_mod(y, 4), 0), pc.not_equal(_mod(y, 100), 0)),
        pc.equal(_mod(y, 400), 0),
    )
    month_ok = pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12))
    safe_m = pc.if_else(month_ok, m, 1)
    last = pc.add(
        pc.take(_DAYS_IN_MONTH, pc.subtract(safe_m, 1)),
        pc.if_else(pc.and_(pc.equal(safe_m, 2), leap), 1, 0),
    )
    ok = pc.and_(
        pc.and_(month_ok, pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, last))),
        pc.and_(
            pc.and_(pc.greater_equal(y, 1), pc.less_equal(y, 9999)),
            pc.and_(pc.less(hh, 24), pc.and_(pc.less(mi, 60), pc.less(ss, 60))),
        ),
    )
    shifted = pc.subtract(y, pc.if_else(pc.less_equal(safe_m, 2), 1, 0))
    era = pc.divide(shifted, 400)
    yoe = pc.subtract(shifted, pc.multiply(era, 400))
    mp = pc.if_else(pc.greater(safe_m, 2), pc.subtract(safe_m, 3), pc.add(safe_m, 9))
    doy = pc.add(pc.divide(pc.add(pc.multiply(mp, 153), 2), 5), pc.subtract(d, 1))
    doe = pc.add(
        pc.subtract(pc.add(pc.multiply(yoe, 365), pc.divide(yoe, 4)), pc.divide(yoe, 100)), doy
    )
    days = pc.subtract(pc.add(pc.multiply(era, 146097), doe), 719468)
    secs = pc.add(
        pc.multiply(days, 86400), pc.add(pc.multiply(hh, 3600), pc.add(pc.multiply(mi, 60), ss))
    )
    total = pc.add(pc.multiply(secs, 1_000_000), micros.cast(pa.int64()))
    return total, ok.fill_null(False)


def local_to_utc(micros: pa.Array, valid: pa.Array, zone: str) -> pa.Array:
    """Wall-clock microseconds in ``zone`` -> UTC microseconds (null where not ``valid``): a
    repeated time is the first instant, a time in a spring-forward gap moves to its end."""
    if zone.upper() == "UTC":
        return pc.if_else(valid, micros, None)
    naive = pc.if_else(valid, micros, None).cast(pa.timestamp("us"))
    aware = pc.assume_timezone(naive, timezone=zone, ambiguous="earliest", nonexistent="latest")
    return aware.cast(pa.int64())


def iso_time(text: pa.Array, naive_zone: str = "UTC") -> tuple[pa.Array, pa.Array]:
    """(UTC timestamps, bad mask) for ISO 8601 ``YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`` text.

    A time without a zone is local time in ``naive_zone`` (an IANA name): a time repeated when
    clocks go back is the first of the two instants, a time in the gap when clocks go forward
    is moved to the end of the gap. Impossible dates (February 30) are bad.
    """
    match = pc.extract_regex(text, _ISO)
    frac = pc.utf8_slice_codeunits(group(match, "frac", empty_as_null=False), 0, 6)
    micros = pc.utf8_rpad(frac, width=6, padding="0").cast(pa.int64())
    base, valid = civil_micros(
        group(match, "y"), group(match, "mo"), group(match, "d"),
        group(match, "h"), group(match, "mi"), group(match, "s"), micros,
    )  # fmt: skip
    zone = group(match, "zone")
    offset = pc.extract_regex(zone, r"^(?P<sign>[+-])(?P<h>\d\d):?(?P<m>\d\d)$")
    minutes = pc.add(
        pc.multiply(group(offset, "h").cast(pa.int64()), 60), group(offset, "m").cast(pa.int64())
    )
    signed = pc.if_else(pc.equal(group(offset, "sign"), "-"), pc.negate(minutes), minutes)
    shifted = pc.subtract(base, pc.multiply(signed, 60_000_000))
    utc_given = pc.is_in(zone, value_set=pa.array(["Z", "z"]))
    has_zone = zone.is_valid()
    local = base
    if pc.any(pc.invert(has_zone)).as_py():
        local = local_to_utc(base, valid, naive_zone)
    micros_utc = pc.if_else(has_zone, pc.if_else(utc_given.fill_null(False), base, shifted), local)
    ok = pc.and_(match.is_valid(), valid).fill_null(False)
    stamp = pc.if_else(ok, micros_utc, None).cast(TIMESTAMP)
    bad = pc.and_(text.is_valid(), pc.invert(ok))
    return stamp, bad


def any_time(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Epoch seconds or ISO 8601 (zone-less ISO is UTC): (timestamps, bad mask)."""
    epoch, epoch_bad = epoch_time(text)
    iso, iso_bad = iso_time(text)
    stamp = pc.coalesce(epoch, iso)
    return stamp, pc.and_(epoch_bad, iso_bad)


def int_value(values: pa.Array, max_digits: int = 18) -> tuple[pa.Array, pa.Array]:
    """(int64, bad mask) for unsigned decimal text; null stays null and is not bad."""
    digits = pc.match_substring_regex(values, rf"^\d{{1,{max_digits}}}$")
    number = pc.if_else(digits, values, None).cast(pa.int64())
    return number, pc.and_(values.is_valid(), pc.invert(digits.fill_null(False)))
