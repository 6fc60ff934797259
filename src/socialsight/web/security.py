"""Security headers on every response, CSRF tokens, and the login rate limiter.

- Every response carries a Content-Security-Policy without inline script (charts read their
  figures from ``<script type="application/json">`` blocks, which are data, not code),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
  ``X-Frame-Options: DENY``.
- A CSRF token is an HMAC of the session's random id under the dashboard secret: a page from
  another origin can neither read it nor compute it, and it changes when the session does.
- Failed logins are counted per user name and per client address; past the limit, further
  attempts are refused with 429 until the window has passed, whatever the password.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                # Pages show organisation data: never kept by shared caches.
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # An unexpected error: answer a bare 500 that still carries the headers (the
            # server's own error page would be sent outside this middleware), then let the
            # server log the exception.
            if not started:
                body = b"Internal Server Error"
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_with_headers({"type": "http.response.body", "body": body})
            raise


def csrf_token(secret: bytes, session_id: str) -> str:
    """The CSRF token of a session."""
    return hmac.new(secret, b"csrf\x00" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, session_id: str, token: str | None) -> bool:
    """True when ``token`` is the session's CSRF token (compared in constant time)."""
    if not token:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id), token)


class LoginLimiter:
    """Failed logins per key (``user:NAME``, ``client:ADDRESS``) within a sliding window.

    >>> clock = [0.0]
    >>> limiter = LoginLimiter(max_failures=2, window_seconds=60, clock=lambda: clock[0])
    >>> [limiter.attempt("user:ada") for _ in range(3)]
    [True, True, False]
    >>> clock[0] = 61.0; limiter.attempt("user:ada")
    True
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            # Forget quiet keys so that a stream of random names cannot grow memory forever.
            del self._failures[key]
            return deque()
        return times

    def attempt(self, *keys: str) -> bool:
        """Check and count in one step: False when any of ``keys`` is at the limit; otherwise
        the attempt is counted as a failure in advance and True is returned. Counting before
        the (slow) password check means parallel attempts cannot all pass the check; a right
        password then calls :meth:`succeeded`.

        >>> limiter = LoginLimiter(max_failures=2)
        >>> [limiter.attempt("user:ada", "client:x") for _ in range(3)]
        [True, True, False]
        """
        with self._lock:
            now = self.clock()
            if any(len(self._recent(key, now)) >= self.max_failures for key in keys):
                return False
            for key in keys:
                self._failures[key].append(now)
            return True

    def succeeded(self, user_key: str, *other_keys: str) -> None:
        """The attempt was right: forget the user's failures and take back the one counted in
        advance against the other keys (the client address)."""
        with self._lock:
            self._failures.pop(user_key, None)
            for key in other_keys:
                times = self._failures.get(key)
                if times:
                    times.pop()
                    if not times:
                        del self._failures[key]
