"""The organisation's calendar as the analytics see it: the analysis window in local days,
its working days, and the office hours, all from ``socialsight.toml``.

Working days are the configured weekdays minus the configured holidays, evaluated in the
configured zone; office hours are wall-clock times on working days (daylight saving honoured
because every comparison is made on local time, see :func:`engine.local_time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from socialsight.analytics.engine import local_time, local_time_between
from socialsight.config import Settings
from socialsight.errors import InputError


@dataclass(frozen=True)
class Window:
    """An analysis window: local days ``since`` to ``until`` inclusive, in ``zone``."""

    since: date
    until: date
    zone: str

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise InputError(f"--until {self.until} is before --since {self.since}")

    @property
    def start_utc(self) -> datetime:
        """The first instant of ``since`` in the zone, as a UTC datetime."""
        return _local_midnight(self.since, self.zone)

    @property
    def end_utc(self) -> datetime:
        """The first instant after ``until`` in the zone, as a UTC datetime."""
        return _local_midnight(self.until + timedelta(days=1), self.zone)

    def days(self) -> list[date]:
        """Every local day of the window, in order.

        >>> len(Window(date(2026, 3, 2), date(2026, 3, 8), "UTC").days())
        7
        """
        return [self.since + timedelta(days=i) for i in range((self.until - self.since).days + 1)]


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def holidays(settings: Settings) -> frozenset[date]:
    """The configured holidays as dates (a malformed one is a clear error)."""
    out = set()
    for text in settings.holidays:
        try:
            out.add(date.fromisoformat(text))
        except ValueError:
            raise InputError(f"holidays: {text!r} is not a date YYYY-MM-DD") from None
    return frozenset(out)


def is_working_day(day: date, settings: Settings) -> bool:
    """True when ``day`` is one of the configured working weekdays and not a holiday."""
    return day.weekday() in settings.working_days and day not in holidays(settings)


def working_days(window: Window, settings: Settings) -> list[date]:
    """The working days of ``window``.

    >>> from socialsight.config import Settings
    >>> [d.day for d in working_days(Window(date(2026, 3, 6), date(2026, 3, 9), "UTC"),
    ...                              Settings())]
    [6, 9]
    """
    off = holidays(settings)
    return [d for d in window.days() if d.weekday() in settings.working_days and d not in off]


def office_hours_per_day(settings: Settings) -> float:
    """Length of the configured office day in hours (08:30-17:00 is 8.5)."""
    start = settings.office_start.hour * 60 + settings.office_start.minute
    end = settings.office_end.hour * 60 + settings.office_end.minute
    return (end - start) / 60


def data_window(events: ir.Table, settings: Settings) -> Window | None:
    """The local days from the first to the last event; None when there are no events."""
    bounds = events.aggregate(
        first=events["@timestamp"].min(), last=events["@timestamp"].max()
    ).to_pyarrow()
    first, last = bounds["first"][0].as_py(), bounds["last"][0].as_py()
    if first is None or last is None:
        return None
    zone = ZoneInfo(settings.timezone)
    return Window(first.astimezone(zone).date(), last.astimezone(zone).date(), settings.timezone)


def resolve_window(
    events: ir.Table, settings: Settings, since: date | None, until: date | None
) -> Window | None:
    """The window asked for, open ends filled from the data; None when there is no data
    and no explicit window."""
    if since is not None and until is not None:
        return Window(since, until, settings.timezone)
    found = data_window(events, settings)
    if found is None:
        if since is None and until is None:
            return None
        day = since or until
        assert day is not None
        return Window(since or day, until or day, settings.timezone)
    return Window(since or found.since, until or found.until, settings.timezone)


def in_window(events: ir.Table, window: Window) -> ir.Table:
    """Events whose local day lies in ``window`` (filtered on UTC bounds, so that the engine
    can skip whole Parquet files and row groups)."""
    ts = events["@timestamp"]
    return events.filter(
        (ts >= ibis.literal(window.start_utc)) & (ts < ibis.literal(window.end_utc))
    )


def local_columns(events: ir.Table, settings: Settings, window: Window | None = None) -> ir.Table:
    """``events`` with ``_day`` (local date), ``_working`` (local day is a working day) and
    ``_office`` (working day and within office hours) added. Give the ``window`` the events
    were filtered to (:func:`in_window`) and local times are computed much faster."""
    local = local_time(events["@timestamp"], settings.timezone)
    if window is not None:
        local = local_time_between(
            events["@timestamp"], settings.timezone, window.start_utc, window.end_utc
        )
    day = local.date()
    weekday = local.day_of_week.index()
    # Equalities joined by OR, not isin(): DuckDB plans a short IN list over millions of
    # rows as a join, several times slower.
    working = any_of(weekday, list(settings.working_days))
    off = sorted(holidays(settings))
    if off:
        working = working & ~any_of(day, off)
    minute = local.hour() * 60 + local.minute()
    start = settings.office_start.hour * 60 + settings.office_start.minute
    end = settings.office_end.hour * 60 + settings.office_end.minute
    office = working & (minute >= start) & (minute < end)
    return events.mutate(_day=day, _working=working, _office=office)


def any_of(value: ir.Value, choices: list[Any]) -> ir.BooleanValue:
    """``value`` equals one of ``choices`` (False for none), as a chain of equalities."""
    result: ir.BooleanValue = ibis.literal(False)
    for choice in choices:
        result = result | (value == ibis.literal(choice))
    return result
