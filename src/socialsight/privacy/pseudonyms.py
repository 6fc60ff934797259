"""Keyed pseudonyms for user names and client addresses.

A pseudonym is ``u-`` or ``c-`` followed by the first 16 hex digits (64 bits) of
HMAC-SHA256(key, kind NUL normalised-value). The kind is part of the message so that a user
called ``10.0.0.1`` and the address 10.0.0.1 never share a pseudonym. 64 bits keeps the chance
of two people of a 100,000-person organisation colliding below one in a billion.

Only the distinct values of a batch are hashed (a few thousand per million lines), then mapped
back onto the rows by Arrow, so that pseudonymisation costs almost nothing at ingest.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

DIGITS = 16


def normalise_user(name: str) -> str:
    """The form of a user name that is hashed and looked up in the directory.

    Case is folded and a Windows domain prefix or a Kerberos realm is dropped, so that the
    proxy's ``CORP\\JSmith`` and the directory's ``jsmith`` are the same person.

    >>> normalise_user("CORP\\\\JSmith")
    'jsmith'
    >>> normalise_user("jsmith@CORP.EXAMPLE")
    'jsmith'
    """
    text = name.strip().casefold()
    if "\\" in text:
        text = text.rsplit("\\", 1)[1]
    if "@" in text:
        text = text.split("@", 1)[0]
    return text


def normalise_address(address: str) -> str:
    """Canonical text of an IP address (``::ffff:10.0.0.1`` -> ``10.0.0.1``); other text as is.

    >>> normalise_address("2001:DB8:0:0::1")
    '2001:db8::1'
    """
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return text.casefold()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class Pseudonymiser:
    """Turns raw identities into stable keyed pseudonyms.

    >>> p = Pseudonymiser(bytes(32))
    >>> p.user("jsmith") == p.user("CORP\\\\JSmith")
    True
    >>> p.user("jsmith").startswith("u-")
    True
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _digest(self, kind: bytes, value: str) -> str:
        mac = hmac.new(self._key, kind + b"\0" + value.encode("utf-8"), hashlib.sha256)
        return mac.hexdigest()[:DIGITS]

    def user(self, name: str) -> str:
        """Pseudonym of a user name."""
        return "u-" + self._digest(b"user", normalise_user(name))

    def client(self, address: str) -> str:
        """Pseudonym of a client address."""
        return "c-" + self._digest(b"client", normalise_address(address))

    def users(self, names: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Vectorised :meth:`user`; nulls and empty names stay null."""
        return _map_unique(names, self.user)

    def clients(self, addresses: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Vectorised :meth:`client`; nulls and empty addresses stay null."""
        return _map_unique(addresses, self.client)


def _map_unique(values: pa.Array | pa.ChunkedArray, fn: Callable[[str], str]) -> pa.Array:
    """Apply ``fn`` to each distinct non-empty string once and map the results back."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.string())
    if len(values) == 0:
        return pa.array([], pa.string())
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary.to_pylist()
    mapped = pa.array([fn(v) if v and v.strip() else None for v in dictionary], pa.string())
    return mapped.take(encoded.indices)
