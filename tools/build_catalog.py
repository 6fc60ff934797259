"""Build a draft of the service catalog from the curated seed and the shared lists.

Usage::

    python tools/build_catalog.py [--data ../shared/data] [--out draft.toml] [--version 2025.01.1]

The draft is *not* the shipped catalog: ``src/socialsight/catalog/data/services.toml`` is the
reviewed artifact. Regenerate a draft and diff it against the shipped file to see what the
upstream lists changed, then carry the changes you accept over by hand.

Provenance (see ``src/socialsight/catalog/data/NOTICE.md``):

1. ``tools/catalog_seed.py``: the curated services, their core domains (ours).
2. v2fly-domain-list-community (MIT): per-service lists named in the seed; ``include:`` lines
   resolved, ``domain:``/``full:``/plain rules kept, ``regexp:``/``keyword:`` dropped (they are
   not suffixes) and rules tagged ``@ads`` dropped (keep lists tight). The ``google`` list
   gives the google.<cc> country sites of google-search.
3. sinfonietta-hostfiles social-hosts (MIT) and jmdugan-blocklists (CC0): the registered domain
   of every host in the sections/files named by the seed, unless it is shared infrastructure.
4. ut1-blacklists (CC BY-SA 4.0): the long tail. Each ut1 category below becomes one
   ``other-*`` service holding the listed domains that no curated service claims.

GPL/LGPL lists (adguardhome, ndpi) are never read here: they only check the catalog in tests.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import tldextract

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_seed import CATEGORIES, SEEDS

from socialsight.catalog.model import is_valid_domain

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# ut1 category -> (service id, name, catalog category, leaning, description)
UT1_LONG_TAIL = [
    (
        "social_networks",
        "other-social-networks",
        "Other social networks (UT1 list)",
        "social-network",
        "social",
    ),
    ("blog", "other-blogs", "Other blogs and blog hosts (UT1 list)", "blogging", "mixed"),
    ("forums", "other-forums", "Other forums (UT1 list)", "forums", "social"),
    ("chat", "other-chat", "Other chat services (UT1 list)", "messaging", "social"),
    ("webmail", "other-webmail", "Other webmail (UT1 list)", "webmail", "mixed"),
    ("filehosting", "other-file-hosting", "Other file hosting (UT1 list)", "file-sharing", "mixed"),
    ("ai", "other-ai", "Other AI services (UT1 list)", "ai-assistant", "mixed"),
    (
        "shortener",
        "other-url-shorteners",
        "Other URL shorteners (UT1 list)",
        "url-shortener",
        "mixed",
    ),
]

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_GOOGLE_CC = re.compile(r"^google\.(com?\.)?[a-z]{2}$")


def registered(host: str) -> str:
    """Registered domain of ``host`` per the bundled Public Suffix List ('' if none)."""
    return str(_EXTRACT(host).top_domain_under_public_suffix)


def v2fly_rules(data: Path, name: str, seen: set[str] | None = None) -> list[str]:
    """Suffix rules of one v2fly list, ``include:`` resolved, ads and non-suffix rules dropped."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    path = data / "v2fly-domain-list-community" / "data" / name
    if not path.exists():
        raise SystemExit(f"v2fly list {name!r} not found at {path}")
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        rule, *attrs = line.split()
        if "@ads" in attrs:
            continue
        kind, _, value = rule.rpartition(":")
        if kind == "include":
            out.extend(v2fly_rules(data, value, seen))
        elif kind in ("", "domain", "full"):
            out.append(value.lower())
        # regexp: and keyword: cannot be expressed as suffixes; they are left out on purpose.
    return out


def sinfonietta_sections(data: Path) -> dict[str, list[str]]:
    """Hosts of sinfonietta social-hosts, by the ``# Section`` comment that precedes them."""
    sections: dict[str, list[str]] = {}
    current = ""
    path = data / "sinfonietta-hostfiles" / "social-hosts"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            # "# from https://..." lines credit a source; they do not open a section.
            if not title.startswith("from "):
                current = title
            continue
        if not line.strip():
            current = ""  # sections end at a blank line
            continue
        parts = line.split()
        if len(parts) >= 2:
            sections.setdefault(current, []).append(parts[1].lower())
    return sections


