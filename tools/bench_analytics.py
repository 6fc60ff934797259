"""Measure the analytics questions of issue #6 on an ingested store: ``services``,
``dependencies`` and ``outages`` from the events and from the materialised summaries, the
time to build the summaries from scratch, and to refresh them after more lines.

Each answer time is the median of ``--runs`` calls, each on a fresh ``Insights`` object (no
answer cached), in this process, the summaries already built.

    python tools/bench_analytics.py /tmp/big-data                  # an ingested data directory
    python tools/bench_analytics.py /tmp/big-data --log /tmp/big.log \\
        --more bench/data/squid-10m.more --directory bench/data/squid-10m-directory.csv

The store's summaries are dropped first, so that the build is timed from scratch. With
``--more``, the file is appended to ``--log`` (which must be the file the store was
ingested from: it grows, so use a copy), ingested, and the refresh of the summaries timed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from socialsight.analytics.summaries import drop_summaries, refresh_summaries
from socialsight.insights import Insights

QUESTIONS = ("services", "dependencies", "outages")


def _median_seconds(data: Path, question: str, runs: int, summaries: bool) -> tuple[float, int]:
    """Median seconds of ``Insights.<question>()`` and the number of rows it gave."""
    times, rows = [], 0
    for _ in range(runs):
        insights = Insights.open(data)
        insights.use_summaries = summaries
        method: Callable[[], Any] = getattr(insights, question)
        start = time.perf_counter()
        rows = len(method().rows)
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def _ingest_more(data: Path, log: Path, more: Path, directory: Path | None) -> dict[str, Any]:
    from socialsight.ingest import Ingestor
    from socialsight.privacy.directory import load_directory

    with open(log, "ab") as target, open(more, "rb") as source:
        shutil.copyfileobj(source, target)
    start = time.perf_counter()
    loaded = load_directory(directory) if directory else None
    Ingestor(data, directory=loaded).run([log])
    return {"ingest_seconds": round(time.perf_counter() - start, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="An ingested data directory.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log", type=Path, help="The log the store was ingested from.")
    parser.add_argument("--more", type=Path, help="Lines to append to --log and ingest.")
    parser.add_argument("--directory", type=Path, help="The directory file for --more.")
    parser.add_argument("--skip-events", action="store_true", help="Skip the events path.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    args = parser.parse_args()
    if args.more and not args.log:
        parser.error("--more needs --log")

    result: dict[str, Any] = {"data": str(args.data), "runs": args.runs}
    if not args.skip_events:
        result["events"] = {
            q: round(_median_seconds(args.data, q, args.runs, summaries=False)[0], 3)
            for q in QUESTIONS
        }
    insights = Insights.open(args.data)
    drop_summaries(insights.store)
    start = time.perf_counter()
    built = refresh_summaries(insights.store, insights.settings)
    result["build_seconds"] = round(time.perf_counter() - start, 2)
    result["build_days"] = built.days_recomputed
    result["summaries"] = {
        q: round(_median_seconds(args.data, q, args.runs, summaries=True)[0], 3) for q in QUESTIONS
    }
    if args.more:
        result |= _ingest_more(args.data, args.log, args.more, args.directory)
        start = time.perf_counter()
        refreshed = refresh_summaries(insights.store, insights.settings)
        result["refresh_seconds"] = round(time.perf_counter() - start, 2)
        result["refresh_days"] = refreshed.days_recomputed
        result["refresh_batches"] = refreshed.new_batches
        result["after_more"] = {
            q: round(_median_seconds(args.data, q, args.runs, summaries=True)[0], 3)
            for q in QUESTIONS
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name in ("events", "summaries", "after_more"):
        if name in result:
            figures = ", ".join(f"{q} {s:.2f} s" for q, s in result[name].items())
            print(f"{name:>11}: {figures}")
    print(f"build from scratch: {result['build_seconds']:.2f} s ({result['build_days']} days)")
    if args.more:
        print(
            f"after --more (ingest {result['ingest_seconds']:.2f} s): refresh "
            f"{result['refresh_seconds']:.2f} s ({result['refresh_batches']} batches, "
            f"{result['refresh_days']} days)"
        )


if __name__ == "__main__":
    main()
