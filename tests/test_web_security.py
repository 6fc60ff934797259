"""The dashboard's front door: headers, sessions, CSRF, login rate limit, roles, Basic auth.

Everything runs against the real ASGI app in-process (httpx.ASGITransport) over a real data
directory; no server is started here (see test_browser.py for that)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialsight.config import KEY_NAME, STORE_NAME, write_default_config
from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
from socialsight.privacy.keys import create_key
from socialsight.store.store import Store
from socialsight.web.auth import COOKIE_NAME
from socialsight.web.plotly_assets import plotly_js_path
from socialsight.web.security import CONTENT_SECURITY_POLICY, LoginLimiter
from socialsight.web.users import UserStore

from factories import small_org_directory, small_org_log
from webtools import FAST_HASHER, PASSWORDS, ROLES, Client, logged_in, make_app


@pytest.fixture(scope="module")
def web_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small organisation ingested (k = 2), with one account per role. Shared by the
    module: tests that change accounts use accounts of their own."""
    root = tmp_path_factory.mktemp("web-security")
    data = root / "data"
    data.mkdir()
    write_default_config(data, "America/Toronto", 2)
    create_key(data / KEY_NAME)
    Store.create(data / STORE_NAME)
    directory = load_directory(small_org_directory(root / "staff.csv"))
    Ingestor(data, directory=directory).run([small_org_log(root / "access.log")])
    users = UserStore(data, FAST_HASHER)
    for role in ROLES:
        users.add(role, role, PASSWORDS[role])
    return data


