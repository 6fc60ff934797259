"""User management for admins: list, add and remove dashboard accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from socialsight.errors import InputError
from socialsight.web.auth import require
from socialsight.web.templating import render
from socialsight.web.users import ROLES, User
from socialsight.web.views.login import check_csrf

router = APIRouter(include_in_schema=False)


def _page(request: Request, message: str | None = None, error: str | None = None,
          status_code: int = 200) -> Response:  # fmt: skip
    state: Any = request.app.state
    return render(
        request,
        "users.html",
        {"accounts": state.users.accounts(), "roles": ROLES, "message": message, "error": error},
        status_code,
    )


@router.get("/admin/users", name="users")
def users(request: Request, user: Annotated[User, Depends(require("admin"))]) -> Response:
    """The user management page."""
    return _page(request)


@router.post("/admin/users", name="add_user")
def add_user(
    request: Request,
    user: Annotated[User, Depends(require("admin"))],
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
    password: Annotated[str, Form(max_length=2048)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Add an account."""
    check_csrf(request, csrf_token)
    try:
        added = request.app.state.users.add(name, role, password)
    except InputError as exc:
        return _page(request, error=str(exc), status_code=400)
    return _page(request, message=f"Added {added.name} ({added.role}).")


@router.post("/admin/users/{name}/remove", name="remove_user")
def remove_user(
    request: Request,
    name: str,
    user: Annotated[User, Depends(require("admin"))],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Remove an account (not one's own: an installation keeps at least its current admin)."""
    check_csrf(request, csrf_token)
    if name == user.name:
        return _page(request, error="You cannot remove your own account.", status_code=400)
    try:
        request.app.state.users.remove(name)
    except InputError as exc:
        return _page(request, error=str(exc), status_code=404)
    return RedirectResponse(request.url_for("users").path, status_code=303)
