"""What the three Zeek formats (``zeek_http``, ``zeek_ssl``, ``zeek_dns``) share: reading the
TSV form with its ``#`` headers and the JSON-lines form, and writing the TSV form.

**TSV** (Zeek's ASCII writer): ``#separator \\x09``, ``#set_separator``, ``#empty_field``,
``#unset_field``, ``#path``, ``#open``, ``#fields``, ``#types`` and ``#close`` header lines,
then one record per line, fields separated by the separator. Headers may repeat anywhere (files
concatenated, a writer restarted); the header state lives on the parser instance, so it carries
over from one chunk to the next. Only the few header lines are handled in a Python loop; the
records between them are split with ``pyarrow.compute``, one pass per distinct header state.
Zeek escapes a separator, a backslash and non-printable bytes inside a value as ``\\xNN`` /
``\\\\``; a value that is literally ``-`` is written ``\\x2d``. Escaped values are decoded (a
loop over the distinct escaped values only).

**JSON lines** (``LogAscii::use_json=T``, or shipped by filebeat/RITA): one object per line with
flat dotted keys (``"id.orig_h"``), ``ts`` as epoch seconds or an ISO 8601 string; an optional
``_path`` key; also Apache Metron's wrapped form ``{"http": {...}}``. Lines are read with DuckDB's
JSON functions over the Arrow array (every key of interest in one pass).

Both forms feed the same raw string columns into one shared conversion, so that the TSV and the
JSON of the same traffic give the same records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._chunks import first_failure, prepare, records_table, rejects_table
from socialsight.formats._values import (
    ADDRESS,
    MAX_LINE_CHARS,
    any_time,
    empty_null,
    no_match,
    port_number,
)
from socialsight.formats.base import LogFormat, ParseResult
from socialsight.ndarrays import from_numpy, to_numpy

_DIRECTIVES = (
    "separator",
    "set_separator",
    "empty_field",
    "unset_field",
    "path",
    "open",
    "close",
    "fields",
    "types",
)
_HEADER = re.compile(r"^#([a-z_]+)")
_JSON_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Header:
    """The TSV header state in force at some point of a file."""

    separator: str = "\t"
    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"
    path: str | None = None
    fields: tuple[str, ...] | None = None


def _decode_header_value(value: str) -> str:
    """``\\x09`` -> tab, as in ``#separator \\x09``."""
    return re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)


def apply_header(state: Header, line: str) -> tuple[Header, str | None]:
    """The state after one ``#`` line, and a reject reason when the line is not a Zeek header."""
    match = _HEADER.match(line)
    if match is None or match.group(1) not in _DIRECTIVES:
        return state, "unknown-header"
    name = match.group(1)
    rest = line[len(name) + 1 :]
    # "#name<separator>value"; "#separator \x09" itself uses a space, and btest baselines
    # mask "#open" with a space too.
    if rest.startswith(state.separator):
        value = rest[len(state.separator) :]
    elif rest[:1] in (" ", "\t"):
        value = rest[1:]
    elif rest == "":
        value = ""
    else:
        return state, "unknown-header"
    if name == "separator":
        sep = _decode_header_value(value.strip(" "))
        return (replace(state, separator=sep), None) if sep else (state, "bad-header")
    if name == "set_separator":
        return replace(state, set_separator=_decode_header_value(value)), None
    if name == "empty_field":
        return replace(state, empty=value), None
    if name == "unset_field":
        return replace(state, unset=value), None
    if name == "path":
        return replace(state, path=value), None
    if name == "fields":
        fields = tuple(value.split(state.separator))
        return (replace(state, fields=fields), None) if all(fields) else (state, "bad-header")
    return state, None  # open, close, types: nothing to keep


def unescape(values: pa.Array) -> pa.Array:
    r"""Undo the TSV escapes that Zeek's JSON writer does not use: ``\\`` is one backslash and
    a value that is exactly ``\x2d`` is a literal ``-``.

    Other ``\xNN`` escapes (non-printable or invalid UTF-8 bytes, an escaped separator) stay
    as text, exactly as Zeek's JSON writer renders the same bytes: so both forms of the same
    traffic read the same, and no control character reaches the store.
    """
    values = pc.if_else(pc.equal(values, "\\x2d"), "-", values)
    return pc.replace_substring(values, "\\\\", "\\")


