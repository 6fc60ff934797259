"""The CSV export: one file per table of the report, for spreadsheets and scripts.

Column names are stable (those of the JSON rows). Values are written so that a spreadsheet can
neither run nor mangle them:

* A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with ``'`` (CSV formula injection): unit names and domains come from logs and
  directory files that an attacker may write.
* Numbers stay numbers, negative ones included (a week-over-week trend of ``-0.25`` is a
  number, not a formula): only text cells are neutralised, numeric columns are never quoted
  or prefixed.
* Times are ISO 8601 in UTC, days are ISO dates, booleans are ``true``/``false``, missing
  values are empty, and nested values (factors, units hit) are compact JSON.

Beside the tables, ``privacy.csv`` states the minimum group size and how many groups each
table withheld.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from socialsight.report.files import prepare_folder, write_text_atomic
from socialsight.report.model import SECTIONS, Report

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (or reflow it)."""

PRIVACY_FILE = "privacy.csv"


def neutralise(text: str) -> str:
    """A text cell that no spreadsheet will evaluate: ``'`` before a formula prefix.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-2+3"), neutralise("Legal")
    ('\\'=HYPERLINK("http://x")', "'-2+3", 'Legal')
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell(value: Any) -> str | int | float:
    """One value as a CSV cell (see the module docstring for the rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        # Starts with "[" or "{": never a formula, whatever the strings inside hold.
        return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def table_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Rows as CSV text with a header; columns are those of the first row unless given."""
    names = columns if columns is not None else (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in names])
    return out.getvalue()


def privacy_rows(report: Report) -> list[dict[str, Any]]:
    """One row per table: rows exported, groups withheld, the minimum group size."""
    return [
        {
            "table": name,
            "rows": len(report.sections[name].rows),
            "suppressed_groups": report.sections[name].suppressed_groups,
            "min_group_size": report.min_group_size,
        }
        for name in SECTIONS
    ]


def write_csv(report: Report, folder: Path) -> list[Path]:
    """Write ``<table>.csv`` for every section and ``privacy.csv`` into ``folder``.

    >>> write_csv(build_report(Insights.open()), Path("out"))   # doctest: +SKIP
    [PosixPath('out/services.csv'), ..., PosixPath('out/privacy.csv')]
    """
    target = prepare_folder(folder)
    written = []
    for name in SECTIONS:
        rows = report.sections[name].rows
        text = table_csv(rows, columns_of(name, rows))
        written.append(write_text_atomic(target / f"{name}.csv", text))
    written.append(
        write_text_atomic(
            target / PRIVACY_FILE,
            table_csv(
                privacy_rows(report), ["table", "rows", "suppressed_groups", "min_group_size"]
            ),
        )
    )
    return written


def columns_of(name: str, rows: list[dict[str, Any]]) -> list[str]:
    """The contract's columns of table ``name`` in their documented order, then any column
    the analytics added since (in row order): scripts can rely on names and positions, and an
    empty table still has its header."""
    known = COLUMNS[name]
    extra = [key for key in (rows[0] if rows else {}) if key not in known]
    return known + extra


COLUMNS: dict[str, list[str]] = {
    "services": [
        "service", "category", "people", "units", "requests", "bytes_up", "bytes_down",
        "active_days", "failed", "blocked", "first_seen", "last_seen",
    ],
    "dependencies": [
        "unit", "service", "service_name", "category", "people", "unit_people", "breadth",
        "working_days_used", "working_days", "regularity", "office_hours_share",
        "active_share", "bytes_up", "requests", "hours_on_service", "trend", "first_seen",
        "score", "tier", "factors", "declared", "tolerable_downtime_hours",
        "undeclared_critical",
    ],
    "outages": [
        "service", "service_name", "start", "end", "duration_minutes", "severity", "requests",
        "failed", "error_share", "retries", "people_hit", "units_hit", "units_suppressed",
        "expected_requests",
    ],
    "units": ["unit", "people", "services", "requests"],
    "unknown": [
        "domain", "is_ip", "people", "requests", "hosts", "bytes_down", "first_seen",
        "last_seen",
    ],
    "usage": ["day", "key", "requests", "people"],
}  # fmt: skip
"""The documented columns of each table (the row keys of docs/report.md and the contract)."""
