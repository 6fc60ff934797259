"""Regenerate the docs that are derived from code: docs/schema.md and docs/formats/README.md.

Run `python tools/gen_docs.py`; tests/test_docs.py fails when the checked-in file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from socialsight import formats  # noqa: E402
from socialsight.schema import EVENT_SCHEMA, RECORD_SCHEMA, describe  # noqa: E402

# Fields every format fills by construction; the matrix shows only what distinguishes them.
ALWAYS = {"log.line"}


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


def formats_markdown() -> str:
    """The supported formats and the capability matrix: which record fields each one fills."""
    registry = formats.registry()
    fields = [n for n in RECORD_SCHEMA.names if n not in ALWAYS]
    lines = [
        "# Log formats",
        "",
        "Generated from the format modules by `python tools/gen_docs.py`; do not edit.",
        "A test checks that each format really fills the fields it claims on its golden samples.",
        "",
        "`socialsight ingest` detects the format from the first lines of each file;",
        "`--format NAME` overrides detection. `socialsight formats` lists the same names.",
        "",
        "| name | format | docs |",
        "|---|---|---|",
    ]
    for name, cls in registry.items():
        page = ROOT / "docs" / "formats" / f"{name}.md"
        doc = f"[{name}.md]({name}.md)" if page.exists() else ""
        lines.append(f"| `{name}` | {cls.title} | {doc} |")
    lines += [
        "",
        "## Capability matrix",
        "",
        "Which canonical record fields each format provides (x). A field a format cannot",
        "provide stays empty for its events: for instance `bytes up` needs `http.request.bytes`.",
        "",
        "| field | " + " | ".join(f"`{n}`" for n in registry) + " |",
        "|---|" + "---|" * len(registry),
    ]
    for field in fields:
        marks = ["x" if field in cls.provides else "" for cls in registry.values()]
        lines.append(f"| `{field}` | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    (ROOT / "docs" / "schema.md").write_text(schema_markdown(), encoding="utf-8")
    (ROOT / "docs" / "formats" / "README.md").write_text(formats_markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
