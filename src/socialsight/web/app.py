"""The dashboard application: :func:`create_app` builds it for one data directory.

>>> app = create_app("socialsight-data")          # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8080)

Layout: ``views/`` holds one module per page, ``api.py`` the JSON API under ``/api/v1``,
``templates/`` and ``static/`` what the pages are made of. plotly.js is served from the
installed ``plotly`` package, so the dashboard never needs the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from socialsight import __version__
from socialsight.config import require_initialised, resolve_data_dir
from socialsight.errors import SocialsightError
from socialsight.web import api
from socialsight.web.auth import (
    LoginRequired,
    SessionCodec,
    SessionMiddleware,
    load_or_create_secret,
)
from socialsight.web.data import Library
from socialsight.web.plotly_assets import plotly_assets, plotly_js_path
from socialsight.web.security import LoginLimiter, SecurityHeadersMiddleware
from socialsight.web.templating import make_templates, render
from socialsight.web.users import UserStore
from socialsight.web.views import ROUTERS

STATIC = Path(__file__).parent / "static"


def create_app(
    data_dir: str | Path | None = None,
    *,
    limiter: LoginLimiter | None = None,
    hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The dashboard for the installation at ``data_dir`` (an initialised data directory).

    ``limiter`` and ``hasher`` let a caller choose the login rate limit and the argon2 cost.
    """
    data = resolve_data_dir(data_dir)
    require_initialised(data)
    app = FastAPI(
        title="socialsight API",
        version=__version__,
        description=(
            "The figures of the socialsight dashboard as JSON: aggregates only, every grouped "
            "answer with its minimum group size and the number of groups it withheld. "
            "Authenticate with the dashboard's session cookie or HTTP Basic credentials."
        ),
        openapi_url=None,  # served by api.py, behind the same login as the rest
        docs_url=None,
        redoc_url=None,
    )
    secret = load_or_create_secret(data)
    state: Any = app.state
    state.data_dir = data
    state.secret = secret
    state.users = UserStore(data, hasher)
    state.limiter = limiter or LoginLimiter()
    state.library = Library(data)
    state.templates = make_templates()
    state.plotly = plotly_assets()

    # Added last runs first: headers wrap everything, sessions wrap the routes.
    app.add_middleware(SessionMiddleware, codec=SessionCodec(secret))
    app.add_middleware(SecurityHeadersMiddleware)

    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    plotly_path = plotly_js_path()

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        # Bundled with the installed plotly package: no CDN, no network at run time.
        return FileResponse(
            plotly_path,
            media_type="text/javascript",
            headers={"cache-control": "private, max-age=86400"},
        )

    @app.get("/vendor/plotly.css", include_in_schema=False)
    def plotly_css() -> Response:
        # plotly's own style rules, so that it need not inject <style> (see plotly_assets).
        return Response(
            state.plotly.css,
            media_type="text/css",
            headers={"cache-control": "private, max-age=86400"},
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    for router in ROUTERS:
        app.include_router(router)
    app.include_router(api.router)
    return app


WARM_UP: tuple[tuple[str, dict[str, str]], ...] = (
    ("overview", {}),
    ("usage_over_time", {"by": "category"}),
    ("dependencies", {}),
    ("services", {}),
    ("outages", {}),
)


def warm_up(app: FastAPI) -> None:
    """Compute the overview's answers before the first visitor asks: on a large store they
    take seconds. Meant for a background thread; a store that cannot answer is left alone."""
    library: Library = app.state.library
    for method, kwargs in WARM_UP:
        try:
            library.ask(method, **kwargs)
        except SocialsightError:
            return


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            headers = dict(exc.headers or {})
            if exc.status_code == 401:
                headers.setdefault("WWW-Authenticate", 'Basic realm="socialsight"')
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)
        if isinstance(exc, LoginRequired):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            login = app.url_path_for("login_form")
            from urllib.parse import urlencode

            return RedirectResponse(f"{login}?{urlencode({'next': target})}", status_code=303)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": str(exc.detail)},
            exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'input'}: {err.get('msg')}"
            for err in exc.errors()
        ]
        if _wants_json(request):
            return JSONResponse({"detail": problems}, 422)
        return render(request, "error.html", {"status": 400, "message": "; ".join(problems)}, 400)

    @app.exception_handler(SocialsightError)
    async def library_error(request: Request, exc: SocialsightError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, 400)
        return render(request, "error.html", {"status": 400, "message": str(exc)}, 400)
