"""`make demo`: simulate the demo organisation, ingest its logs, and show what socialsight sees.

Idempotent: an existing simulation and data directory are reused, so a second `make demo` only
shows the results again. It ends by serving the web dashboard in the foreground, after printing
its address and a demo account (role analyst; `--no-serve` stops before).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> None:
    command = [sys.executable, "-m", "socialsight", *args]
    print(f"\n$ socialsight {shlex.join(args)}", flush=True)
    subprocess.run(command, check=True)


DEMO_USER = "demo"


def demo_password(data: Path) -> str:
    """The demo account's password: created with the account (role analyst) when missing,
    kept in the data directory (mode 0600) so that the next `make demo` prints it again."""
    secret = data / "demo-password.txt"
    listed = subprocess.run(
        [sys.executable, "-m", "socialsight", "user", "list", "--data", str(data), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    exists = any(user["name"] == DEMO_USER for user in json.loads(listed.stdout))
    if exists and secret.is_file():
        return secret.read_text(encoding="utf-8").strip()
    if exists:  # made by hand, password unknown: make it again
        run("user", "remove", DEMO_USER, "--data", str(data))
    password = secrets.token_urlsafe(12)
    print(f"\n$ socialsight user add {DEMO_USER} --role analyst --password-stdin", flush=True)
    subprocess.run(
        [sys.executable, "-m", "socialsight", "user", "add", DEMO_USER, "--role", "analyst",
         "--password-stdin", "--data", str(data)],
        input=password + "\n", text=True, check=True,
    )  # fmt: skip
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def serve_dashboard(data: Path, host: str, port: str) -> None:
    """Print the address and the demo account, then serve the dashboard in the foreground."""
    password = demo_password(data)
    print(
        f"\nDashboard: http://{host}:{port}/\n"
        f"  user name  {DEMO_USER}\n  password   {password}   (role analyst)\n"
        "Three clicks: Facebook in the top dependencies, then 'Show the impact'.\n"
        "Ctrl+C stops the server.",
        flush=True,
    )
    # Ctrl+C ends the server and the demo quietly.
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(
            [sys.executable, "-m", "socialsight", "serve", "--data", str(data),
             "--host", host, "--port", port],
            check=False,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--days", default="30")
    parser.add_argument("--people", default="1000")
    parser.add_argument("--seed", default="7")
    parser.add_argument("--host", default="127.0.0.1", help="Where the dashboard listens.")
    parser.add_argument("--port", default="8080", help="The dashboard's port.")
    parser.add_argument("--no-serve", action="store_true", help="Stop before the dashboard.")
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
    run("register", "import", str(logs / "declared-uses.csv"), "--data", str(data))
    run("services", "--data", str(data))
    run("unknown", "--data", str(data), "--limit", "15")
    run("dependencies", "--data", str(data), "--limit", "15")
    run("outages", "--data", str(data))
    run("impact", "facebook", "--hours", "8", "--data", str(data))
    report = data.parent / "report.html"
    run("report", "--data", str(data), "--html", str(report))
    print(
        f"\nDemo ready. Data directory: {data}\nSimulated logs and their truth file: {logs}\n"
        f"Report (open it in a browser; it needs no network): {report.resolve()}\n"
        f"Try:\n  . .venv/bin/activate\n  socialsight services --data {data} --json\n"
        f"  socialsight catalog lookup www.facebook.com --data {data}\n"
        f"  socialsight dependencies --service whatsapp --explain --data {data}\n"
        f"  socialsight status --data {data}"
    )
    if not opts.no_serve:
        serve_dashboard(data, opts.host, opts.port)


if __name__ == "__main__":
    main()
