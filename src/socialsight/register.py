"""The declared-use register: what units say they use a service for, and how long they can do
without it.

Teams keep it as a CSV file with the columns ``unit, service, purpose, owner, fallback,
tolerable_downtime_hours`` (only ``unit`` and ``service`` are required; the header names the
columns, in any order). :func:`import_register` reads it, checks every row and replaces the
register in the store; a row that cannot be used is counted and reported with its line number
and reason, never silently dropped, and never fatal to the rows around it.

>>> from socialsight.catalog import load_catalog
>>> rows, rejected = read_register(io.StringIO(
...     "unit,service,tolerable_downtime_hours\\nIT,github,8\\nIT,nosuchthing,1\\n"),
...     set(load_catalog().services))
>>> rows[0]["service"], rows[0]["tolerable_downtime_hours"], rejected[0].reason
('github', 8.0, 'unknown-service')
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from socialsight.errors import InputError
from socialsight.store.store import Store

COLUMNS = ("unit", "service", "purpose", "owner", "fallback", "tolerable_downtime_hours")
REQUIRED = ("unit", "service")
MAX_FIELD = 500
"""Longer free-text fields are cut: the register is a register, not a document store."""


@dataclass(frozen=True)
class Rejected:
    """A register row that was not imported."""

    line: int
    reason: str
    """``missing-unit``, ``missing-service``, ``unknown-service``, ``bad-downtime`` or
    ``duplicate``."""
    detail: str


@dataclass(frozen=True)
class RegisterImport:
    """What :func:`import_register` did."""

    source: str
    imported: int
    rejected: tuple[Rejected, ...]

    def as_json(self) -> dict[str, Any]:
        """The stable machine-readable shape (``register import --json``)."""
        return {
            "source": self.source,
            "imported": self.imported,
            "rejected": [
                {"line": r.line, "reason": r.reason, "detail": r.detail} for r in self.rejected
            ],
        }


def _clean(value: str | None) -> str:
    return (value or "").strip()[:MAX_FIELD]


def read_register(
    handle: TextIO, services: Iterable[str]
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Parse register CSV text: (usable rows, rejected rows). ``services`` are the catalog
    ids that a row may name. A header without ``unit`` or ``service`` is an
    :class:`InputError`."""
    known = set(services)
    try:
        reader = csv.DictReader(handle)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InputError(f"not a CSV file: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"the header must name the columns {', '.join(REQUIRED)} (missing: "
            f"{', '.join(missing)}); expected columns: {', '.join(COLUMNS)}"
        )
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            unit = _clean(raw.get("unit"))
            service = _clean(raw.get("service")).lower()
            if not unit:
                rejected.append(Rejected(line, "missing-unit", "no unit given"))
                continue
            if not service:
                rejected.append(Rejected(line, "missing-service", "no service given"))
                continue
            if service not in known:
                rejected.append(
                    Rejected(line, "unknown-service", f"{service!r} is not a catalog service id")
                )
                continue
            text = _clean(raw.get("tolerable_downtime_hours"))
            hours: float | None = None
            if text:
                try:
                    hours = float(text)
                except ValueError:
                    hours = math.nan
                if not math.isfinite(hours) or hours < 0:
                    rejected.append(
                        Rejected(line, "bad-downtime", f"{text!r} is not a number of hours >= 0")
                    )
                    continue
            key = (unit, service)
            if key in seen:
                rejected.append(
                    Rejected(line, "duplicate", f"{unit} / {service} already on line {seen[key]}")
                )
                continue
            seen[key] = line
            rows.append(
                {
                    "unit": unit,
                    "service": service,
                    "purpose": _clean(raw.get("purpose")) or None,
                    "owner": _clean(raw.get("owner")) or None,
                    "fallback": _clean(raw.get("fallback")) or None,
                    "tolerable_downtime_hours": hours,
                    "line": line,
                }
            )
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return rows, rejected


def import_register(store: Store, path: Path, services: Iterable[str]) -> RegisterImport:
    """Replace the store's register with the usable rows of the CSV file at ``path``.

    A file whose rows are all unusable is refused (the register is left as it was), so that
    a wrong file cannot wipe it; a file with a header only empties it on purpose.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the register: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the register is not UTF-8 text") from None
    if "\x00" in text:
        raise InputError(f"{path}: the register is not a text file (it holds NUL bytes)")
    try:
        rows, rejected = read_register(io.StringIO(text, newline=""), services)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if rejected and not rows:
        first = rejected[0]
        raise InputError(
            f"{path}: no usable row ({len(rejected)} rejected; line {first.line}: "
            f"{first.detail}); the register was not changed"
        )
    store.replace_declared_uses(rows, str(path))
    return RegisterImport(str(path), len(rows), tuple(rejected))


def declared_downtime(store: Store) -> dict[tuple[str, str], float | None]:
    """(unit, service) -> declared tolerable downtime in hours (None when not given)."""
    return {(r["unit"], r["service"]): r["tolerable_downtime_hours"] for r in store.declared_uses()}
