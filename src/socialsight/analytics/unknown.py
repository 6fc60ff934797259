"""The unclassified long tail, ranked so that IT can classify what matters first."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def unknown(events: ir.Table) -> ir.Table:
    """Per registered domain that no catalog service claims: people, requests, distinct hosts,
    bytes down, first and last seen. IP literals are grouped under the address itself.

    Ranked by people, then requests, descending: a domain many people use is the one whose
    classification changes the picture most.
    """
    tail = events.filter(events["service.id"].isnull() & events["url.domain"].notnull())
    domain = ibis.ifelse(
        tail["host.is_ip"],
        tail["url.domain"],
        tail["url.registered_domain"].fill_null(tail["url.domain"]),
    )
    return (
        tail.group_by(domain=domain, is_ip=tail["host.is_ip"])
        .aggregate(
            people=tail["person.pseudonym"].nunique(),
            requests=tail.count(),
            hosts=tail["url.domain"].nunique(),
            bytes_down=tail["http.response.bytes"].sum(),
            first_seen=tail["@timestamp"].min(),
            last_seen=tail["@timestamp"].max(),
        )
        .order_by([ibis.desc("people"), ibis.desc("requests"), "domain"])
    )