def _escape_py(value: str, separator: str, extra: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or ch == separator or ch in extra:
            out.append(f"\\x{code:02x}")
        elif ch in "\x85\u2028\u2029":
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def escape(values: pa.Array, extra: str = "") -> pa.Array:
    """A field as Zeek's TSV writer writes it: ``-`` for null, ``(empty)`` for an empty
    string, ``\\x2d`` for a literal ``-``, and escapes for backslashes, separators, control
    characters and line separators (``extra``: more characters to escape, e.g. the set
    separator). Only distinct values that need escaping go through Python."""
    values = values.cast(pa.string())
    mask = pc.match_substring_regex(
        values, r"[\\\x00-\x1f\x7f\x{85}\x{2028}\x{2029}" + re.escape(extra) + "]"
    ).fill_null(False)
    if pc.any(mask).as_py():
        distinct = pc.unique(values.filter(mask))
        done = pa.array([_escape_py(v, "\t", extra) for v in distinct.to_pylist()], pa.string())
        values = pc.if_else(mask, pc.take(done, pc.index_in(values, value_set=distinct)), values)
    values = pc.if_else(pc.equal(values, "-"), "\\x2d", values)
    values = pc.if_else(pc.equal(values, ""), "(empty)", values)
    return values.fill_null("-")


def epoch_text(timestamps: pa.Array) -> pa.Array:
    """UTC timestamps as Zeek writes ``ts``: seconds with six decimals (from 1970 on)."""
    micros = timestamps.cast(pa.int64())
    seconds = pc.divide(micros, 1_000_000)
    frac = pc.subtract(micros, pc.multiply(seconds, 1_000_000))
    return pc.binary_join_element_wise(
        seconds.cast(pa.string()), pc.utf8_lpad(frac.cast(pa.string()), 6, "0"), "."
    )


class ZeekLog(LogFormat):
    """A Zeek log read from TSV or JSON lines; subclasses name the log and map its fields."""

    path: ClassVar[str]
    """Zeek's ``#path`` / ``_path`` of this log (``http``, ``ssl``, ``dns``)."""
    fields: ClassVar[tuple[str, ...]]
    """The Zeek fields read (``ts``, ``id.orig_h``, ``id.resp_h``, ``id.resp_p`` always)."""
    first_of: ClassVar[frozenset[str]] = frozenset()
    """Set/vector fields of which only the first element is read."""
    joined: ClassVar[frozenset[str]] = frozenset()
    """Set/vector fields read whole, elements joined with ``,``."""
    markers: ClassVar[tuple[str, ...]]
    """Fields that identify this log when no ``#path``/``_path`` says which log it is."""
    foreign: ClassVar[tuple[str, ...]] = ()
    """Fields whose presence means another log that happens to share the markers."""
    write_fields: ClassVar[tuple[tuple[str, str], ...]]
    """(field, Zeek type) written by :meth:`write`, in Zeek's default order."""

    _COMMON: ClassVar[tuple[str, ...]] = ("ts", "id.orig_h", "id.resp_h", "id.resp_p")

    def __init__(self) -> None:
        self._header = Header()
        self._con: Any = None

    def state(self) -> str | None:
        """The TSV header in force (separators, path, fields) as JSON."""
        return json.dumps(asdict(self._header))

    def restore(self, state: str) -> None:
        saved = json.loads(state)
        fields = saved.pop("fields")
        self._header = Header(**saved, fields=None if fields is None else tuple(fields))

    # -- detection --------------------------------------------------------------------------
    @classmethod
    def _is_mine(cls, path: str | None, keys: Sequence[str]) -> bool:
        if path is not None:
            return path == cls.path or re.match(rf"^{cls.path}[_.-]", path) is not None
        return all(k in keys for k in cls.markers) and not any(k in keys for k in cls.foreign)

    @classmethod
    def sniff(cls, lines: Sequence[str]) -> float:
        """Share of the non-blank sample lines that are Zeek headers or records of this log
        (TSV with a valid time stamp and the right field count, or JSON objects)."""
        sample = [line.rstrip("\r\n") for line in lines if line.strip()]
        if not sample:
            return 0.0
        state = Header()
        headers = hits = 0
        mine = False
        for line in sample:
            if line.startswith("#"):
                state, reason = apply_header(state, line)
                if reason is None:
                    headers += 1
                    if state.fields is not None:
                        mine = mine or cls._is_mine(state.path, state.fields)
                continue
            if line.lstrip(" \t").startswith("{"):
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(doc, dict):
                    continue
                path = doc.get("_path")
                if len(doc) == 1:
                    [(key, value)] = doc.items()
                    if isinstance(value, dict) and _JSON_PATH.match(key):
                        path, doc = key, value
                ok = cls._is_mine(path if isinstance(path, str) else None, list(doc))
                hits += ok and "ts" in doc
                continue
            if state.fields is None or not cls._is_mine(state.path, state.fields):
                continue
            parts = line.split(state.separator)
            if len(parts) == len(state.fields) and "ts" in state.fields:
                ts = parts[state.fields.index("ts")]
                hits += re.match(r"^\d{9,10}(?:\.\d{1,9})?$", ts) is not None
        if mine:
            hits += headers
        return hits / len(sample)

    # -- parsing ----------------------------------------------------------------------------
    def parse(self, lines: pa.Array, first_line: int) -> ParseResult:
        """Parse a chunk of TSV and/or JSON lines; never raises on content.

        Header lines update the state kept on this instance; unknown ``#`` lines are rejected
        as ``unknown-header``. Every other non-blank line is one record or one reject.
        """
        import numpy as np  # when used: detection imports every parser (issue #6)

        prep = prepare(lines, first_line, trim=False)
        text, line_no = prep.text, prep.line_no
        too_long = pc.greater(pc.utf8_length(text), MAX_LINE_CHARS)
        is_header = pc.and_(pc.starts_with(text, "#"), pc.invert(too_long))
        # "[" too: a JSON array is a bad JSON record, not a TSV line.
        is_json = pc.and_(
            pc.and_(pc.match_substring_regex(text, r"^[ \t]*[{\[]"), pc.invert(too_long)),
            pc.invert(is_header),
        )
        is_tsv = pc.invert(pc.or_(pc.or_(is_header, is_json), too_long))

        pieces: list[pa.Table] = []
        reject_parts: list[tuple[pa.Array, pa.Array | str]] = [
            (line_no.filter(too_long), "too-long")
        ]

        # Headers: a loop over the header lines only. (NumPy crossings go through
        # socialsight.ndarrays: the ingest program's Arrow has no NumPy support, #6.)
        header_pos = to_numpy(pc.indices_nonzero(is_header))
        states = [self._header]
        bad_header_lines: list[int] = []
        bad_header_reasons: list[str] = []
        header_lines = line_no.filter(is_header).to_pylist()
        for number, line in zip(header_lines, text.filter(is_header).to_pylist(), strict=True):
            state, reason = apply_header(states[-1], line)
            states.append(state)
            if reason is not None:
                bad_header_lines.append(number)
                bad_header_reasons.append(reason)
        self._header = states[-1]
        reject_parts.append(
            (pa.array(bad_header_lines, pa.int64()), pa.array(bad_header_reasons, pa.string()))
        )

        # TSV records, one pass per distinct header state.
        tsv_pos = to_numpy(pc.indices_nonzero(is_tsv))
        if len(tsv_pos):
            group = np.searchsorted(header_pos, tsv_pos, side="right")
            distinct: dict[Header, list[int]] = {}
            for g in np.unique(group).tolist():
                distinct.setdefault(states[g], []).append(g)
            for state, groups in distinct.items():
                rows = from_numpy(tsv_pos[np.isin(group, groups)])
                pieces.append(self._tsv_piece(text.take(rows), line_no.take(rows), state))
        if pc.any(is_json).as_py():
            pieces.append(self._json_piece(text.filter(is_json), line_no.filter(is_json)))

        names = ["_line", "_reason", *self._all_fields()]
        if pieces:
            raw = pa.concat_tables(pieces)
        else:
            raw = pa.table({n: pa.array([], pa.int64() if n == "_line" else pa.string())
                            for n in names})  # fmt: skip
        records, rejects = self._finish(raw)
        reject_parts.append(rejects)
        return ParseResult(records=records.sort_by("log.line"), rejects=rejects_table(reject_parts))

    @classmethod
    def _all_fields(cls) -> list[str]:
        seen = dict.fromkeys([*cls._COMMON, *cls.fields, *cls.markers, *cls.foreign])
        return list(seen)

    def _tsv_piece(self, text: pa.Array, line_no: pa.Array, state: Header) -> pa.Table:
        n = len(text)
        names = self._all_fields()
        columns: dict[str, pa.Array] = {}
        if state.fields is None:
            return self._rejected_piece(line_no, "no-fields-header")
        if not self._is_mine(state.path, state.fields):
            return self._rejected_piece(line_no, f"not-{self.path}-log")
        if "ts" not in state.fields:
            return self._rejected_piece(line_no, "missing-fields")
        # Count separators first: the split is only needed up to the last field read.
        count = pc.add(pc.count_substring(text, state.separator), 1)
        width = len(state.fields)
        reason = pc.if_else(
            pc.less(count, width),
            "truncated",
            pc.if_else(pc.greater(count, width), "bad-field-count", pa.scalar(None, pa.string())),
        )
        good = reason.is_null()
        bad_part = self._rejected_piece(line_no.filter(pc.invert(good)), "")
        bad_part = bad_part.set_column(1, "_reason", reason.filter(pc.invert(good)))
        text, line_no = text.filter(good), line_no.filter(good)
        n = len(text)
        wanted = [state.fields.index(name) for name in names if name in state.fields]
        split = pc.split_pattern(text, state.separator, max_splits=max(wanted, default=0) + 1)
        escaped = pc.any(pc.match_substring(text, "\\")).as_py()
        for name in names:
            if name not in state.fields:
                columns[name] = pa.nulls(n, pa.string())
                continue
            value = pc.list_element(split, state.fields.index(name))
            value = pc.if_else(pc.equal(value, state.unset), None, value)
            value = pc.if_else(pc.equal(value, state.empty), "", value)
            if name in self.first_of:
                # An empty set has no first element.
                value = pc.if_else(pc.equal(value, ""), None, value)
                value = pc.list_element(
                    pc.split_pattern(value, state.set_separator, max_splits=1), 0
                )
            elif name in self.joined and state.set_separator != ",":
                value = pc.replace_substring(value, state.set_separator, ",")
            columns[name] = unescape(value) if escaped else value
        good_part = pa.table({"_line": line_no, "_reason": pa.nulls(n, pa.string()), **columns})
        return pa.concat_tables([good_part, bad_part])

    def _rejected_piece(self, line_no: pa.Array, reason: str) -> pa.Table:
        n = len(line_no)
        reasons = pc.fill_null(pa.nulls(n, pa.string()), reason)
        columns = {name: pa.nulls(n, pa.string()) for name in self._all_fields()}
        return pa.table({"_line": line_no, "_reason": reasons, **columns})

    def _json_piece(self, text: pa.Array, line_no: pa.Array) -> pa.Table:
        """Raw string columns of JSON lines: DuckDB parses each line once into a struct of the
        keys wanted (numbers and booleans as their JSON text), also under a Metron-style
        ``{"<path>": {...}}`` wrapper."""
        import numpy as np  # when used: detection imports every parser (issue #6)

        if self._con is None:
            import duckdb  # imported when Zeek JSON is read: detection imports this module

            self._con = duckdb.connect()
        names = self._all_fields()
        inner: dict[str, Any] = {}
        for name in names:
            inner[name] = "VARCHAR[]" if name in self.first_of or name in self.joined else "VARCHAR"
        spec = {**inner, "_path": "VARCHAR", self.path: inner}
        lines_in = pa.table({"i": from_numpy(np.arange(len(text), dtype=np.int64)), "line": text})
        self._con.register("lines_in", lines_in)
        try:
            # The structure is a literal built from class constants (never log text): as a
            # bound parameter DuckDB would re-read it for every line.
            literal = "'" + json.dumps(spec).replace("'", "''") + "'"
            out = self._con.sql(
                f"""
                SELECT i, json_transform(line, {literal}) AS s
                FROM lines_in
                WHERE json_valid(line) AND regexp_matches(line, '^\\s*[{{]')
                """  # noqa: S608
            ).to_arrow_table()
        finally:
            self._con.unregister("lines_in")
        # Objects come back with their row number; every other line is bad JSON.
        found = out.column("i").combine_chunks()
        position = np.full(len(text), -1, dtype=np.int64)
        position[to_numpy(found)] = np.arange(len(found))
        obj = from_numpy(position >= 0)
        index = pc.if_else(obj, from_numpy(position), pa.scalar(None, pa.int64()))
        doc = pc.take(out.column("s").combine_chunks(), index)
        wrapper = pc.struct_field(doc, [list(spec).index(self.path)])
        # {"http": {...}} counts when it holds a record (Zeek always logs ts).
        wrapped = pc.struct_field(wrapper, [names.index("ts")]).is_valid()
        columns: dict[str, pa.Array] = {}
        for i, name in enumerate(names):
            value = pc.if_else(wrapped, pc.struct_field(wrapper, [i]), pc.struct_field(doc, [i]))
            if name in self.first_of:
                value = pc.list_element(
                    pc.if_else(pc.greater(pc.list_value_length(value), 0), value, None), 0
                )
            elif name in self.joined:
                value = empty_null(pc.binary_join(value, ","))
            columns[name] = value
        path = pc.if_else(wrapped, self.path, pc.struct_field(doc, [list(spec).index("_path")]))
        # Without a path, the log type is told by marker keys (a missing key reads as null).
        has_markers = pa.scalar(True)
        for marker in self.markers:
            has_markers = pc.and_(has_markers, columns[marker].is_valid())
        for other in self.foreign:
            has_markers = pc.and_(has_markers, pc.invert(columns[other].is_valid()))
        by_path = pc.or_(
            pc.equal(path, self.path),
            pc.match_substring_regex(path, rf"^{self.path}[_.-]"),
        )
        mine = pc.if_else(path.is_valid(), by_path, has_markers)
        reason = pc.if_else(
            pc.invert(obj),
            "bad-json",
            pc.if_else(mine, pa.scalar(None, pa.string()), f"not-{self.path}-log"),
        )
        return pa.table({"_line": line_no, "_reason": reason, **columns})

    def _finish(self, raw: pa.Table) -> tuple[pa.Table, tuple[pa.Array, pa.Array]]:
        col = {name: raw.column(name).combine_chunks() for name in raw.column_names}
        n = raw.num_rows
        stamp, time_bad = any_time(col["ts"])
        port, port_bad = port_number(col["id.resp_p"])
        common = {
            "@timestamp": stamp,
            "source.address": col["id.orig_h"],
            "port": port,
        }
        specific, checks = self._convert(col, common)
        reason = pc.coalesce(
            col["_reason"],
            first_failure(
                n,
                [
                    (pc.or_(time_bad, col["ts"].is_null()), "bad-timestamp"),
                    (no_match(col["id.orig_h"], ADDRESS), "bad-address"),
                    (no_match(col["id.resp_h"], ADDRESS), "bad-address"),
                    (port_bad, "bad-port"),
                    *checks,
                ],
            ),
        )
        ok = reason.is_null()
        line_no = col["_line"]
        columns = {k: v.filter(ok) for k, v in {**common, **specific}.items() if k != "port"}
        records = records_table(columns, line_no.filter(ok))
        return records, (line_no.filter(pc.invert(ok)), reason.drop_null())

    def _convert(
        self, col: dict[str, pa.Array], common: dict[str, pa.Array]
    ) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
        """Record columns specific to this log, and extra reject checks in priority order."""
        raise NotImplementedError

    # -- writing ----------------------------------------------------------------------------
    @classmethod
    def _write_values(cls, records: pa.Table) -> dict[str, pa.Array]:
        """Zeek field values (strings, null for unset) for the records; see ``write_fields``."""
        raise NotImplementedError

    @classmethod
    def write(cls, records: pa.Table) -> list[str]:
        """Render records as one Zeek TSV file: the header block, one line per record and
        ``#close``. Fields the records cannot fill are written unset (``-``)."""
        if records.num_rows == 0:
            return []
        values = cls._write_values(records)
        n = records.num_rows
        columns = []
        for name, _type in cls.write_fields:
            if name == "ts":
                columns.append(epoch_text(records.column("@timestamp").combine_chunks()))
                continue
            extra = "," if name in cls.first_of or name in cls.joined else ""
            value = values.get(name)
            columns.append(escape(value if value is not None else pa.nulls(n, pa.string()), extra))
        body = pc.binary_join_element_wise(*columns, "\t").to_pylist()
        times = records.column("@timestamp")
        first = pc.min(times).as_py().astimezone(dt.UTC)
        last = pc.max(times).as_py().astimezone(dt.UTC)
        head = [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            f"#path\t{cls.path}",
            f"#open\t{first:%Y-%m-%d-%H-%M-%S}",
            "#fields\t" + "\t".join(name for name, _ in cls.write_fields),
            "#types\t" + "\t".join(kind for _, kind in cls.write_fields),
        ]
        return [*head, *body, f"#close\t{last:%Y-%m-%d-%H-%M-%S}"]
