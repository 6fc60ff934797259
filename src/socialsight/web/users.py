"""Local dashboard accounts: a name, a role and an argon2 hash, kept in the data directory.

Accounts live in ``web-users.sqlite`` (mode 0600) beside the store, not inside it: they belong
to the dashboard, not to the analysed data. Roles are ordered, each including the ones below:

- ``viewer``: every aggregate page and the JSON API;
- ``analyst``: also the what-if impact form and the CSV exports;
- ``admin``: also the user management page.

>>> import tempfile
>>> users = UserStore(Path(tempfile.mkdtemp()))
>>> users.add("ada", "analyst", "correct horse battery").role
'analyst'
>>> users.verify("ada", "correct horse battery").name, users.verify("ada", "wrong") is None
('ada', True)
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from socialsight.errors import InputError

USERS_NAME = "web-users.sqlite"
ROLES = ("viewer", "analyst", "admin")
"""Roles from least to most privileged; each includes the ones before it."""
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    sid_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    started REAL NOT NULL
);
"""


@dataclass(frozen=True)
class User:
    """An account as the dashboard sees it (never the hash)."""

    name: str
    role: str
    created: str

    def can(self, role: str) -> bool:
        """True when this account's role includes ``role``."""
        return role_rank(self.role) >= role_rank(role)


def role_rank(role: str) -> int:
    """The position of ``role`` in :data:`ROLES`, or a clear error."""
    try:
        return ROLES.index(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}") from None


def normalise_name(name: str) -> str:
    """A user name as stored: trimmed, lower case, checked against a small alphabet."""
    value = name.strip().lower()
    if not _NAME.match(value):
        raise InputError(
            "a user name is 1 to 64 characters: letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return value


def check_password(password: str) -> str:
    """The password itself, or a clear error when it is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


class UserStore:
    """The accounts of one data directory."""

    def __init__(self, data_dir: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = Path(data_dir) / USERS_NAME
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the name is unknown, so that a failed login costs the same
        # time whether or not the account exists.
        return self.hasher.hash("not a real password, only for timing")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            # Created private: the file holds password hashes.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        with closing(sqlite3.connect(self.path, timeout=30)) as con:
            con.executescript(_SCHEMA)
            with con:
                yield con

    def add(self, name: str, role: str, password: str) -> User:
        """Create an account; an existing name is an error (remove it first)."""
        name = normalise_name(name)
        role_rank(role)
        check_password(password)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        digest = self.hasher.hash(password)
        with self._connect() as con:
            try:
                con.execute(
                    "INSERT INTO users (name, role, hash, created) VALUES (?, ?, ?, ?)",
                    (name, role, digest, created),
                )
            except sqlite3.IntegrityError:
                raise InputError(f"user {name!r} already exists") from None
        return User(name, role, created)

    def remove(self, name: str) -> None:
        """Delete an account; an unknown name is an error."""
        name = normalise_name(name)
        with self._connect() as con:
            if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise InputError(f"no user {name!r}")
            con.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def accounts(self) -> list[User]:
        """Every account, by name."""
        with self._connect() as con:
            rows = con.execute("SELECT name, role, created FROM users ORDER BY name").fetchall()
        return [User(*row) for row in rows]

    def get(self, name: str) -> User | None:
        """The account called ``name``, or None."""
        try:
            name = normalise_name(name)
        except InputError:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT name, role, created FROM users WHERE name = ?", (name,)
            ).fetchone()
        return User(*row) if row else None

    def verify(self, name: str, password: str) -> User | None:
        """The account when ``password`` is right; None otherwise (unknown name included)."""
        try:
            name = normalise_name(name)
        except InputError:
            name = ""
        row = None
        if name:
            with self._connect() as con:
                row = con.execute(
                    "SELECT name, role, created, hash FROM users WHERE name = ?", (name,)
                ).fetchone()
        digest = row[3] if row else self._dummy_hash
        try:
            self.hasher.verify(digest, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self.hasher.check_needs_rehash(digest):
            with self._connect() as con:
                con.execute(
                    "UPDATE users SET hash = ? WHERE name = ?", (self.hasher.hash(password), name)
                )
        return User(row[0], row[1], row[2])

    # -- sessions: a logged-in session exists only while its row does, so that logout and
    # account removal end it even for someone holding a copy of the cookie.
    def start_session(self, sid: str, name: str, max_age: float) -> None:
        """Record a logged-in session (and forget sessions older than ``max_age``)."""
        now = time.time()
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE started < ?", (now - max_age,))
            con.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)", (_sid_hash(sid), name, now)
            )

    def session_user(self, sid: str, max_age: float) -> User | None:
        """The account of a live session, or None when it ended, expired or its account went."""
        with self._connect() as con:
            row = con.execute(
                "SELECT u.name, u.role, u.created FROM sessions s JOIN users u USING (name)"
                " WHERE s.sid_hash = ? AND s.started >= ?",
                (_sid_hash(sid), time.time() - max_age),
            ).fetchone()
        return User(*row) if row else None

    def end_session(self, sid: str) -> None:
        """Forget a session (logout)."""
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE sid_hash = ?", (_sid_hash(sid),))


def _sid_hash(sid: str) -> str:
    # Only a hash is stored: reading this file does not give anyone a live session.
    return hashlib.sha256(sid.encode()).hexdigest()
