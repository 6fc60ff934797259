"""Checks that every format's tests share: one line's record or reject, a record with
defaults, "every non-blank line is one record or one reject", the write-then-parse round
trip, and the host strategies of the round-trip properties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from socialsight.formats.base import LogFormat, ParseResult
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

# What the parsers count as blank (``formats._chunks.BLANK_CHARS``), spelled out so that a
# change there cannot hide from these tests.
BLANK = " \t\r\n\f\v"


# One DNS label: letters, digits and inner hyphens.
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


def dns_names(min_labels: int = 1, max_labels: int = 4) -> st.SearchStrategy[str]:
    """Lower-case DNS names of ``min_labels`` to ``max_labels`` labels."""
    return st.lists(label, min_size=min_labels, max_size=max_labels).map(".".join)


# A destination as the HTTP formats log it: a DNS name or an IPv4 / IPv6 literal.
hosts = dns_names() | st.ip_addresses().map(str)
# Non-empty text without surrogates or NUL (what a user name or a header value may hold).
safe_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)
# An IPv4 or IPv6 literal, as text.
addresses = st.ip_addresses(v=4).map(str) | st.ip_addresses(v=6).map(str)


def utc(*args: int) -> dt.datetime:
    """``datetime(*args)`` in UTC."""
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def only_record(result: ParseResult) -> dict[str, Any]:
    """The one record of a one-line parse (no reject allowed)."""
    assert result.rejects.num_rows == 0, result.rejects.to_pylist()
    rows: list[dict[str, Any]] = result.records.to_pylist()
    assert len(rows) == 1
    return rows[0]


def only_reject(result: ParseResult) -> str:
    """The reason of the one reject of a one-line parse (no record allowed)."""
    assert result.records.num_rows == 0
    [reason] = result.rejects.column("reason").to_pylist()
    return str(reason)


def record(**values: Any) -> dict[str, Any]:
    """A ``RECORD_SCHEMA`` row: allowed, at 2026-03-02 14:00 UTC, line 1, other fields null,
    then ``values`` (pass dotted names as ``**{"url.domain": ...}``)."""
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    row.update({"@timestamp": utc(2026, 3, 2, 14), "event.outcome": "allowed", "log.line": 1})
    row.update(values)
    return row


def assert_partitions(result: ParseResult, lines: Sequence[str], first: int) -> None:
    """Every non-blank line of ``lines`` (numbered from ``first``) is exactly one record or
    one reject, blank lines are neither, and both tables have their declared schemas."""
    numbers = (
        result.records.column("log.line").to_pylist()
        + result.rejects.column("log.line").to_pylist()
    )
    assert sorted(numbers) == [first + i for i, line in enumerate(lines) if line.strip(BLANK)]
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)


def round_trip(
    fmt: type[LogFormat], rows: list[dict[str, Any]], first_record_line: int = 1
) -> list[dict[str, Any]]:
    """Write ``rows`` with ``fmt`` (numbering their ``log.line`` in place from
    ``first_record_line``, the line the writer puts the first record on), check that each
    record is one line, parse the lines back without a reject and return the records."""
    for number, row in enumerate(rows, start=first_record_line):
        row["log.line"] = number
    lines = fmt.write(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA))
    assert all(line.splitlines() == [line] for line in lines)
    result = fmt().parse(pa.array(lines, pa.string()), 1)
    assert result.rejects.num_rows == 0, result.rejects.to_pylist()
    parsed: list[dict[str, Any]] = result.records.to_pylist()
    return parsed
