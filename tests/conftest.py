"""Shared fixtures. The suite runs with TZ=America/Toronto (see the Makefile) so that a missing
time-zone conversion cannot hide behind a UTC machine."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from socialsight.catalog.matcher import Matcher
from socialsight.catalog.model import Catalog, load_catalog
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


@dataclass(frozen=True)
class SimulatedOrg:
    """A simulated organisation, ingested once per test session (read-only for tests)."""

    logs: Path
    """Where the simulator wrote access.log, directory.csv, declared-uses.csv, truth.json."""
    data: Path
    """The initialised, ingested data directory (k = 5, America/Toronto)."""
    truth: dict[str, Any]


# 400 people over the default 30 days (about 850k lines): big enough for every planted fact
# and a baseline per hour of the week, small enough to build in seconds.
SIMULATED_PEOPLE = 400


@pytest.fixture(scope="session")
def simulated_org(tmp_path_factory: pytest.TempPathFactory) -> SimulatedOrg:
    """The simulator's organisation (seed 7, planted Facebook outage), ingested with its
    directory and its declared-use register imported. Tests must not write to it; copy it if
    needed."""
    from socialsight.analytics.summaries import refresh_summaries
    from socialsight.catalog import load_catalog
    from socialsight.config import KEY_NAME, STORE_NAME, load_settings, write_default_config
    from socialsight.ingest import Ingestor
    from socialsight.privacy.directory import load_directory
    from socialsight.privacy.keys import create_key
    from socialsight.register import import_register
    from socialsight.simulate import SimulationConfig, simulate
    from socialsight.store.store import Store

    root = tmp_path_factory.mktemp("simulated-org")
    logs, data = root / "logs", root / "data"
    simulate(SimulationConfig(people=SIMULATED_PEOPLE, seed=7), logs)
    data.mkdir()
    write_default_config(data, "America/Toronto", 5)
    create_key(data / KEY_NAME)
    Store.create(data / STORE_NAME)
    Ingestor(data, directory=load_directory(logs / "directory.csv")).run([logs / "access.log"])
    import_register(
        Store.open(data / STORE_NAME), logs / "declared-uses.csv", load_catalog().services
    )
    truth: dict[str, Any] = json.loads((logs / "truth.json").read_text())
    # Built once here, so that the tests that ask questions read the summaries instead of each
    # building them (they would race to write into the shared store otherwise).
    refresh_summaries(Store.open(data / STORE_NAME), load_settings(data))
    return SimulatedOrg(logs=logs, data=data, truth=truth)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The bundled service catalog (one per test module)."""
    return load_catalog()


@pytest.fixture(scope="module")
def matcher(catalog: Catalog) -> Matcher:
    """A host classifier of the bundled catalog (one per test module: its cache is shared)."""
    return Matcher(catalog)
