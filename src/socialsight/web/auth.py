"""Sessions and roles: who is asking, and may they see this.

A session is a small signed cookie (HMAC-SHA256 under ``web-secret.key``, a random key kept
in the data directory with mode 0600): a random session id, the account name once logged in,
and when it was issued. The cookie is HttpOnly, SameSite=Lax, and Secure when the request
came over https. A logged-in session also has a row in the user store (under a hash of its id),
read with the account's role on every request: logout, account removal or a role change take
effect at once, even for a copied cookie. Sessions end after :data:`SESSION_SECONDS`, or at
logout, which replaces the session id (and so every CSRF token).

The JSON API also accepts HTTP Basic credentials (for scripts and SIEMs), checked against the
same accounts and the same login rate limit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialsight.errors import InputError
from socialsight.web.users import User

SECRET_NAME = "web-secret.key"  # noqa: S105 (a file name, not a secret)
COOKIE_NAME = "socialsight_session"
SESSION_SECONDS = 12 * 3600
_SECRET_BYTES = 32


def load_or_create_secret(data_dir: Path) -> bytes:
    """The dashboard's signing key, created (mode 0600) on first use; refused if others can
    read it, since whoever holds it can forge a session."""
    path = Path(data_dir) / SECRET_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_SECRET_BYTES) + "\n")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{path} is readable by others; run `chmod 600 {path}`")
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        secret = b""
    if len(secret) != _SECRET_BYTES:
        raise InputError(f"{path} is not a socialsight web secret; delete it to make a new one")
    return secret


@dataclass
class Session:
    """The state carried by the session cookie."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    user: str | None = None
    issued: float = field(default_factory=time.time)
    dirty: bool = False
    """True when the cookie must be (re)sent with the response."""

    def login(self, name: str) -> None:
        """Start a fresh session for ``name`` (a new id: no session fixation)."""
        self.sid = secrets.token_urlsafe(18)
        self.user = name
        self.issued = time.time()
        self.dirty = True

    def logout(self) -> None:
        """Forget the account and replace the id (old CSRF tokens stop working)."""
        self.sid = secrets.token_urlsafe(18)
        self.user = None
        self.issued = time.time()
        self.dirty = True


class SessionCodec:
    """Signs and checks session cookies."""

    def __init__(self, secret: bytes, max_age: int = SESSION_SECONDS) -> None:
        self.key = hmac.new(secret, b"session", hashlib.sha256).digest()
        self.max_age = max_age

    def _mac(self, payload: bytes) -> str:
        return _b64(hmac.new(self.key, payload, hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        payload = json.dumps(
            {"sid": session.sid, "user": session.user, "iat": int(session.issued)},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{self._mac(payload)}"

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie, or None when it is missing, forged or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(self._mac(payload), mac):
            return None
        try:
            data = json.loads(payload)
            sid, user, issued = str(data["sid"]), data["user"], float(data["iat"])
        except (ValueError, KeyError, TypeError):
            return None
        if not (0 <= time.time() - issued < self.max_age):
            return None
        return Session(sid=sid, user=str(user) if user is not None else None, issued=issued)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SessionMiddleware:
    """Reads the session cookie into ``scope["socialsight.session"]`` and sends it back when
    it changed. A visitor without a cookie gets one only when a page needs a session (the
    login form's CSRF token), not for every static file."""

    def __init__(self, app: ASGIApp, codec: SessionCodec) -> None:
        self.app = app
        self.codec = codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = HTTPConnection(scope).cookies.get(COOKIE_NAME)
        session = self.codec.loads(raw)
        if session is None:
            session = Session(dirty=raw is not None)  # a bad cookie is replaced
        scope["socialsight.session"] = session
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.dirty:
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE_NAME] = self.codec.dumps(session)
                morsel = cookie[COOKIE_NAME]
                morsel["path"] = "/"
                morsel["httponly"] = True
                morsel["samesite"] = "Lax"
                morsel["max-age"] = str(self.codec.max_age)
                if secure:
                    morsel["secure"] = True
                MutableHeaders(scope=message).append("set-cookie", morsel.OutputString())
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_of(request: Request) -> Session:
    """The request's session (set by :class:`SessionMiddleware`)."""
    session: Session = request.scope["socialsight.session"]
    return session


class LoginRequired(HTTPException):
    """Raised when nobody is logged in: pages redirect to the login form, the API says 401."""

    def __init__(self) -> None:
        super().__init__(status_code=401, detail="log in first")


def client_key(request: Request) -> str:
    """The rate-limit key of the client address (the direct peer; see docs/web.md)."""
    return f"client:{request.client.host if request.client else 'unknown'}"


def current_user(request: Request) -> User | None:
    """The logged-in account (cookie session, or Basic credentials on the API), or None."""
    cached = request.scope.get("socialsight.user", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    state: Any = request.app.state
    user: User | None = None
    session = session_of(request)
    if session.user is not None:
        user = state.users.session_user(session.sid, SESSION_SECONDS)
        if user is None:  # logged out elsewhere, expired, or the account was removed
            session.logout()
    elif request.url.path.startswith("/api/"):
        user = _basic_user(request)
    request.scope["socialsight.user"] = user
    return user


def _basic_user(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        name, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HTTPException(400, "malformed Basic credentials") from None
    if not sep:
        raise HTTPException(400, "malformed Basic credentials")
    state: Any = request.app.state
    keys = (f"user:{name.strip().lower()}", client_key(request))
    if not state.limiter.attempt(*keys):
        raise HTTPException(429, "too many failed logins; try again later")
    user: User | None = state.users.verify(name, password)
    if user is None:
        raise HTTPException(
            401, "wrong user name or password", headers={"WWW-Authenticate": "Basic"}
        )
    state.limiter.succeeded(*keys)
    return user


def require(role: str) -> Callable[[Request], User]:
    """A dependency that yields the account when its role includes ``role``: 401 when nobody
    is logged in, 403 when the role is too low."""

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise LoginRequired()
        if not user.can(role):
            raise HTTPException(403, f"this needs the {role} role")
        return user

    dependency.__name__ = f"require_{role}"
    return dependency
