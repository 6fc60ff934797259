"""Every format parses (and writes) the same in a process whose Arrow has no NumPy support
(issue #6).

The ``ingest`` program imports Arrow before NumPy can be imported, so Arrow's own crossings
(``Array.to_numpy()``, ``pa.array(ndarray)``, ``pc.take(x, ndarray)``...) raise there while our
code may still use NumPy through ``socialsight.ndarrays``. One subprocess starts Arrow that
way, parses every golden log and the real samples the format tests use, writes the records
back with the format's writer (the simulator's path), and prints what it got; the test
compares that with the same work done here, where Arrow has NumPy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from socialsight import formats
from socialsight.formats.base import ParseResult

from conftest import SHARED_DATA
from factories import ARROW_WITHOUT_NUMPY
from other_samples import read_lines

GOLDEN = Path(__file__).parent / "golden"
# The clock of the DNS formats whose time stamps have no year (as ``tests/test_dnslogs.py``).
NOW = "2025-07-01T12:00:00+00:00"
RITA = SHARED_DATA / "activecm-rita" / "test_data"
BEATS = SHARED_DATA / "elastic-beats-filebeat"
PATTERNS = SHARED_DATA / "logstash-patterns-core" / "spec" / "patterns"
ZSCALER = SHARED_DATA / "elastic-integrations/zscaler_zia/web/_dev/test/pipeline/test-web.log"


def _one(pattern: str) -> Path:
    return next(SHARED_DATA.glob(pattern))


# (format, file, mapping file or "", clock or ""): the real samples of the formats whose
# parsers cross between NumPy and Arrow (DNS logs, Zeek, the CSV-like formats, generic).
REAL: list[tuple[str, Path, str, str]] = [
    ("bind", PATTERNS / "bind.messages.log", "", ""),
    ("dnsmasq", _one("simple_template_log_parser/**/pihole_sample_log.log"), "", NOW),
    ("zeek_http", RITA / "valid_tsv/http.log.gz", "", ""),
    ("zeek_http", RITA / "json_with_all_fields/http.log", "", ""),
    ("zeek_http", RITA / "proxy/http.log", "", ""),
    ("zeek_http", BEATS / "zeek/http/test/http-json.log", "", ""),
    ("zeek_ssl", RITA / "proxy/ssl.log", "", ""),
    ("zeek_ssl", BEATS / "zeek/ssl/test/ssl-json.log", "", ""),
    ("zeek_dns", RITA / "json_with_all_fields/dns.log", "", ""),
    ("zeek_dns", RITA / "proxy/dns.log", "", ""),
    ("zeek_dns", BEATS / "zeek/dns/test/dns-json.log", "", ""),
    ("zeek_http", _one("apache-metron-sample-data/**/bro/raw/BroExampleOutput"), "", ""),
    ("zeek_dns", _one("apache-metron-sample-data/**/bro/raw/BroExampleOutput"), "", ""),
    ("cef", _one("apache-metron-sample-data/**/parsers/cef") / "palo.cef", "", ""),
    ("panos", _one("apache-metron-sample-data/**/SampleInput") / "PaloaltoOutput", "", ""),
    ("panos", PATTERNS / "firewalls.messages.log", "", ""),
    ("zscaler", ZSCALER, "", ""),
]  # fmt: skip


def cases() -> list[tuple[str, Path, str, str]]:
    """Every golden log (with its mapping file, if any) and every real sample above."""
    golden = []
    for log in sorted(GOLDEN.glob("*/*.log")):
        mapping = log.with_suffix(".mapping.toml")
        golden.append((log.parent.name, log, str(mapping) if mapping.exists() else "", ""))
    return golden + REAL


def parse(name: str, path: Path, mapping: str, now: str) -> ParseResult:
    """``path`` parsed by format ``name`` as one chunk, as the golden and format tests do."""
    cls = formats.get(name)
    if now:
        parser = cls(now=dt.datetime.fromisoformat(now))  # type: ignore[call-arg]
    else:
        parser = cls.configured({"mapping": mapping} if mapping else {})
    return parser.parse(pa.array(read_lines(path), pa.string()), first_line=1)


def render(name: str, result: ParseResult) -> Any:
    """Records and rejects as JSON-able lists (datetimes as ISO strings), and the lines that
    the format's writer makes of the records."""
    doc = {
        "records": result.records.to_pylist(),
        "rejects": result.rejects.to_pylist(),
        "written": formats.get(name).write(result.records),
    }
    text = json.dumps(doc, default=lambda value: value.isoformat())
    return json.loads(text)


# Run in the subprocess: hide NumPy while Arrow loads, check that Arrow really lacks NumPy
# support, let NumPy be imported again, then parse every case (given as JSON on stdin).
CHILD = (
    ARROW_WITHOUT_NUMPY
    + """
import json

import pyarrow.compute as pc

sys.path.insert(0, sys.argv[1])
from test_formats_without_arrow_numpy import parse, render
from pathlib import Path

out = [render(name, parse(name, Path(path), mapping, now))
       for name, path, mapping, now in json.load(sys.stdin)]
import numpy as np
try:
    pa.array(np.arange(2))
except (pa.ArrowInvalid, TypeError):
    pass
else:
    raise SystemExit("Arrow gained NumPy support once NumPy was imported: nothing was tested")
json.dump(out, sys.stdout)
"""
)


def test_every_format_parses_the_same_without_arrow_numpy() -> None:
    todo = cases()
    assert {name for name, *_ in todo} == set(formats.names())
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(Path(__file__).parent)],
        input=json.dumps([[name, str(path), mapping, now] for name, path, mapping, now in todo]),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    without = json.loads(proc.stdout)
    assert len(without) == len(todo)
    for (name, path, mapping, now), got in zip(todo, without, strict=True):
        expected = render(name, parse(name, path, mapping, now))
        assert got == expected, f"{name} {path} differs without Arrow's NumPy support"
        # A case that parsed to nothing would compare equal whatever the parser did.
        assert got["records"] or got["rejects"], f"{name} {path} gave nothing"
