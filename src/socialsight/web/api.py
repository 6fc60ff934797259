"""The JSON API under ``/api/v1``: the figures behind every page, for other tools.

Same accounts and roles as the pages (session cookie, or HTTP Basic credentials for
scripts). Every grouped answer carries ``min_group_size`` and ``suppressed_groups``; groups of
fewer people than the minimum are never in ``rows``. All endpoints are read-only GETs. The
OpenAPI document is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from socialsight.errors import InputError
from socialsight.web.auth import require
from socialsight.web.users import User
from socialsight.web.views.services import service_rows

router = APIRouter(prefix="/api/v1", tags=["api"])
Viewer = Annotated[User, Depends(require("viewer"))]
Analyst = Annotated[User, Depends(require("analyst"))]


class GroupedAnswer(BaseModel):
    """Rows that passed the minimum group size, and how many groups were withheld."""

    min_group_size: int = Field(description="k: groups with fewer people are never shown")
    suppressed_groups: int = Field(description="groups withheld for having fewer than k people")
    rows: list[dict[str, Any]]


class Me(BaseModel):
    """The account making the request."""

    name: str
    role: str


class ServiceAnswer(BaseModel):
    """Everything the service page shows."""

    info: dict[str, Any] = Field(description="catalog entry: id, name, category, owner, domains")
    dependencies: GroupedAnswer = Field(description="units ranked by criticality, with factors")
    outages: GroupedAnswer
    usage: GroupedAnswer = Field(description="requests and people per day and unit")


class UnitAnswer(BaseModel):
    """Everything the unit page shows."""

    unit: str
    dependencies: GroupedAnswer
    usage: GroupedAnswer = Field(description="requests and people per day and category")


def clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become null (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def grouped(answer: Any) -> dict[str, Any]:
    """A library ``Grouped`` as the API's :class:`GroupedAnswer`."""
    result: dict[str, Any] = clean(answer.as_json())
    return result


def _library(request: Request) -> Any:
    return request.app.state.library


def _service_info(library: Any, service: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = library.ask("service_info", service)
    except InputError:
        raise HTTPException(404, f"no service {service!r} in the catalog") from None
    return info


@router.get("/me", response_model=Me)
def me(user: Viewer) -> dict[str, Any]:
    """Who is asking, with which role."""
    return {"name": user.name, "role": user.role}


@router.get("/overview")
def overview(request: Request, user: Viewer) -> dict[str, Any]:
    """Headline counts: period, events, people, units, services, critical dependencies,
    outages, unknown domains, and the minimum group size."""
    result: dict[str, Any] = clean(dict(_library(request).ask("overview")))
    return result


@router.get("/services", response_model=GroupedAnswer)
def services(request: Request, user: Viewer) -> dict[str, Any]:
    """Services in use, with ``tier`` (the highest tier any unit has on the service) and
    ``critical_units`` as on the services page."""
    answer, rows = service_rows(_library(request))
    result: dict[str, Any] = clean(
        {"min_group_size": answer.min_group_size,
         "suppressed_groups": answer.suppressed_groups, "rows": rows}
    )  # fmt: skip
    return result


@router.get("/services/{service}", response_model=ServiceAnswer)
def service(request: Request, service: str, user: Viewer) -> dict[str, Any]:
    """One service: catalog entry, units ranked, outage episodes, usage by unit and day."""
    library = _library(request)
    info = _service_info(library, service)
    return {
        "info": clean(info),
        "dependencies": grouped(library.ask("dependencies", service=service)),
        "outages": grouped(library.ask("outages", service=service)),
        "usage": grouped(library.ask("usage_over_time", service=service)),
    }


@router.get("/dependencies", response_model=GroupedAnswer)
def dependencies(
    request: Request,
    user: Viewer,
    service: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """(unit, service) dependencies sorted by criticality score, every factor included."""
    return grouped(
        _library(request).ask("dependencies", service=service, unit=unit, since=since, until=until)
    )


@router.get("/outages", response_model=GroupedAnswer)
def outages(
    request: Request,
    user: Viewer,
    service: Annotated[str | None, Query(max_length=100)] = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Outage episodes, newest first, each with the units hit."""
    return grouped(_library(request).ask("outages", service=service, since=since, until=until))


@router.get("/usage", response_model=GroupedAnswer)
def usage(
    request: Request,
    user: Viewer,
    by: Annotated[str, Query(pattern="^(category|service)$")] = "category",
    service: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Requests and people per local day and key (category, service, or unit when
    ``service`` is given)."""
    return grouped(_library(request).ask("usage_over_time", by=by, service=service, unit=unit))


@router.get("/units", response_model=GroupedAnswer)
def units(request: Request, user: Viewer) -> dict[str, Any]:
    """Units with their people, services and requests."""
    return grouped(_library(request).ask("units"))


@router.get("/units/{unit:path}", response_model=UnitAnswer)
def unit(request: Request, unit: str, user: Viewer) -> dict[str, Any]:
    """One unit's dependency profile."""
    library = _library(request)
    if unit not in {row["unit"] for row in library.ask("units").rows}:
        raise HTTPException(404, "no such unit, or fewer people in it than the minimum group")
    return {
        "unit": unit,
        "dependencies": grouped(library.ask("dependencies", unit=unit)),
        "usage": grouped(library.ask("usage_over_time", by="category", unit=unit)),
    }


@router.get("/unknown", response_model=GroupedAnswer)
def unknown(
    request: Request, user: Viewer, limit: Annotated[int, Query(ge=1, le=5000)] = 200
) -> dict[str, Any]:
    """Unclassified registered domains ranked by people and requests."""
    return grouped(_library(request).ask("unknown", limit))


@router.get("/impact")
def impact(
    request: Request,
    user: Analyst,
    service: Annotated[str, Query(max_length=100)],
    hours: Annotated[float, Query(gt=0, le=24 * 31)] = 8.0,
    rate: Annotated[float | None, Query(ge=0, le=100_000)] = None,
) -> dict[str, Any]:
    """What-if (analyst role): ``service`` down for ``hours``: units ranked, people, office
    hours at risk and cost at ``rate`` (default: the configured hourly rate)."""
    library = _library(request)
    _service_info(library, service)
    result: dict[str, Any] = clean(library.ask("impact", service, hours, rate).as_json())
    return result


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: Viewer) -> dict[str, Any]:
    """The OpenAPI document of this API."""
    document: dict[str, Any] = request.app.openapi()
    return document
