"""Dashboard accounts from the command line and from the admin page."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from socialsight.web.users import UserStore

from conftest import CliResult
from webtools import FAST_HASHER, PASSWORDS, ROLES, Client, logged_in, make_app

Cli = Callable[..., CliResult]


def _with_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_user_add_list_remove(cli: Cli, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_stdin(monkeypatch, "a-long-password-1\n")
    code, out, err = cli("user", "add", "Ada", "--role", "analyst", "--password-stdin",
                         "--data", data_dir, "--json")  # fmt: skip
    assert code == 0, err
    added = json.loads(out)
    assert (added["name"], added["role"]) == ("ada", "analyst")
    assert "a-long-password-1" not in out + err

    _with_stdin(monkeypatch, "another-password-2\n")
    assert cli("user", "add", "bob", "--password-stdin", "--data", data_dir)[0] == 0
    code, out, _ = cli("user", "list", "--data", data_dir, "--json")
    assert [(u["name"], u["role"]) for u in json.loads(out)] == [("ada", "analyst"),
                                                                 ("bob", "viewer")]  # fmt: skip
    code, out, _ = cli("user", "list", "--data", data_dir)
    assert "ada" in out and "analyst" in out and "2 accounts" in out

    assert UserStore(data_dir).verify("ada", "a-long-password-1") is not None
    assert cli("user", "remove", "ada", "--data", data_dir)[0] == 0
    assert [u.name for u in UserStore(data_dir).accounts()] == ["bob"]
    assert (data_dir / "web-users.sqlite").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ada", "--password-stdin"], "short\n", "at least 10 characters"),
        (["ada", "--password-stdin"], "\n", "no password on standard input"),
        (["ada", "--role", "boss", "--password-stdin"], "long-enough-pw\n", "unknown role 'boss'"),
        (["<script>", "--password-stdin"], "long-enough-pw\n", "a user name is 1 to 64"),
        (["ada"], "long-enough-pw\n", "use --password-stdin"),
    ],
)
def test_user_add_errors_are_one_line(
    cli: Cli, data_dir: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str,
    message: str,
) -> None:  # fmt: skip
    _with_stdin(monkeypatch, stdin)
    code, _, err = cli("user", "add", *args, "--data", data_dir)
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert UserStore(data_dir).accounts() == []


def test_user_add_twice_and_remove_unknown(
    cli: Cli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_stdin(monkeypatch, "long-enough-pw\n")
    assert cli("user", "add", "ada", "--password-stdin", "--data", data_dir)[0] == 0
    _with_stdin(monkeypatch, "long-enough-pw\n")
    code, _, err = cli("user", "add", "ADA", "--password-stdin", "--data", data_dir)
    assert code == 1 and "user 'ada' already exists" in err
    code, _, err = cli("user", "remove", "nobody", "--data", data_dir)
    assert code == 1 and "no user 'nobody'" in err


def test_user_add_from_a_real_pipe(data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "socialsight", "user", "add", "pipe", "--role", "admin",
         "--password-stdin", "--data", str(data_dir)],
        input="piped-password-1\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert UserStore(data_dir).verify("pipe", "piped-password-1") is not None


def test_serve_help_documents_host_and_port(cli: Cli) -> None:
    code, out, _ = cli("serve", "--help")
    assert code == 0 and "--host" in out and "--port" in out and "127.0.0.1" in out


def _admin_with_accounts(data_dir: Path) -> Client:
    users = UserStore(data_dir, FAST_HASHER)
    for role in ROLES:
        users.add(role, role, PASSWORDS[role])
    return logged_in(make_app(data_dir), "admin")


def test_admin_page_adds_and_removes_accounts(data_dir: Path) -> None:
    admin = _admin_with_accounts(data_dir)
    try:
        page = admin.get("/admin/users")
        assert page.status_code == 200
        assert re.findall(r"<tr><td>([a-z]+)</td><td>([a-z]+)</td>", page.text) == [
            ("admin", "admin"), ("analyst", "analyst"), ("viewer", "viewer")]  # fmt: skip
        token = admin.csrf("/admin/users")
        form = {"name": "carol", "role": "analyst", "password": "carol-password-1"}
        assert admin.post("/admin/users", data=form).status_code == 403  # no CSRF token
        added = admin.post("/admin/users", data={**form, "csrf_token": token})
        assert added.status_code == 200 and "Added carol (analyst)." in added.text
        duplicate = admin.post("/admin/users", data={**form, "csrf_token": token})
        assert duplicate.status_code == 400 and "already exists" in duplicate.text
        short = admin.post("/admin/users", data={**form, "name": "dan", "password": "short",
                                                  "csrf_token": token})  # fmt: skip
        assert short.status_code == 400 and "at least 10 characters" in short.text
        assert admin.post("/admin/users/carol/remove", data={}).status_code == 403
        removed = admin.post("/admin/users/carol/remove", data={"csrf_token": token})
        assert (removed.status_code, removed.headers["location"]) == (303, "/admin/users")
        own = admin.post("/admin/users/admin/remove", data={"csrf_token": token})
        assert own.status_code == 400 and "cannot remove your own account" in own.text
        assert [u.name for u in UserStore(data_dir).accounts()] == ["admin", "analyst", "viewer"]
    finally:
        admin.close()


def test_only_admins_manage_accounts(data_dir: Path) -> None:
    admin = _admin_with_accounts(data_dir)
    admin.close()
    analyst = logged_in(make_app(data_dir), "analyst")
    try:
        token = analyst.csrf("/unknown")
        assert analyst.get("/admin/users").status_code == 403
        form = {"name": "mallory", "role": "admin", "password": "mallory-password"}
        response = analyst.post("/admin/users", data={**form, "csrf_token": token})
        assert response.status_code == 403
        assert analyst.post("/admin/users/viewer/remove",
                            data={"csrf_token": token}).status_code == 403  # fmt: skip
        assert "Users</a>" not in analyst.get("/unknown").text
    finally:
        analyst.close()
    assert UserStore(data_dir).get("mallory") is None
