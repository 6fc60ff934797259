"""Helpers shared by the comma-separated formats (PAN-OS CSV, Zscaler NSS CSV) and the
formats that escape or render values (CEF, Zscaler JSON).

:func:`split_csv` splits every line of a chunk into fields with real CSV rules (``"`` quoting,
``""`` escapes, commas inside quotes) without a per-line Python loop: lines are grouped by their
field count (computed with two vectorised passes), and each group is read by ``pyarrow.csv`` from
one in-memory buffer. Lines whose quoting cannot be parsed are reported, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from socialsight.ndarrays import from_numpy, to_numpy

if TYPE_CHECKING:
    import numpy as np


MAX_LINE_CHARS: Final = 32_768
"""Longer lines are rejected as ``too-long``: no appliance writes such records (PAN-OS cuts URLs
at 1,023 characters, browsers and proxies refuse URLs of more than a few KiB), and it is the
Squid parser's bound too, so that a hostile line gets the same verdict whatever the format."""

# A quoted CSV field: quotes, anything but a quote or a doubled quote, quotes.
_QUOTED = r'"(?:[^"]|"")*"'


@dataclass(frozen=True)
class CsvSplit:
    """The fields of each line (null beyond a line's last field) and the lines that failed."""

    fields: list[pa.Array]
    """``fields[i]`` holds field ``i`` of every line (string, null when the line is shorter)."""
    count: pa.Array
    """Number of fields of each line (int64); 0 for a line that failed."""
    bad: pa.Array
    """True where the line's quoting could not be parsed."""


def split_csv(lines: pa.Array, n_fields: int) -> CsvSplit:
    """Split each line into its first ``n_fields`` CSV fields.

    >>> s = split_csv(pa.array(['a,"b,c",d', 'x', '"open']), 3)
    >>> [f.to_pylist() for f in s.fields], s.count.to_pylist(), s.bad.to_pylist()
    ([['a', 'x', None], ['b,c', None, None], ['d', None, None]], [3, 1, 0], [False, False, True])
    """
    import numpy as np  # when used: detection imports every parser (issue #6)

    n = len(lines)
    quotes = pc.count_substring(lines, '"')
    bad = pc.equal(pc.bit_wise_and(quotes, 1), 1)
    unquoted = pc.replace_substring_regex(lines, _QUOTED, "")
    count = pc.add(pc.count_substring(unquoted, ","), 1).cast(pa.int64())
    # A null line has no count: it fails like a line whose quoting is broken. (The ingest
    # program's Arrow has no NumPy support, #6: cross through socialsight.ndarrays.)
    count = pc.if_else(bad, 0, count).fill_null(0)
    count_np = to_numpy(count)
    positions: list[np.ndarray] = []
    columns: list[list[pa.Array]] = [[] for _ in range(n_fields)]
    failed: list[np.ndarray] = [np.flatnonzero(count_np == 0)]
    for k in np.unique(count_np[count_np > 0]).tolist():
        idx = np.flatnonzero(count_np == k)
        table, skipped = _read_group(lines.take(from_numpy(idx)), int(k))
        if skipped.size:
            failed.append(idx[skipped])
            idx = np.delete(idx, skipped)
        positions.append(idx)
        for i in range(n_fields):
            columns[i].append(
                table.column(i).combine_chunks() if i < k else pa.nulls(len(idx), pa.string())
            )
    lost = np.concatenate(failed)
    fields = []
    if len(positions) == 1 and not lost.size:
        # The common case, every line with the same field count: already in order.
        fields = [parts[0] for parts in columns]
    else:
        order = from_numpy(np.argsort(np.concatenate([*positions, lost]), kind="stable"))
        for i in range(n_fields):
            parts = [*columns[i], pa.nulls(len(lost), pa.string())]
            fields.append(pa.concat_arrays(parts).take(order) if n else pa.array([], pa.string()))
    bad_mask = np.zeros(n, dtype=bool)
    bad_mask[lost] = True
    count_np = np.where(bad_mask, 0, count_np)
    return CsvSplit(fields=fields, count=from_numpy(count_np), bad=from_numpy(bad_mask))


def _read_group(lines: pa.Array, k: int) -> tuple[pa.Table, np.ndarray]:
    """Read lines that all have ``k`` fields; returns the table and the row indices skipped."""
    import numpy as np  # when used: detection imports every parser (issue #6)

    skipped: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append(row.number - 1 if row.number is not None else -1)
        return "skip"

    # One buffer of "line\n" values: the data buffer of the joined array, no copy per line.
    with_nl = pc.binary_join_element_wise(lines, "\n", "")
    _, offsets_buf, data = with_nl.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)
    start, end = int(offsets[with_nl.offset]), int(offsets[with_nl.offset + len(with_nl)])
    source = pa.BufferReader(data.slice(start, end - start) if data is not None else b"")
    names = [f"f{i}" for i in range(k)]
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 26),
        parse_options=pacsv.ParseOptions(
            delimiter=",",
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    if -1 in skipped or table.num_rows + len(skipped) != len(lines):
        # Row numbers unknown: treat the whole group as unreadable rather than misalign it.
        return table.slice(0, 0), np.arange(len(lines))
    return table, np.array(sorted(skipped), dtype=np.int64)


def pick_keys(
    keys: pa.Array, values: pa.Array, parents: pa.Array, n: int, wanted: Sequence[str]
) -> dict[str, pa.Array]:
    """From flattened key/value pairs (``parents[i]`` is the line of pair ``i``, ascending),
    the value of each wanted key per line: the first occurrence in a line wins; null where the
    line has no such key. Keys are compared as integer codes, never as Python strings."""
    import numpy as np  # when used: detection imports every parser (issue #6)

    codes = pc.index_in(keys, value_set=pa.array(list(wanted), pa.string()))
    code_np = to_numpy(codes.fill_null(-1))
    parent_np = to_numpy(parents)
    padded = pa.concat_arrays([values.cast(pa.string()), pa.nulls(1, pa.string())])
    out: dict[str, pa.Array] = {}
    for i, key in enumerate(wanted):
        rows = np.flatnonzero(code_np == i)
        take = np.full(n, len(values), dtype=np.int64)
        if rows.size:
            lines, first = np.unique(parent_np[rows], return_index=True)
            take[lines] = rows[first]
        out[key] = padded.take(from_numpy(take))
    return out


def quote_csv(values: pa.Array) -> pa.Array:
    """CSV-quote the values that need it (a comma, a quote or edge spaces); ``""`` for null."""
    values = values.fill_null("")
    needs = pc.match_substring_regex(values, r'[,"]|^\s|\s$')
    doubled = pc.replace_substring(values, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), values)


def one_line(values: pa.Array, replacement: str = " ") -> pa.Array:
    """Replace the characters that would end or split a log line (CR, LF, other line breaks
    and C0 controls) so that one record is always one line."""
    return pc.replace_substring_regex(values, r"[\x00-\x1f\x7f\x{85}\x{2028}\x{2029}]", replacement)


def strptime_utc(values: pa.Array, formats: list[str]) -> pa.Array:
    """Parse times with the first format that fits each value (nulls where none does), read
    as UTC, microsecond timestamps."""
    result = pa.nulls(len(values), pa.timestamp("us", tz="UTC"))
    for fmt in formats:
        parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
        result = pc.coalesce(result, pc.assume_timezone(parsed, "UTC"))
    return result
