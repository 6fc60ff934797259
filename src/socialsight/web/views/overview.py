"""The overview: headline counts, usage over time by category, the top dependencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from socialsight.web import charts
from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)
TOP_DEPENDENCIES = 15


@router.get("/", name="overview")
def overview(request: Request, user: Annotated[User, Depends(require("viewer"))]) -> Response:
    """The overview page."""
    library: Any = request.app.state.library
    summary = library.ask("overview")
    usage = library.ask("usage_over_time", by="category")
    dependencies = library.ask("dependencies")
    return render(
        request,
        "overview.html",
        {
            "summary": summary,
            "usage": usage,
            "usage_chart": charts.to_json(charts.usage_figure(usage.rows)),
            "dependencies": dependencies,
            "top": dependencies.rows[:TOP_DEPENDENCIES],
        },
    )
