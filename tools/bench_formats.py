"""Parse throughput of every registered log format, for ``make bench``.

The simulator's organisation is written as Squid native, parsed back into records, and those
records are replicated to ``--records`` rows. For each registered format, the records are
rendered with the format's ``write`` and the lines are parsed ``--repeat`` times by a fresh
parser, as ingest hands them over (``parse_bytes`` on 8 MB chunks of whole lines); the table
shows the median lines per second of that parse (and of ``write``).

``generic`` is parsed with the mapping that reads what its ``write`` emits
(``generic.DEFAULT_MAPPING``), since it is never used without a mapping.

Example: python tools/bench_formats.py --records 200000 --repeat 3 [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from socialsight import formats
from socialsight.formats.generic import DEFAULT_MAPPING, Generic
from socialsight.simulate import SimulationConfig, simulate


def source_records(count: int, people: int, days: int) -> pa.Table:
    """``count`` simulated records (the simulation replicated as needed), in time order."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(SimulationConfig(days=days, people=people, seed=11), Path(tmp))
        data = summary.files[0].read_bytes().decode("utf-8", errors="replace")
    lines = data.split("\n")[:-1]
    records = formats.get("squid")().parse(pa.array(lines, pa.string()), 1).records
    if records.num_rows == 0:
        raise SystemExit("the simulation produced no records")
    copies = -(-count // records.num_rows)
    return pa.concat_tables([records] * copies).slice(0, count)


def bench(name: str, records: pa.Table, repeat: int) -> tuple[str, int, float, float, str]:
    """(name, lines, median parse lines/s, write lines/s, note) for one format."""
    cls = formats.get(name)
    started = time.perf_counter()
    lines = cls.write(records)
    write_rate = records.num_rows / (time.perf_counter() - started)
    # What ingest hands a parser: whole lines as bytes (parse_bytes), in 8 MB chunks.
    body = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    chunks, start = [], 0
    while start < len(body):
        cut = body.rfind(b"\n", start, start + 8 * 1024 * 1024) + 1 or len(body)
        chunks.append(body[start:cut])
        start = cut
    rates, rejected, parsed = [], 0, 0
    for _ in range(repeat):
        parser = Generic(DEFAULT_MAPPING) if name == "generic" else cls()
        started = time.perf_counter()
        parsed = rejected = 0
        first = 1
        for chunk in chunks:
            count, result = parser.parse_bytes(chunk, first)
            first += count
            parsed += result.records.num_rows
            rejected += result.rejects.num_rows
        rates.append(len(lines) / (time.perf_counter() - started))
    note = f"{parsed:,} records" + (f", {rejected:,} rejected" if rejected else "")
    return name, len(lines), statistics.median(rates), write_rate, note


def main() -> None:
    """Print the per-format throughput table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="records per format")
    parser.add_argument("--repeat", type=int, default=3, help="parse runs (median is shown)")
    parser.add_argument("--people", type=int, default=400, help="simulated people")
    parser.add_argument("--days", type=int, default=5, help="simulated days")
    parser.add_argument("--format", action="append", help="only these formats (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    opts = parser.parse_args()
    records = source_records(opts.records, opts.people, opts.days)
    names = opts.format or formats.names()
    if opts.json:
        rows = [bench(name, records, opts.repeat) for name in names]
        keys = ("format", "lines", "parse_lines_per_s", "write_lines_per_s", "note")
        print(json.dumps([dict(zip(keys, (n, c, round(p), round(w), t), strict=True))
                          for n, c, p, w, t in rows], indent=2))  # fmt: skip
        return
    print(f"{'format':<14} {'lines':>9} {'parse lines/s':>14} {'write lines/s':>14}  note")
    for name in names:
        fmt, count, parse_rate, write_rate, note = bench(name, records, opts.repeat)
        if count == 0:
            print(f"{fmt:<14} {'-':>9} {'-':>14} {'-':>14}  {note}")
        else:
            print(f"{fmt:<14} {count:>9,} {parse_rate:>14,.0f} {write_rate:>14,.0f}  {note}")


if __name__ == "__main__":
    main()
