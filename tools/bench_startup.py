"""Measure socialsight's fixed start-up cost (issue #6): import time, a small ingest, a re-ingest.

Each figure is the median wall time of several runs of the real command in a fresh process.
Start-up cost is what a run pays whatever its input: on a 1,000-line file it is nearly all of
the time.

    python tools/bench_startup.py                       # 1,000 lines of bench/data/squid-1m.log
    python tools/bench_startup.py --lines 1000 --runs 7 --json
    python tools/bench_startup.py --bytecode    # as installed: compiled .pyc files available

Without ``--bytecode`` the environment decides: with ``PYTHONDONTWRITEBYTECODE=1`` every run
compiles socialsight's own modules from source again, which an installed copy never does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_LOG = ROOT / "bench" / "data" / "squid-1m.log"
BENCH_DIRECTORY = ROOT / "bench" / "data" / "squid-1m-directory.csv"


def _wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; CPU is steadier on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _import_total(module: str, env: dict[str, str]) -> float:
    """Seconds of ``python -X importtime -c 'import module'`` (cumulative of that module)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    last = [line for line in done.stderr.splitlines() if re.search(rf"\| {module}$", line)][-1]
    return int(last.split("|")[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--log", type=Path, default=BENCH_LOG)
    parser.add_argument("--directory", type=Path, default=BENCH_DIRECTORY)
    parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")
    parser.add_argument(
        "--bytecode", action="store_true", help="Let Python cache compiled modules (in a temp dir)."
    )
    args = parser.parse_args()
    if not args.log.is_file():
        sys.exit(f"{args.log} is missing: run `make bench` once to generate it")
    exe = [sys.executable, "-m", "socialsight"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        small = work / "small.log"
        with args.log.open("rb") as src, small.open("wb") as dst:
            for _, line in zip(range(args.lines), src, strict=False):
                dst.write(line)
        # One untimed run first: it fills the bytecode cache (with --bytecode) and the OS cache.
        _import_total("socialsight.ingest", env)
        imports = [_import_total("socialsight.cli", env) for _ in range(args.runs)]
        first, again = [], []
        for run in range(args.runs + 1):
            data = work / f"d{run}"
            init = [*exe, "init", "--data", str(data)]
            subprocess.run(init, check=True, stdout=subprocess.DEVNULL, env=env)
            ingest = [*exe, "ingest", "--data", str(data), "--json", str(small)]
            if args.directory.is_file():
                ingest[4:4] = ["--directory", str(args.directory)]
            timed = (_wall(ingest, env), _wall(ingest, env))
            if run:  # run 0 warms the caches, as the import warm-up above
                first.append(timed[0])
                again.append(timed[1])
            shutil.rmtree(data)
    figures = {
        "lines": args.lines,
        "runs": args.runs,
        "bytecode": args.bytecode or not os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "import_socialsight_cli_s": round(statistics.median(imports), 3),
        "ingest_s": round(statistics.median(w for w, _ in first), 3),
        "ingest_cpu_s": round(statistics.median(c for _, c in first), 3),
        "reingest_unchanged_s": round(statistics.median(w for w, _ in again), 3),
        "reingest_unchanged_cpu_s": round(statistics.median(c for _, c in again), 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"import socialsight.cli      {figures['import_socialsight_cli_s']:.3f} s (median)")
    print(
        f"ingest {args.lines:,} lines        {figures['ingest_s']:.3f} s (median wall), "
        f"{figures['ingest_cpu_s']:.3f} s CPU"
    )
    print(
        f"re-ingest unchanged         {figures['reingest_unchanged_s']:.3f} s (median wall), "
        f"{figures['reingest_unchanged_cpu_s']:.3f} s CPU"
    )


if __name__ == "__main__":
    main()
