"""The data directory and socialsight.toml."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from socialsight.config import load_settings, resolve_data_dir
from socialsight.errors import InputError, NotInitialisedError


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_data_dir(None) == Path("socialsight-data")
    monkeypatch.setenv("SOCIALSIGHT_DATA", "/srv/env")
    assert resolve_data_dir(None) == Path("/srv/env")
    assert resolve_data_dir("/srv/flag") == Path("/srv/flag")


def test_settings_written_by_init(data_dir: Path) -> None:
    settings = load_settings(data_dir)
    assert settings.timezone == "America/Toronto"
    assert settings.min_group_size == 2
    assert (settings.office_start, settings.office_end) == (time(8, 30), time(17, 0))
    assert settings.working_days == (0, 1, 2, 3, 4)
    assert settings.keep_urls is False
    assert settings.hourly_rate == 65.0


def test_uninitialised_directory(tmp_path: Path) -> None:
    with pytest.raises(NotInitialisedError, match="run `socialsight init` first"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"', "unknown time zone"),
        ("min_group_size = 2", "min_group_size = 1", "at least 2"),
        ('office_hours = "08:30-17:00"', 'office_hours = "17:00-08:00"', "end after"),
        ('office_hours = "08:30-17:00"', 'office_hours = "8h"', "08:30-17:00"),
        ("[site]", "[site", "not valid TOML"),
    ],
)
def test_bad_settings(data_dir: Path, before: str, after: str, message: str) -> None:
    path = data_dir / "socialsight.toml"
    path.write_text(path.read_text().replace(before, after, 1))
    with pytest.raises(InputError, match=message):
        load_settings(data_dir)
