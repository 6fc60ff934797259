"""The canonical schemas, declared once.

Two shapes of data flow through socialsight:

* ``RECORD_SCHEMA``: what a log format parser emits. It still carries the raw user name and
  client address, and lives only in memory during ingest.
* ``EVENT_SCHEMA``: what the store keeps. Identities have become keyed pseudonyms, the host has
  been classified, and the full URL is dropped unless the configuration asks for it
  (data minimisation).

Names follow the Elastic Common Schema (ECS) where a field exists there. Each field carries a
``description`` in its Arrow metadata; ``docs/schema.md`` is generated from it.
"""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


# Fields shared by records and events, in the order they are stored.
_COMMON_HEAD = [
    _field("@timestamp", TIMESTAMP, "When the request happened, in UTC.", nullable=False),
]
_COMMON_TRAFFIC = [
    _field("http.request.method", pa.string(), "Request method, upper case (GET, POST, CONNECT)."),
    _field(
        "url.domain",
        pa.string(),
        "Destination host name or IP literal, lower case, without port or brackets.",
    ),
    _field("destination.port", pa.int32(), "Destination port, when the log gives or implies it."),
    _field(
        "http.response.status_code",
        pa.int32(),
        "HTTP status returned to the client; null when none was sent (Squid's 000).",
    ),
    _field(
        "event.action",
        pa.string(),
        "The appliance's own result code (Squid TCP_MISS, TCP_DENIED, NONE ...).",
    ),
    _field(
        "event.outcome",
        pa.string(),
        "allowed (the service answered), blocked (the appliance refused) or failed "
        "(the service could not be reached or errored).",
        nullable=False,
    ),
    _field(
        "http.request.bytes",
        pa.int64(),
        "Bytes sent by the client towards the service (upload); null when not logged.",
    ),
    _field(
        "http.response.bytes",
        pa.int64(),
        "Bytes sent back to the client (download); null when not logged.",
    ),
    _field("event.duration_ms", pa.int64(), "Time the appliance spent on the request, in ms."),
    _field("http.response.mime_type", pa.string(), "Content type of the reply, when logged."),
]

RECORD_SCHEMA = pa.schema(
    [
        *_COMMON_HEAD,
        _field(
            "user.name", pa.string(), "Raw authenticated user name (memory only, never stored)."
        ),
        _field(
            "source.address",
            pa.string(),
            "Raw client address as logged (memory only, never stored).",
        ),
        _field(
            "organization.unit",
            pa.string(),
            "Unit named by the log source itself, used when the directory has no entry.",
        ),
        *_COMMON_TRAFFIC,
        _field(
            "url.original",
            pa.string(),
            "Full URL as logged (memory only unless the configuration keeps URLs).",
        ),
        _field(
            "log.line", pa.int64(), "1-based line number of the record in its file.", nullable=False
        ),
    ]
)
"""What a format parser emits: raw identities, in memory only."""

EVENT_SCHEMA = pa.schema(
    [
        *_COMMON_HEAD,
        _field(
            "user.pseudonym",
            pa.string(),
            "Keyed HMAC-SHA256 pseudonym of the user name; null when the log has no user.",
        ),
        _field(
            "client.pseudonym",
            pa.string(),
            "Keyed HMAC-SHA256 pseudonym of the client address; null when not logged.",
        ),
        _field(
            "person.pseudonym",
            pa.string(),
            "Who made the request: the user pseudonym, or the client pseudonym when the log "
            "has no user. Counts of people are distinct values of this field.",
        ),
        _field(
            "organization.unit",
            pa.string(),
            "Organisational unit from the directory file; 'unknown' when not listed.",
            nullable=False,
        ),
        *_COMMON_TRAFFIC,
        _field(
            "url.registered_domain",
            pa.string(),
            "Registered domain of the host per the bundled Public Suffix List (null for IPs).",
        ),
        _field("host.is_ip", pa.bool_(), "True when the destination is an IP literal."),
        _field("service.id", pa.string(), "Catalog service id; null when the host is unknown."),
        _field(
            "service.category", pa.string(), "Catalog category of the service; null if unknown."
        ),
        _field(
            "url.original",
            pa.string(),
            "Full URL; null unless the configuration sets keep_urls = true.",
        ),
        _field("log.file.id", pa.string(), "Ledger id of the file the event came from.", False),
        _field("log.format", pa.string(), "Name of the format module that parsed it.", False),
        _field("log.line", pa.int64(), "1-based line number in that file.", nullable=False),
    ]
)
"""What the store keeps: pseudonymous, classified events."""

REJECT_SCHEMA = pa.schema(
    [
        _field("log.line", pa.int64(), "1-based line number of the rejected line.", False),
        _field("reason", pa.string(), "Short kebab-case reason code.", nullable=False),
    ]
)
"""A line a parser could not turn into a record. The text itself is not stored (it may hold
identities); the ledger keeps the file, line number and byte offset so that it can be shown
from the original log on demand."""

OUTCOMES = ("allowed", "blocked", "failed")


def empty_records() -> pa.Table:
    """An empty table with :data:`RECORD_SCHEMA`."""
    return RECORD_SCHEMA.empty_table()


def empty_rejects() -> pa.Table:
    """An empty table with :data:`REJECT_SCHEMA`."""
    return REJECT_SCHEMA.empty_table()


def describe(schema: pa.Schema) -> list[tuple[str, str, str]]:
    """(name, type, description) for each field, for docs and ``socialsight schema``.

    >>> describe(EVENT_SCHEMA)[0]
    ('@timestamp', 'timestamp[us, tz=UTC]', 'When the request happened, in UTC.')
    """
    return [
        (f.name, str(f.type), (f.metadata or {}).get(b"description", b"").decode()) for f in schema
    ]
