"""Zeek's ``http.log`` (TSV or JSON lines): one record per HTTP request seen on the wire.

See :mod:`socialsight.formats._zeek` for the two physical forms and
``docs/formats/zeek_http.md`` for the field mapping, outcome rule and reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._values import (
    absolute_url,
    empty_null,
    group,
    host_name,
    no_match,
    split_authority,
)
from socialsight.formats._zeek import ZeekLog

_METHOD = r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$"


def _length(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(int64, bad mask): a byte count; one too large for 64 bits (Zeek logs 2^64-1 for a
    broken Content-Length) reads as null rather than rejecting the request."""
    digits = pc.match_substring_regex(values, r"^\d+$")
    length = pc.utf8_length(values)
    int64_max = pc.and_(pc.equal(length, 19), pc.less_equal(values, "9223372036854775807"))
    fits = pc.and_(digits, pc.or_(pc.less_equal(length, 18), int64_max))
    number = pc.if_else(fits, values, None).cast(pa.int64())
    return number, pc.and_(values.is_valid(), pc.invert(digits.fill_null(False)))


class ZeekHttp(ZeekLog):
    """Zeek ``http.log``.

    >>> import pyarrow as pa
    >>> line = ('{"ts":1517336154.078555,"id.orig_h":"10.55.100.109","id.orig_p":52068,'
    ...         '"id.resp_h":"52.44.164.170","id.resp_p":80,"trans_depth":1,"method":"GET",'
    ...         '"host":"www.alexa.com","uri":"/topsites","status_code":301,'
    ...         '"request_body_len":0,"response_body_len":178}')
    >>> row = ZeekHttp().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["url.original"], row["user.name"]
    ('www.alexa.com', 80, 'http://www.alexa.com/topsites', None)
    """

    name: ClassVar[str] = "zeek_http"
    title: ClassVar[str] = "Zeek http.log (TSV or JSON)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "source.address", "http.request.method", "url.domain",
            "destination.port", "http.response.status_code", "event.outcome",
            "http.request.bytes", "http.response.bytes", "http.response.mime_type",
            "url.original",
        }
    )  # fmt: skip

    path: ClassVar[str] = "http"
    fields: ClassVar[tuple[str, ...]] = (
        "method",
        "host",
        "uri",
        "status_code",
        "request_body_len",
        "response_body_len",
        "resp_mime_types",
    )
    first_of: ClassVar[frozenset[str]] = frozenset({"resp_mime_types"})
    markers: ClassVar[tuple[str, ...]] = ("trans_depth", "uri")
    # sip.log shares trans_depth/method/uri; smtp.log shares trans_depth.
    foreign: ClassVar[tuple[str, ...]] = ("call_id", "mailfrom")
    write_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("trans_depth", "count"),
        ("method", "string"),
        ("host", "string"),
        ("uri", "string"),
        ("referrer", "string"),
        ("version", "string"),
        ("user_agent", "string"),
        ("origin", "string"),
        ("request_body_len", "count"),
        ("response_body_len", "count"),
        ("status_code", "count"),
        ("status_msg", "string"),
        ("info_code", "count"),
        ("info_msg", "string"),
        ("tags", "set[enum]"),
        ("username", "string"),
        ("password", "string"),
        ("proxied", "set[string]"),
        ("orig_fuids", "vector[string]"),
        ("orig_filenames", "vector[string]"),
        ("orig_mime_types", "vector[string]"),
        ("resp_fuids", "vector[string]"),
        ("resp_filenames", "vector[string]"),
        ("resp_mime_types", "vector[string]"),
    )

    def _convert(
        self, col: dict[str, pa.Array], common: dict[str, pa.Array]
    ) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
        method = pc.utf8_upper(col["method"])
        uri = col["uri"]
        absolute = absolute_url(uri)
        is_absolute = absolute["is_absolute"]
        is_connect = pc.and_(
            pc.equal(method, "CONNECT").fill_null(False),
            pc.and_(pc.invert(is_absolute), uri.is_valid()),
        )
        # CONNECT logs "host:port"; btest has "host:25 /": the target ends at a space or slash.
        connect_target = group(pc.extract_regex(uri, r"^(?P<t>[^ /]+)"), "t")
        host_header = empty_null(col["host"])
        authority = pc.if_else(
            is_absolute,
            absolute["authority"],
            pc.if_else(is_connect, connect_target, host_header),
        )
        parts = split_authority(authority)
        resp_host, _ = host_name(col["id.resp_h"])
        from_header = pc.and_(authority.is_valid(), pc.invert(is_absolute))
        from_header = pc.and_(from_header, pc.invert(is_connect))
        domain = pc.if_else(authority.is_valid(), parts["domain"], resp_host)
        port = pc.coalesce(
            parts["port"],
            pc.if_else(
                is_absolute,
                absolute["default_port"],
                pc.if_else(is_connect, pa.scalar(None, pa.int32()), common["port"]),
            ),
        )
        # A relative URI is rebuilt as http://host/uri: Zeek sees clear-text HTTP only.
        url_host = pc.if_else(
            from_header,
            host_header,
            pc.if_else(
                pc.match_substring(col["id.resp_h"], ":"),
                pc.binary_join_element_wise("[", col["id.resp_h"], "]", ""),
                col["id.resp_h"],
            ),
        )
        relative = pc.and_(pc.starts_with(uri, "/"), url_host.is_valid())
        relative = pc.and_(relative, pc.invert(pc.or_(is_absolute, is_connect))).fill_null(False)
        original = pc.if_else(
            relative, pc.binary_join_element_wise("http://", url_host, uri, ""), uri
        )
        status_ok = pc.match_substring_regex(col["status_code"], r"^\d{1,3}$")
        status = pc.if_else(status_ok, col["status_code"], None).cast(pa.int32())
        status = pc.if_else(pc.equal(status, 0), pa.scalar(None, pa.int32()), status)
        up, up_bad = _length(col["request_body_len"])
        down, down_bad = _length(col["response_body_len"])
        failed = pc.or_(status.is_null(), pc.greater_equal(status, 500).fill_null(False))
        columns = {
            "http.request.method": method,
            "url.domain": domain,
            "destination.port": port,
            "http.response.status_code": status,
            "event.outcome": pc.if_else(failed, "failed", "allowed"),
            "http.request.bytes": up,
            "http.response.bytes": down,
            "http.response.mime_type": empty_null(col["resp_mime_types"]),
            "url.original": original,
        }
        checks = [
            (no_match(col["method"], _METHOD), "bad-method"),
            (parts["host_bad"], "bad-host"),
            (parts["port_bad"], "bad-port"),
            (pc.and_(col["status_code"].is_valid(), pc.invert(status_ok)), "bad-status"),
            (pc.or_(up_bad, down_bad), "bad-bytes"),
        ]
        return columns, checks

    @classmethod
    def _write_values(cls, records: pa.Table) -> dict[str, pa.Array]:
        def col(name: str) -> pa.Array:
            return records.column(name).combine_chunks()

        domain = col("url.domain")
        port = col("destination.port")
        method = col("http.request.method")
        is_connect = pc.equal(method, "CONNECT").fill_null(False)
        bracketed = pc.if_else(
            pc.match_substring(domain, ":"), pc.binary_join_element_wise("[", domain, "]", ""),
            domain,
        )  # fmt: skip
        host_port = pc.if_else(
            port.is_valid(),
            pc.binary_join_element_wise(bracketed, port.cast(pa.string()), ":"),
            bracketed,
        )
        original = empty_null(col("url.original"))
        fallback = pc.if_else(
            domain.is_valid(), pc.binary_join_element_wise("http://", host_port, "/", ""), None
        )
        uri = pc.if_else(
            pc.and_(is_connect, domain.is_valid()), host_port, pc.coalesce(original, fallback)
        )
        status = col("http.response.status_code").cast(pa.string())
        return {
            "id.orig_h": col("source.address"),
            "id.resp_p": pc.coalesce(port, pa.scalar(80, pa.int32())).cast(pa.string()),
            "trans_depth": pc.fill_null(pa.nulls(records.num_rows, pa.string()), "1"),
            "method": method,
            "host": bracketed,
            "uri": uri,
            "request_body_len": col("http.request.bytes").cast(pa.string()),
            "response_body_len": col("http.response.bytes").cast(pa.string()),
            "status_code": status,
            "resp_mime_types": col("http.response.mime_type"),
        }


FORMATS = (ZeekHttp,)
