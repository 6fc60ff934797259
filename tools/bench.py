"""`make bench`: socialsight ingest against GoAccess and the `wc -l` floor, in one session.

What it does (issue #6):

1. Generates Squid native logs of 1M and 10M lines with the simulator (cached under
   ``bench/data/``, which git ignores): a simulated organisation large enough for the size,
   cut to exactly that many lines, with its directory file.
2. On each file, median of ``--runs`` runs (by default 5 on the 1M file, 3 on the 10M one)
   of: ``wc -l`` (the floor), GoAccess in Squid mode writing its HTML report, and
   ``socialsight ingest`` into a fresh data directory (GoAccess and the ingest taking turns,
   so that the machine's load falls on both alike).
   Each is timed as a separate process by GNU time: wall seconds, user + system CPU, and the
   peak resident memory (the largest process of the tree; the ingest is one process whose
   threads share it).
3. On the smallest file: re-ingesting the unchanged file, and ingesting after 1 % more lines
   were appended (cost should follow the new bytes).
4. The analytics of the largest store: the time to build its per-day summaries, then
   services, dependencies and outages through :class:`socialsight.insights.Insights` from the
   summaries and from the raw events, and through the CLI, median of ``--analytics-runs``
   (1 by default).
5. Issue #6's analytics target, 30 days x 5,000 people, about 50M events: a 50M-line file
   (cached, 6.7 GB) ingested once (wall, lines/s, peak RSS, CPU), then step 4 on its store,
   median of 3 runs (``--no-50m`` skips it, ``--only-50m`` runs it alone).
6. Per-format parse throughput from ``tools/bench_formats.py`` when it exists.

It prints a table and writes the same figures to ``bench/results.json``. The machine is
shared and figures move with its load: compare the ratios measured in the same run.

    python tools/bench.py                 # 1M (5 runs) and 10M lines (3 runs), then 50M
    python tools/bench.py --sizes 1m --runs 1 --no-50m
    python tools/bench.py --only-50m      # the 50M step alone (about 5 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
BIN = Path(sys.executable).parent
SOCIALSIGHT = str(BIN / "socialsight")
TIME = "/usr/bin/time"

# GoAccess's predefined SQUID format expects syslog-prefixed lines; this is the native file.
# %~ skips the padding before the elapsed time; %e is the user, %M the mime type.
GOACCESS_FORMAT = "%x.%^ %~%L %h %^/%s %b %m %U %e %^ %M"

# Simulated people per million lines wanted (about 2,100 lines a person over 30 days).
PEOPLE_PER_MILLION = 500
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
# Runs of each tool per file: the median of five on the small file, where a second matters;
# three on the large one, where GoAccess takes about 100 s a run.
RUNS = {"1m": 5, "10m": 3}
# Issue #6's analytics target, 30 days x 5,000 people (about 50M events): the 10M file's
# organisation (same people, seed and visits) with five times the requests per visit (the
# simulator's default is 0.3), so the per-day summaries, which grow with person-days, keep the
# 10M store's size. Ingested once, without GoAccess (``--only-50m``, ``--no-50m``).
BIG = "50m"
BIG_LINES = 50_000_000
BIG_PEOPLE = 5_000
BIG_LINES_PER_VISIT = 1.5


@dataclass
class Measure:
    """One tool on one file: the median run, and every run's wall seconds."""

    tool: str
    file: str
    lines: int
    megabytes: float
    seconds: float
    lines_per_s: float
    mb_per_s: float
    peak_rss_mb: float
    cpu_percent: float
    """(user + system) / wall / cores, in percent: 100 means every core busy."""
    runs: list[float]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data ------------------------------------------------------------------------------------
