"""Jinja2 templates with autoescaping, the filters pages share, and :func:`render`.

Every value a template prints is escaped (autoescape on, no ``|safe`` on data): host names,
unit names and anything else read from logs or a directory file are attacker-controlled.
The only unescaped output is chart JSON, already escaped by :func:`socialsight.web.charts.to_json`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from socialsight import __version__
from socialsight.web.auth import current_user, session_of
from socialsight.web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("/", "Overview", "viewer"),
    ("/services", "Services", "viewer"),
    ("/units", "Units", "viewer"),
    ("/outages", "Outages", "viewer"),
    ("/unknown", "Unknown domains", "viewer"),
    ("/admin/users", "Users", "admin"),
)


def number(value: Any, digits: int = 0) -> str:
    """``1,234`` or ``1,234.5``; a dash for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def percent(value: Any) -> str:
    """A share 0..1 as ``42%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value) * 100:.0f}%"


def signed_percent(value: Any) -> str:
    """A change as ``+12%`` / ``-3%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value) * 100:+.0f}%"


def human_bytes(value: Any) -> str:
    """``12.3 MB``."""
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return str(value)  # pragma: no cover


def path_part(value: Any) -> str:
    """A value quoted for use as one URL path segment (``/`` included)."""
    return quote(str(value), safe="")


def make_templates() -> Jinja2Templates:
    """The page templates; times show in the ``zone`` that :func:`render` puts in context."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    @jinja2.pass_context
    def local(ctx: Any, value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return "–"
        if isinstance(value, datetime):
            return value.astimezone(ZoneInfo(ctx["zone"])).strftime(fmt)
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    env.filters.update(
        number=number, percent=percent, signed_percent=signed_percent,
        bytes=human_bytes, local=local, path_part=path_part,
    )  # fmt: skip
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page with what every page needs: the account, its navigation, a CSRF token."""
    state: Any = request.app.state
    user = current_user(request)
    session = session_of(request)
    if user is None and not session.user:
        # The login form needs a session to tie its CSRF token to.
        session.dirty = True
    base = {
        "user": user,
        "nav": [(href, label) for href, label, role in NAV if user and user.can(role)],
        "path": request.url.path,
        "csrf": csrf_token(state.secret, session.sid),
        "version": __version__,
        "zone": state.library.settings().timezone if user else "UTC",
        "plotly_ids": state.plotly.present_ids,
    }
    templates: Jinja2Templates = state.templates
    return templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code)
