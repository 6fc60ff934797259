"""Docs derived from code stay in step with it; the schema is fully described."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from socialsight.schema import EVENT_SCHEMA, RECORD_SCHEMA

ROOT = Path(__file__).resolve().parents[1]


def _gen_docs() -> object:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schema_doc_is_current() -> None:
    expected = _gen_docs().schema_markdown()  # type: ignore[attr-defined]
    assert (ROOT / "docs" / "schema.md").read_text() == expected, "run tools/gen_docs.py"


def test_formats_doc_is_current() -> None:
    expected = _gen_docs().formats_markdown()  # type: ignore[attr-defined]
    path = ROOT / "docs" / "formats" / "README.md"
    assert path.read_text() == expected, "run tools/gen_docs.py"


def test_every_field_is_described_and_no_raw_identity_is_stored() -> None:
    for schema in (EVENT_SCHEMA, RECORD_SCHEMA):
        for field in schema:
            assert field.metadata and field.metadata[b"description"].strip(), field.name
    stored = set(EVENT_SCHEMA.names)
    assert not stored & {"user.name", "source.address", "source.ip", "client.ip"}
