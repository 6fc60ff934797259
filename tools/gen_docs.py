"""Regenerate the docs that are derived from code: docs/schema.md.

Run `python tools/gen_docs.py`; tests/test_docs.py fails when the checked-in file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from socialsight.schema import EVENT_SCHEMA, RECORD_SCHEMA, describe  # noqa: E402


def schema_markdown() -> str:
    lines = [
        "# The canonical event schema",
        "",
        "Generated from `src/socialsight/schema.py` by `python tools/gen_docs.py`; do not edit.",
        "",
        "## Stored events (`EVENT_SCHEMA`)",
        "",
        "What the store keeps, one row per request, in Parquet partitions by UTC day. No raw",
        "user name or client address is among them; the full URL is kept only when",
        "`keep_urls = true` in `socialsight.toml` (data minimisation: by default only the host).",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{n}` | `{t}` | {d} |" for n, t, d in describe(EVENT_SCHEMA)]
    lines += [
        "",
        "## Parsed records (`RECORD_SCHEMA`)",
        "",
        "What a format parser emits, in memory only, before pseudonymisation and classification.",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{n}` | `{t}` | {d} |" for n, t, d in describe(RECORD_SCHEMA)]
    return "\n".join(lines) + "\n"


def main() -> None:
    (ROOT / "docs" / "schema.md").write_text(schema_markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
