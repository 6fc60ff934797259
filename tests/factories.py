"""Small hand-built Squid logs with known people, units and services, for exact assertions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def squid_line(
    when: datetime,
    client: str,
    user: str,
    method: str,
    url: str,
    code: str = "TCP_MISS/200",
    size: int = 1000,
    elapsed: int = 120,
) -> str:
    """One Squid native access line."""
    epoch = when.astimezone(UTC).timestamp()
    hierarchy = "HIER_DIRECT/203.0.113.9" if not code.startswith("TCP_DENIED") else "HIER_NONE/-"
    return f"{epoch:.3f} {elapsed:6d} {client} {code} {size} {method} {url} {user} {hierarchy} -"


# Communications: 6 people on Facebook; Legal: 3 people on LinkedIn (under k = 5);
# everyone reads an unknown site, example-news.ca.
COMMS = [f"comms{i}" for i in range(6)]
LEGAL = [f"legal{i}" for i in range(3)]


def small_org_log(path: Path) -> Path:
    """Write the small organisation's log and return its path."""
    lines = []
    day = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 in Toronto (EDT from March 8)
    for i, user in enumerate(COMMS):
        ip = f"10.1.0.{i + 1}"
        lines.append(squid_line(day, ip, user, "CONNECT", "www.facebook.com:443", size=5000))
        lines.append(
            squid_line(day, ip, user, "GET", "http://scontent.xx.fbcdn.net/a.jpg", size=2000)
        )
        lines.append(squid_line(day, ip, user, "GET", "http://www.example-news.ca/", size=300))
    for i, user in enumerate(LEGAL):
        ip = f"10.2.0.{i + 1}"
        lines.append(squid_line(day, ip, user, "CONNECT", "www.linkedin.com:443", size=700))
        lines.append(squid_line(day, ip, user, "GET", "http://www.example-news.ca/", size=300))
    # A late-evening request: 2026-03-11 01:30 UTC is still 2026-03-10 in Toronto.
    late = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)
    lines.append(squid_line(late, "10.1.0.1", COMMS[0], "CONNECT", "www.facebook.com:443"))
    # The next local day.
    nextday = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
    lines.append(squid_line(nextday, "10.1.0.2", COMMS[1], "POST", "http://www.facebook.com/x"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def small_org_directory(path: Path) -> Path:
    rows = ["user,unit"] + [f"{u},Communications" for u in COMMS] + [f"{u},Legal" for u in LEGAL]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


ARROW_WITHOUT_NUMPY = """
import sys
from socialsight.ingest_command import HiddenPackage, _import_arrow_without_numpy

_import_arrow_without_numpy()  # as the ingest program does
import pyarrow as pa

_hidden = HiddenPackage("numpy", "is hidden")  # (to_numpy() would import it, then fail)
sys.meta_path.insert(0, _hidden)
try:
    pa.array([1]).to_numpy()
except ImportError:
    pass
else:
    raise SystemExit("pyarrow has NumPy support: the test would prove nothing")
sys.meta_path.remove(_hidden)
"""
"""The start of a subprocess whose Arrow has no NumPy support, as in the ingest program
(NumPy may still be imported; add ``sys.meta_path.insert(0, _hidden)`` to forbid it)."""


def ending_with(report: str, run: str = "from socialsight.entry import console; console()") -> str:
    """A program that runs ``run`` (the console, by default) with its arguments and prints
    ``report`` (the arguments of a ``print``) on stderr as the process ends: the console ends
    an ingest with ``os._exit`` (no teardown, so no ``finally`` or ``atexit`` of the program
    runs), which the program wraps, flushing what was printed first."""
    return (
        "import os, sys\n"
        "sys.argv = ['socialsight', *sys.argv[1:]]\n"
        "_exit = os._exit\n"
        "def _report(code):\n"
        "    sys.stdout.flush()\n"
        f"    print({report}, file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    _exit(code)\n"
        "os._exit = _report\n"
        f"{run}\n"
    )
