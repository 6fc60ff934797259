"""Time that behaves like real time: working days, statutory holidays and daylight saving.

The simulator thinks in local wall-clock time (people arrive at nine, lunch at noon) and logs
in UTC, like a proxy does. :class:`LocalClock` turns local seconds into UTC epoch seconds with
the IANA rules of the configured zone, daylight-saving changes included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from socialsight.errors import InputError

DAY = 86_400
# Offsets are looked up per quarter hour: every zone in use changes its offset on one.
STEP = 900


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`InputError` when it does not exist.

    >>> zone("America/Toronto").key
    'America/Toronto'
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Paris)"
        ) from exc


def easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm).

    >>> easter(2026)
    datetime.date(2026, 4, 5)
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    # n >= 1 counts from the start of the month; n == -1 is the last such weekday.
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    # A holiday on a weekend is observed on the next Monday.
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _ontario(y: int) -> list[date]:
    christmas = date(y, 12, 25)
    boxing = date(y, 12, 26)
    observed_boxing = _observed(boxing)
    if _observed(christmas) == observed_boxing or christmas.weekday() == 5:
        observed_boxing = _observed(christmas) + timedelta(days=1)
    return [
        _observed(date(y, 1, 1)),
        _nth_weekday(y, 2, 0, 3),  # Family Day
        easter(y) - timedelta(days=2),  # Good Friday
        _nth_weekday(y, 5, 0, -1) - timedelta(days=7)
        if _nth_weekday(y, 5, 0, -1).day > 24
        else _nth_weekday(y, 5, 0, -1),  # Victoria Day: the Monday before 25 May
        _observed(date(y, 7, 1)),
        _nth_weekday(y, 8, 0, 1),  # Civic Holiday
        _nth_weekday(y, 9, 0, 1),  # Labour Day
        _nth_weekday(y, 10, 0, 2),  # Thanksgiving
        _observed(christmas),
        observed_boxing,
    ]


def _england(y: int) -> list[date]:
    return [
        _observed(date(y, 1, 1)),
        easter(y) - timedelta(days=2),
        easter(y) + timedelta(days=1),
        _nth_weekday(y, 5, 0, 1),
        _nth_weekday(y, 5, 0, -1),
        _nth_weekday(y, 8, 0, -1),
        _observed(date(y, 12, 25)),
        _observed(date(y, 12, 25)) + timedelta(days=1),
    ]


def _france(y: int) -> list[date]:
    e = easter(y)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return [date(y, m, d) for m, d in fixed] + [e + timedelta(days=1), e + timedelta(days=39)]


def _minimal(y: int) -> list[date]:
    return [date(y, 1, 1), date(y, 12, 25)]


HOLIDAY_RULES: dict[str, Callable[[int], list[date]]] = {
    "America/Toronto": _ontario,
    "America/Ottawa": _ontario,
    "Europe/London": _england,
    "Europe/Paris": _france,
}
"""Statutory holidays by zone (Ontario, England, France); other zones get 1 Jan and 25 Dec."""


def default_holidays(tz_name: str, first: date, last: date) -> tuple[date, ...]:
    """The zone's statutory holidays between ``first`` and ``last`` inclusive.

    >>> default_holidays("America/Toronto", date(2026, 2, 1), date(2026, 4, 30))
    (datetime.date(2026, 2, 16), datetime.date(2026, 4, 3))
    """
    rule = HOLIDAY_RULES.get(tz_name, _minimal)
    days = {d for y in range(first.year, last.year + 1) for d in rule(y)}
    return tuple(sorted(d for d in days if first <= d <= last))


class LocalClock:
    """Local wall-clock seconds -> UTC epoch seconds for one zone over a period.

    Local time is counted in seconds from local midnight of ``start`` (so day ``i`` starts at
    ``i * 86400``). A time that does not exist (the skipped spring hour) is read with the
    offset in force before the change, and an ambiguous one as its first occurrence, as
    :mod:`zoneinfo` does with ``fold=0``.

    >>> clock = LocalClock("America/Toronto", date(2026, 3, 7), days=3)
    >>> nine = np.array([9 * 3600, DAY + 9 * 3600])  # 9:00 on Saturday and on Sunday
    >>> int(np.diff(clock.to_utc(nine))[0])  # 23 hours apart: clocks went forward
    82800
    """

    def __init__(self, tz_name: str, start: date, days: int) -> None:
        self.tz = zone(tz_name)
        self.start = start
        self.days = days
        # One spare day each side: sessions of night workers run past midnight.
        self._origin = -DAY
        steps = (days + 3) * DAY // STEP
        base = datetime(start.year, start.month, start.day)
        offsets = np.empty(steps, dtype=np.int64)
        for i in range(steps):
            local = base + timedelta(seconds=self._origin + i * STEP)
            off = local.replace(tzinfo=self.tz).utcoffset()
            offsets[i] = int(off.total_seconds()) if off is not None else 0
        self._offsets = offsets
        self._start_epoch = int(
            datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
        )
        # The same table indexed by UTC instants, for the way back (UTC -> local).
        utc0 = self._start_epoch + self._origin - 14 * 3600
        back = np.empty(steps + 8 * 3600 // STEP, dtype=np.int64)
        for i in range(len(back)):
            off = datetime.fromtimestamp(utc0 + i * STEP, tz=self.tz).utcoffset()
            back[i] = int(off.total_seconds()) if off is not None else 0
        self._utc0 = utc0
        self._back = back

    def to_utc(self, local_seconds: np.ndarray) -> np.ndarray:
        """UTC epoch seconds (float or int as given) for local seconds since local midnight."""
        idx = ((np.floor(local_seconds) - self._origin) // STEP).astype(np.int64)
        idx = np.clip(idx, 0, len(self._offsets) - 1)
        return np.asarray(local_seconds + self._start_epoch - self._offsets[idx])

    def to_local(self, utc_seconds: np.ndarray) -> np.ndarray:
        """Local seconds since local midnight of ``start`` for UTC epoch seconds (inverse of
        :meth:`to_utc`); integer division by 86400 gives the local day index."""
        idx = ((np.floor(utc_seconds) - self._utc0) // STEP).astype(np.int64)
        idx = np.clip(idx, 0, len(self._back) - 1)
        return np.asarray(utc_seconds - self._start_epoch + self._back[idx])

    def day_start_utc(self, day_index: int) -> int:
        """UTC epoch second of local midnight at the start of day ``day_index``."""
        return int(self.to_utc(np.array([day_index * DAY], dtype=np.int64))[0])

    def offset_changes(self) -> list[dict[str, object]]:
        """Daylight-saving changes inside the period: UTC instant, offsets before and after."""
        out: list[dict[str, object]] = []
        # Read from the UTC-indexed table: there every instant exists exactly once.
        for i in np.nonzero(np.diff(self._back))[0]:
            utc = self._utc0 + (int(i) + 1) * STEP
            if not self.day_start_utc(0) <= utc < self.day_start_utc(self.days):
                continue
            out.append(
                {
                    "utc": iso_utc(utc),
                    "offset_before_hours": int(self._back[i]) / 3600,
                    "offset_after_hours": int(self._back[i + 1]) / 3600,
                }
            )
        return out


def iso_utc(epoch: float) -> str:
    """ISO 8601 UTC text of an epoch second, ``Z`` suffixed, millisecond precision.

    >>> iso_utc(0)
    '1970-01-01T00:00:00.000Z'
    """
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
