"""The unclassified long tail, ranked, for IT to classify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User

router = APIRouter(include_in_schema=False)


@router.get("/unknown", name="unknown")
def unknown(
    request: Request,
    user: Annotated[User, Depends(require("viewer"))],
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Response:
    """The unknown domains page."""
    library: Any = request.app.state.library
    return render(
        request, "unknown.html", {"unknown": library.ask("unknown", limit), "limit": limit}
    )
