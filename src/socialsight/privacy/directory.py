"""The directory file that maps people to organisational units.

A CSV with a header naming at least ``user`` and ``unit`` columns (extra columns are ignored).
It is read at ingest only: the store keeps the unit beside each pseudonym, never the raw name.
People missing from the directory get the unit ``unknown``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.errors import InputError
from socialsight.privacy.pseudonyms import normalise_user

UNKNOWN_UNIT = "unknown"
MAX_UNIT_LENGTH = 120


@dataclass(frozen=True)
class Directory:
    """user (normalised) -> unit.

    >>> d = Directory({"jsmith": "Finance"})
    >>> d.units(pa.array(["JSmith", "other", None])).to_pylist()
    ['Finance', 'unknown', 'unknown']
    """

    units_by_user: dict[str, str]

    @property
    def size(self) -> int:
        """Number of people listed."""
        return len(self.units_by_user)

    def units(self, users: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The unit of each raw user name; ``unknown`` for null or unlisted users."""
        if isinstance(users, pa.ChunkedArray):
            users = users.combine_chunks()
        if len(users) == 0:
            return pa.array([], pa.string())
        encoded = pc.dictionary_encode(users.cast(pa.string()))
        mapped = pa.array(
            [
                self.units_by_user.get(normalise_user(u), UNKNOWN_UNIT) if u else UNKNOWN_UNIT
                for u in encoded.dictionary.to_pylist()
            ],
            pa.string(),
        )
        return pc.fill_null(mapped.take(encoded.indices), UNKNOWN_UNIT)


EMPTY_DIRECTORY = Directory({})


def load_directory(path: Path) -> Directory:
    """Read and validate a directory CSV; every problem is one clear :class:`InputError`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"directory file {path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"directory file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read directory file {path}: {exc.strerror}") from None
    try:
        reader = csv.DictReader(text.splitlines())
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InputError(f"directory file {path}: {exc}") from None
    if "user" not in header or "unit" not in header:
        raise InputError(f"directory file {path} needs a header with 'user' and 'unit' columns")
    reader.fieldnames = header
    units: dict[str, str] = {}
    try:
        for row in reader:
            line = reader.line_num
            user = normalise_user(row.get("user") or "")
            unit = (row.get("unit") or "").strip()
            if not user and not unit:
                continue
            if not user:
                raise InputError(f"directory file {path}, line {line}: empty user")
            if not unit:
                raise InputError(f"directory file {path}, line {line}: empty unit for a user")
            if len(unit) > MAX_UNIT_LENGTH or not unit.isprintable():
                raise InputError(f"directory file {path}, line {line}: unit name is not usable")
            if unit == UNKNOWN_UNIT:
                raise InputError(f"directory file {path}, line {line}: 'unknown' is reserved")
            previous = units.setdefault(user, unit)
            if previous != unit:
                raise InputError(
                    f"directory file {path}, line {line}: a user is listed in two units "
                    f"({previous!r} and {unit!r})"
                )
    except csv.Error as exc:
        raise InputError(f"directory file {path}: {exc}") from None
    return Directory(units)
