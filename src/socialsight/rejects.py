"""Showing rejected lines from the original logs.

The store never keeps a rejected line's text (an unparsed line may hold a user name or an
address); it keeps the file and the line number, and this module reads the line back from the
file when someone inspects it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from socialsight.sources import compression_of, open_stream

MAX_SHOWN = 500


def show_lines(samples: Iterable[tuple[str, str, str, int]]) -> dict[tuple[str, int], str]:
    """(file id, line) -> text for the given (file id, path, reason, line) samples.

    Lines of files that are gone are absent from the result.
    """
    wanted: dict[tuple[str, str], set[int]] = defaultdict(set)
    for file_id, path, _reason, line in samples:
        wanted[(file_id, path)].add(line)
    texts: dict[tuple[str, int], str] = {}
    for (file_id, path), lines in wanted.items():
        target = Path(path)
        if not target.is_file():
            continue
        last = max(lines)
        try:
            with open_stream(target, compression_of(target)) as stream:
                for number, raw in enumerate(stream, start=1):
                    if number in lines:
                        text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
                        texts[(file_id, number)] = text[:MAX_SHOWN]
                    if number >= last:
                        break
        except OSError:
            continue
    return texts
