"""End to end for a format with a writer: simulate a small organisation in that format and in
Squid with the same seed, ingest both with format detection and the directory, and compare
the ``services --json`` tables. The Squid run is made once per test session."""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from socialsight import formats

from conftest import CliResult
from other_samples import read_lines

CliRun = Callable[..., CliResult]

# Columns of the services table that every format with a writer carries; a format adds the
# ones it also carries (``carried``).
ALWAYS_CARRIED = frozenset({"category", "people", "units", "active_days"})


@dataclass(frozen=True)
class Run:
    """One simulated organisation written in one format and ingested."""

    report: dict[str, Any]
    """The ``ingest --json`` report."""
    services: dict[str, dict[str, Any]]
    """The ``services --json`` rows by service."""
    outcomes: collections.Counter[str]
    """``event.outcome`` counts of the simulated log, parsed directly."""


def simulated_run(fmt: str, root: Path, cli: CliRun) -> Run:
    """Simulate (seed 5, 40 people, 2 days) in ``fmt``, ingest it with detection and the
    directory, and read the services table."""
    logs, data = root / f"logs-{fmt}", root / f"data-{fmt}"
    code, _, err = cli("simulate", "--out", logs, "--days", "2", "--people", "40", "--seed",
                       "5", "--format", fmt, "--json")  # fmt: skip
    assert code == 0, err
    code, _, err = cli("init", "--data", data, "--timezone", "America/Toronto",
                       "--min-group-size", "2")  # fmt: skip
    assert code == 0, err
    [log] = logs.glob("*.log")
    code, out, err = cli("ingest", "--data", data, "--directory", logs / "directory.csv", log,
                         "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    code, out, err = cli("services", "--data", data, "--json")
    assert code == 0, err
    services = {row["service"]: row for row in json.loads(out)["rows"]}
    parsed = formats.get(fmt)().parse(pa.array(read_lines(log), pa.string()), 1).records
    return Run(report, services, collections.Counter(parsed.column("event.outcome").to_pylist()))


_SQUID_RUN: list[Run] = []


def squid_run(cli: CliRun, factory: pytest.TempPathFactory) -> Run:
    """The Squid run of the same simulation, made once per session for every format."""
    if not _SQUID_RUN:
        _SQUID_RUN.append(simulated_run("squid", factory.mktemp("squid-run"), cli))
    return _SQUID_RUN[0]


def compare_with_squid(
    fmt: str, root: Path, cli: CliRun, factory: pytest.TempPathFactory, carried: Iterable[str]
) -> tuple[Run, Run]:
    """Run ``fmt`` and check it against the Squid run: detected as ``fmt``, the same records
    and rejects, the same services, and per service the same :data:`ALWAYS_CARRIED` and
    ``carried`` columns (the others differ only where the format loses data). Returns
    (this run, the Squid run) for format-specific checks."""
    squid, run = squid_run(cli, factory), simulated_run(fmt, root, cli)
    assert [f["format"] for f in run.report["files"]] == [fmt]
    assert run.report["records"] == squid.report["records"] > 1000
    assert run.report["rejected"] == squid.report["rejected"] == {"too-long": 1}
    assert set(run.services) == set(squid.services)
    assert len(squid.services) >= 10
    for service, row in squid.services.items():
        for column in ALWAYS_CARRIED | set(carried):
            assert run.services[service][column] == row[column], (service, column)
    return run, squid