def bench_file(size: str) -> tuple[Path, Path]:
    """The cached log of ``size`` lines and its directory file, generated when missing."""
    lines = BIG_LINES if size == BIG else SIZES[size]
    log_path = DATA / f"squid-{size}.log"
    directory = DATA / f"squid-{size}-directory.csv"
    if log_path.is_file() and directory.is_file():
        return log_path, directory
    from socialsight.simulate import SimulationConfig, simulate

    DATA.mkdir(parents=True, exist_ok=True)
    people = max(50, PEOPLE_PER_MILLION * lines // 1_000_000)
    config = SimulationConfig(people=people, days=30, seed=11)
    if size == BIG:
        config = SimulationConfig(
            people=BIG_PEOPLE, days=30, seed=11, lines_per_visit=BIG_LINES_PER_VISIT
        )
    log(f"generating {lines:,} lines with the simulator ({config.people} people, 30 days) ...")
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        summary = simulate(config, Path(tmp))
        if summary.lines < lines:
            raise SystemExit(f"the simulation wrote {summary.lines:,} lines, fewer than {lines:,}")
        partial = log_path.with_suffix(".part")
        with open(Path(tmp) / "access.log", "rb") as src, open(partial, "wb") as dst:
            for _, line in zip(range(lines), src, strict=False):
                dst.write(line)
        shutil.copy(Path(tmp) / "directory.csv", directory)
        # The lines after the cut feed the append test.
        with (
            open(Path(tmp) / "access.log", "rb") as src,
            open(DATA / f"squid-{size}.more", "wb") as dst,
        ):
            for number, line in enumerate(src):
                if number >= lines:
                    dst.write(line)
                if number >= lines + lines // 100:
                    break
        partial.rename(log_path)
    return log_path, directory


# -- timing ------------------------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_kb: int
    stdout: str


def timed(command: list[str]) -> Run:
    """Run a command under GNU time; fail loudly if it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(
            [TIME, "-o", report.name, "-f", "%e %U %S %M", *command],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
        fields = report.read().split()[-4:]
    _, user, system, rss = fields
    return Run(wall, float(user) + float(system), int(rss), done.stdout)


def measure(tool: str, path: Path, lines: int, runs: list[Run]) -> Measure:
    median = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    size_mb = path.stat().st_size / 1e6
    cores = os.cpu_count() or 1
    return Measure(
        tool=tool,
        file=path.name,
        lines=lines,
        megabytes=round(size_mb, 1),
        seconds=round(median.seconds, 3),
        lines_per_s=round(lines / median.seconds),
        mb_per_s=round(size_mb / median.seconds, 1),
        peak_rss_mb=round(max(r.peak_rss_kb for r in runs) / 1024, 1),
        cpu_percent=round(100 * median.cpu_seconds / median.seconds / cores),
        runs=[round(r.seconds, 3) for r in runs],
    )


def ensure_goaccess() -> str:
    found = shutil.which("goaccess")
    if found:
        return found
    log("installing GoAccess from Debian ...")
    subprocess.run(["apt-get", "install", "-y", "goaccess"], check=True, capture_output=True)
    found = shutil.which("goaccess")
    if not found:
        raise SystemExit("GoAccess could not be installed")
    return found


def fresh_data(parent: Path) -> Path:
    data = Path(tempfile.mkdtemp(prefix="sight-", dir=parent))
    shutil.rmtree(data)
    # The simulated organisation lives in the simulator's default zone: analytics in any other
    # zone would see its days shifted by the daylight-saving change (false volume outages).
    from socialsight.simulate import SimulationConfig

    zone = SimulationConfig().timezone
    subprocess.run([SOCIALSIGHT, "init", "--data", str(data), "--timezone", zone], check=True,
                   capture_output=True)  # fmt: skip
    return data


def ingest_command(data: Path, directory: Path, path: Path) -> list[str]:
    return [SOCIALSIGHT, "ingest", "--data", str(data), "--directory", str(directory), "--json",
            str(path)]  # fmt: skip


# -- the benchmark -----------------------------------------------------------------------------
def bench_size(size: str, runs: int, goaccess: str, work: Path) -> tuple[list[Measure], Path]:
    path, directory = bench_file(size)
    lines = SIZES[size]
    results = []
    log(f"{path.name}: wc -l")
    wc = [timed(["wc", "-l", str(path)]) for _ in range(runs)]
    results.append(measure("wc -l", path, lines, wc))
    log(f"{path.name}: GoAccess and socialsight ingest, {runs} runs each, taking turns")
    report = work / "goaccess.html"
    ga_command = [
        goaccess, str(path), f"--log-format={GOACCESS_FORMAT}", "--date-format=%s",
        "--time-format=%s", "--no-global-config", "--no-progress", "-o", str(report),
    ]  # fmt: skip
    # In turns, so that a change in the shared machine's load falls on both tools alike.
    peers, ingests = [], []
    data = work / "none"
    for number in range(runs):
        peers.append(timed(ga_command))
        if data.exists():
            shutil.rmtree(data)
        data = fresh_data(work)
        run = timed(ingest_command(data, directory, path))
        reported = json.loads(run.stdout)
        if reported["lines"] != lines:
            raise SystemExit(f"ingest read {reported['lines']} lines of {lines}")
        ingests.append(run)
        log(f"  run {number + 1}: GoAccess {peers[-1].seconds:.2f} s, ingest {run.seconds:.2f} s")
    results.append(measure("goaccess", path, lines, peers))
    results.append(measure("socialsight ingest", path, lines, ingests))
    return results, data


def incremental(work: Path) -> dict[str, Any]:
    """Re-ingest of an unchanged file, then of the same file with 1 % more lines."""
    path, directory = bench_file("1m")
    copy = work / "growing.log"
    shutil.copy(path, copy)
    data = fresh_data(work)
    subprocess.run(ingest_command(data, directory, copy), check=True, capture_output=True)
    unchanged = timed(ingest_command(data, directory, copy))
    more = (DATA / "squid-1m.more").read_bytes()
    with open(copy, "ab") as handle:
        handle.write(more)
    appended = timed(ingest_command(data, directory, copy))
    reported = json.loads(appended.stdout)
    shutil.rmtree(data)
    return {
        "unchanged_seconds": round(unchanged.seconds, 3),
        "appended_lines": reported["lines"],
        "appended_bytes": len(more),
        "appended_seconds": round(appended.seconds, 3),
    }


QUESTIONS = ("services", "dependencies", "outages")


def analytics(data: Path, runs: int, event_runs: int) -> dict[str, Any]:
    """On an ingested store (the 10M one and the 50M one): the time to build the per-day
    summaries after the ingest (``socialsight summarise``, once per new data: otherwise the
    first question pays it), then the seconds of each question the dashboard asks first,
    answered from them (median of ``runs``, a fresh :class:`Insights` each time: the figure
    for issue #6's 1 s target), the same through the CLI with ``--json`` (a whole process,
    start-up included), and from the raw events for comparison (``event_runs``, 0 skips)."""
    from socialsight.insights import Insights
    from socialsight.store.store import Store

    built = timed([SOCIALSIGHT, "summarise", "--data", str(data), "--json"])
    figures: dict[str, Any] = {
        "summaries_build_seconds": round(built.seconds, 2),
        "summaries_days": json.loads(built.stdout)["days_recomputed"],
        "summaries_build_peak_rss_mb": round(built.peak_rss_kb / 1024, 1),
        "summaries_build_cpu_percent": round(
            100 * built.cpu_seconds / built.seconds / (os.cpu_count() or 1)
        ),
    }
    for use_summaries, label, count in (
        (True, "seconds", runs),
        (False, "seconds_from_events", event_runs),
    ):
        for name in QUESTIONS:
            seconds = []
            for _ in range(count):
                fresh = Insights.open(data)
                fresh.use_summaries = use_summaries
                begin = time.perf_counter()
                getattr(fresh, name)()
                seconds.append(time.perf_counter() - begin)
            if seconds:
                figures[f"{name}_{label}"] = round(statistics.median(seconds), 3)
    for name in QUESTIONS:
        cli = [timed([SOCIALSIGHT, name, "--data", str(data), "--json"]) for _ in range(runs)]
        figures[f"{name}_cli_seconds"] = round(statistics.median(r.seconds for r in cli), 3)
        if name == "outages":
            # The planted outage must stay the only one found, whatever the volume.
            figures["outages_found"] = [
                {key: row[key] for key in ("service", "start", "end", "severity")}
                for row in json.loads(cli[-1].stdout)["rows"]
            ]
    store = Store.open(data / "store")
    figures["events"] = sum(store.events_per_file().values())
    return figures


def bench_big(runs: int, work: Path) -> tuple[Measure, dict[str, Any]]:
    """The 50M-line store of issue #6: one ingest into a fresh data directory (time, peak
    RSS, CPU), then :func:`analytics` on it, each question's median of ``runs``."""
    path, directory = bench_file(BIG)
    data = fresh_data(work)
    log(f"{path.name}: socialsight ingest x1")
    run = timed(ingest_command(data, directory, path))
    reported = json.loads(run.stdout)
    if reported["lines"] != BIG_LINES:
        raise SystemExit(f"ingest read {reported['lines']} lines of {BIG_LINES}")
    log(f"  {run.seconds:.2f} s; analytics ...")
    figures = analytics(data, runs, event_runs=1)
    shutil.rmtree(data)
    return measure("socialsight ingest", path, BIG_LINES, [run]), figures


