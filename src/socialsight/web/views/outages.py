"""Every outage episode the logs show, each with the units it hit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from socialsight.web import charts
from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)


@router.get("/outages", name="outages")
def outages(request: Request, user: Annotated[User, Depends(require("viewer"))]) -> Response:
    """The outages page."""
    library: Any = request.app.state.library
    grouped = library.ask("outages")
    overview = library.ask("overview")
    timeline = charts.outage_timeline(
        grouped.rows, library.settings().timezone, overview["period_start"],
        overview["period_end"],
    )  # fmt: skip
    return render(
        request,
        "outages.html",
        {"outages": grouped, "timeline_chart": charts.to_json(timeline)},
    )
