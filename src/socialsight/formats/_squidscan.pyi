"""Type stub of the C extension ``socialsight.formats._squidscan`` (``_squidscan.c``)."""

from typing_extensions import Buffer

class ScanBuffer:
    """Read-only memory filled by :func:`scan` (buffer protocol; wrap with ``pa.py_buffer``)."""

    def __buffer__(self, flags: int, /) -> memoryview: ...

def count_lines(body: Buffer, /) -> int:
    """The newlines in ``body``, counted without the GIL."""

def scan(body: Buffer, first_line: int, max_chars: int, /) -> dict[str, int | ScanBuffer]:
    """Cut whole Squid native lines (UTF-8, each ending in a newline) into columns.

    Invalid UTF-8 is replaced by U+FFFD exactly as ``bytes.decode("utf-8", "replace")`` does
    (in a copy; ``replaced_utf8`` is then 1).

    Ints: ``replaced_utf8``, ``lines`` (newlines in body), ``rows`` (complete lines),
    ``short_rows``, ``<name>_distinct`` per dictionary, the null counts ``time_nulls``,
    ``elapsed_nulls``, ``bytes_nulls``, ``url_nulls``, ``url_key_nulls``, and
    ``elapsed_bad_rows``, ``bytes_bad_rows``.

    Buffers per complete line: ``line`` (int64 absolute line number); ``time``, ``elapsed``,
    ``bytes`` (int64) with the validity bitmaps ``time_valid``, ``elapsed_valid``,
    ``bytes_valid``; the bitmaps ``elapsed_bad``, ``bytes_bad``, ``url_valid`` (not ``-``) and
    ``url_key_valid`` (the URL has a host key); ``url_offsets``, ``url_data`` (int32 offsets,
    UTF-8). Per dictionary (``client``, ``code``, ``method``, ``user``, ``hier``, ``mime``,
    ``url_key``): ``<name>_indices`` (int32 per row), ``<name>_offsets`` and ``<name>_data``
    (the distinct values).

    Short or too-long lines: ``short_line`` (int64), ``short_offsets``, ``short_data`` (the
    trimmed text), ``short_too_long`` (one byte each).

    Raises ValueError for a body over 1 GiB (also once replaced) or one that does not end with
    a newline.
    """

def _collide_hashes(on: bool, /) -> None:
    """For tests: when on, every value hashes alike, so that each dictionary lookup compares
    the values themselves (the path of real collisions, which the per-call seed of the hash
    makes impossible to aim at). Slow; the results are the same."""
