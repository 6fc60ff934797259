"""Generic CSV or JSON-lines logs, read through a small mapping file (TOML) that names which
column or key fills which record field, how time stamps are written, and which values mean
allowed / blocked / failed.

Never auto-detected (``sniff`` is 0): ``socialsight ingest --format generic --mapping m.toml``.
``docs/formats/generic.md`` documents the mapping file with a worked example.

CSV lines are checked against the expected field count with one regular expression per chunk,
then read by ``pyarrow.csv`` from an in-memory buffer; JSON lines are read with DuckDB's JSON
functions (keys passed as query parameters, never as SQL text).
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from socialsight.errors import InputError
from socialsight.formats._chunks import first_failure, prepare, records_table, rejects_table
from socialsight.formats._values import (
    ADDRESS,
    MAX_LINE_CHARS,
    absolute_url,
    empty_null,
    epoch_time,
    group,
    int_value,
    iso_time,
    no_match,
    split_authority,
)
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.ndarrays import from_numpy
from socialsight.schema import OUTCOMES, RECORD_SCHEMA, TIMESTAMP

FIELDS: Final = tuple(f.name for f in RECORD_SCHEMA if f.name != "log.line")
"""Record fields a mapping can fill."""
TIME_FORMATS: Final = ("epoch", "epoch_ms", "iso8601")
_TOP_KEYS: Final = {"format", "delimiter", "header", "columns", "fields", "time", "outcome"}


@dataclass(frozen=True)
class FieldMapping:
    """A validated mapping file (see ``docs/formats/generic.md``)."""

    form: str
    """``csv`` or ``jsonl``."""
    fields: dict[str, str]
    """Record field -> column name (CSV) or key (JSON; ``/a/b`` is a JSON pointer)."""
    delimiter: str = ","
    header: bool = True
    columns: tuple[str, ...] | None = None
    time_format: str = "iso8601"
    zone: str = "UTC"
    outcome_map: dict[str, str] = field(default_factory=dict)
    """Lower-cased raw value -> outcome."""
    outcome_default: str = "allowed"
    source: str = "<mapping>"


def load_mapping(path: str | Path) -> FieldMapping:
    """Read and validate a mapping file; every problem is an ``InputError`` naming the file."""
    where = str(path)
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"mapping file {where} not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read mapping file {where}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"mapping file {where} is not valid TOML: {exc}") from exc
    return parse_mapping(doc, where)


def parse_mapping(doc: dict[str, Any], where: str = "<mapping>") -> FieldMapping:
    """Validate a mapping document (the parsed TOML).

    >>> m = parse_mapping({"format": "csv", "fields": {"@timestamp": "time", "url.domain": "host"},
    ...                    "time": {"format": "epoch"}})
    >>> m.form, m.fields["url.domain"], m.time_format, m.zone
    ('csv', 'host', 'epoch', 'UTC')
    """

    def fail(message: str) -> InputError:
        return InputError(f"mapping {where}: {message}")

    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_TOP_KEYS))}")
    form = doc.get("format")
    if form not in ("csv", "jsonl"):
        raise fail('format must be "csv" or "jsonl"')
    fields = doc.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise fail("a [fields] table is required (record field = column or key)")
    bad = sorted(k for k in fields if k not in FIELDS)
    if bad:
        raise fail(f"unknown record field(s) {', '.join(bad)}; known: {', '.join(FIELDS)}")
    if not all(isinstance(v, str) and v for v in fields.values()):
        raise fail("every [fields] value must be a non-empty column or key name")
    if "@timestamp" not in fields:
        raise fail('[fields] must name the "@timestamp" column')
    if "url.domain" not in fields and "url.original" not in fields:
        raise fail('[fields] must name "url.domain" or "url.original" (the destination)')
    delimiter = doc.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise fail("delimiter must be one character (not a quote or a line break)")
    header = doc.get("header", True)
    if not isinstance(header, bool):
        raise fail("header must be true or false")
    columns = doc.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not all(isinstance(c, str) and c for c in columns)
    ):
        raise fail("columns must be a list of column names")
    if form == "csv" and not header and columns is None:
        raise fail("a CSV without a header line needs columns = [...]")
    time = doc.get("time", {})
    if not isinstance(time, dict) or set(time) - {"format", "zone"}:
        raise fail('[time] takes "format" and "zone"')
    time_format = time.get("format", "iso8601")
    if not isinstance(time_format, str) or (
        time_format not in TIME_FORMATS and "%" not in time_format
    ):
        raise fail(
            'time.format must be "epoch", "epoch_ms", "iso8601" or a strptime pattern '
            'such as "%d/%m/%Y %H:%M:%S"'
        )
    zone = time.get("zone", "UTC")
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(f"unknown time zone {zone!r}") from exc
    outcome = doc.get("outcome", {})
    if not isinstance(outcome, dict) or set(outcome) - {"default", "map"}:
        raise fail('[outcome] takes "default" and a [outcome.map] table')
    default = outcome.get("default", "allowed")
    values = outcome.get("map", {})
    if default not in OUTCOMES or not isinstance(values, dict):
        raise fail(f"outcome.default must be one of {', '.join(OUTCOMES)}")
    wrong = sorted(str(k) for k, v in values.items() if v not in OUTCOMES)
    if wrong:
        raise fail(f"outcome.map values must be {', '.join(OUTCOMES)} (see {', '.join(wrong)})")
    return FieldMapping(
        form=form,
        fields=dict(fields),
        delimiter=delimiter,
        header=header,
        columns=tuple(columns) if columns is not None else None,
        time_format=time_format,
        zone=str(zone),
        outcome_map={str(k).lower(): v for k, v in values.items()},
        outcome_default=default,
        source=where,
    )


DEFAULT_MAPPING: Final = FieldMapping(
    form="csv",
    fields={name: name for name in FIELDS},
    time_format="iso8601",
)
"""What :meth:`Generic.write` writes: a CSV with a header naming the record fields."""


def _csv_field(delimiter: str) -> str:
    d = re.escape(delimiter)
    return rf'(?:"(?:[^"]|"")*"|[^"{d}]*)'


def _joined(text: pa.Array) -> pa.Buffer:
    """The lines as one newline-terminated buffer, without a Python string per line: the
    values buffer of ``line + "\\n"`` is exactly that text."""
    import numpy as np  # when used: detection imports every parser (issue #6)

    with_nl = pc.binary_join_element_wise(text, "\n", "")
    if with_nl.type != pa.string():
        with_nl = with_nl.cast(pa.string())
    offsets = np.frombuffer(with_nl.buffers()[1], dtype=np.int32)[
        with_nl.offset : with_nl.offset + len(with_nl) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    return with_nl.buffers()[2].slice(start, end - start)


def _unpadded(text: pa.Array) -> pa.Array:
    """Numbers without leading zeros, for comparing a time with its re-formatted self."""
    return pc.replace_substring_regex(text, r"(^|\D)0+(\d)", r"\1\2")


class Generic(LogFormat):
    """CSV or JSON lines with a mapping file.

    >>> import pyarrow as pa
    >>> m = parse_mapping({"format": "csv", "fields": {"@timestamp": "t", "url.domain": "h",
    ...                    "user.name": "u"}, "time": {"format": "epoch"}})
    >>> res = Generic(m).parse(pa.array(["t,h,u", "1700000000,WWW.Example.org,alice"]), 1)
    >>> row = res.records.to_pylist()[0]
    >>> str(row["@timestamp"]), row["url.domain"], row["user.name"], row["event.outcome"]
    ('2023-11-14 22:13:20+00:00', 'www.example.org', 'alice', 'allowed')
    """

    name: ClassVar[str] = "generic"
    title: ClassVar[str] = "Generic CSV or JSON lines (with a mapping file)"
    provides: ClassVar[frozenset[str]] = frozenset(FIELDS)
    detectable: ClassVar[bool] = False

    def __init__(self, mapping: FieldMapping | None = None) -> None:
        self.mapping = mapping
        self._columns: tuple[str, ...] | None = mapping.columns if mapping else None
        self._header_text: str | None = None
        self._con: Any = None

    @classmethod
    def configured(cls, options: Mapping[str, str]) -> Generic:
        """``{"mapping": PATH}`` is required; the file is read and validated now."""
        unknown = sorted(set(options) - {"mapping"})
        if unknown:
            raise InputError(f"format generic takes only a mapping (not {', '.join(unknown)})")
        if not options.get("mapping"):
            raise InputError("format generic needs a mapping file: --mapping FILE.toml")
        return cls(load_mapping(options["mapping"]))

    def state(self) -> str | None:
        """The CSV header line read at the top of the file, if any."""
        return self._header_text

    def restore(self, state: str) -> None:
        self._header_text = state
        if self._columns is None and self.mapping is not None:
            try:
                row = next(csv.reader([state], delimiter=self.mapping.delimiter), [])
            except csv.Error:
                row = []
            self._columns = tuple(c.strip() for c in row) or None

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Always 0: a generic file is read only when asked for, with its mapping."""
        return 0.0

    # -- parsing ----------------------------------------------------------------------------
    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk with the mapping; every non-blank line is a record or a reject (a
        CSV header line, and copies of it, are skipped)."""
        prep = prepare(lines, first_line, trim=False)
        text, line_no = prep.text, prep.line_no
        m = self.mapping
        if m is None:
            return ParseResult(records_table({}, pa.array([], pa.int64())),
                               rejects_table([(line_no, "no-mapping")]))  # fmt: skip
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        reject_parts: list[tuple[pa.Array, pa.Array | str]] = [
            (line_no.filter(too_long), "too-long")
        ]
        keep = pc.invert(too_long)
        text, line_no = text.filter(keep), line_no.filter(keep)
        if m.form == "csv":
            text, line_no = self._skip_header(text, line_no, first_line)
            raw, pre = self._csv(text)
        else:
            raw, pre = self._json(text)
        records, reasons = self._convert(raw, len(text))
        reason = pc.coalesce(pre, reasons)
        ok = reason.is_null()
        reject_parts.append((line_no.filter(pc.invert(ok)), reason.drop_null()))
        records = records.filter(ok)
        result = records_table(
            {name: records.column(name) for name in records.column_names}, line_no.filter(ok)
        )
        return ParseResult(records=result, rejects=rejects_table(reject_parts))

    def _skip_header(
        self, text: pa.Array, line_no: pa.Array, first_line: int
    ) -> tuple[pa.Array, pa.Array]:
        m = self.mapping
        assert m is not None
        if m.header and self._header_text is None and len(text) and first_line == 1:
            self._header_text = text[0].as_py()
            if self._columns is None:
                try:
                    row = next(csv.reader([self._header_text], delimiter=m.delimiter), [])
                except csv.Error:
                    # An unreadable header names no columns: every line is then a
                    # counted ``no-header`` reject rather than a crash.
                    row = []
                self._columns = tuple(c.strip() for c in row) or None
        if self._header_text is not None:
            # A header repeated further down (files concatenated) is not a record.
            repeat = pc.equal(text, self._header_text)
            text, line_no = text.filter(pc.invert(repeat)), line_no.filter(pc.invert(repeat))
        return text, line_no

    def _csv(self, text: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
        m = self.mapping
        assert m is not None
        n = len(text)
        columns = self._columns
        if columns is None:
            return {}, pc.fill_null(pa.nulls(n, pa.string()), "no-header")
        d = re.escape(m.delimiter)
        one = _csv_field(m.delimiter)
        well_formed = pc.match_substring_regex(text, rf"^{one}(?:{d}{one})*$")
        exact = pc.match_substring_regex(text, rf"^{one}(?:{d}{one}){{{len(columns) - 1}}}$")
        pre = pc.if_else(
            pc.invert(well_formed),
            "bad-csv",
            pc.if_else(pc.invert(exact), "bad-field-count", pa.scalar(None, pa.string())),
        )
        good = pre.is_null()
        good_text = text.filter(good)
        names = [f"c{i}" for i in range(len(columns))]
        if len(good_text):
            table = pa_csv.read_csv(
                pa.BufferReader(_joined(good_text)),
                read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
                parse_options=pa_csv.ParseOptions(delimiter=m.delimiter),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                ),
            )
        else:
            table = pa.table({c: pa.array([], pa.string()) for c in names})
        # Back to one row per input line: rejected lines get nulls.
        index = pc.subtract(pc.cumulative_sum(good.cast(pa.int64())), 1)
        index = pc.if_else(good, index, None)
        raw = {}
        for name, column in zip(columns, names, strict=True):
            raw[name] = pc.take(table.column(column).combine_chunks(), index)
        return raw, pre

    def _json(self, text: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
        import numpy as np  # when used: detection imports every parser (issue #6)

        m = self.mapping
        assert m is not None
        if self._con is None:
            import duckdb  # imported when a generic file is read: detection imports this module

            self._con = duckdb.connect()
        keys = sorted(set(m.fields.values()))
        pointers = [k if k.startswith("/") else "/" + k.replace("~", "~0").replace("/", "~1")
                    for k in keys]  # fmt: skip
        # Not pa.array(ndarray): the ingest program's Arrow has no NumPy support (#6).
        lines_in = pa.table({"i": from_numpy(np.arange(len(text), dtype=np.int64)), "line": text})
        self._con.register("lines_in", lines_in)
        try:
            out = self._con.sql(
                """
                SELECT i, coalesce(ty = 'OBJECT', false) AS obj,
                       CASE WHEN ty = 'OBJECT' THEN json_extract_string(line, ?::VARCHAR[]) END AS v
                FROM (SELECT i, line, CASE WHEN json_valid(line) THEN json_type(line) END AS ty
                      FROM lines_in)
                ORDER BY i
                """,
                params=[pointers],
            ).to_arrow_table()
        finally:
            self._con.unregister("lines_in")
        values = out.column("v").combine_chunks()
        values = pc.if_else(values.is_valid(), values, pa.scalar([None] * len(keys), values.type))
        raw = {key: pc.list_element(values, i) for i, key in enumerate(keys)}
        obj = out.column("obj").combine_chunks()
        pre = pc.if_else(obj, pa.scalar(None, pa.string()), "bad-json")
        return raw, pre

    def _convert(self, raw: dict[str, pa.Array], n: int) -> tuple[pa.Table, pa.Array]:
        m = self.mapping
        assert m is not None

        def value(name: str) -> pa.Array:
            source = m.fields.get(name)
            if source is None or source not in raw:
                return pa.nulls(n, pa.string())
            return empty_null(pc.utf8_trim_whitespace(raw[source]))

        stamp, time_bad = self._time(value("@timestamp"))
        original = value("url.original")
        absolute = absolute_url(original)
        host_given = value("url.domain")
        # A bare IPv6 address (two colons or more, no brackets) is a host, not host:port.
        bare_v6 = pc.match_substring_regex(host_given, r"^[^\[\]]*:[^\[\]]*:")
        host_given = pc.if_else(
            bare_v6, pc.binary_join_element_wise("[", host_given, "]", ""), host_given
        )
        # The destination: the host column, else the authority of an absolute URL.
        authority = pc.coalesce(
            host_given, pc.if_else(absolute["is_absolute"], absolute["authority"], None)
        )
        parts = split_authority(authority)
        port_text = value("destination.port")
        port, port_bad = int_value(port_text, 5)
        port_bad = pc.or_(port_bad, pc.greater(port, 65535).fill_null(False))
        port = pc.coalesce(
            port.cast(pa.int32()),
            parts["port"],
            pc.if_else(host_given.is_null(), absolute["default_port"], None),
        )
        status_text = value("http.response.status_code")
        status, status_bad = int_value(status_text, 3)
        up, up_bad = int_value(value("http.request.bytes"))
        down, down_bad = int_value(value("http.response.bytes"))
        duration, duration_bad = int_value(value("event.duration_ms"))
        raw_outcome = value("event.outcome")
        outcome = self._outcome(raw_outcome, status)
        columns = {
            "@timestamp": stamp,
            "user.name": value("user.name"),
            "source.address": value("source.address"),
            "organization.unit": value("organization.unit"),
            "http.request.method": pc.utf8_upper(value("http.request.method")),
            "url.domain": parts["domain"],
            "destination.port": port,
            "http.response.status_code": status,
            "event.action": value("event.action"),
            "event.outcome": outcome,
            "http.request.bytes": up,
            "http.response.bytes": down,
            "event.duration_ms": duration,
            "http.response.mime_type": value("http.response.mime_type"),
            "url.original": original,
        }
        reason = first_failure(
            n,
            [
                (time_bad, "bad-timestamp"),
                (stamp.is_null(), "bad-timestamp"),
                (no_match(value("source.address"), ADDRESS), "bad-client"),
                (parts["host_bad"], "bad-host"),
                (pc.or_(port_bad, parts["port_bad"]), "bad-port"),
                (status_bad, "bad-status"),
                (pc.or_(up_bad, down_bad), "bad-bytes"),
                (duration_bad, "bad-duration"),
                (no_match(value("http.request.method"), r"^[A-Za-z_][A-Za-z0-9_-]*$"),
                 "bad-method"),
            ],
        )  # fmt: skip
        table = pa.table({k: v.cast(RECORD_SCHEMA.field(k).type) for k, v in columns.items()})
        return table, reason

    def _time(self, text: pa.Array) -> tuple[pa.Array, pa.Array]:
        m = self.mapping
        assert m is not None
        if m.time_format == "epoch":
            return epoch_time(text)
        if m.time_format == "epoch_ms":
            match = pc.extract_regex(text, r"^(?P<ms>\d{1,13})(?:\.(?P<frac>\d{1,3}))?$")
            ms = group(match, "ms").cast(pa.int64())
            frac = pc.utf8_rpad(group(match, "frac", empty_as_null=False), 3, "0")
            micros = pc.add(pc.multiply(ms, 1000), frac.cast(pa.int64()))
            bad = pc.and_(text.is_valid(), pc.invert(match.is_valid()))
            return micros.cast(TIMESTAMP), bad
        if m.time_format == "iso8601":
            return iso_time(text, naive_zone=m.zone)
        parsed = pc.strptime(text, format=m.time_format, unit="us", error_is_null=True)
        if parsed.type.tz is None:
            if m.zone.upper() == "UTC":
                parsed = parsed.cast(TIMESTAMP)
            else:
                parsed = pc.assume_timezone(
                    parsed, timezone=m.zone, ambiguous="earliest", nonexistent="latest"
                )
        stamp = parsed.cast(TIMESTAMP)
        # strptime rolls 31/02 over to March: keep only times that format back to the text
        # (leading zeros aside, so that "7/3/2024" matches "%d/%m/%Y").
        if "%z" in m.time_format:
            return stamp, pc.and_(text.is_valid(), stamp.is_null())
        naive = pc.strptime(text, format=m.time_format, unit="s", error_is_null=True)
        back = pc.strftime(naive, format=m.time_format)
        exact = pc.equal(_unpadded(back), _unpadded(text))
        stamp = pc.if_else(exact.fill_null(False), stamp, None)
        return stamp, pc.and_(text.is_valid(), stamp.is_null())

    def _outcome(self, raw: pa.Array, status: pa.Array) -> pa.Array:
        m = self.mapping
        assert m is not None
        default = m.outcome_default
        if m.outcome_map:
            keys = pa.array(list(m.outcome_map))
            mapped = pc.take(
                pa.array(list(m.outcome_map.values())),
                pc.index_in(pc.utf8_lower(raw), value_set=keys),
            )
        else:
            mapped = pa.nulls(len(raw), pa.string())
        # A value that already is an outcome name is taken as it is.
        lowered = pc.utf8_lower(raw)
        mapped = pc.coalesce(
            mapped, pc.if_else(pc.is_in(lowered, value_set=pa.array(OUTCOMES)), lowered, None)
        )
        # Otherwise a 5xx status says failed, and anything else is the default.
        fallback = pc.if_else(pc.greater_equal(status, 500).fill_null(False), "failed", default)
        return pc.coalesce(mapped, fallback)

    # -- writing ----------------------------------------------------------------------------
    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """A CSV with a header naming the record fields (:data:`DEFAULT_MAPPING`; the mapping
        in ``docs/formats/generic-records.toml`` reads it back), ISO 8601 UTC times, quoted
        where needed. Values starting with ``=``, ``+``, ``-`` or ``@`` are written as they are:
        the file is for socialsight, not for a spreadsheet."""
        if records.num_rows == 0:
            return []
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        columns = []
        for name in FIELDS:
            column = records.column(name).combine_chunks()
            if name == "@timestamp":
                column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
                column = pc.binary_join_element_wise(column, "Z", "")
            column = column.cast(pa.string())
            # One record must stay one line: ingest splits on line breaks, not on CSV quoting.
            column = pc.replace_substring_regex(column, r"[\r\n\x{85}\x{2028}\x{2029}]", " ")
            columns.append(column.to_pylist())
        writer.writerows(zip(*columns, strict=True))
        return out.getvalue().split("\n")[:-1]


FORMATS = (Generic,)