def jmdugan_hosts(data: Path, rel: str) -> list[str]:
    """Hosts of one jmdugan corporations file (hosts or dnsmasq format)."""
    path = data / "jmdugan-blocklists" / "corporations" / rel
    hosts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("address=/"):
            hosts.append(line.split("/")[1].lower())
        elif len(line.split()) == 2:
            hosts.append(line.split()[1].lower())
    return hosts


def ut1_domains(data: Path, category: str) -> list[str]:
    path = data / "ut1-blacklists" / "blacklists" / category / "domains"
    return [d.strip().lower() for d in path.read_text(encoding="utf-8").splitlines() if d.strip()]


def covered(domain: str, index: dict[str, str]) -> str | None:
    """The service claiming ``domain`` or one of its parent suffixes, if any."""
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        owner = index.get(".".join(labels[i:]))
        if owner:
            return owner
    return None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def build(data: Path) -> tuple[dict[str, dict[str, object]], list[str]]:
    """Services as plain dicts (in seed order) and a list of review notes."""
    notes: list[str] = []
    services: dict[str, dict[str, object]] = {}
    index: dict[str, str] = {}
    # Pass 1: the curated core domains. A duplicate here is a seed bug.
    for seed in SEEDS:
        if seed.id in services:
            raise SystemExit(f"seed id {seed.id} twice")
        if seed.category not in CATEGORIES:
            raise SystemExit(f"seed {seed.id}: unknown category {seed.category}")
        domains = seed.domains.split()
        for d in domains:
            if not is_valid_domain(d):
                raise SystemExit(f"seed {seed.id}: bad domain {d}")
            if d in index:
                raise SystemExit(f"seed {seed.id}: {d} already claimed by {index[d]}")
            index[d] = seed.id
        services[seed.id] = {
            "seed": seed,
            "domains": list(domains),
            "sources": ["curated"],
        }
    shared = {
        d
        for s in SEEDS
        if s.category in ("infrastructure", "advertising")
        for d in s.domains.split()
    }

    def claim(sid: str, domain: str, source: str) -> None:
        if not is_valid_domain(domain) or is_ip(domain):
            notes.append(f"{sid}: skipped invalid {domain!r} from {source}")
            return
        owner = index.get(domain)
        if owner is None:
            index[domain] = sid
            services[sid]["domains"].append(domain)  # type: ignore[attr-defined]
        elif owner != sid:
            notes.append(f"{sid}: {domain} from {source} kept by {owner}")
        tag = source
        if tag not in services[sid]["sources"]:  # type: ignore[operator]
            services[sid]["sources"].append(tag)  # type: ignore[attr-defined]

    # Pass 2: v2fly lists, then host lists (registered domains only).
    sinf = sinfonietta_sections(data)
    for seed in SEEDS:
        for name in seed.v2fly.split():
            for domain in v2fly_rules(data, name):
                if covered(domain, index) == seed.id and domain not in index:
                    # Already covered by one of the service's own suffixes: no new rule needed.
                    tag = f"v2fly:{name}"
                    if tag not in services[seed.id]["sources"]:  # type: ignore[operator]
                        services[seed.id]["sources"].append(tag)  # type: ignore[attr-defined]
                    continue
                claim(seed.id, domain, f"v2fly:{name}")
        for ref in _host_refs(seed.hosts):
            if ref.startswith("sinf:"):
                section = ref[5:]
                hosts = next((h for k, h in sinf.items() if k.startswith(section)), None)
                if hosts is None:
                    raise SystemExit(f"{seed.id}: no sinfonietta section {section!r}")
                source = "sinfonietta"
            else:
                hosts = jmdugan_hosts(data, ref[3:])
                source = f"jmdugan:{ref[3:]}"
            for host in hosts:
                reg = registered(host)
                if not reg or reg in shared or covered(reg, index) not in (None, seed.id):
                    continue
                if covered(reg, index) == seed.id:
                    if source not in services[seed.id]["sources"]:  # type: ignore[operator]
                        services[seed.id]["sources"].append(source)  # type: ignore[attr-defined]
                    continue
                claim(seed.id, reg, source)
    # google.<cc> country sites, from v2fly's google list.
    for domain in v2fly_rules(data, "google"):
        if _GOOGLE_CC.match(domain) and domain not in index:
            claim("google-search", domain, "v2fly:google")

    # Pass 3: the ut1 long tail.
    curated_index = dict(index)
    for category, sid, name, cat, leaning in UT1_LONG_TAIL:
        entries = sorted(
            {d for d in ut1_domains(data, category) if is_valid_domain(d) and not is_ip(d)},
            key=lambda d: (d.count("."), d),
        )
        kept: list[str] = []
        for domain in entries:
            owner = covered(domain, curated_index)
            if owner is not None:
                if f"ut1:{category}" not in services[owner]["sources"]:  # type: ignore[operator]
                    services[owner]["sources"].append(f"ut1:{category}")  # type: ignore[attr-defined]
                continue
            if covered(domain, index) is not None:
                continue  # under a domain an earlier long-tail bucket (or this one) holds
            index[domain] = sid
            kept.append(domain)
        services[sid] = {
            "seed": None,
            "id": sid,
            "name": name,
            "category": cat,
            "leaning": leaning,
            "owner": "Various",
            "description": f"Domains of the UT1 '{category}' list that no named service claims.",
            "domains": kept,
            "sources": [f"ut1:{category}"],
        }
    return services, notes


