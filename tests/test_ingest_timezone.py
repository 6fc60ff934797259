"""Time stamps written without a zone (resolver query logs) are read in the site's zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from socialsight.config import STORE_NAME
from socialsight.store.store import Store

from conftest import CliResult

# dnsmasq through syslog: no year, no zone. 2 March is before Toronto's change to daylight
# time (UTC-5), 9 March after it (UTC-4).
LINES = [
    "Mar  2 10:00:00 dnsmasq[421]: query[A] www.facebook.com from 10.1.2.3",
    "Mar  9 10:00:00 dnsmasq[421]: query[A] www.linkedin.com from 10.1.2.3",
]


def test_zoneless_resolver_times_are_local(
    data_dir: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    log = tmp_path / "dnsmasq.log"
    log.write_text("\n".join(LINES) + "\n")
    code, _, err = cli("ingest", log, "--data", data_dir)
    assert code == 0, err
    events = Store.open(data_dir / STORE_NAME).read_events(["@timestamp", "url.domain"])
    stamps = dict(
        zip(events["url.domain"].to_pylist(), events["@timestamp"].to_pylist(), strict=True)
    )
    year = stamps["www.facebook.com"].year
    assert year in (datetime.now(UTC).year, datetime.now(UTC).year - 1)
    assert stamps["www.facebook.com"] == datetime(year, 3, 2, 15, 0, tzinfo=UTC)
    assert stamps["www.linkedin.com"] == datetime(year, 3, 9, 14, 0, tzinfo=UTC)
