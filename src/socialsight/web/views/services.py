"""Every service in use, sortable and filterable by category and tier (server-side)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)
TIERS = ("critical", "important", "incidental", "personal")
SORTABLE = ("service", "category", "tier", "people", "units", "requests", "bytes_up",
            "bytes_down", "active_days", "critical_units")  # fmt: skip


def service_tiers(dependency_rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per service, the highest tier any unit has on it and how many units rate it critical:
    a roll-up of the library's (unit, service) rows for display, not a new measure."""
    tiers: dict[str, dict[str, Any]] = {}
    for row in dependency_rows:
        entry = tiers.setdefault(row["service"], {"tier": None, "critical_units": 0})
        if entry["tier"] is None or TIERS.index(row["tier"]) < TIERS.index(entry["tier"]):
            entry["tier"] = row["tier"]
        entry["critical_units"] += row["tier"] == "critical"
    return tiers


def service_rows(library: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The library's services answer, and its rows with tier columns added."""
    grouped = library.ask("services")
    tiers = service_tiers(library.ask("dependencies").rows)
    rows = [
        {**row, **tiers.get(row["service"], {"tier": None, "critical_units": 0})}
        for row in grouped.rows
    ]
    return grouped, rows


def _sort_key(column: str) -> Any:
    def key(row: dict[str, Any]) -> Any:
        value = row.get(column)
        if column == "tier":
            return TIERS.index(value) if value in TIERS else len(TIERS)
        if value is None:
            return (1, "")
        return (0, value)

    return key


@router.get("/services", name="services")
def services(
    request: Request,
    user: Annotated[User, Depends(require("viewer"))],
    category: Annotated[str | None, Query(max_length=100)] = None,
    tier: Annotated[str | None, Query(max_length=20)] = None,
    sort: Annotated[str, Query(max_length=30)] = "people",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> Response:
    """The services page."""
    grouped, rows = service_rows(request.app.state.library)
    categories = sorted({row["category"] for row in rows if row["category"]})
    if category:
        rows = [row for row in rows if row["category"] == category]
    if tier:
        rows = [row for row in rows if row["tier"] == tier]
    if sort not in SORTABLE:
        sort = "people"
    rows = sorted(rows, key=_sort_key(sort), reverse=(order == "desc") != (sort == "tier"))
    return render(
        request,
        "services.html",
        {
            "grouped": grouped,
            "rows": rows,
            "categories": categories,
            "tiers": TIERS,
            "category": category or "",
            "tier": tier or "",
            "sort": sort,
            "order": order,
            "columns": SORTABLE,
        },
    )
