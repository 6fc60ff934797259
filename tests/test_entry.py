"""The program's entry point (issue #6): it reads an ingest's arguments itself and runs the
ingest without Typer, starting to read the file before Arrow is imported; whatever it cannot
read goes to the Typer application. Both paths must behave the same."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from socialsight import entry
from socialsight.cli import app
from socialsight.entry import IngestArguments
from socialsight.store.store import Store

from factories import ending_with, small_org_directory, small_org_log

# The entry point as the console script runs it, and the Typer application alone; both print,
# as the process ends, which of Typer and pyarrow it had imported.
_IMPORTED = "'imported:', 'typer' in sys.modules, 'pyarrow' in sys.modules"
_ENTRY = ending_with(_IMPORTED)
_TYPER = ending_with(
    _IMPORTED,
    run="from socialsight.cli import main\ntry:\n    main(sys.argv[1:])\n"
    "except SystemExit as done:\n    os._exit(done.code if isinstance(done.code, int) else 1)\n"
    "os._exit(0)",
)


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
    assert all(p.multiple is False and p.nargs == 1 and not p.secondary_opts for p in options)
    # The run's parameters, in the command's order.
    names = [p.name for p in _ingest_command().params]
    assert names == ["paths", "data", "directory", "format", "mapping", "json_out"]
    assert list(IngestArguments.__dataclass_fields__) == names


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["access.log"], IngestArguments(["access.log"])),
        (
            ["--data", "d", "--json", "access.log", "--directory", "s.csv"],
            IngestArguments(["access.log"], Path("d"), Path("s.csv"), json_out=True),
        ),
        (
            ["--format", "generic", "a.log", "b.log", "--mapping", "m.toml"],
            IngestArguments(["a.log", "b.log"], format="generic", mapping=Path("m.toml")),
        ),
        (
            ["--format=w3c", "--data=x", "--data", "y", "z"],
            IngestArguments(["z"], Path("y"), None, "w3c"),
        ),
        (["--data", "--json", "a"], IngestArguments(["a"], Path("--json"))),  # a value, as Click
        (["--", "--json"], IngestArguments(["--json"])),
        (["-"], IngestArguments(["-"])),
        ([], IngestArguments([])),
        (["--help"], None),
        (["--data"], None),  # a missing value
        (["--json=yes", "a.log"], None),  # a flag given a value
        (["--verbose", "a.log"], None),  # no such option: the command will say so
        (["-h"], None),
    ],
)
def test_ingest_arguments(argv: list[str], expected: IngestArguments | None) -> None:
    assert entry.ingest_arguments(argv) == expected


def _normalised(text: str) -> str:
    # The run's duration and rate are the only figures that may differ between two runs.
    text = re.sub(r'"seconds": [0-9.]+', '"seconds": S', text)
    return re.sub(r"in [0-9.]+ s \([0-9,]+ lines/s\)", "in S s (R lines/s)", text)


def _events(data: Path) -> list[dict[str, Any]]:
    events = Store.open(data / "store").read_events().drop_columns(["log.file.id"])
    # In a stable order whatever the files' order in the store (their line numbers repeat).
    return sorted(events.to_pylist(), key=repr)


def test_the_direct_ingest_and_typer_s_print_and_store_the_same(tmp_path: Path) -> None:
    """Every kind of outcome, once through the entry point and once through the Typer
    application, each into a fresh copy of the same installation: the same exit status, the
    same output and the same events. The entry point's runs never import Typer."""
    log = small_org_log(tmp_path / "access.log")
    staff = small_org_directory(tmp_path / "staff.csv")
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not a log\nat all\n")
    base, data = tmp_path / "base", tmp_path / "data"
    init = [sys.executable, "-m", "socialsight", "init", "--data", str(base)]
    assert subprocess.run(init, capture_output=True, check=False).returncode == 0
    cases = [  # arguments, exit status, what the output says
        (["--data", str(data), "--directory", str(staff), "--json", str(log)], 0, '"records": 26'),
        (["--data", str(data), str(log)], 0, "26 lines read, 26 events stored"),  # the table
        (["--data", str(data), "--format=squid", "--json", str(log)], 0, '"format": "squid"'),
        (["--data", str(data), "--json", str(junk)], 1, "refused"),
        (["--data", str(tmp_path / "nowhere"), str(log)], 1, "not a socialsight data directory"),
        (["--data", str(data), "--format", "nope", str(log)], 1, "error: "),
        (["--data", str(data), "--directory", str(tmp_path / "none.csv"), str(log)], 1, "error: "),
        (["--data", str(data), "--mapping", str(staff), str(log)], 1, "need --format"),
    ]
    for args, status, says in cases:
        runs = []
        for program in (_ENTRY, _TYPER):
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(base, data)
            done = subprocess.run(
                [sys.executable, "-c", program, "ingest", *args],
                capture_output=True, text=True, check=False, env={"COLUMNS": "120", "PATH": ""},
            )  # fmt: skip
            *err, imported = done.stderr.splitlines()
            stored = _events(data)
            runs.append((done.returncode, _normalised(done.stdout), err, stored, imported))
        (code, out, err, parts, imported), typer_run = runs
        assert (code, out, err, parts) == typer_run[:4], args
        assert code == status and says in out + "".join(err), (args, out, err)
        assert len(parts) == (26 if code == 0 else 0)
        assert imported.startswith("imported: False"), args  # the direct path: no Typer
        assert typer_run[4].startswith("imported: True")


