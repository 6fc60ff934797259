"""One module per dashboard page; :data:`ROUTERS` lists their routers for the app."""

from __future__ import annotations

from fastapi import APIRouter

from socialsight.web.views import (
    exports,
    login,
    outages,
    overview,
    service,
    services,
    units,
    unknown,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    login.router,
    overview.router,
    services.router,
    service.router,
    units.router,
    outages.router,
    unknown.router,
    exports.router,
    users.router,
)
