"""The small interface every log format module implements.

A format turns a chunk of decoded log lines into Arrow records (``RECORD_SCHEMA``) plus a
table of rejected lines with reasons. It never does I/O beyond what it is given. The ingest
pipeline creates one instance per file, so a format that needs state across chunks (a W3C
``#Fields`` header that changes mid-file) keeps it on the instance.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa

from socialsight.errors import InputError

if TYPE_CHECKING:
    from socialsight.sources import Body


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
    detectable: ClassVar[bool] = True
    """False for formats read only when named with ``--format`` (they are not sniffed)."""
    replaces_invalid_utf8: ClassVar[bool] = False
    """True when :meth:`parse_bytes` takes bytes that are not valid UTF-8 and replaces them by
    U+FFFD as the reader would (Squid's C scanner): the reader then skips its own check."""
    takes_timezone: ClassVar[bool] = False
    """True for formats whose time stamps may carry no zone: ingest passes the configured
    ``timezone`` to :meth:`configured` as the zone to read them in."""

    @classmethod
    def configured(cls, options: Mapping[str, str]) -> LogFormat:
        """A parser built with user options (``socialsight ingest --mapping FILE`` gives
        ``{"mapping": FILE}``). Formats without options accept only an empty mapping; a format
        that needs options (``generic``) overrides this and raises ``InputError`` when they
        are missing or invalid."""
        if options:
            raise InputError(f"format {cls.name} takes no options ({', '.join(sorted(options))})")
        return cls()

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

    def parse_bytes(self, body: Body, first_line: int) -> tuple[int, ParseResult]:
        """Parse whole lines given as bytes (valid UTF-8, every line ending with a newline):
        the number of lines in ``body`` and what :meth:`parse` gives for them.

        Ingest calls this. The default decodes the lines and calls :meth:`parse`; a format
        with a faster path from bytes (Squid's C scanner) overrides it. The records may hold
        some string columns dictionary-encoded (``pa.dictionary(pa.int32(), pa.string())``);
        cast to ``RECORD_SCHEMA`` they must equal what :meth:`parse` gives.
        """
        from socialsight.sources import decode_lines

        lines = decode_lines(body)
        return len(lines), self.parse(lines, first_line)

    def parse_prescanned(self, prescanned: object) -> tuple[int, ParseResult]:
        """:meth:`parse_bytes` of a body that the ingest's prefetch already scanned, for a
        format it prefetches (``socialsight.prefetch.PRESCANS``)."""
        raise NotImplementedError(f"format {self.name} is not prefetched")

    def state(self) -> str | None:
        """What a new instance needs to go on reading this file where this one stopped (the
        header in force for W3C, Zeek TSV or CSV), or None for formats without such state.
        Ingest keeps it in the ledger with every committed batch, so that lines appended to a
        file after its header was read are parsed with that header."""
        return None

    def restore(self, state: str) -> None:
        """Take up the :meth:`state` saved by an earlier instance on the same file."""
        del state  # stateless formats have nothing to take up

    @classmethod
    @abc.abstractmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records (``RECORD_SCHEMA``) as log lines in this format, for the simulator
        and round-trip tests. Fields the format cannot carry are lost."""
