"""Registered domains under the Public Suffix List, without importing tldextract at run time.

The matcher used to call ``tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)``:
importing tldextract pulls in requests and urllib3 (0.15 s) and its first call parses the
list (0.16 s), a fixed cost that every ingest paid. This module reads the same snapshot that
tldextract bundles (``tldextract/.tld_set_snapshot``, found without executing the package) and
walks the same reversed-label trie, so that :func:`registered_domain` gives exactly what
``TLDExtract(...)(host).top_domain_under_public_suffix`` gives: ICANN section only (the
private section is not used, as tldextract's default), wildcard ``*.`` and exception ``!``
rules, labels compared lower-cased with ``xn--`` labels decoded, case kept in the result, and
tldextract's lenient handling of schemes, user info, ports and brackets.
``tests/test_suffixes.py`` compares the two on real, IDN and hostile hosts.

>>> registered_domain("forums.bbc.co.uk"), registered_domain("localhost")
('bbc.co.uk', '')
"""

from __future__ import annotations

import importlib.util
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

# The same reading of the list as tldextract's suffix_list.py: a rule is the first word of a
# line that starts with a word character (after optional '.', '*', '!'); comments start '//'.
_RULE_RE = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)
_PRIVATE_SEPARATOR = "// ===BEGIN PRIVATE DOMAINS==="
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
# Ideographic and full-width full stops count as dots, as in tldextract.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# Trie nodes are dicts from label to child node; this key (never a label: labels are split on
# dots) marks a node where a rule ends.
_END = "."

_lock = threading.Lock()
_trie: dict[str, Any] | None = None


def snapshot_path() -> Path:
    """The Public Suffix List snapshot that tldextract ships (its package is not imported)."""
    spec = importlib.util.find_spec("tldextract")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("tldextract is not installed: it supplies the Public Suffix List")
    return Path(next(iter(spec.submodule_search_locations))) / ".tld_set_snapshot"


def public_rules(text: str) -> list[str]:
    """The rules of the ICANN (public) section of a Public Suffix List text.

    >>> public_rules("// c\\ncom\\n*.ck\\n!www.ck\\n// ===BEGIN PRIVATE DOMAINS===\\nblogspot.com")
    ['com', '*.ck', '!www.ck']
    """
    public = text.partition(_PRIVATE_SEPARATOR)[0]
    return [m.group("suffix") for m in _RULE_RE.finditer(public)]


def build_trie(rules: list[str]) -> dict[str, Any]:
    """A trie of the rules' labels, last label first."""
    root: dict[str, Any] = {}
    for rule in rules:
        node = root
        for label in reversed(rule.split(".")):
            node = node.setdefault(label, {})
        node[_END] = True
    return root


def _load() -> dict[str, Any]:
    # Parsed on the first unknown host only (a run with nothing new to read never pays it),
    # once even when ingest threads ask at the same time.
    global _trie
    with _lock:
        if _trie is None:
            text = snapshot_path().read_text(encoding="utf-8")
            _trie = build_trie(public_rules(text))
        return _trie


@lru_cache(maxsize=4096)
def _decode_punycode(label: str) -> str:
    lowered = label.lower()
    if lowered.startswith("xn--"):
        # idna (a dependency of tldextract) only for punycode labels, which are rare; its
        # decoding and validation are what tldextract compares against the list.
        import idna

        try:
            return str(idna.decode(lowered))
        except (UnicodeError, IndexError):
            pass
    return lowered


def _schemeless(url: str) -> str:
    slashes = url.find("//")
    if slashes == 0:
        return url[2:]
    if slashes < 2 or url[slashes - 1] != ":" or set(url[: slashes - 1]) - _SCHEME_CHARS:
        return url
    return url[slashes + 2 :]


def _host(url: str) -> str:
    """The host part of a URL-like string, as tldextract's ``lenient_netloc`` cuts it."""
    authority = _schemeless(url).partition("/")[0].partition("?")[0].partition("#")[0]
    after_userinfo = authority.rpartition("@")[-1]
    if after_userinfo and after_userinfo[0] == "[":
        inside, bracket, _ = after_userinfo.partition("]")
        if bracket:
            return f"{inside}]"
    return after_userinfo.partition(":")[0].strip().rstrip(".\u3002\uff0e\uff61")


def _is_ipv6(text: str) -> bool:
    from ipaddress import AddressValueError, IPv6Address

    try:
        IPv6Address(text)
    except AddressValueError:
        return False
    return True


def _suffix_start(labels: list[str], root: dict[str, Any]) -> int | None:
    """Index of the first label of the public suffix, or None when no rule applies."""
    node = root
    suffix = at = len(labels)
    for label in reversed(labels):
        decoded = _decode_punycode(label)
        if decoded in node:
            at -= 1
            node = node[decoded]
            if _END in node:
                suffix = at
            continue
        if "*" in node:
            # A wildcard takes this label into the suffix, unless an exception names it.
            return at if "!" + decoded in node else at - 1
        break
    return None if suffix == len(labels) else suffix


def registered_domain(url: str) -> str:
    """The domain just under the public suffix (``bbc.co.uk`` for ``www.bbc.co.uk``), or ""
    when there is none (IP literals, single labels, unknown top-level domains).

    >>> registered_domain("a.b.kawasaki.jp"), registered_domain("www.city.kawasaki.jp")
    ('a.b.kawasaki.jp', 'city.kawasaki.jp')
    """
    netloc = _host(url).translate(_DOTS)
    if len(netloc) >= 4 and netloc[0] == "[" and netloc[-1] == "]" and _is_ipv6(netloc[1:-1]):
        return ""
    labels = netloc.split(".")
    start = _suffix_start(labels, _load())
    if start is None:
        return ""
    domain = labels[start - 1] if start > 0 else ""
    suffix = ".".join(labels[start:])
    return f"{domain}.{suffix}" if domain and suffix else ""
