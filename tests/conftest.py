"""Shared fixtures. The suite runs with TZ=America/Toronto (see the Makefile) so that a missing
time-zone conversion cannot hide behind a UTC machine."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from socialsight.cli import main

# The repository lives beside shared/ (in development and in CI's clone alike).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SQUID_SAMPLES = SHARED_DATA / "elastic-beats-filebeat" / "squid" / "log" / "test"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared third-party data is missing at {SHARED_DATA}")
    return SHARED_DATA


CliResult = tuple[int, str, str]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the real CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> CliResult:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def data_dir(tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    """An initialised installation with k = 2 (the real samples have few people)."""
    target = tmp_path / "sight"
    code, _, stderr = cli("init", "--data", target, "--timezone", "America/Toronto",
                          "--min-group-size", "2")  # fmt: skip
    assert code == 0, stderr
    return target


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own $SOCIALSIGHT_DATA must never leak into the tests.
    monkeypatch.delenv("SOCIALSIGHT_DATA", raising=False)
    assert os.environ.get("TZ", "America/Toronto") != "UTC"
