"""The service catalog as data: frozen dataclasses and the TOML loader.

The catalog ships in the package (``catalog/data/services.toml``); an organisation extends or
corrects it with override files of the same format, applied in order by :func:`load_catalog`.
See ``docs/catalog.md`` for the file format. The bundled catalog is read from its validated
JSON copy when that is fresh (:mod:`socialsight.catalog.cache`), a few milliseconds instead of
a TOML parse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from socialsight.errors import InputError

LEANINGS = ("business", "social", "entertainment", "mixed")
"""Whether a service is mostly used for work, for social life, for entertainment, or all."""

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SERVICE_KEYS = frozenset(
    {"id", "name", "category", "owner", "leaning", "domains", "description", "sources", "extends"}
)


def is_valid_domain(domain: str) -> bool:
    """True for a lower-case DNS name of at least two labels (no wildcards, ports or dots at
    either end).

    >>> is_valid_domain("fbcdn.net"), is_valid_domain("*.fbcdn.net"), is_valid_domain("localhost")
    (True, False, False)
    """
    return bool(_DOMAIN_RE.match(domain))


@dataclass(frozen=True)
class Service:
    """One service of the catalog: who runs it, what it is, and the domains it owns.

    ``domains`` are suffixes matched on label boundaries: ``facebook.com`` covers
    ``www.facebook.com`` but not ``notfacebook.com``.
    """

    id: str
    name: str
    category: str
    owner: str
    leaning: str
    domains: tuple[str, ...]
    description: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """A versioned set of services and the categories they belong to."""

    version: str
    categories: dict[str, str]
    services: dict[str, Service]

    def domain_index(self) -> dict[str, str]:
        """Map every catalog domain to the id of the service that claims it.

        >>> load_catalog().domain_index()["fbcdn.net"]
        'facebook'
        """
        return {d: s.id for s in self.services.values() for d in s.domains}


def _fail(origin: str, where: str, message: str) -> InputError:
    # One line, naming the file and the service, so a user can go straight to the mistake.
    return InputError(f"{origin}: {where}: {message}")


def _string(raw: Mapping[str, Any], key: str, origin: str, where: str, default: str | None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise _fail(origin, where, f"'{key}' must be a non-empty string")
    return value


def _strings(raw: Mapping[str, Any], key: str, origin: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(origin, where, f"'{key}' must be a list of strings")
    return tuple(value)


def _parse_service(
    raw: Any, origin: str, position: int, categories: Mapping[str, str]
) -> tuple[Service, bool]:
    """Validate one ``[[service]]`` table; returns the service and its ``extends`` flag."""
    if not isinstance(raw, dict):
        raise _fail(origin, f"service #{position}", "must be a table")
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        raise _fail(origin, f"service #{position}", f"id {sid!r} is not a kebab-case slug")
    where = f"service {sid}"
    unknown = sorted(set(raw) - _SERVICE_KEYS)
    if unknown:
        raise _fail(origin, where, f"unknown key(s) {', '.join(unknown)}")
    extends = raw.get("extends", False)
    if not isinstance(extends, bool):
        raise _fail(origin, where, "'extends' must be true or false")
    domains = _strings(raw, "domains", origin, where)
    for domain in domains:
        if not is_valid_domain(domain):
            raise _fail(origin, where, f"malformed domain {domain!r}")
    if len(set(domains)) != len(domains):
        raise _fail(origin, where, "a domain is listed twice")
    if extends:
        # An extension only carries domains (and maybe sources); the rest comes from the base.
        service = Service(sid, "", "", "", "", domains, "", _strings(raw, "sources", origin, where))
        return service, True
    category = _string(raw, "category", origin, where, None)
    if category not in categories:
        raise _fail(origin, where, f"unknown category {category!r}")
    leaning = _string(raw, "leaning", origin, where, None)
    if leaning not in LEANINGS:
        raise _fail(origin, where, f"bad leaning {leaning!r} (one of {', '.join(LEANINGS)})")
    if not domains:
        raise _fail(origin, where, "'domains' is empty")
    service = Service(
        id=sid,
        name=_string(raw, "name", origin, where, None),
        category=category,
        owner=_string(raw, "owner", origin, where, None),
        leaning=leaning,
        domains=domains,
        description=_string(raw, "description", origin, where, ""),
        sources=_strings(raw, "sources", origin, where),
    )
    return service, False


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    # tomllib only when a TOML file is parsed: the bundled catalog usually comes from its cache.
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{origin}: not valid TOML: {exc}") from None


def _apply(catalog: Catalog, doc: dict[str, Any], origin: str, *, base: bool) -> Catalog:
    """Merge one parsed catalog or override document into ``catalog``."""
    allowed = {"version", "categories", "service", "remove"}
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise _fail(origin, "top level", f"unknown key(s) {', '.join(unknown)}")
    categories = dict(catalog.categories)
    raw_categories = doc.get("categories", {})
    if not isinstance(raw_categories, dict) or not all(
        isinstance(k, str) and _ID_RE.match(k) and isinstance(v, str)
        for k, v in raw_categories.items()
    ):
        raise _fail(origin, "[categories]", "must map kebab-case slugs to titles")
    categories.update(raw_categories)

    services = dict(catalog.services)
    removals = doc.get("remove", [])
    if not isinstance(removals, list) or not all(isinstance(r, str) for r in removals):
        raise _fail(origin, "remove", "must be a list of service ids")
    for sid in removals:
        if sid not in services:
            raise _fail(origin, f"remove {sid}", "no such service")
        del services[sid]

    raw_services = doc.get("service", [])
    if not isinstance(raw_services, list):
        raise _fail(origin, "service", "use [[service]] tables")
    claimed: dict[str, str] = {}
    seen: set[str] = set()
    for position, raw in enumerate(raw_services, start=1):
        service, extends = _parse_service(raw, origin, position, categories)
        where = f"service {service.id}"
        if service.id in seen:
            raise _fail(origin, where, "defined twice in this file")
        seen.add(service.id)
        for domain in service.domains:
            other = claimed.setdefault(domain, service.id)
            if other != service.id:
                raise _fail(origin, where, f"domain {domain} is also claimed by {other}")
        if extends:
            if base or service.id not in services:
                raise _fail(origin, where, "'extends = true' needs an existing service")
            old = services[service.id]
            extra = tuple(d for d in service.domains if d not in old.domains)
            service = replace(
                old,
                domains=old.domains + extra,
                sources=old.sources + tuple(s for s in service.sources if s not in old.sources),
            )
        services[service.id] = service

    if not base:
        # Across files too, a domain has one owner: otherwise matching would depend on order.
        owners: dict[str, str] = {}
        for service in services.values():
            for domain in service.domains:
                other = owners.setdefault(domain, service.id)
                if other != service.id:
                    raise _fail(
                        origin,
                        f"service {service.id}",
                        f"domain {domain} is also claimed by {other}",
                    )
    for service in services.values():
        if service.category not in categories:
            raise _fail(origin, f"service {service.id}", f"unknown category {service.category!r}")
    version = catalog.version
    if base:
        version = doc.get("version", "")
        if not isinstance(version, str) or not re.fullmatch(r"\d{4}\.\d{2}\.\d+", version):
            raise _fail(origin, "version", "must be a string 'YYYY.MM.N'")
    return Catalog(version=version, categories=categories, services=services)


BUNDLED_PATH = Path(__file__).resolve().parent / "data" / "services.toml"


def bundled_text() -> str:
    """The text of the catalog shipped in the package."""
    return BUNDLED_PATH.read_text(encoding="utf-8")


def parse_bundled(toml_bytes: bytes) -> Catalog:
    """Parse and validate the bundled catalog's TOML (the slow path the cache avoids)."""
    empty = Catalog(version="", categories={}, services={})
    doc = _read_toml(toml_bytes.decode("utf-8"), "services.toml")
    return _apply(empty, doc, "services.toml", base=True)


