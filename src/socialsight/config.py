"""The data directory and its configuration file, ``socialsight.toml``.

One data directory holds an installation: the store, the configuration and the secret
pseudonymisation key. It is ``--data DIR`` if given, else ``$SOCIALSIGHT_DATA``, else
``./socialsight-data``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from socialsight.errors import InputError, NotInitialisedError

DEFAULT_DATA_DIR = "socialsight-data"
CONFIG_NAME = "socialsight.toml"
KEY_NAME = "secret.key"
STORE_NAME = "store"

# A group smaller than this can single out a person; the privacy officer may raise k, never
# lower it below this floor.
MIN_GROUP_FLOOR = 2

CONFIG_TEMPLATE = """\
# socialsight configuration. Times are stored in UTC and shown in this zone; office hours and
# working days are evaluated in it, daylight-saving changes and holidays included.
[site]
timezone = "{timezone}"
office_hours = "08:30-17:00"
working_days = ["mon", "tue", "wed", "thu", "fri"]
holidays = []            # ISO dates, e.g. ["2026-07-01", "2026-12-25"]

[privacy]
min_group_size = {min_group_size}       # k: a group with fewer distinct people is never shown
keep_urls = false        # data minimisation: full URLs are not stored unless this is true

[costs]
hourly_rate = 65.0       # cost of an office hour lost, for what-if impact figures

[catalog]
overrides = []           # your own service files (same format as the bundled catalog)

[scoring]                # the criticality score of a (unit, service) pair: docs/dependency.md
critical = 60            # tiers by score: critical >= 60 > important >= 40 > incidental >= 25
important = 40           # > personal
incidental = 25
session_gap_minutes = 10 # a pause this long ends a visit (session) to a service
session_tail_minutes = 1 # time counted after a session's last request

