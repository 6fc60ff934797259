"""The real third-party logs of shared/data, for "a format must not claim another format's
files" tests (what each format's ``sniff`` makes of every real log, sampled exactly as
ingest's detection samples it), and their lines as ingest reads them."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

from socialsight.formats.base import LogFormat
from socialsight.sources import compression_of, sample_lines

from conftest import SHARED_DATA

# Folders of shared/data that hold service catalogs and block lists, not logs.
CATALOGS = frozenset(
    {
        "ut1-blacklists",
        "v2fly-domain-list-community",
        "sinfonietta-hostfiles",
        "jmdugan-blocklists",
        "ndpi",
        "adguardhome-blocked-services",
    }
)


@cache
def real_logs() -> tuple[Path, ...]:
    """Every file of shared/data but the catalogs and the READMEs and licences, sorted."""
    return tuple(
        p
        for p in sorted(SHARED_DATA.rglob("*"))
        if p.is_file()
        and p.relative_to(SHARED_DATA).parts[0] not in CATALOGS
        and p.name not in ("README.md", "LICENSE")
    )


@cache
def detection_sample(path: Path) -> tuple[str, ...]:
    """The lines that format detection reads from the file (decompressed)."""
    return tuple(sample_lines(path, compression_of(path)))


def sniff_scores(cls: type[LogFormat]) -> dict[str, float]:
    """``cls.sniff`` of every real log that it scores above zero, by path under shared/data."""
    scores: dict[str, float] = {}
    for path in real_logs():
        lines = detection_sample(path)
        score = cls.sniff(lines) if lines else 0.0
        if score > 0:
            scores[str(path.relative_to(SHARED_DATA))] = score
    return scores


def other_claims(cls: type[LogFormat], own: Sequence[str]) -> dict[str, float]:
    """The real logs outside the ``own`` globs (``fnmatch``, against the path under
    shared/data) that ``cls.sniff`` scores above zero: empty when the format claims nothing
    of any other format, not even a share below the detection threshold."""
    assert len(real_logs()) > 150
    return {
        path: score
        for path, score in sniff_scores(cls).items()
        if not any(fnmatch(path, pattern) for pattern in own)
    }


def read_lines(path: Path) -> list[str]:
    """All lines of a (possibly gzipped) file as ingest reads them: UTF-8 with replacement,
    split on ``\\n``, no empty line after the last newline."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines
