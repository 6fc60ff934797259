"""The library's front door for every face: one object per data directory that answers the
questions the CLI, the web dashboard and the report ask, with the minimum group size applied.

A face (``cli.py``, ``web/``, ``report/``) never builds analytics expressions itself; it calls a
method here and renders what comes back. Each method returns aggregates only, already filtered
by the minimum group size and carrying the count of what was suppressed.

>>> insights = Insights.open("socialsight-data")        # doctest: +SKIP
>>> insights.services().rows[0]["service"]              # doctest: +SKIP
'facebook'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from socialsight.config import STORE_NAME, Settings, load_settings, resolve_data_dir
from socialsight.privacy.min_group import Grouped, suppress_small_groups
from socialsight.store.store import Store


@dataclass
class Insights:
    """Questions about one installation. Cheap to create; each call reads committed data."""

    data_dir: Path
    settings: Settings
    store: Store
    _con: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, data: str | Path | None = None) -> Insights:
        """Open the installation at ``data`` (``--data`` > ``$SOCIALSIGHT_DATA`` > default)."""
        data_dir = resolve_data_dir(data)
        settings = load_settings(data_dir)
        return cls(data_dir, settings, Store.open(data_dir / STORE_NAME))

    @cached_property
    def events(self) -> ir.Table:
        """The committed events as an Ibis table (read once per Insights object)."""
        from socialsight.analytics.engine import events_table

        return events_table(self.store)

    @property
    def min_group_size(self) -> int:
        return self.settings.min_group_size

    def services(self) -> Grouped:
        """Services in use: category, people, units, requests, bytes, active days."""
        from socialsight.analytics.services import services

        return suppress_small_groups(
            services(self.events, self.settings.timezone), self.min_group_size
        )

    def unknown(self, limit: int | None = None) -> Grouped:
        """Unclassified registered domains ranked by people and requests."""
        from socialsight.analytics.unknown import unknown

        grouped = suppress_small_groups(unknown(self.events), self.min_group_size)
        if limit is not None:
            grouped = Grouped(
                grouped.rows[: max(limit, 0)], grouped.min_group_size, grouped.suppressed_groups
            )
        return grouped
