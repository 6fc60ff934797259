"""`make demo`: simulate the demo organisation, ingest its logs, and show what socialsight sees.

Idempotent: an existing simulation and data directory are reused, so a second `make demo` only
shows the results again.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> None:
    command = [sys.executable, "-m", "socialsight", *args]
    print(f"\n$ socialsight {shlex.join(args)}", flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--days", default="30")
    parser.add_argument("--people", default="1000")
    parser.add_argument("--seed", default="7")
    opts = parser.parse_args()
    logs, data = opts.logs, opts.data
    if not (logs / "truth.json").is_file():
        run("simulate", "--out", str(logs), "--days", opts.days, "--people", opts.people,
            "--seed", opts.seed)  # fmt: skip
    run("init", "--data", str(data), "--timezone", "America/Toronto")
    run(
        "ingest", str(logs / "access.log"), "--data", str(data),
        "--directory", str(logs / "directory.csv"),
    )  # fmt: skip
    run("services", "--data", str(data))
    run("unknown", "--data", str(data), "--limit", "15")
    print(
        f"\nDemo ready. Data directory: {data}\nSimulated logs and their truth file: {logs}\n"
        f"Try:\n  . .venv/bin/activate\n  socialsight services --data {data} --json\n"
        f"  socialsight catalog lookup www.facebook.com --data {data}\n"
        f"  socialsight status --data {data}"
    )


if __name__ == "__main__":
    main()