class Clock:
    """A hand-moved clock for the rate limiter (no sleeping, no timing assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(web_data: Path, clock: Clock) -> Iterator[Client]:
    c = Client(make_app(web_data, LoginLimiter(5, 300, clock)))
    yield c
    c.close()


def _cookie(response: object) -> str:
    headers = getattr(response, "headers")  # noqa: B009
    cookies = [v for k, v in headers.multi_items() if k == "set-cookie"]
    assert len(cookies) == 1, cookies
    return str(cookies[0])


def test_security_headers_on_every_kind_of_response(client: Client) -> None:
    responses = {
        "login page": client.get("/login"),
        "redirect": client.get("/services"),
        "static css": client.get("/static/app.css"),
        "plotly": client.get("/vendor/plotly.min.js"),
        "favicon": client.get("/favicon.ico"),
        "not found": client.get("/no/such/page"),
        "api 401": client.get("/api/v1/overview"),
    }
    assert [r.status_code for r in responses.values()] == [200, 303, 200, 200, 200, 404, 401]
    for what, response in responses.items():
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, what
        assert response.headers["x-content-type-options"] == "nosniff", what
        assert response.headers["referrer-policy"] == "no-referrer", what
        assert response.headers["x-frame-options"] == "DENY", what
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )


def test_plotly_is_served_from_the_installed_package_and_nothing_is_external(
    client: Client,
) -> None:
    response = client.get("/vendor/plotly.min.js")
    assert response.content == plotly_js_path().read_bytes()
    assert response.headers["content-type"].startswith("text/javascript")
    client.login("viewer")
    page = client.get("/unknown").text
    # No inline script and no reference off this origin.
    assert "<script>" not in page
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', page):
        assert url.startswith(("/", "?")), url


def test_login_sets_a_hardened_cookie_and_goes_where_asked(client: Client) -> None:
    token = client.csrf("/login?next=/unknown")
    response = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": token,
              "next": "/unknown"},
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/unknown"
    cookie = _cookie(response)
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    page = client.get("/unknown")
    assert page.status_code == 200 and "example-news.ca" in page.text


def test_cookie_is_secure_over_https(web_data: Path) -> None:
    client = Client(make_app(web_data), base_url="https://testserver")
    try:
        response = client.login("viewer")
        assert response.status_code == 303
        assert "Secure" in _cookie(response)
    finally:
        client.close()


def test_a_failed_login_does_not_say_whether_the_account_exists(client: Client) -> None:
    wrong = client.login("viewer", "not-the-password")
    unknown = client.login("nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = re.compile(r'<p class="error" role="alert">([^<]*)</p>')
    assert message.findall(wrong.text) == message.findall(unknown.text)
    assert message.findall(wrong.text) == ["Wrong user name or password."]
    assert client.get("/unknown").status_code == 303


def test_next_cannot_send_a_user_to_another_site(client: Client) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.http.cookies.clear()
        token = client.csrf()
        response = client.post("/login", data={
            "username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": token,
            "next": target})  # fmt: skip
        assert response.headers["location"] == "/", target


def test_login_needs_the_csrf_token_of_its_own_session(client: Client, web_data: Path) -> None:
    other = Client(make_app(web_data))
    try:
        foreign_token = other.csrf()
    finally:
        other.close()
    client.csrf()  # this client has a session of its own
    for token in ("", foreign_token, "0" * 64):
        form = {"username": "viewer", "password": PASSWORDS["viewer"], "csrf_token": token}
        response = client.post("/login", data=form)
        assert response.status_code == 403, token
        assert "did not come from this site" in response.text
    assert client.get("/unknown").status_code == 303


def test_failed_logins_are_limited_per_user_name(
    client: Client, web_data: Path, clock: Clock
) -> None:
    for _ in range(5):
        assert client.login("viewer", "wrong-password-x").status_code == 401
    # Now even the right password is refused, from this client and from another one.
    blocked = client.login("viewer")
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    elsewhere = Client(client.http._transport.app, address="10.9.9.9")  # type: ignore[attr-defined]
    try:
        assert elsewhere.login("viewer").status_code == 429
        # Another account from the other address is not affected.
        assert elsewhere.login("analyst").status_code == 303
    finally:
        elsewhere.close()
    clock.now += 301
    assert client.login("viewer").status_code == 303


def test_failed_logins_are_limited_per_client(client: Client, clock: Clock) -> None:
    for i in range(5):
        assert client.login(f"guess{i}", "wrong-password-x").status_code == 401
    assert client.login("analyst").status_code == 429
    other = Client(client.http._transport.app, address="10.9.9.8")  # type: ignore[attr-defined]
    try:
        assert other.login("analyst").status_code == 303
    finally:
        other.close()
    clock.now += 301
    assert client.login("analyst").status_code == 303


def test_logout_is_a_post_with_csrf_and_kills_copied_cookies(client: Client) -> None:
    assert client.login("viewer").status_code == 303
    stolen = client.http.cookies.get(COOKIE_NAME)
    assert stolen
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert client.get("/unknown").status_code == 200  # still logged in
    token = client.csrf("/unknown")
    response = client.post("/logout", data={"csrf_token": token})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert client.get("/unknown").status_code == 303
    # A copy of the old cookie no longer opens anything.
    client.http.cookies.clear()
    client.http.cookies.set(COOKIE_NAME, stolen)
    assert client.get("/unknown").status_code == 303


def test_a_tampered_cookie_is_ignored(client: Client) -> None:
    assert client.login("viewer").status_code == 303
    value = client.http.cookies.get(COOKIE_NAME)
    assert value
    body, mac = value.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged = base64.urlsafe_b64encode(payload.replace(b'"viewer"', b'"admin"')).rstrip(b"=")
    client.http.cookies.clear()
    client.http.cookies.set(COOKIE_NAME, f"{forged.decode()}.{mac}")
    assert client.get("/admin/users").status_code == 303


def test_anonymous_requests_go_to_the_login_form_or_get_401(client: Client) -> None:
    page = client.get("/services?category=social-network")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fservices%3Fcategory%3Dsocial-network"
    api = client.get("/api/v1/unknown")
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Basic")
    assert api.json() == {"detail": "log in first"}
    assert client.get("/api/v1/openapi.json").status_code == 401


def test_api_accepts_basic_credentials_rate_limited(client: Client, clock: Clock) -> None:
    def basic(name: str, password: str) -> dict[str, str]:
        raw = base64.b64encode(f"{name}:{password}".encode()).decode()
        return {"authorization": f"Basic {raw}"}

    me = client.get("/api/v1/me", headers=basic("analyst", PASSWORDS["analyst"]))
    assert me.status_code == 200 and me.json() == {"name": "analyst", "role": "analyst"}
    # Basic credentials open the API only, not the pages.
    assert client.get("/unknown", headers=basic("analyst", PASSWORDS["analyst"])).status_code == 303
    assert client.get("/api/v1/me", headers={"authorization": "Basic !!!"}).status_code == 400
    for _ in range(5):
        assert client.get("/api/v1/me", headers=basic("analyst", "wrong-1")).status_code == 401
    limited = client.get("/api/v1/me", headers=basic("analyst", PASSWORDS["analyst"]))
    assert limited.status_code == 429
    clock.now += 301
    assert client.get("/api/v1/me", headers=basic("analyst", PASSWORDS["analyst"])).is_success


def test_removing_an_account_ends_its_sessions(client: Client, web_data: Path) -> None:
    users = UserStore(web_data, FAST_HASHER)
    users.add("leaving", "viewer", "leaving-password-1")
    assert client.login("leaving", "leaving-password-1").status_code == 303
    assert client.get("/unknown").status_code == 200
    users.remove("leaving")
    assert client.get("/unknown").status_code == 303


def test_secret_and_accounts_are_private_files(client: Client, web_data: Path) -> None:
    client.login("viewer")
    for name in ("web-secret.key", "web-users.sqlite"):
        assert (web_data / name).stat().st_mode & 0o077 == 0, name
    raw = (web_data / "web-users.sqlite").read_bytes()
    assert b"$argon2id$" in raw
    assert PASSWORDS["viewer"].encode() not in raw


def test_roles_on_pages_that_need_no_analytics(web_data: Path) -> None:
    app = make_app(web_data)
    expected = {
        # path: minimum role
        "/unknown": "viewer",
        "/api/v1/unknown": "viewer",
        "/api/v1/me": "viewer",
        "/api/v1/openapi.json": "viewer",
        "/export/unknown.csv": "analyst",
        "/admin/users": "admin",
    }
    for role in ROLES:
        client = logged_in(app, role)
        try:
            for path, needed in expected.items():
                allowed = ROLES.index(role) >= ROLES.index(needed)
                status = client.get(path).status_code
                assert status == (200 if allowed else 403), (role, path, status)
        finally:
            client.close()


def test_parallel_login_attempts_cannot_outrun_the_limit() -> None:
    """The check and the count are one step: of 40 attempts racing each other (before any
    password is checked), exactly the limit gets through."""
    import threading

    from socialsight.web.security import LoginLimiter

    limiter = LoginLimiter(max_failures=5)
    start = threading.Barrier(40)
    passed: list[bool] = []

    def attempt() -> None:
        start.wait()
        passed.append(limiter.attempt("user:ada", "client:10.0.0.1"))

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count(True) == 5
    limiter.succeeded("user:ada", "client:10.0.0.1")
    assert limiter.attempt("user:ada", "client:10.0.0.2")  # the user's failures are forgotten
    # The success took back the client's attempt counted in advance: 4 failures remain.
    assert limiter.attempt("user:bob", "client:10.0.0.1")
    assert not limiter.attempt("user:carol", "client:10.0.0.1")


def test_an_unexpected_error_still_carries_the_security_headers(data_dir: Path) -> None:
    """A bug in a page must not drop the CSP and the other headers from its 500 answer."""
    import asyncio

    import httpx

    from socialsight.web.security import SECURITY_HEADERS

    from webtools import make_app

    app = make_app(data_dir)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    response = asyncio.run(get())
    assert response.status_code == 500
    assert "a bug" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"
