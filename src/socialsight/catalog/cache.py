"""A JSON copy of the parsed and validated bundled catalog, so that start-up skips the TOML.

Parsing ``services.toml`` with tomllib and validating it takes about 0.2 s, paid by every
``socialsight`` run that classifies anything. ``data/services.json`` holds the same catalog
after validation, with the SHA-256 of the ``services.toml`` bytes it was made from; reading
it takes a few milliseconds. :func:`read` returns nothing unless that digest matches the
TOML being loaded and the cache format is this one, so a stale or damaged cache is never
used: :func:`socialsight.catalog.model.load_catalog` then parses the TOML as before.

After editing ``services.toml``, regenerate the cache (a test fails until you do)::

    python -m socialsight.catalog.cache
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from socialsight.catalog.model import Catalog, Service

FORMAT = 1
"""Bumped whenever the layout of the cache or of :class:`Service` changes."""

CACHE_PATH = Path(__file__).resolve().parent / "data" / "services.json"
TOML_PATH = Path(__file__).resolve().parent / "data" / "services.toml"


def digest(toml_bytes: bytes) -> str:
    """The SHA-256 (hex) that ties a cache to the TOML bytes it was made from."""
    return hashlib.sha256(toml_bytes).hexdigest()


def dumps(catalog: Catalog, toml_bytes: bytes) -> str:
    """The cache text for ``catalog``, parsed from ``toml_bytes``."""
    doc = {
        "format": FORMAT,
        "source_sha256": digest(toml_bytes),
        "version": catalog.version,
        "categories": catalog.categories,
        "services": [
            [s.id, s.name, s.category, s.owner, s.leaning, list(s.domains), s.description,
             list(s.sources)]
            for s in catalog.services.values()
        ],
    }  # fmt: skip
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def read(toml_bytes: bytes, text: str | None) -> Catalog | None:
    """The catalog in cache ``text`` if it was made from exactly ``toml_bytes``, else None
    (no cache, another TOML, another cache format, or a damaged file)."""
    if not text:
        return None
    try:
        doc: Any = json.loads(text)
        if doc["format"] != FORMAT or doc["source_sha256"] != digest(toml_bytes):
            return None
        services = {
            row[0]: Service(
                id=row[0], name=row[1], category=row[2], owner=row[3], leaning=row[4],
                domains=tuple(row[5]), description=row[6], sources=tuple(row[7]),
            )
            for row in doc["services"]
        }  # fmt: skip
        return Catalog(
            version=doc["version"], categories=dict(doc["categories"]), services=services
        )
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def read_installed(toml_bytes: bytes) -> Catalog | None:
    """The catalog from the cache shipped beside ``services.toml``, if it is fresh."""
    try:
        text = CACHE_PATH.read_text(encoding="utf-8")
    except OSError:
        return None
    return read(toml_bytes, text)


def main() -> None:
    """Rewrite ``data/services.json`` from ``data/services.toml``."""
    from socialsight.catalog.model import parse_bundled

    toml_bytes = TOML_PATH.read_bytes()
    CACHE_PATH.write_text(dumps(parse_bundled(toml_bytes), toml_bytes), encoding="utf-8")
    print(f"wrote {CACHE_PATH}")


if __name__ == "__main__":
    main()
