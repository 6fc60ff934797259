"""The JSON export: one document with every section of the report and its privacy metadata.

Shape (stable field names; see docs/report.md)::

    {
      "generator": {"name": "socialsight", "version": "0.1.0"},
      "generated_at": "2026-04-01T12:00:00+00:00",
      "timezone": "America/Toronto",
      "window": {"since": null, "until": null},
      "min_group_size": 5,
      "suppressed_groups": {"services": 0, "dependencies": 12, ...},
      "overview": {...},
      "services": {"min_group_size": 5, "suppressed_groups": 0, "rows": [...]},
      "dependencies": {...}, "outages": {...}, "units": {...}, "unknown": {...},
      "usage": {...}
    }

Times are ISO 8601 in UTC, days ISO dates; a value that is not a finite number is ``null``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from socialsight.render import json_default
from socialsight.report.files import write_text_atomic
from socialsight.report.model import SECTIONS, Report

STDOUT = "-"


def report_document(report: Report) -> dict[str, Any]:
    """The report as one JSON-ready dictionary (dates and times still Python objects)."""
    document: dict[str, Any] = {
        "generator": {"name": "socialsight", "version": report.version},
        "generated_at": report.generated_at,
        "timezone": report.timezone,
        "window": {"since": report.since, "until": report.until},
        "min_group_size": report.min_group_size,
        "suppressed_groups": report.suppressed,
        "overview": report.overview,
    }
    for name in SECTIONS:
        document[name] = report.sections[name].as_json()
    return document


def _finite(value: Any) -> Any:
    # JSON has no NaN or Infinity: a ratio over nothing is "no value", not an invalid file.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def report_json(report: Report) -> str:
    """The document as indented JSON text (UTF-8, non-ASCII kept as is)."""
    return (
        json.dumps(
            _finite(report_document(report)),
            default=json_default,
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
        + "\n"
    )


def write_json(report: Report, target: str | Path) -> Path | None:
    """Write the document to ``target``, or to standard output when it is ``-``; returns the
    path written (``None`` for standard output)."""
    text = report_json(report)
    if str(target) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    return write_text_atomic(Path(target), text)
