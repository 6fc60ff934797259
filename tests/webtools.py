"""Helpers for the dashboard tests: a synchronous face over httpx's in-process ASGI transport,
accounts for each role, and a copy of a data directory the dashboard may write into."""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from socialsight.config import Settings
from socialsight.web.app import create_app
from socialsight.web.security import LoginLimiter
from socialsight.web.users import UserStore

# Real argon2id with a small cost: the tests log in many times on a shared machine.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORDS = {
    "viewer": "viewer-password-1",
    "analyst": "analyst-password-1",
    "admin": "admin-password-1",
}
ROLES = ("viewer", "analyst", "admin")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def copy_data(source: Path, target: Path) -> Path:
    """A copy of an ingested data directory, with one account per role (named after it)."""
    shutil.copytree(source, target)
    users = UserStore(target, FAST_HASHER)
    for role in ROLES:
        users.add(role, role, PASSWORDS[role])
    return target


def make_app(data: Path, limiter: LoginLimiter | None = None) -> FastAPI:
    return create_app(data, limiter=limiter, hasher=FAST_HASHER)


class Answers:
    """The library's answers as the app's cache holds them, spelled like ``Insights`` calls
    (``answers.dependencies(service="facebook")``). Pages are compared with these: computing
    every analysis twice would double the suite's time, and the cache itself is tested
    against fresh ``Insights`` calls in test_web_pages.py."""

    def __init__(self, app: FastAPI) -> None:
        self._library = app.state.library

    @property
    def settings(self) -> Settings:
        return self._library.settings()  # type: ignore[no-any-return]

    def __getattr__(self, method: str) -> Any:
        return lambda *args, **kwargs: self._library.ask(method, *args, **kwargs)


@dataclass(frozen=True)
class SharedSite:
    """A copy of the simulated organisation with accounts, and its app. Built once per test
    session: the analytics over the simulated organisation take seconds."""

    data: Path
    app: FastAPI
    insights: Answers


_SHARED: dict[Path, SharedSite] = {}


def shared_site(source: Path, tmp_path_factory: pytest.TempPathFactory) -> SharedSite:
    """The session's :class:`SharedSite` over ``source`` (tests must not change its data)."""
    if source not in _SHARED:
        data = copy_data(source, tmp_path_factory.mktemp("web-site") / "data")
        app = make_app(data)
        _SHARED[source] = SharedSite(data, app, Answers(app))
    return _SHARED[source]


class Client:
    """A browser-like client of the ASGI app, in-process (httpx.ASGITransport), keeping
    cookies between requests."""

    def __init__(
        self,
        app: FastAPI,
        base_url: str = "http://testserver",
        address: str = "127.0.0.1",
    ) -> None:
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url=base_url)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def csrf(self, page: str = "/login") -> str:
        """The CSRF token of a form on ``page``."""
        response = self.get(page)
        match = _CSRF.search(response.text)
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def login(self, name: str, password: str | None = None) -> httpx.Response:
        token = self.csrf("/login")
        return self.post(
            "/login",
            data={"username": name, "password": password or PASSWORDS[name],
                  "csrf_token": token, "next": "/"},
        )  # fmt: skip

    def close(self) -> None:
        self._runner.run(self.http.aclose())
        self._runner.close()


def logged_in(app: FastAPI, role: str) -> Client:
    client = Client(app)
    response = client.login(role)
    assert response.status_code == 303, response.text
    return client