def _host_refs(hosts: str) -> list[str]:
    """Split ``"sinf:Dating sites jm:facebook/all"`` into its references."""
    return [r.strip() for r in re.split(r"\s(?=(?:sinf|jm):)", hosts) if r.strip()]


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(items: Iterable[str], indent: str = "  ") -> str:
    items = list(items)
    if not items:
        return "[]"
    inner = ", ".join(_toml_str(i) for i in items)
    if len(inner) < 80:
        return f"[{inner}]"
    lines = textwrap.wrap(inner, width=96, break_long_words=False, break_on_hyphens=False)
    return "[\n" + "\n".join(indent + line for line in lines) + ",\n]"


def render(services: dict[str, dict[str, object]], version: str) -> str:
    out = [
        "# socialsight service catalog. Reviewed artifact: edit by hand, see docs/catalog.md.",
        "# Sources and licences: NOTICE.md beside this file. Draft generator:",
        "# tools/build_catalog.py (regenerate and diff to see upstream changes).",
        "",
        f"version = {_toml_str(version)}",
        "",
        "[categories]",
    ]
    out += [f"{k} = {_toml_str(v)}" for k, v in CATEGORIES.items()]
    for sid, svc in services.items():
        seed = svc["seed"]
        fields = {
            "id": sid,
            "name": seed.name if seed else svc["name"],  # type: ignore[attr-defined]
            "category": seed.category if seed else svc["category"],  # type: ignore[attr-defined]
            "owner": seed.owner if seed else svc["owner"],  # type: ignore[attr-defined]
            "leaning": seed.leaning if seed else svc["leaning"],  # type: ignore[attr-defined]
        }
        desc = seed.description if seed else svc["description"]  # type: ignore[attr-defined]
        out += ["", "[[service]]"]
        out += [f"{k} = {_toml_str(str(v))}" for k, v in fields.items()]
        if desc:
            out.append(f"description = {_toml_str(str(desc))}")
        out.append(f"domains = {_toml_list(svc['domains'])}")  # type: ignore[arg-type]
        out.append(f"sources = {_toml_list(svc['sources'])}")  # type: ignore[arg-type]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("services.draft.toml"))
    parser.add_argument("--version", default="2026.11.1")
    parser.add_argument("--notes", action="store_true", help="print review notes")
    args = parser.parse_args()
    services, notes = build(args.data)
    args.out.write_text(render(services, args.version), encoding="utf-8")
    total = sum(len(s["domains"]) for s in services.values())  # type: ignore[arg-type,misc]
    print(f"{len(services)} services, {total} domains -> {args.out}")
    if args.notes:
        print("\n".join(notes))


if __name__ == "__main__":
    main()
