"""Golden tests for every log format, discovered by glob.

``tests/golden/<format>/<scenario>.log`` is parsed by the format registered as ``<format>`` and
compared with ``<scenario>.expected.json`` beside it: ``{"records": [...], "rejects": [...]}``,
one object per record with every ``RECORD_SCHEMA`` field (timestamps as ISO strings), written
with sorted keys and indent 2 so that diffs read well. Adding a scenario is adding a file.

Run ``GENERATE=1 pytest tests/test_golden.py`` to rewrite the expectations, then review the diff:
the expected JSON is the specification.

The ``.log`` is read as ingest reads a file: bytes decoded as UTF-8 with invalid bytes replaced
by U+FFFD, split on ``\\n`` only (a ``\\r`` before it stays on the line for the parser to strip).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from socialsight import formats
from socialsight.formats.base import ParseResult
from socialsight.schema import RECORD_SCHEMA, REJECT_SCHEMA

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*/*.log"))
GENERATE = os.environ.get("GENERATE") == "1"


def read_lines(path: Path) -> list[str]:
    """The lines of a log file, decoded and split as ingest does."""
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def render(result: ParseResult) -> str:
    """The expected-JSON text for a parse result."""
    doc = {
        "records": [
            {k: _jsonable(v) for k, v in row.items()} for row in result.records.to_pylist()
        ],
        "rejects": result.rejects.to_pylist(),
    }
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def parse_file(path: Path) -> ParseResult:
    """Parse one golden log with the format named by its directory, as one chunk; a
    ``<scenario>.mapping.toml`` beside it is passed as the format's ``mapping`` option."""
    mapping = path.with_suffix(".mapping.toml")
    options = {"mapping": str(mapping)} if mapping.exists() else {}
    parser = formats.get(path.parent.name).configured(options)
    return parser.parse(pa.array(read_lines(path), pa.string()), first_line=1)


@pytest.mark.parametrize("log", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden(log: Path) -> None:
    result = parse_file(log)
    assert result.records.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert result.rejects.schema.equals(REJECT_SCHEMA, check_metadata=True)
    record_lines = result.records.column("log.line").to_pylist()
    reject_lines = result.rejects.column("log.line").to_pylist()
    assert not set(record_lines) & set(reject_lines), "a line is both a record and a reject"

    expected_path = log.with_suffix(".expected.json")
    actual = render(result)
    if GENERATE:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"no {expected_path.name}; run with GENERATE=1 and review it"
    assert json.loads(actual) == json.loads(expected_path.read_text(encoding="utf-8"))


def test_golden_directories_are_formats() -> None:
    """Every golden directory names a registered format, and every format has scenarios."""
    directories = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert directories == formats.names()
    for name in directories:
        assert list((GOLDEN / name).glob("*.log")), f"no golden scenario for {name}"


def test_no_orphan_expectations() -> None:
    """An expectation whose log was renamed or deleted would silently stop being tested."""
    for expected in GOLDEN.glob("*/*.expected.json"):
        assert expected.with_name(expected.name.replace(".expected.json", ".log")).exists()
