"""Pseudonyms, the key and the directory file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from socialsight.errors import InputError
from socialsight.privacy.directory import load_directory
from socialsight.privacy.keys import create_key, load_key
from socialsight.privacy.pseudonyms import Pseudonymiser, normalise_address, normalise_user

KEY = bytes(range(32))


def test_pseudonyms_are_keyed_stable_and_kind_separated() -> None:
    p = Pseudonymiser(KEY)
    other = Pseudonymiser(bytes(32))
    assert p.user("jsmith") == p.user("jsmith")
    assert p.user("jsmith") != other.user("jsmith")
    assert p.user("10.0.0.1")[2:] != p.client("10.0.0.1")[2:]
    assert p.user("jsmith").startswith("u-") and len(p.user("jsmith")) == 18
    assert p.client("10.0.0.1").startswith("c-")
    # Known answer: HMAC-SHA256(KEY, b"user\0jsmith"), first 16 hex digits.
    import hashlib
    import hmac

    expected = hmac.new(KEY, b"user\x00jsmith", hashlib.sha256).hexdigest()[:16]
    assert p.user("jsmith") == "u-" + expected


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("JSmith", "jsmith"), ("CORP\\JSmith", "jsmith"), ("jsmith@corp.example", "jsmith"),
     (" jsmith ", "jsmith")],
)  # fmt: skip
def test_user_normalisation(raw: str, normal: str) -> None:
    assert normalise_user(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("::ffff:10.0.0.1", "10.0.0.1"), ("2001:DB8::0:1", "2001:db8::1"), ("[::1]", "::1"),
     ("10.0.0.1", "10.0.0.1"), ("proxy-host", "proxy-host")],
)  # fmt: skip
def test_address_normalisation(raw: str, normal: str) -> None:
    assert normalise_address(raw) == normal


def test_vectorised_matches_scalar_and_keeps_nulls() -> None:
    p = Pseudonymiser(KEY)
    names = pa.array(["alice", None, "BOB", "alice", "", "bob"])
    got = p.users(names).to_pylist()
    assert got == [p.user("alice"), None, p.user("bob"), p.user("alice"), None, p.user("bob")]
    assert p.clients(pa.array([], pa.string())).to_pylist() == []


def test_key_is_created_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    assert create_key(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = load_key(path)
    assert len(first) == 32
    assert create_key(path) is False
    assert load_key(path) == first


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match="readable by others"):
        load_key(path)


def test_malformed_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("not hex\n")
    os.chmod(path, 0o600)
    with pytest.raises(InputError, match="not a socialsight key"):
        load_key(path)


def test_directory_maps_units(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("User,Unit,phone\nCORP\\JSmith,Finance,123\nadoe,Legal,\n\n")
    directory = load_directory(path)
    assert directory.size == 2
    units = directory.units(pa.array(["jsmith", "ADOE", "nobody", None]))
    assert units.to_pylist() == ["Finance", "Legal", "unknown", "unknown"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,team\nx,y\n", "needs a header with 'user' and 'unit'"),
        ("user,unit\njsmith,\n", "line 2: empty unit"),
        ("user,unit\n,Finance\n", "line 2: empty user"),
        ("user,unit\njsmith,Finance\nJSMITH,Legal\n", "line 3: a user is listed in two units"),
        ("user,unit\njsmith,unknown\n", "'unknown' is reserved"),
    ],
)
def test_directory_errors_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_directory(path)


def test_directory_missing_or_binary(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_directory(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"user,unit\n\xff\xfe,x\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_directory(binary)
