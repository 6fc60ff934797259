"""Units: the list, and one unit's dependency profile (what it relies on, how much)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from socialsight.web import charts
from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)


@router.get("/units", name="units")
def units(request: Request, user: Annotated[User, Depends(require("viewer"))]) -> Response:
    """The units page."""
    return render(request, "units.html", {"units": request.app.state.library.ask("units")})


@router.get("/units/{unit:path}", name="unit")
def unit(
    request: Request, unit: str, user: Annotated[User, Depends(require("viewer"))]
) -> Response:
    """One unit's dependency profile."""
    library: Any = request.app.state.library
    # Only units that pass the minimum group size have a page.
    if unit not in {row["unit"] for row in library.ask("units").rows}:
        raise HTTPException(404, "no such unit, or fewer people in it than the minimum group")
    dependencies = library.ask("dependencies", unit=unit)
    usage = library.ask("usage_over_time", by="category", unit=unit)
    return render(
        request,
        "unit.html",
        {
            "unit": unit,
            "dependencies": dependencies,
            "usage": usage,
            "usage_chart": charts.to_json(charts.usage_figure(usage.rows)),
        },
    )
