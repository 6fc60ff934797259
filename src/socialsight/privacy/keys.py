"""The per-installation secret key behind every pseudonym.

The key lives in the data directory beside the store, never inside it, with mode 0600.
Whoever holds it can re-identify pseudonyms by recomputing them from a candidate name, so it
is backed up apart from the data and never printed.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from socialsight.errors import InputError

KEY_BYTES = 32


def create_key(path: Path) -> bool:
    """Create a new random key at ``path`` with mode 0600; False if one already exists.

    Created with O_EXCL so that two concurrent ``init`` runs cannot both write a key.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def load_key(path: Path) -> bytes:
    """Read the key; refuse a key that others can read or that is malformed."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise InputError(f"no pseudonymisation key at {path}; run `socialsight init`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the pseudonymisation key {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{path} is readable by others; run `chmod 600 {path}`")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise InputError(f"{path} is not a socialsight key (expected hex)") from None
    if len(key) != KEY_BYTES:
        raise InputError(f"{path} is not a socialsight key (expected {KEY_BYTES} bytes)")
    return key
