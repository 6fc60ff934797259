"""The small interface every log format module implements.

A format turns a chunk of decoded log lines into Arrow records (``RECORD_SCHEMA``) plus a
table of rejected lines with reasons. It never does I/O beyond what it is given. The ingest
pipeline creates one instance per file, so a format that needs state across chunks (a W3C
``#Fields`` header that changes mid-file) keeps it on the instance.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa


@dataclass(frozen=True)
class ParseResult:
    """What :meth:`LogFormat.parse` returns for one chunk of lines."""

    records: pa.Table
    """Parsed access records, exactly ``schema.RECORD_SCHEMA``."""
    rejects: pa.Table
    """Lines that are not access records, ``schema.REJECT_SCHEMA`` (line number + reason)."""


class LogFormat(abc.ABC):
    """One log source. Subclasses set the class attributes and implement three methods."""

    name: ClassVar[str]
    """Registry name, used by ``--format`` (e.g. ``squid``)."""
    title: ClassVar[str]
    """Human title for docs and messages (e.g. ``Squid native access.log``)."""
    provides: ClassVar[frozenset[str]] = frozenset()
    """The ``RECORD_SCHEMA`` fields this format can fill (the docs' capability matrix)."""

    @classmethod
    @abc.abstractmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share (0..1) of these sample lines that look like this format; used by detection."""

    @abc.abstractmethod
    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of lines (a pyarrow string array, no line terminators).

        ``first_line`` is the 1-based line number of ``lines[0]`` in its file; records and
        rejects carry absolute line numbers. Empty lines are skipped silently (they are not
        records and carry nothing). Must be vectorised: no per-line Python loop.
        """

    @classmethod
    @abc.abstractmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records (``RECORD_SCHEMA``) as log lines in this format, for the simulator
        and round-trip tests. Fields the format cannot carry are lost."""
