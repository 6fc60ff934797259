"""CSV exports of the aggregate tables, for analysts.

Cells are log-derived text, so a cell that a spreadsheet would read as a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from socialsight.web.auth import require
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)
EXPORTS: dict[str, tuple[str, dict[str, Any]]] = {
    "services": ("services", {}),
    "dependencies": ("dependencies", {}),
    "outages": ("outages", {}),
    "units": ("units", {}),
    "unknown": ("unknown", {}),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One CSV cell: plain text, never a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, default=str, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text with a header (the union of keys, in first-seen order)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(c) for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()


@router.get("/export/{name}.csv", name="export")
def export(
    request: Request, name: str, user: Annotated[User, Depends(require("analyst"))]
) -> Response:
    """One table as CSV (the rows that passed the minimum group size)."""
    if name not in EXPORTS:
        raise HTTPException(404, f"no export {name!r}; exports: {', '.join(EXPORTS)}")
    method, kwargs = EXPORTS[name]
    grouped = request.app.state.library.ask(method, **kwargs)
    return Response(
        to_csv(grouped.rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="socialsight-{name}.csv"',
            "x-socialsight-suppressed-groups": str(grouped.suppressed_groups),
            "x-socialsight-min-group-size": str(grouped.min_group_size),
        },
    )
