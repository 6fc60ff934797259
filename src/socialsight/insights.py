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

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from socialsight.config import STORE_NAME, Settings, load_settings, resolve_data_dir
from socialsight.errors import InputError, SocialsightError
from socialsight.privacy.min_group import Grouped, suppress_small_groups
from socialsight.store.store import Store

if TYPE_CHECKING:
    from socialsight.analytics.calendar import Window
    from socialsight.analytics.impact import Impact
    from socialsight.analytics.summaries import Summaries
    from socialsight.catalog.model import Catalog


MEMO_ENTRIES = 64
"""Answers an Insights object keeps: enough for a dashboard's pages, bounded because every
distinct filter (service, unit, window) asked for is a new entry."""


class BoundedMemo(OrderedDict[Any, Any]):
    """A dict that forgets its oldest entries beyond ``size``.

    >>> memo = BoundedMemo(2)
    >>> memo["a"], memo["b"], memo["c"] = 1, 2, 3
    >>> list(memo)
    ['b', 'c']
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class Insights:
    """Questions about one installation. Cheap to create; each call reads committed data."""

    data_dir: Path
    settings: Settings
    store: Store
    _con: Any = field(default=None, repr=False)
    _memo: dict[Any, Any] = field(default_factory=lambda: BoundedMemo(MEMO_ENTRIES), repr=False)
    use_summaries: bool = True
    """Answer ``dependencies`` and ``outages`` from the materialised summaries (built or
    refreshed on first need, ``analytics/summaries.py``); False reads the events."""

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
        from socialsight.analytics.services import services, services_from_days

        summaries = self._summaries()
        # The summaries give the same rows from a fraction of the events' size; without them
        # (a store that cannot be written), the events are read.
        if summaries is not None:
            expr = services_from_days(summaries.services, self.min_group_size)
        else:
            expr = services(self.events, self.settings.timezone, self.min_group_size)
        return suppress_small_groups(expr, self.min_group_size)

    def unknown(self, limit: int | None = None) -> Grouped:
        """Unclassified registered domains ranked by people and requests."""
        from socialsight.analytics.unknown import unknown

        grouped = suppress_small_groups(unknown(self.events), self.min_group_size)
        if limit is not None:
            grouped = Grouped(
                grouped.rows[: max(limit, 0)], grouped.min_group_size, grouped.suppressed_groups
            )
        return grouped

    # -- dependencies, outages, impact (issue 5; docs/dependency.md) ---------------------------
    @cached_property
    def catalog(self) -> Catalog:
        """The service catalog with this installation's overrides."""
        from socialsight.catalog.model import load_catalog

        return load_catalog(self.settings.catalog_overrides)

    def _names(self) -> dict[str, str]:
        return {sid: s.name for sid, s in self.catalog.services.items()}

    def _check_service(self, service: str | None) -> None:
        if service is not None and service not in self.catalog.services:
            raise InputError(
                f"unknown service {service!r} (`socialsight catalog list` shows the service ids)"
            )

    def _check_unit(self, unit: str | None) -> None:
        if unit is None:
            return
        # A unit with fewer than k people gets the same answer as one that does not exist:
        # a query narrowed to it would otherwise tell, through its count of suppressed groups,
        # whether its few people used a service on a given day.
        summaries = self._summaries()
        if summaries is not None:
            people = summaries.unit_people(unit)
        else:
            events = self.events
            mine = events.filter(events["organization.unit"] == unit)
            people = mine["person.pseudonym"].nunique().to_pyarrow().as_py()
        if (people or 0) < self.min_group_size:
            raise InputError(
                f"no unit {unit!r} with at least {self.min_group_size} people "
                "(`socialsight units` lists the units shown)"
            )

    def _window(self, since: date | None, until: date | None) -> Window | None:
        from socialsight.analytics.calendar import resolve_window

        key = ("window", since, until)
        if key not in self._memo:
            self._memo[key] = resolve_window(self._bounds_table(), self.settings, since, until)
        window: Window | None = self._memo[key]
        return window

    def _summaries(self) -> Summaries | None:
        """The summaries, refreshed first if new batches arrived (once per object); None when
        :attr:`use_summaries` is off or the store cannot be written (read-only copy)."""
        from socialsight.analytics.summaries import open_summaries, refresh_summaries, supported

        if not self.use_summaries or not supported(self.settings):
            return None
        if "summaries" not in self._memo:
            try:
                refresh_summaries(self.store, self.settings)
                self._memo["summaries"] = open_summaries(self.store, self.settings)
            except (OSError, SocialsightError):
                # A read-only copy of the data, or a database held by another process for
                # long: the events give the same answers, more slowly.
                self._memo["summaries"] = None
        summaries: Summaries | None = self._memo["summaries"]
        return summaries

    def _events_between(self, start: datetime, end: datetime) -> ir.Table:
        """The events of the parts that may hold [start, end] (an episode's details)."""
        from socialsight.analytics.engine import events_between

        return events_between(self.store, start, end, self._engine, self._parts)

    @cached_property
    def _engine(self) -> Any:
        """One DuckDB engine for this object's reads of the events: a new engine and a new
        listing of the parts per outage episode cost a quarter of a second each."""
        from socialsight.analytics.engine import connect

        return connect()

    @cached_property
    def _parts(self) -> list[str]:
        """The committed parts, listed once per object (its answers are for one version)."""
        return self.store.committed_parts_relative()

    def _bounds_table(self) -> ir.Table:
        """A table whose ``@timestamp`` has the events' first and last time: the events
        themselves, or two rows from the summaries (no scan of the events)."""
        summaries = self._summaries()
        return self.events if summaries is None else summaries.bounds_table()

    def declared(self) -> dict[tuple[str, str], float | None]:
        """The register: (unit, service) -> declared tolerable downtime in hours or None."""
        from socialsight.register import declared_downtime

        if "declared" not in self._memo:
            self._memo["declared"] = declared_downtime(self.store)
        result: dict[tuple[str, str], float | None] = self._memo["declared"]
        return result

    def register(self) -> list[dict[str, Any]]:
        """The declared-use register rows (unit, service, purpose, owner, fallback,
        tolerable_downtime_hours, source, line, imported), by unit then service."""
        return self.store.declared_uses()

    def register_status(self) -> list[dict[str, Any]]:
        """The register beside what the logs show: each declared use with ``observed`` (a
        dependency row passing k exists for it), ``observed_tier`` and ``observed_score``.
        A use by fewer than k people reads as not observed, like no use at all."""
        seen = {(r["unit"], r["service"]): r for r in self.dependencies().rows}
        out = []
        for row in self.register():
            dep = seen.get((row["unit"], row["service"]))
            out.append(
                {
                    **row,
                    "observed": dep is not None,
                    "observed_tier": dep["tier"] if dep else None,
                    "observed_score": dep["score"] if dep else None,
                }
            )
        return out

    def dependencies(
        self,
        service: str | None = None,
        unit: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Grouped:
        """Per (unit, service): the dependency measures, the factors, the 0-100 score and the
        tier, sorted by score; pairs with fewer than k people are withheld and counted."""
        from socialsight.analytics.dependencies import dependencies, measures_from_days

        self._check_service(service)
        self._check_unit(unit)
        key = ("dependencies", service, unit, since, until)
        if key not in self._memo:
            summaries = self._summaries()
            measured = None
            if summaries is not None:
                usage, presence = summaries.usage, summaries.presence

                def measured(window: Window) -> ir.Table:
                    return measures_from_days(usage, presence, self.settings, window, service)

            # From the summaries, the events are not opened at all.
            events = None if summaries is not None else self.events
            self._memo[key] = dependencies(
                events, self.settings, self._window(since, until), self.declared(),
                self._names(), service=service, unit=unit, measured=measured,
            )  # fmt: skip
        result: Grouped = self._memo[key]
        return result

    def outages(
        self, service: str | None = None, since: date | None = None, until: date | None = None
    ) -> Grouped:
        """Episodes when a service was unreachable or failing, newest first; episodes with
        fewer than k people hit are withheld and counted."""
        from socialsight.analytics.outages import candidates_from_summaries, outages

        self._check_service(service)
        key = ("outages", service, since, until)
        if key not in self._memo:
            summaries = self._summaries()
            found, bounds = None, None
            if summaries is not None:
                hourly, buckets = summaries.hourly, summaries.buckets
                bounds = summaries.bounds()

                def found(window: Window) -> ir.Table:
                    return candidates_from_summaries(
                        hourly, buckets, self.settings, window, service
                    )

            # From the summaries, the events are opened only for an episode's details.
            events = self.events if summaries is None else self._events_between
            self._memo[key] = outages(
                events, self.settings, self._window(since, until), self._names(), service,
                found=found, bounds=bounds,
            )  # fmt: skip
        result: Grouped = self._memo[key]
        return result

    def impact(self, service: str, hours: float, rate: float | None = None) -> Impact:
        """What if ``service`` were down for ``hours``: units ranked by dependency score,
        people, office hours at risk, cost at ``rate`` (default: the configured hourly rate)
        and whether each unit's declared tolerable downtime would be exceeded."""
        from socialsight.analytics.impact import impact

        self._check_service(service)
        return impact(
            self.dependencies(service=service), service, self._names()[service], hours, rate,
            self.settings,
        )  # fmt: skip

    def usage_over_time(
        self, by: str = "category", service: str | None = None, unit: str | None = None
    ) -> Grouped:
        """Requests and people per local day and category (or service; with ``service``
        given, per unit); each (day, key) row under k is withheld and counted."""
        from socialsight.analytics.usage import usage_over_time

        self._check_service(service)
        self._check_unit(unit)
        expr = usage_over_time(self.events, self.settings.timezone, by, service, unit)
        return suppress_small_groups(expr, self.min_group_size)

    def units(self) -> Grouped:
        """Units of the directory with their active people, services used and requests;
        units under k are withheld and counted."""
        from socialsight.analytics.usage import units

        return suppress_small_groups(units(self.events), self.min_group_size)

    def service_info(self, service: str) -> dict[str, Any]:
        """The catalog entry of ``service``: id, name, category, owner, domains."""
        self._check_service(service)
        entry = self.catalog.services[service]
        return {
            "id": entry.id,
            "name": entry.name,
            "category": entry.category,
            "owner": entry.owner,
            "leaning": entry.leaning,
            "description": entry.description,
            "domains": list(entry.domains),
        }

    def overview(self) -> dict[str, Any]:
        """Headline figures: the period (local days), events, people, units and services
        (those passing k), critical dependencies, outages, unknown domains (passing k)."""
        from socialsight.analytics.usage import totals

        row = totals(self.events).to_pyarrow().to_pylist()[0]
        window = self._window(None, None)
        dependencies = self.dependencies()
        return {
            "period_start": window.since if window else None,
            "period_end": window.until if window else None,
            "events": int(row["events"]),
            "people": int(row["people"]),
            "units": len(self.units().rows),
            "services": len(self.services().rows),
            "critical_dependencies": sum(1 for r in dependencies.rows if r["tier"] == "critical"),
            "undeclared_critical": sum(1 for r in dependencies.rows if r["undeclared_critical"]),
            "outages": len(self.outages().rows),
            "unknown_domains": len(self.unknown().rows),
            "min_group_size": self.min_group_size,
        }