def test_arguments_the_entry_cannot_read_go_to_typer(tmp_path: Path) -> None:
    for args, status, expected in (
        (["--help"], 0, "Usage: socialsight ingest"),
        ([], 2, "Missing argument"),
        (["--json=yes", "x.log"], 2, "does not take a value"),
        (["--verbose", "x.log"], 2, "No such option"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", _ENTRY, "ingest", *args],
            capture_output=True, text=True, check=False, env={"COLUMNS": "120", "PATH": ""},
        )  # fmt: skip
        assert done.returncode == status, (args, done.stderr)
        assert expected in done.stdout + done.stderr
        assert done.stderr.splitlines()[-1].startswith("imported: True")


def test_the_program_starts_reading_before_arrow_is_imported(tmp_path: Path) -> None:
    """Run as the console script runs: the prefetch starts before Typer and pyarrow were
    imported, and the ingest claims it (it read the whole file)."""
    log = small_org_log(tmp_path / "access.log")
    data = tmp_path / "data"
    init = [sys.executable, "-m", "socialsight", "init", "--data", str(data)]
    assert subprocess.run(init, capture_output=True, check=False).returncode == 0
    spying = (
        "import socialsight.prefetch as p\n"
        "seen = []\n"
        "init = p.Prefetch.__init__\n"
        "def spy(self, *a, **k):\n"
        "    seen.append(('typer' in sys.modules, 'pyarrow' in sys.modules))\n"
        "    init(self, *a, **k)\n"
        "    seen.append(self)\n"
        "p.Prefetch.__init__ = spy\n"
        "from socialsight.entry import console\n"
        "console()\n"
    )
    program = ending_with(
        "seen[0], len(seen), seen[1]._stopped, seen[1].head is not None", run=spying
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "ingest", "--data", str(data), "--json", str(log)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"records": 26' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "(False, False) 2 True True"


GOLDEN = Path(__file__).parent / "golden"
# The entry point, reporting as the process ends whether NumPy was imported and whether
# Arrow has its NumPy support.
_ENTRY_NUMPY = ending_with(
    "f\"typer: {'typer' in sys.modules}, numpy: {'numpy' in sys.modules},"
    " in Arrow: {sys.modules['pyarrow.lib'].np is not None}\""
)


def test_every_format_ingests_the_same_through_the_program(tmp_path: Path) -> None:
    """The program imports Arrow without its NumPy support (parsers that use NumPy cross over
    through socialsight.ndarrays): each format's golden files, ingested by the program and
    in-process (where Arrow has NumPy), give the same report and the same stored events. A
    Squid ingest does not import NumPy at all."""
    from socialsight.cli import main

    base = tmp_path / "base"
    init = [sys.executable, "-m", "socialsight", "init", "--data", str(base)]
    assert subprocess.run(init, capture_output=True, check=False).returncode == 0
    formats = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
    assert len(formats) >= 14
    for name in formats:
        logs = sorted(str(p) for p in (GOLDEN / name).glob("*.log"))
        options = ["--format", name]
        if name == "generic":  # one mapping per file: the first file alone
            logs = logs[:1]
            options += ["--mapping", logs[0].removesuffix(".log") + ".mapping.toml"]
        runs = []
        for how in ("program", "in-process"):
            data = tmp_path / name / how
            shutil.copytree(base, data)
            args = ["ingest", "--data", str(data), "--json", *options, *logs]
            if how == "program":
                done = subprocess.run(
                    [sys.executable, "-c", _ENTRY_NUMPY, *args],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                *_, imported = done.stderr.splitlines()
                code, out = done.returncode, done.stdout
                # Arrow really had no NumPy support (the test cannot pass vacuously), and
                # Typer was not imported; a Squid ingest imports no NumPy at all.
                numpy = "False" if name.startswith("squid") else "*"
                assert fnmatch.fnmatch(
                    imported, f"typer: False, numpy: {numpy}, in Arrow: False"
                ), name
            else:
                try:
                    main(args)
                    code = 0
                except SystemExit as done_in:
                    code = int(done_in.code or 0)
                out = ""
            runs.append((code, out, _events(data)))
        (code, out, events), (code_in, _, events_in) = runs
        assert code == code_in == 0, (name, out)
        assert json.loads(out)["records"] == len(events) > 0, name
        assert events == events_in, name