def load_catalog(overrides: Sequence[Path] = ()) -> Catalog:
    """Load the bundled catalog, then apply each organisation override file in order.

    In an override, a ``[[service]]`` with an existing id replaces it (or, with
    ``extends = true``, adds its domains to it), a new id is added, ``[categories]`` adds
    categories and ``remove = ["id", ...]`` drops services. Any override makes the version
    ``<bundled>+local.<first 8 hex of the SHA-256 of the override contents>`` so that stored
    results say which catalog classified them.

    >>> catalog = load_catalog()
    >>> catalog.services["twitter"].name
    'X (Twitter)'

    Raises :class:`~socialsight.errors.InputError` (one line naming the file and the service)
    on bad TOML, unknown categories, bad leanings, malformed or doubly claimed domains.
    """
    from socialsight.catalog import cache

    toml_bytes = BUNDLED_PATH.read_bytes()
    # The cache is used only when it was made from these very bytes; otherwise parse.
    catalog = cache.read_installed(toml_bytes) or parse_bundled(toml_bytes)
    if not overrides:
        return catalog
    digest = hashlib.sha256()
    for path in overrides:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read catalog override: {exc.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: catalog override is not UTF-8") from None
        catalog = _apply(catalog, _read_toml(text, str(path)), str(path), base=False)
        digest.update(data)
    return replace(catalog, version=f"{catalog.version}+local.{digest.hexdigest()[:8]}")
