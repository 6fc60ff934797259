"""The simulator's configuration, outage syntax and calendar (no simulation run)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from socialsight.errors import InputError
from socialsight.simulate import OutageSpec, SimulationConfig
from socialsight.simulate.calendar import LocalClock, default_holidays, easter
from socialsight.simulate.organisation import UNITS, unit_sizes


def test_outage_parse_local_time() -> None:
    spec = OutageSpec.parse("facebook@2026-03-11T10:00/6h")
    assert spec == OutageSpec("facebook", datetime(2026, 3, 11, 10, 0), 6.0)
    start, end = spec.window(ZoneInfo("America/Toronto"))
    assert start.isoformat() == "2026-03-11T10:00:00-04:00"
    assert end.isoformat() == "2026-03-11T16:00:00-04:00"


def test_outage_parse_minutes_offsets_and_zone() -> None:
    assert OutageSpec.parse("youtube@2026-03-11T10:00/90m").hours == 1.5
    utc = OutageSpec.parse("slack@2026-03-11T14:30:00Z/0.5h")
    assert utc.start.isoformat() == "2026-03-11T14:30:00+00:00"
    aware = OutageSpec.parse("gmail@2026-01-05T09:00/2h", timezone="Europe/Paris")
    assert aware.start.utcoffset() is not None
    assert aware.start.isoformat() == "2026-01-05T09:00:00+01:00"


@pytest.mark.parametrize(
    "text",
    [
        "facebook",
        "facebook@2026-03-11/6h",
        "facebook@2026-03-11T10:00",
        "facebook@2026-03-11T10:00/6d",
        "facebook@2026-13-11T10:00/6h",
        "myspace@2026-03-11T10:00/6h",
        "facebook@2026-03-11T10:00/0h",
        "news@2026-03-11T10:00/1h",
        "<script>@2026-03-11T10:00/1h",
    ],
)
def test_outage_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(InputError):
        OutageSpec.parse(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"people": 10},
        {"days": 0},
        {"timezone": "Mars/Olympus"},
        {"format": "nosuchformat"},
        {"banned_service": "myspace"},
        {"adoption_unit": "Marketing"},
        {"adoption_unit": "Service Centre"},
        {"activity": 0},
    ],
)
def test_config_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        SimulationConfig(**kwargs)  # type: ignore[arg-type]


def test_unit_sizes_sum_and_small_unit() -> None:
    for people in (40, 150, 3000, 12345):
        sizes = unit_sizes(people)
        assert sum(sizes) == people
        assert dict(zip([u[0] for u in UNITS], sizes, strict=True))["Minister's Office"] == 3
        assert min(sizes) >= 1


def test_ontario_holidays_2026() -> None:
    assert default_holidays("America/Toronto", date(2026, 1, 1), date(2026, 12, 31)) == (
        date(2026, 1, 1),
        date(2026, 2, 16),
        date(2026, 4, 3),
        date(2026, 5, 18),
        date(2026, 7, 1),
        date(2026, 8, 3),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 12, 25),
        date(2026, 12, 28),
    )
    assert default_holidays("Asia/Tokyo", date(2026, 1, 1), date(2026, 12, 31)) == (
        date(2026, 1, 1),
        date(2026, 12, 25),
    )
    assert [easter(y) for y in (2024, 2025, 2027)] == [
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2027, 3, 28),
    ]


def test_local_clock_across_both_dst_changes() -> None:
    spring = LocalClock("America/Toronto", date(2026, 3, 7), days=3)
    nine = np.array([9 * 3600, 86_400 + 9 * 3600, 2 * 86_400 + 9 * 3600])
    utc = spring.to_utc(nine)
    expected = [datetime(2026, 3, d, 9, tzinfo=ZoneInfo("America/Toronto")) for d in (7, 8, 9)]
    assert utc.tolist() == [int(e.timestamp()) for e in expected]
    assert spring.to_local(utc).tolist() == nine.tolist()
    assert [c["utc"] for c in spring.offset_changes()] == ["2026-03-08T07:00:00.000Z"]
    fall = LocalClock("Europe/London", date(2026, 10, 24), days=3)
    assert fall.offset_changes() == [
        {"utc": "2026-10-25T01:00:00.000Z", "offset_before_hours": 1.0, "offset_after_hours": 0.0}
    ]
    # Half-hour zones work too.
    adelaide = LocalClock("Australia/Adelaide", date(2026, 1, 5), days=1)
    assert adelaide.to_utc(np.array([9 * 3600])).tolist() == [
        int(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Australia/Adelaide")).timestamp())
    ]