def format_throughput() -> Any:
    script = ROOT / "tools" / "bench_formats.py"
    if not script.is_file():
        return None
    done = subprocess.run([sys.executable, str(script), "--json"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"output": done.stdout}


def render(measures: list[Measure]) -> str:
    by_file: dict[str, dict[str, Measure]] = {}
    for m in measures:
        by_file.setdefault(m.file, {})[m.tool] = m
    header = (f"{'file':16} {'tool':19} {'lines/s':>11} {'MB/s':>7} {'seconds':>8} "
              f"{'peak RSS':>9} {'CPU %':>6} {'x GoAccess':>10} {'x floor':>8}")  # fmt: skip
    rows = [header, "-" * len(header)]
    for file, tools in by_file.items():
        ga, floor = tools.get("goaccess"), tools.get("wc -l")
        for m in tools.values():
            vs_ga = f"{m.lines_per_s / ga.lines_per_s:.1f}" if ga else "-"
            vs_floor = f"{m.lines_per_s / floor.lines_per_s:.3f}" if floor else "-"
            rows.append(
                f"{file:16} {m.tool:19} {m.lines_per_s:>11,} {m.mb_per_s:>7.1f} "
                f"{m.seconds:>8.2f} {m.peak_rss_mb:>7.0f}MB {m.cpu_percent:>6} "
                f"{vs_ga:>10} {vs_floor:>8}"
            )
    return "\n".join(rows)


def big_results(ingest: Measure, queries: dict[str, Any]) -> dict[str, Any]:
    """The 50M step's entries of ``bench/results.json``."""
    return {
        "ingest_50m": asdict(ingest),
        "analytics_50m": queries,
        "simulation_50m": {"people": BIG_PEOPLE, "days": 30, "seed": 11,
                           "lines_per_visit": BIG_LINES_PER_VISIT},
    }  # fmt: skip


def print_big(ingest: Measure, queries: dict[str, Any]) -> None:
    print(f"\n{BIG} lines: ingest {ingest.seconds:.1f} s, {ingest.lines_per_s:,} lines/s, "
          f"peak RSS {ingest.peak_rss_mb:.0f} MB, CPU {ingest.cpu_percent} %")  # fmt: skip
    print(f"analytics {BIG}: " + ", ".join(f"{k} {v}" for k, v in queries.items()))


def only_big(analytics_runs: int) -> None:
    """``--only-50m``: the 50M step alone, its entries replaced in the existing results."""
    with tempfile.TemporaryDirectory(prefix="socialsight-bench-") as tmp:
        ingest, queries = bench_big(max(3, analytics_runs), Path(tmp))
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results.update(big_results(ingest, queries))
    results["when_50m"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(render([ingest]))
    print_big(ingest, queries)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma-separated: 1m, 10m")
    parser.add_argument(
        "--runs", type=int, default=None,
        help=f"runs of each tool per file (default: {RUNS})",
    )  # fmt: skip
    parser.add_argument(
        "--analytics-runs", type=int, default=1, help="runs of each analytics query"
    )
    parser.add_argument("--prepare", action="store_true", help="only generate the files")
    big = parser.add_mutually_exclusive_group()
    big.add_argument(
        "--no-50m", dest="big", action="store_false", help="skip the 50M-line ingest, analytics"
    )
    big.add_argument(
        "--only-50m", action="store_true", help="only the 50M step (other results are kept)"
    )
    opts = parser.parse_args()
    sizes = [s.strip() for s in opts.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        raise SystemExit(f"unknown size {sorted(unknown)}; choose from {sorted(SIZES)}")
    if opts.only_50m:
        sizes = []
    for size in [*sizes, *([BIG] if opts.big else [])]:
        bench_file(size)
    if opts.prepare:
        return
    # An installed package runs from compiled bytecode; an editable install under
    # PYTHONDONTWRITEBYTECODE=1 (as on these machines) would recompile socialsight's modules
    # on every run (about 0.1 s). Compile them once, as an install does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True,
                   capture_output=True)  # fmt: skip
    if opts.only_50m:
        only_big(opts.analytics_runs)
        return
    goaccess = ensure_goaccess()
    started = time.time()
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="socialsight-bench-") as tmp:
        work = Path(tmp)
        data = work
        for size in sizes:
            found, data = bench_size(size, opts.runs or RUNS[size], goaccess, work)
            measures.extend(found)
        log("analytics on the largest store ...")
        queries = analytics(data, opts.analytics_runs, opts.analytics_runs)
        log("incremental re-ingest ...")
        again = incremental(work)
        if opts.big:
            shutil.rmtree(data)  # room for the 50M store
            big_ingest, big_queries = bench_big(max(3, opts.analytics_runs), work)
    formats = format_throughput()
    version = subprocess.run([goaccess, "--version"], capture_output=True, text=True).stdout
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "goaccess": {
            "version": version.splitlines()[0] if version else None,
            "log_format": GOACCESS_FORMAT,
        },
        "runs": {size: opts.runs or RUNS[size] for size in sizes},
        "ingest": [asdict(m) for m in measures],
        "incremental": again,
        "analytics": queries,
        "formats": formats,
    }
    if opts.big:
        results.update(big_results(big_ingest, big_queries))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(render(measures))
    print(
        f"\nre-ingest unchanged: {again['unchanged_seconds']:.2f} s; "
        f"+{again['appended_lines']:,} lines ({again['appended_bytes'] / 1e6:.1f} MB) appended: "
        f"{again['appended_seconds']:.2f} s"
    )
    print("analytics: " + ", ".join(f"{k} {v}" for k, v in queries.items()))
    if opts.big:
        print_big(big_ingest, big_queries)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