[scoring.weights]        # each factor's weight (scaled so that they add up to 100 points)
breadth = 15             # share of the unit's active people using the service
regularity = 20          # share of working days each user uses it
office_hours = 5         # share of use in office hours
active = 10              # share of write requests (posts, messages, uploads)
time = 20                # estimated minutes on the service per user per working day
frequency = 20           # sessions per user per working day
declared = 10            # the unit's declared tolerable downtime (shorter scores more)
"""

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


SCORE_FACTORS = (
    "breadth", "regularity", "office_hours", "active", "time", "frequency", "declared",
)  # fmt: skip
"""The factors of the criticality score, in display order (see docs/dependency.md)."""

DEFAULT_WEIGHTS = (
    ("breadth", 15.0), ("regularity", 20.0), ("office_hours", 5.0), ("active", 10.0),
    ("time", 20.0), ("frequency", 20.0), ("declared", 10.0),
)  # fmt: skip


@dataclass(frozen=True)
class Scoring:
    """The ``[scoring]`` section: factor weights (points out of their sum, scaled to 100),
    tier thresholds on the 0-100 score, and the session rule for time on service."""

    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    critical: float = 60.0
    important: float = 40.0
    incidental: float = 25.0
    session_gap_minutes: float = 10.0
    session_tail_minutes: float = 1.0

    def weight(self, factor: str) -> float:
        """The weight of ``factor`` (0 when the configuration leaves it out)."""
        return dict(self.weights).get(factor, 0.0)


@dataclass(frozen=True)
class Settings:
    """The parsed ``socialsight.toml``."""

    timezone: str = "UTC"
    office_start: time = time(8, 30)
    office_end: time = time(17, 0)
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[str, ...] = ()
    min_group_size: int = 5
    keep_urls: bool = False
    hourly_rate: float = 65.0
    catalog_overrides: tuple[Path, ...] = field(default_factory=tuple)
    scoring: Scoring = field(default_factory=Scoring)


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """Where the installation lives: ``explicit``, else ``$SOCIALSIGHT_DATA``, else the default.

    >>> resolve_data_dir("/srv/sight")
    PosixPath('/srv/sight')
    """
    if explicit:
        return Path(explicit)
    env = os.environ.get("SOCIALSIGHT_DATA")
    return Path(env) if env else Path(DEFAULT_DATA_DIR)


def require_initialised(data_dir: Path) -> None:
    """Raise :class:`NotInitialisedError` unless ``init`` has created ``data_dir``."""
    if not (data_dir / CONFIG_NAME).is_file() or not (data_dir / KEY_NAME).is_file():
        raise NotInitialisedError(
            f"{data_dir} is not a socialsight data directory; run `socialsight init` first"
        )


def write_default_config(data_dir: Path, timezone: str, min_group_size: int) -> Path:
    """Write a commented ``socialsight.toml`` (never overwriting one) and return its path."""
    check_timezone(timezone)
    check_min_group(min_group_size)
    path = data_dir / CONFIG_NAME
    if not path.exists():
        text = CONFIG_TEMPLATE.format(timezone=timezone, min_group_size=min_group_size)
        path.write_text(text, encoding="utf-8")
    return path


def check_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)"
        ) from None


def check_min_group(k: int) -> int:
    """k itself, or a clear error when it is below the floor."""
    if k < MIN_GROUP_FLOOR:
        raise InputError(f"minimum group size must be at least {MIN_GROUP_FLOOR}, not {k}")
    return k


def _parse_hhmm(text: str, where: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a time of day HH:MM") from None


def load_settings(data_dir: Path) -> Settings:
    """Read and validate ``socialsight.toml`` from ``data_dir``."""
    require_initialised(data_dir)
    path = data_dir / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    site = raw.get("site", {})
    privacy = raw.get("privacy", {})
    costs = raw.get("costs", {})
    catalog = raw.get("catalog", {})
    tz = str(site.get("timezone", "UTC"))
    check_timezone(tz)
    hours = str(site.get("office_hours", "08:30-17:00"))
    if "-" not in hours:
        raise InputError(f"{path}: office_hours must look like 08:30-17:00, not {hours!r}")
    start_text, end_text = hours.split("-", 1)
    start = _parse_hhmm(start_text, f"{path}: office_hours")
    end = _parse_hhmm(end_text, f"{path}: office_hours")
    if end <= start:
        raise InputError(f"{path}: office_hours must end after they start")
    days = []
    for day in site.get("working_days", list(_DAYS[:5])):
        if str(day).lower()[:3] not in _DAYS:
            raise InputError(f"{path}: working_days: {day!r} is not a day name")
        days.append(_DAYS.index(str(day).lower()[:3]))
    k = privacy.get("min_group_size", 5)
    if not isinstance(k, int):
        raise InputError(f"{path}: min_group_size must be a whole number")
    check_min_group(k)
    overrides = tuple(
        (data_dir / p) if not Path(p).is_absolute() else Path(p)
        for p in catalog.get("overrides", [])
    )
    return Settings(
        timezone=tz,
        office_start=start,
        office_end=end,
        working_days=tuple(sorted(set(days))),
        holidays=tuple(str(h) for h in site.get("holidays", [])),
        min_group_size=k,
        keep_urls=bool(privacy.get("keep_urls", False)),
        hourly_rate=float(costs.get("hourly_rate", 65.0)),
        catalog_overrides=overrides,
        scoring=_parse_scoring(raw.get("scoring", {}), path),
    )


def _parse_scoring(raw: dict[str, object], path: Path) -> Scoring:
    """The ``[scoring]`` section, validated: known factors, weights >= 0 and not all zero,
    thresholds 0 < incidental <= important <= critical <= 100, positive session times."""
    weights = dict(DEFAULT_WEIGHTS)
    given = raw.get("weights", {})
    if not isinstance(given, dict):
        raise InputError(f"{path}: [scoring] weights must be a table like {{ breadth = 25 }}")
    for name, value in given.items():
        if name not in SCORE_FACTORS:
            raise InputError(
                f"{path}: [scoring] unknown factor {name!r}; known: {', '.join(SCORE_FACTORS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputError(f"{path}: [scoring] weight of {name} must be a number >= 0")
        weights[name] = float(value)
    if sum(weights.values()) <= 0:
        raise InputError(f"{path}: [scoring] at least one weight must be above 0")
    numbers: dict[str, float] = {}
    defaults = Scoring()
    for key in ("critical", "important", "incidental", "session_gap_minutes",
                "session_tail_minutes"):  # fmt: skip
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{path}: [scoring] {key} must be a number")
        numbers[key] = float(value)
    if not 0 < numbers["incidental"] <= numbers["important"] <= numbers["critical"] <= 100:
        raise InputError(
            f"{path}: [scoring] thresholds need 0 < incidental <= important <= critical <= 100"
        )
    if numbers["session_gap_minutes"] <= 0 or numbers["session_tail_minutes"] < 0:
        raise InputError(f"{path}: [scoring] session times must be positive")
    return Scoring(weights=tuple((n, weights[n]) for n in SCORE_FACTORS), **numbers)
