"""Zeek's ``ssl.log`` (TSV or JSON lines): one record per TLS connection; the SNI server name
is the destination host.

See :mod:`socialsight.formats._zeek` for the two physical forms and
``docs/formats/zeek_ssl.md`` for the field mapping, outcome rule and reject reasons.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from socialsight.formats._values import empty_null, host_name
from socialsight.formats._zeek import ZeekLog

_TRUE = pa.array(["T", "true"])
_FALSE = pa.array(["F", "false"])


class ZeekSsl(ZeekLog):
    """Zeek ``ssl.log``.

    >>> import pyarrow as pa
    >>> line = ('{"ts":1547688736.805088,"id.orig_h":"10.178.98.102","id.resp_h":"35.199.178.4",'
    ...         '"id.resp_p":443,"server_name":"WWW.Example.org","resumed":false,'
    ...         '"established":true}')
    >>> row = ZeekSsl().parse(pa.array([line]), first_line=1).records.to_pylist()[0]
    >>> row["url.domain"], row["destination.port"], row["event.action"], row["event.outcome"]
    ('www.example.org', 443, 'established', 'allowed')
    """

    name: ClassVar[str] = "zeek_ssl"
    title: ClassVar[str] = "Zeek ssl.log (TSV or JSON)"
    provides: ClassVar[frozenset[str]] = frozenset(
        {
            "@timestamp", "source.address", "url.domain", "destination.port", "event.action",
            "event.outcome",
        }
    )  # fmt: skip

    path: ClassVar[str] = "ssl"
    fields: ClassVar[tuple[str, ...]] = ("server_name", "established", "last_alert")
    markers: ClassVar[tuple[str, ...]] = ("established",)
    write_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("ts", "time"),
        ("uid", "string"),
        ("id.orig_h", "addr"),
        ("id.orig_p", "port"),
        ("id.resp_h", "addr"),
        ("id.resp_p", "port"),
        ("version", "string"),
        ("cipher", "string"),
        ("curve", "string"),
        ("server_name", "string"),
        ("resumed", "bool"),
        ("last_alert", "string"),
        ("next_protocol", "string"),
        ("established", "bool"),
        ("ssl_history", "string"),
        ("cert_chain_fps", "vector[string]"),
        ("client_cert_chain_fps", "vector[string]"),
        ("sni_matches_cert", "bool"),
    )

    def _convert(
        self, col: dict[str, pa.Array], common: dict[str, pa.Array]
    ) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
        sni = empty_null(col["server_name"])
        sni_host, sni_bad = host_name(sni)
        resp_host, _ = host_name(col["id.resp_h"])
        established = pc.is_in(col["established"], value_set=_TRUE)
        not_established = pc.is_in(col["established"], value_set=_FALSE)
        alert = empty_null(col["last_alert"])
        action = pc.if_else(
            established,
            "established",
            pc.if_else(not_established, pc.coalesce(alert, "not-established"), None),
        )
        columns = {
            "url.domain": pc.coalesce(sni_host, resp_host),
            "destination.port": common["port"],
            "event.action": action,
            "event.outcome": pc.if_else(not_established, "failed", "allowed"),
        }
        checks = [
            (sni_bad, "bad-host"),
            (
                pc.and_(
                    col["established"].is_valid(),
                    pc.invert(pc.or_(established, not_established)),
                ),
                "bad-established",
            ),
        ]
        return columns, checks

    @classmethod
    def _write_values(cls, records: pa.Table) -> dict[str, pa.Array]:
        def col(name: str) -> pa.Array:
            return records.column(name).combine_chunks()

        outcome = col("event.outcome")
        action = col("event.action")
        failed = pc.equal(outcome, "failed").fill_null(False)
        # A failed handshake keeps its alert (the action) when it has one.
        alert = pc.if_else(
            pc.and_(failed, pc.not_equal(action, "not-established").fill_null(False)),
            action,
            None,
        )
        return {
            "id.orig_h": col("source.address"),
            "id.resp_p": pc.coalesce(col("destination.port"), pa.scalar(443, pa.int32())).cast(
                pa.string()
            ),
            "server_name": col("url.domain"),
            "resumed": pc.fill_null(pa.nulls(records.num_rows, pa.string()), "F"),
            "last_alert": alert,
            "established": pc.if_else(failed, "F", "T"),
        }


FORMATS = (ZeekSsl,)
