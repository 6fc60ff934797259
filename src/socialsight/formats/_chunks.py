"""Chunk plumbing that every format shares: the non-blank lines of a chunk with their line
numbers, the first failed check per line, the ``RECORD_SCHEMA`` and ``REJECT_SCHEMA`` tables,
and the outcome from "blocked" and "failed" masks.

Everything works on whole Arrow arrays; nothing here loops over lines in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

BLANK_CHARS: Final = " \t\r\n\f\v"
"""Characters that make a line blank; a blank line is skipped (neither record nor reject).
ASCII only, so that "blank" has one definition that tests can mirror exactly."""


@dataclass(frozen=True)
class Lines:
    """The non-blank lines of a chunk with their absolute line numbers."""

    text: pa.Array
    """The lines (string), trimmed as :func:`prepare` was asked to."""
    line_no: pa.Array
    """1-based line number of each line in its file (int64)."""


def prepare(lines: pa.Array | pa.ChunkedArray, first_line: int, *, trim: bool = True) -> Lines:
    """Drop blank lines and keep the line numbers of the others.

    With ``trim`` (the default) the kept lines lose the :data:`BLANK_CHARS` at both ends;
    without it only a line end (a CRLF's ``\\r``) is removed and other white space is kept
    (formats whose fields may be empty at the end of a line, such as Zeek TSV).

    >>> p = prepare(pa.array([" a\\r", "", "\\t"]), first_line=5)
    >>> p.text.to_pylist(), p.line_no.to_pylist()
    (['a'], [5])
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if lines.type != pa.string():
        lines = lines.cast(pa.string())
    lines = lines.fill_null("")
    if trim:
        text = pc.utf8_trim(lines, BLANK_CHARS)
        keep = pc.not_equal(text, "")
    else:
        text = pc.utf8_rtrim(lines, "\r\n")
        keep = pc.not_equal(pc.utf8_trim(text, BLANK_CHARS), "")
    line_no = pc.add(pc.indices_nonzero(keep).cast(pa.int64()), first_line)
    return Lines(text.filter(keep), line_no)


def first_failure(n: int, checks: Sequence[tuple[pa.Array, str]]) -> pa.Array:
    """Per row, the reason of the first check that is true (null counts as false), or null
    when all pass.

    >>> checks = [(pa.array([False, True]), "a"), (pa.array([True, None]), "b")]
    >>> first_failure(2, checks).to_pylist()
    ['b', 'a']
    """
    reason = pa.nulls(n, pa.string())
    for bad, code in reversed(checks):
        reason = pc.if_else(pc.fill_null(bad, False), code, reason)
    return reason


def rejects_table(parts: Sequence[tuple[pa.Array, pa.Array | str]]) -> pa.Table:
    """A ``REJECT_SCHEMA`` table from (line numbers, reasons) pairs, sorted by line; a reason
    given as one string applies to every line of its pair.

    >>> rejects_table([(pa.array([4]), "x"), (pa.array([2]), pa.array(["y"]))]).to_pylist()
    [{'log.line': 2, 'reason': 'y'}, {'log.line': 4, 'reason': 'x'}]
    """
    lines: list[pa.Array] = []
    reasons: list[pa.Array] = []
    for line_no, reason in parts:
        if len(line_no) == 0:
            continue
        lines.append(line_no.cast(pa.int64()))
        if isinstance(reason, str):
            reasons.append(pc.fill_null(pa.nulls(len(line_no), pa.string()), reason))
        else:
            reasons.append(reason.cast(pa.string()))
    if not lines:
        return REJECT_SCHEMA.empty_table()
    table = pa.Table.from_arrays(
        [pa.concat_arrays(lines), pa.concat_arrays(reasons)], schema=REJECT_SCHEMA
    )
    return table.sort_by("log.line")


def records_table(columns: dict[str, pa.Array], line_no: pa.Array) -> pa.Table:
    """A ``RECORD_SCHEMA`` table of ``len(line_no)`` rows; each column is cast to its declared
    type, and fields missing from ``columns`` are null.

    >>> t = records_table({"url.domain": pa.array(["a.org"])}, pa.array([7]))
    >>> t.column("url.domain").to_pylist(), t.column("log.line").to_pylist()
    (['a.org'], [7])
    """
    n = len(line_no)
    arrays = []
    for f in RECORD_SCHEMA:
        if f.name == "log.line":
            arrays.append(line_no.cast(pa.int64()))
        elif f.name in columns:
            arrays.append(columns[f.name].cast(f.type))
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(arrays, schema=RECORD_SCHEMA)


def outcome(blocked: pa.Array, failed: pa.Array) -> pa.Array:
    """``event.outcome`` from two masks: blocked wins over failed, the rest is allowed (a
    null mask counts as false).

    >>> outcome(pa.array([True, False, None]), pa.array([True, True, None])).to_pylist()
    ['blocked', 'failed', 'allowed']
    """
    return pc.if_else(
        pc.fill_null(blocked, False),
        "blocked",
        pc.if_else(pc.fill_null(failed, False), "failed", "allowed"),
    )


def match_share(lines: Sequence[str], pattern: str) -> float:
    """Share of the non-blank sample lines (trimmed) that match the regex ``pattern``; what
    most formats' ``sniff`` returns.

    >>> match_share(["CEF:0|x", "  ", "hello"], r"^CEF:")
    0.5
    """
    text = prepare(pa.array(list(lines), pa.string()), 1).text
    if len(text) == 0:
        return 0.0
    hits = pc.sum(pc.match_substring_regex(text, pattern).cast(pa.int64())).as_py()
    return float(hits or 0) / len(text)
