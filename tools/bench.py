"""`make bench`: throughput figures, each compared with a floor measured in the same run.

The machines are shared and noisy, so absolute seconds mean little; the ratios against a
floor computed in the same process, on the same data, are what to compare across runs.

- simulate: lines/s writing the demo organisation's Squid log.
- parse:    lines/s of the vectorised Squid parser vs a per-line Python regex parser (the floor
            any Python log tool starts from).
- ingest:   lines/s of the whole pipeline (parse, classify, pseudonymise, Parquet, ledger).
- services: seconds for the `services` analytics over the ingested events.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from socialsight import formats
from socialsight.analytics.engine import events_table
from socialsight.analytics.services import services
from socialsight.cli import main as cli_main
from socialsight.ingest import Ingestor
from socialsight.privacy.directory import load_directory
from socialsight.simulate import SimulationConfig, simulate
from socialsight.store.store import Store

_NAIVE = re.compile(
    r"^(\d+\.\d+)\s+(\d+)\s+(\S+)\s+(\S+)/(\d{3})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/(\S+)\s+(\S+)"
)


def naive_parse(lines: list[str]) -> int:
    """A per-line regex parse into Python tuples: the floor."""
    parsed = 0
    for line in lines:
        match = _NAIVE.match(line)
        if match:
            url = match.group(7)
            host = url.split("/")[2] if "://" in url else url.split(":")[0]
            _ = (float(match.group(1)), int(match.group(5)), int(match.group(6)), host.lower())
            parsed += 1
    return parsed


def timed(label: str, fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    seconds = time.perf_counter() - start
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--days", type=int, default=10)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = SimulationConfig(days=opts.days, people=opts.people, seed=11)
        sim_s, summary = timed("simulate", simulate, cfg, root / "logs")
        lines_total = summary.lines  # type: ignore[attr-defined]
        print(
            f"simulate  {lines_total:,} lines in {sim_s:.1f} s: {lines_total / sim_s:,.0f} lines/s"
        )

        text = (root / "logs" / "access.log").read_bytes().decode("utf-8", "replace")
        lines = text.split("\n")[:-1]
        naive_s, _ = timed("naive", naive_parse, lines)
        squid = formats.get("squid")()
        array = pa.array(lines, pa.string())
        fast_s, _ = timed("parse", squid.parse, array, 1)
        print(
            f"parse     vectorised {len(lines) / fast_s:,.0f} lines/s vs per-line Python "
            f"{len(lines) / naive_s:,.0f} lines/s: x{naive_s / fast_s:.1f}"
        )

        data = root / "sight"
        with contextlib.suppress(SystemExit):
            cli_main(["init", "--data", str(data)])
        directory = load_directory(root / "logs" / "directory.csv")
        ingest_s, report = timed(
            "ingest", Ingestor(data, directory).run, [root / "logs" / "access.log"]
        )
        print(
            f"ingest    {report.lines:,} lines in {ingest_s:.1f} s: "  # type: ignore[attr-defined]
            f"{report.lines / ingest_s:,.0f} lines/s, "  # type: ignore[attr-defined]
            f"x{naive_s / ingest_s:.2f} the speed of the naive parse alone"
        )
        store = Store.open(data / "store")
        query_s, rows = timed(
            "services", lambda: services(events_table(store), "America/Toronto").to_pyarrow()
        )
        print(f"services  {rows.num_rows} services over {report.lines:,} events in {query_s:.2f} s")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
