"""The program's entry point (issue #6): an ingest of one file starts reading it before the
command-line library and Arrow are imported, and the command takes that read over."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from socialsight import entry
from socialsight import prefetch as prefetch_module
from socialsight.cli import app
from socialsight.prefetch import Prefetch

from factories import small_org_log


def _ingest_command() -> Any:
    """The ingest command as Typer builds it (its own copy of Click's classes)."""
    return typer.main.get_command(app).commands["ingest"]  # type: ignore[attr-defined]


def test_the_entry_knows_every_option_of_the_ingest_command() -> None:
    """The entry point reads the ingest's arguments without Typer: its table of options must
    be the command's, or an option added later would be taken for a path."""
    options = [p for p in _ingest_command().params if p.param_type_name == "option"]
    assert len(options) == 5
    with_value = {name for p in options if not p.is_flag for name in p.opts}
    flags = {name for p in options if p.is_flag for name in p.opts}
    assert with_value == entry.INGEST_VALUE_OPTIONS
    assert flags == entry.INGEST_FLAGS
    assert all(p.multiple is False and p.nargs == 1 for p in options)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["access.log"], (["access.log"], None)),
        (["--data", "d", "--json", "access.log"], (["access.log"], None)),
        (["--format", "squid", "a.log", "b.log"], (["a.log", "b.log"], "squid")),
        (["--format=w3c", "--directory=staff.csv", "x"], (["x"], "w3c")),
        (["--", "--json"], (["--json"], None)),
        (["-"], (["-"], None)),
        ([], ([], None)),
        (["--help"], None),
        (["--data"], None),  # a missing value
        (["--json=yes", "a.log"], None),  # a flag given a value
        (["--verbose", "a.log"], None),  # no such option: the command will say so
        (["-h"], None),
    ],
)
def test_ingest_arguments(argv: list[str], expected: tuple[list[str], str | None] | None) -> None:
    assert entry.ingest_arguments(argv) == expected


def test_the_command_takes_over_an_early_prefetch_of_the_same_arguments(tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    early = Prefetch.start([str(log)], None, early=True)
    assert early is not None and prefetch_module._early is early
    try:
        assert Prefetch.start([str(log)]) is early
        assert prefetch_module._early is None
        assert not early._stopped  # not closed: the command claims it
    finally:
        early.close()


def test_other_arguments_close_the_early_prefetch_and_start_afresh(tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    other = small_org_log(tmp_path / "other.log")
    early = Prefetch.start([str(log)], None, early=True)
    assert early is not None
    again = Prefetch.start([str(other)])
    try:
        assert again is not None and again is not early and again.path == other
        assert early._stopped and not early._thread.is_alive()
        assert prefetch_module._early is None
        # A forced format that is not prefetched: no prefetch at all, the early one closed.
        early = Prefetch.start([str(log)], None, early=True)
        assert early is not None
        assert Prefetch.start([str(log)], "w3c") is None
        assert early._stopped
    finally:
        if again is not None:
            again.close()
        early.close()


def test_the_program_starts_reading_before_typer_and_arrow_are_imported(tmp_path: Path) -> None:
    """Run as the console script runs: one prefetch, started before Typer and pyarrow were
    imported, claimed by the ingest (it read the whole file), and the events stored."""
    log = small_org_log(tmp_path / "access.log")
    data = tmp_path / "data"
    init = [sys.executable, "-m", "socialsight", "init", "--data", str(data)]
    assert subprocess.run(init, capture_output=True, check=False).returncode == 0
    program = (
        "import os, sys\n"
        "import socialsight.prefetch as p\n"
        "seen = []\n"
        "init = p.Prefetch.__init__\n"
        "def spy(self, *a, **k):\n"
        "    seen.append(('typer' in sys.modules, 'pyarrow' in sys.modules))\n"
        "    init(self, *a, **k)\n"
        "    seen.append(self)\n"
        "p.Prefetch.__init__ = spy\n"
        "_exit = os._exit\n"
        "def report(code):\n"
        "    fetched = seen[1]\n"
        "    print(seen[0], len(seen), fetched._stopped, fetched.head is not None,\n"
        "          file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    _exit(code)\n"
        "os._exit = report\n"
        "sys.argv = ['socialsight', *sys.argv[1:]]\n"
        "from socialsight.entry import console\n"
        "console()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "ingest", "--data", str(data), "--json", str(log)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"records": 26' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "(False, False) 2 True True"
