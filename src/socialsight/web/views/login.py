"""Log in and log out. Both are POST forms with a CSRF token; failures are rate-limited per
user name and per client, and never say whether the account exists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from socialsight.web.auth import SESSION_SECONDS, client_key, current_user, session_of
from socialsight.web.security import csrf_valid
from socialsight.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after login: a local path only (no open redirect to another site)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form whose CSRF token is not this session's."""
    state: Any = request.app.state
    if not csrf_valid(state.secret, session_of(request).sid, token):
        raise HTTPException(403, "the form expired or did not come from this site; reload it")


@router.get("/login", name="login_form")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    if current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "name": ""})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; on success start a new session and go where the user wanted."""
    check_csrf(request, csrf_token)
    state: Any = request.app.state
    keys = (f"user:{username.strip().lower()}", client_key(request))
    context = {"next": safe_next(next), "name": username}
    if not state.limiter.attempt(*keys):
        return render(
            request,
            "login.html",
            {**context, "error": "Too many failed attempts. Wait a few minutes and try again."},
            429,
        )
    user = state.users.verify(username, password)
    if user is None:
        return render(
            request, "login.html", {**context, "error": "Wrong user name or password."}, 401
        )
    state.limiter.succeeded(*keys)
    session = session_of(request)
    session.login(user.name)
    state.users.start_session(session.sid, user.name, SESSION_SECONDS)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    session = session_of(request)
    state: Any = request.app.state
    state.users.end_session(session.sid)
    session.logout()
    return RedirectResponse("/login", status_code=303)
