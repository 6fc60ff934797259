"""One service: usage over time by unit, units ranked with every factor, outage episodes on
a timeline, and (for analysts) the what-if form: "down for N hours, at this hourly rate"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from socialsight.errors import InputError
from socialsight.web import charts
from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import User
from socialsight.web.views.login import check_csrf

router = APIRouter(include_in_schema=False)
DEFAULT_HOURS = 8.0
MAX_HOURS = 24.0 * 31


def service_page(
    request: Request, service: str, impact: Any = None, form: dict[str, Any] | None = None
) -> Response:
    """The service page, with an impact answer when the what-if form was submitted."""
    library: Any = request.app.state.library
    try:
        info = library.ask("service_info", service)
    except InputError:
        raise HTTPException(404, f"no service {service!r} in the catalog") from None
    settings = library.settings()
    usage = library.ask("usage_over_time", service=service)
    dependencies = library.ask("dependencies", service=service)
    outages = library.ask("outages", service=service)
    overview = library.ask("overview")
    timeline = charts.outage_timeline(
        outages.rows, settings.timezone, overview["period_start"], overview["period_end"]
    )
    context = {
        "info": info,
        "usage": usage,
        "usage_chart": charts.to_json(charts.usage_figure(usage.rows)),
        "dependencies": dependencies,
        "outages": outages,
        "timeline_chart": charts.to_json(timeline),
        "form": form or {"hours": DEFAULT_HOURS, "rate": settings.hourly_rate},
        "impact": impact,
        "impact_chart": charts.to_json(charts.impact_figure(impact.units)) if impact else None,
    }
    return render(request, "service.html", context)


@router.get("/services/{service}", name="service")
def service(
    request: Request, service: str, user: Annotated[User, Depends(require("viewer"))]
) -> Response:
    """The service page."""
    return service_page(request, service)


@router.post("/services/{service}/impact", name="service_impact")
def service_impact(
    request: Request,
    service: str,
    user: Annotated[User, Depends(require("analyst"))],
    hours: Annotated[float, Form(gt=0, le=MAX_HOURS)] = DEFAULT_HOURS,
    rate: Annotated[float | None, Form(ge=0, le=100_000)] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The what-if form: the service page with the impact of an outage of ``hours``."""
    check_csrf(request, csrf_token)
    library: Any = request.app.state.library
    try:
        library.ask("service_info", service)
    except InputError:
        raise HTTPException(404, f"no service {service!r} in the catalog") from None
    impact = library.ask("impact", service, hours, rate)
    return service_page(request, service, impact, {"hours": hours, "rate": impact.rate})
