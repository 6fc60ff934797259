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
# (Its pattern without the named group: findall() then returns the rules themselves, in
# half the time of finditer() and a group() per match.)
_RULE_RE = re.compile(r"^[.*!]*\w[\S]*", re.UNICODE | re.MULTILINE)
_PRIVATE_SEPARATOR = "// ===BEGIN PRIVATE DOMAINS==="
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
# Ideographic and full-width full stops count as dots, as in tldextract.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

# Trie nodes are dicts from label to child node; this key (never a label: labels are split on
# dots) marks a node where a rule ends.
_END = "."
# A host in the form almost every log line has: lower-case letters, digits, "-" and "_" in
# non-empty dot-separated labels. registered_domain() takes a short cut for it.
_PLAIN_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


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
    rules: list[str] = _RULE_RE.findall(public)
    return rules


def build_trie(rules: list[str]) -> dict[str, Any]:
    """A trie of the rules' labels, last label first.

    >>> build_trie(["uk", "co.uk", "*.ck"])
    {'uk': {'.': True, 'co': {'.': True}}, 'ck': {'*': {'.': True}}}
    """
    root: dict[str, Any] = {}
    for rule in rules:
        node = root
        labels = rule.split(".")
        labels.reverse()
        for label in labels:
            # (get() first: setdefault() would build a dict per label only to drop most)
            child = node.get(label)
            if child is None:
                child = node[label] = {}
            node = child
        node[_END] = True
    return root


_lock = threading.Lock()
_trie: dict[str, Any] | None = None


def _load() -> dict[str, Any]:
    # Parsed on the first unknown host only (a run with nothing new to read never pays it),
    # once even when ingest threads ask at the same time.
    global _trie
    with _lock:
        if _trie is None:
            # Bytes decoded as tldextract decodes them (read_text would also translate
            # newlines, for nothing: the rules end at any white space).
            text = snapshot_path().read_bytes().decode("utf-8")
            _trie = build_trie(public_rules(text))
        return _trie


def suffix_length(labels: list[str], root: dict[str, Any]) -> int:
    """How many of the last ``labels`` make the public suffix (0: no rule applies).

    tldextract's walk: from the last label, down the trie while the labels are nodes,
    remembering the longest suffix at which a rule ends; where the walk leaves the trie
    under a wildcard, the wildcard takes one more label, unless an exception rule names it.
    Labels are compared as given (lower-case and decode them first).

    >>> t = build_trie(["uk", "co.uk", "ck", "*.ck", "!www.ck"])
    >>> [suffix_length(h.split("."), t) for h in ("bbc.co.uk", "a.b.ck", "www.ck", "x.fr")]
    [2, 2, 1, 0]
    """
    node = root
    found = 0
    for depth, label in enumerate(reversed(labels), 1):
        child = node.get(label)
        if child is None:
            if "*" in node:
                # The wildcard takes this label into the suffix, unless an exception names it.
                return depth - 1 if "!" + label in node else depth
            break
        node = child
        if _END in node:
            found = depth
    return found


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


def registered_domain(url: str) -> str:
    """The domain just under the public suffix (``bbc.co.uk`` for ``www.bbc.co.uk``), or ""
    when there is none (IP literals, single labels, unknown top-level domains).

    >>> registered_domain("a.b.kawasaki.jp"), registered_domain("www.city.kawasaki.jp")
    ('a.b.kawasaki.jp', 'city.kawasaki.jp')
    """
    trie = _trie or _load()
    if _PLAIN_HOST.fullmatch(url) and "xn--" not in url:
        # The short cut: such a host is its own netloc (no scheme, user, port, bracket, odd
        # or trailing dot for _host() to cut), its labels are lower case already and decode
        # to themselves, and none is empty.
        labels = url.split(".")
        length = suffix_length(labels, trie)
        return ".".join(labels[-length - 1 :]) if 0 < length < len(labels) else ""
    netloc = _host(url).translate(_DOTS)
    if len(netloc) >= 4 and netloc[0] == "[" and netloc[-1] == "]" and _is_ipv6(netloc[1:-1]):
        return ""
    labels = netloc.split(".")
    length = suffix_length([_decode_punycode(label) for label in labels], trie)
    if length == 0:
        return ""
    start = len(labels) - length
    domain = labels[start - 1] if start > 0 else ""
    suffix = ".".join(labels[start:])
    return f"{domain}.{suffix}" if domain and suffix else ""
