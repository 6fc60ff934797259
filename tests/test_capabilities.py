"""The capability matrix tells the truth: each format's ``provides`` is exactly the set of
record fields that its golden samples fill (so a claim without a sample fails, and so does a
field filled but not claimed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socialsight import formats

GOLDEN = Path(__file__).parent / "golden"
ALWAYS = {"log.line"}


@pytest.mark.parametrize("name", formats.names())
def test_provides_matches_golden_samples(name: str) -> None:
    filled: set[str] = set()
    for expected in sorted((GOLDEN / name).glob("*.expected.json")):
        for record in json.loads(expected.read_text(encoding="utf-8"))["records"]:
            filled |= {field for field, value in record.items() if value is not None}
    claimed = set(formats.get(name).provides)
    assert claimed, f"{name} declares no fields"
    assert filled - ALWAYS == claimed - ALWAYS
