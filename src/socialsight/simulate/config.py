"""What a simulation run is asked to do: :class:`SimulationConfig` and :class:`OutageSpec`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from socialsight import formats
from socialsight.errors import InputError
from socialsight.simulate.calendar import zone
from socialsight.simulate.organisation import UNITS
from socialsight.simulate.services import NON_CATALOG, SERVICES

_OUTAGE = re.compile(
    r"^(?P<service>[a-z0-9][a-z0-9-]*)@(?P<start>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?"
    r"(?:Z|[+-]\d{2}:\d{2})?)/(?P<amount>\d+(?:\.\d+)?)(?P<unit>[hm])$"
)


def _known_service(service: str) -> None:
    if service not in SERVICES or service in NON_CATALOG:
        known = ", ".join(s for s in SERVICES if s not in NON_CATALOG)
        raise InputError(f"unknown service {service!r}; the simulator knows: {known}")


def _known_unit(unit: str) -> None:
    if unit not in {u[0] for u in UNITS}:
        raise InputError(f"unknown unit {unit!r}; units: {', '.join(u[0] for u in UNITS)}")


@dataclass(frozen=True)
class OutageSpec:
    """A service unreachable for a window: every request to any of its hosts fails.

    ``start`` is either time-zone aware, or naive and then read in the simulation's zone.
    """

    service: str
    start: datetime
    hours: float

    def __post_init__(self) -> None:
        _known_service(self.service)
        if not 0 < self.hours <= 24 * 14:
            raise InputError(f"outage length must be between 0 and 336 hours, not {self.hours}")

    @classmethod
    def parse(cls, text: str, timezone: str | None = None) -> OutageSpec:
        """Read ``SERVICE@START/LENGTH`` as given to ``--outage``.

        START is an ISO local time (``2026-03-11T10:00``), read in the simulation's zone
        unless it carries an offset or ``timezone`` is given; LENGTH is hours (``6h``,
        ``1.5h``) or minutes (``90m``).

        >>> OutageSpec.parse("facebook@2026-03-11T10:00/6h")
        OutageSpec(service='facebook', start=datetime.datetime(2026, 3, 11, 10, 0), hours=6.0)
        >>> OutageSpec.parse("youtube@2026-03-11T10:00/90m").hours
        1.5
        """
        match = _OUTAGE.match(text.strip())
        if not match:
            raise InputError(
                f"cannot read outage {text!r}: expected SERVICE@YYYY-MM-DDTHH:MM/LENGTH, "
                "e.g. facebook@2026-03-11T10:00/6h"
            )
        try:
            start = datetime.fromisoformat(match["start"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"cannot read outage start {match['start']!r}: {exc}") from exc
        if timezone is not None and start.tzinfo is None:
            start = start.replace(tzinfo=zone(timezone))
        amount = float(match["amount"])
        hours = amount if match["unit"] == "h" else amount / 60
        return cls(match["service"], start, hours)

    def window(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """(start, end) as aware datetimes, a naive start being read in ``tz``."""
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=tz)
        return start, start + timedelta(hours=self.hours)


@dataclass(frozen=True)
class SimulationConfig:
    """Everything a run depends on; the same config always writes the same bytes.

    >>> SimulationConfig(days=7, people=150).end
    datetime.date(2026, 3, 8)
    """

    days: int = 30
    people: int = 3000
    seed: int = 7
    start: date = date(2026, 3, 2)
    """First local day; the default 30 days cross Toronto's change to daylight time on 8 March."""
    timezone: str = "America/Toronto"
    format: str = "squid"
    outages: tuple[OutageSpec, ...] | None = None
    """None: one default outage (facebook, 10:00-16:00 local on the first working day at
    least 9 days in, or the middle working day of shorter runs); () for none."""
    holidays: tuple[date, ...] | None = None
    """None: the zone's statutory holidays (:data:`calendar.HOLIDAY_RULES`)."""
    activity: float = 1.0
    """Multiplies the number of visits everybody makes (volume knob)."""
    lines_per_visit: float = 0.3
    """Scales the requests of one visit (0.3: about 4 lines for a 12-request page visit, as a
    proxy that sees HTTPS mostly as tunnels logs it)."""
    long_tail_sites: int = 4000
    blocked_sites: int = 40
    night_workers: int | None = None
    """None: max(2, people // 500)."""
    weekend_workers: int | None = None
    """None: max(2, people // 500)."""
    not_in_directory: int | None = None
    """None: max(2, people // 100)."""
    streamers: int = 2
    streaming_services: tuple[str, ...] = ("youtube", "netflix", "twitch")
    uploaders: int = 1
    upload_service: str = "wetransfer"
    banned_users: int = 2
    banned_service: str = "tiktok"
    adoption_unit: str = "Environment"
    adoption_service: str = "mastodon"
    adoption_fraction: float = 0.4
    """The unit adopts the service on the first working day at this fraction of the period."""
    undeclared_unit: str = "Service Centre"
    undeclared_service: str = "whatsapp"
    declared_unused: tuple[tuple[str, str], ...] = (("Finance", "slack"),)
    """(unit, service) pairs in the register that the unit never uses."""
    hostile_lines: int = 7
    """Planted hostile lines, spread over the kinds in :data:`planted.HOSTILE_KINDS`."""

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 3660:
            raise InputError(f"days must be between 1 and 3660, not {self.days}")
        if not 40 <= self.people <= 50_000:
            raise InputError(f"people must be between 40 and 50000, not {self.people}")
        if not 0 < self.activity <= 50 or not 0 < self.lines_per_visit <= 10:
            raise InputError("activity and lines_per_visit must be positive (and sane)")
        zone(self.timezone)
        for s in (*self.streaming_services, self.upload_service, self.banned_service):
            _known_service(s)
        for s in (self.adoption_service, self.undeclared_service):
            _known_service(s)
        for u in (self.adoption_unit, self.undeclared_unit):
            _known_unit(u)
        for u, s in self.declared_unused:
            _known_unit(u)
            _known_service(s)
        if self.adoption_unit == self.undeclared_unit:
            raise InputError("the adopting unit and the undeclared-dependency unit must differ")
        if not 0 <= self.adoption_fraction < 1:
            raise InputError("adoption_fraction must be in [0, 1)")
        if min(self.streamers, self.uploaders, self.banned_users, self.hostile_lines) < 0:
            raise InputError("planted counts cannot be negative")
        if self.streamers and not self.streaming_services:
            raise InputError("streamers need at least one streaming service")
        if self.format not in formats.names():
            raise InputError(f"unknown format {self.format!r}; known: {', '.join(formats.names())}")

    @property
    def end(self) -> date:
        """Last local day simulated (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def resolved(self, name: str, people: int) -> int:
        """A planted head count, its default derived from the number of people."""
        value = getattr(self, name)
        if value is not None:
            return int(value)
        return max(2, people // (100 if name == "not_in_directory" else 500))
