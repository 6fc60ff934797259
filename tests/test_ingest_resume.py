"""Lines appended to a file after its header was read are parsed with that header.

W3C, Zeek TSV and CSV files name their fields once at the top; an incremental run starts at
the committed offset, past the header. The parser's state is committed with each batch and
taken up again, so that reading a file in two runs stores exactly what one run stores.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from socialsight.config import STORE_NAME
from socialsight.store.store import Store

from conftest import CliResult

GOLDEN = Path(__file__).parent / "golden"

# (golden log, lines in the first run): each split falls after the header, before the end.
CASES = [
    ("w3c/proxysg.log", 6),
    ("zeek_http/tsv-headers-repeat.log", 11),
    ("generic/firewall-csv.log", 7),
]
# Pseudonyms differ between the two data directories (each has its own key).
COMPARED = ["log.line", "@timestamp", "url.domain", "event.outcome", "http.response.bytes"]


def _ingest(cli: Callable[..., CliResult], log: Path, data: Path, golden: Path) -> None:
    options: list[str | Path] = []
    if golden.parent.name == "generic":
        mapping = golden.with_suffix(".mapping.toml")
        options = ["--format", "generic", "--mapping", mapping]
    code, _, err = cli("ingest", log, "--data", data, *options)
    assert code == 0, err


def _stored(data: Path) -> tuple[pa.Table, int]:
    store = Store.open(data / STORE_NAME)
    events = store.read_events(COMPARED).sort_by("log.line")
    rejected = sum(n for _, _, n in store.reject_summary())
    return events, rejected


@pytest.mark.parametrize(("name", "split"), CASES, ids=[c[0].split("/")[0] for c in CASES])
def test_two_runs_store_what_one_run_stores(
    name: str, split: int, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    golden = GOLDEN / name
    lines = golden.read_bytes().split(b"\n")
    assert 0 < split < len([line for line in lines if line.strip()])

    whole = tmp_path / "whole" / golden.name
    whole.parent.mkdir()
    whole.write_bytes(golden.read_bytes())
    growing = tmp_path / "growing" / golden.name
    growing.parent.mkdir()
    growing.write_bytes(b"\n".join(lines[:split]) + b"\n")

    datas = []
    for label in ("one", "two"):
        code, _, err = cli("init", "--data", tmp_path / label, "--min-group-size", "2")
        assert code == 0, err
        datas.append(tmp_path / label)
    _ingest(cli, whole, datas[0], golden)
    _ingest(cli, growing, datas[1], golden)
    first_events, _ = _stored(datas[1])
    assert first_events.num_rows > 0
    with growing.open("ab") as handle:
        handle.write(b"\n".join(lines[split:]))
    _ingest(cli, growing, datas[1], golden)

    one, one_rejected = _stored(datas[0])
    two, two_rejected = _stored(datas[1])
    assert two.num_rows > first_events.num_rows
    assert two.equals(one)
    assert two_rejected == one_rejected
