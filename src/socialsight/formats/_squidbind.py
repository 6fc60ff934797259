"""Squid's C scanner, bound without importing Arrow.

The ingest's prefetch (``socialsight.prefetch``) scans the first chunks of a file on a reader
thread while the program is still importing Arrow and DuckDB; :mod:`socialsight.formats.squid`
turns scans into records (``SquidNative.parse_prescanned``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from socialsight.formats._squidscan import ScanBuffer

Scanned = dict[str, "int | ScanBuffer"]
"""What the scanner returns (see ``_squidscan.pyi``)."""

MAX_LINE_CHARS: Final = 32_768
"""Longer lines are rejected as ``too-long``: Squid refuses URLs over 8 KiB (``MAX_URL``), so a
longer line did not come from it, and nothing downstream should carry megabytes per record."""

_scan: Callable[[Buffer, int, int], Scanned] | None
try:
    from socialsight.formats._squidscan import scan as _scan
except ImportError:  # pragma: no cover - tests/test_squidscan.py fails when it is missing
    _scan = None


def prescan(body: Buffer, first_line: int) -> Scanned | None:
    """The scanner's pass over whole lines (``SquidNative.parse_bytes`` does the same), or
    None without the scanner. It releases the GIL, and keeps no reference to ``body``."""
    return None if _scan is None else _scan(body, first_line, MAX_LINE_CHARS)


def plausible(scanned: Scanned) -> bool:
    """Whether most lines of a scanned body look like Squid native: a time stamp first."""
    rows, short, untimed = (scanned[k] for k in ("rows", "short_rows", "time_nulls"))
    assert isinstance(rows, int) and isinstance(short, int) and isinstance(untimed, int)
    return 2 * (rows - untimed) >= rows + short
