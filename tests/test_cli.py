"""The CLI as a user meets it: commands, --json, errors as one line, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from socialsight.store.store import Store

from conftest import CliResult
from factories import ending_with, small_org_directory, small_org_log

Cli = Callable[..., CliResult]


def test_init_creates_store_config_and_private_key(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "d"
    code, out, _ = cli("init", "--data", target)
    assert code == 0
    assert (target / "socialsight.toml").is_file()
    assert (target / "store" / "socialsight.duckdb").is_file()
    assert stat.S_IMODE((target / "secret.key").stat().st_mode) == 0o600
    key = (target / "secret.key").read_text()
    assert key.strip() not in out
    # Running init again keeps the key.
    assert cli("init", "--data", target)[0] == 0
    assert (target / "secret.key").read_text() == key


def test_data_dir_from_environment(cli: Cli, tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("SOCIALSIGHT_DATA", str(tmp_path / "env"))
    assert cli("init")[0] == 0
    assert (tmp_path / "env" / "secret.key").is_file()


def test_ingest_services_unknown_json(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    staff = small_org_directory(tmp_path / "staff.csv")
    code, out, err = cli("ingest", log, "--data", data_dir, "--directory", staff, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["lines"], summary["records"], summary["rejected"]) == (26, 26, {})
    assert summary["files"][0]["status"] == "new"

    code, out, _ = cli("services", "--data", data_dir, "--json")
    payload = json.loads(out)
    assert payload["min_group_size"] == 2 and payload["suppressed_groups"] == 0
    assert [(r["service"], r["people"], r["requests"]) for r in payload["rows"]] == [
        ("facebook", 6, 14), ("linkedin", 3, 3),
    ]  # fmt: skip

    code, out, _ = cli("unknown", "--data", data_dir, "--json")
    assert [r["domain"] for r in json.loads(out)["rows"]] == ["example-news.ca"]

    # The table form says the same, with the privacy caption.
    code, out, _ = cli("services", "--data", data_dir)
    assert code == 0 and "facebook" in out and "linkedin" in out
    assert "fewer than 2 people are never shown" in out


def test_k_from_config_suppresses_small_units(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    config = data_dir / "socialsight.toml"
    config.write_text(config.read_text().replace("min_group_size = 2", "min_group_size = 5"))
    log = small_org_log(tmp_path / "access.log")
    cli("ingest", log, "--data", data_dir)
    payload = json.loads(cli("services", "--data", data_dir, "--json")[1])
    assert [r["service"] for r in payload["rows"]] == ["facebook"]
    assert payload["suppressed_groups"] == 1
    assert "1 group with fewer than 5 people withheld" in cli("services", "--data", data_dir)[1]


def test_catalog_lookup_and_list(cli: Cli) -> None:
    code, out, _ = cli("catalog", "lookup", "www.facebook.com", "scontent.xx.fbcdn.net",
                       "157.240.2.35", "docs.google.com", "--json")  # fmt: skip
    assert code == 0
    rows = json.loads(out)
    assert [r["service"] for r in rows[:2]] == ["facebook", "facebook"]
    assert rows[1]["rule"] == "fbcdn.net"
    assert rows[2]["is_ip"] is True
    assert rows[3]["service"] == "google-docs"
    code, out, _ = cli("catalog", "list", "--category", "social-network", "--json")
    ids = {s["id"] for s in json.loads(out)["services"]}
    assert {"facebook", "hi5"} <= ids
    code, _, err = cli("catalog", "list", "--category", "nope")
    assert code == 1 and "unknown category 'nope'" in err


def test_errors_are_one_line_without_traceback(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    code, _, err = cli("services", "--data", tmp_path / "nothing")
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: {tmp_path / 'nothing'} is not a socialsight data directory; run "
        "`socialsight init` first"
    ]
    code, _, err = cli("ingest", tmp_path / "missing.log", "--data", data_dir)
    assert (code, err.strip()) == (1, f"error: {tmp_path / 'missing.log'}: no such file")
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nx\n")
    log = small_org_log(tmp_path / "a.log")
    code, _, err = cli("ingest", log, "--data", data_dir, "--directory", bad)
    assert code == 1 and "needs a header with 'user' and 'unit'" in err
    assert "Traceback" not in err
    code, _, err = cli("ingest", log, "--data", data_dir, "--format", "nope")
    assert code == 1 and "unknown format 'nope'" in err


def test_unreadable_and_unknown_files_are_refused(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\nthis is not a log\n")
    code, _, err = cli("ingest", junk, "--data", data_dir)
    assert code == 1
    assert "refused" in err and "tried: bind, cef," in err and "generic" not in err


def test_usage_error_exits_2(cli: Cli) -> None:
    assert cli("services", "--no-such-flag")[0] == 2


def test_rejects_are_counted_and_shown_from_the_original(
    cli: Cli, data_dir: Path, shared_data: Path
) -> None:
    mixed = shared_data / "usiem-squid" / "docker" / "logs.log"
    code, out, err = cli("ingest", mixed, "--data", data_dir, "--format", "squid", "--json")
    assert code == 0, err
    summary = json.loads(out)
    # 14 lines, 2 of them blank: every other line is a record or a counted reject.
    assert summary["records"] + sum(summary["rejected"].values()) == 12
    assert summary["rejected"]
    code, out, _ = cli("rejects", "--data", data_dir, "--show", "--json")
    payload = json.loads(out)
    assert sum(c["lines"] for c in payload["counts"]) == sum(summary["rejected"].values())
    first = payload["samples"][0]
    original = mixed.read_text().splitlines()[first["line"] - 1]
    assert first["text"] == original


def test_status_lists_files(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    cli("ingest", log, "--data", data_dir)
    payload = json.loads(cli("status", "--data", data_dir, "--json")[1])
    assert payload["events"] == 26
    assert [(f["path"], f["lines"], f["events"]) for f in payload["files"]] == [(str(log), 26, 26)]


def test_hostile_strings_are_not_markup_or_escapes(cli: Cli) -> None:
    code, out, _ = cli("catalog", "lookup", "x[bold]y.example", "evil\x1b[31m.example")
    assert code == 0
    assert "x[bold]y.example" in out
    assert "\x1b[31m" not in out


def test_entry_point_runs_as_a_program(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("socialsight")
    result = subprocess.run(
        [str(exe), "init", "--data", str(tmp_path / "d")],
        capture_output=True, text=True, env={**os.environ, "TZ": "America/Toronto"},
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [str(exe), "services", "--data", str(tmp_path / "missing")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_ingest_as_a_program_stores_the_same_events_without_pandas(
    cli: Cli, tmp_path: Path
) -> None:
    """The console script keeps pandas out of an ingest process (start-up cost, issue #6):
    the run must succeed and store exactly what an in-process ingest stores."""
    log = small_org_log(tmp_path / "access.log")
    staff = small_org_directory(tmp_path / "staff.csv")
    exe = Path(sys.executable).with_name("socialsight")
    program = ending_with(
        "'pandas' in sys.modules and sys.modules['pandas'] is not None",
        run="import runpy; runpy.run_module('socialsight', run_name='__main__')",
    ).splitlines()
    env = {**os.environ, "TZ": "America/Toronto"}
    stores = []
    # One installation copied twice: the same key, so the same pseudonyms.
    assert cli("init", "--data", tmp_path / "base", "--min-group-size", "2")[0] == 0
    for name, how in (("program", "program"), ("inproc", "inproc")):
        data = tmp_path / name
        shutil.copytree(tmp_path / "base", data)
        args = ["ingest", "--data", str(data), "--directory", str(staff), "--json", str(log)]
        if how == "program":
            done = subprocess.run(
                [sys.executable, "-c", "\n".join(program), *args],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert done.stderr.strip().splitlines()[-1] == "False"  # pandas never loaded
            assert json.loads(done.stdout)["records"] == 26
            # The installed script is the same entry point.
            assert "console" in exe.read_text()
        else:
            code, _, err = cli(*args)
            assert code == 0, err
        events = Store.open(data / "store").read_events()
        stores.append(events.drop_columns(["log.file.id"]).sort_by("log.line").to_pylist())
    assert stores[0] == stores[1]


def test_organisation_catalog_override_applies_to_lookup_and_ingest(
    cli: Cli, data_dir: Path, tmp_path: Path
) -> None:
    override = data_dir / "our-services.toml"
    override.write_text(
        '[categories]\nintranet = "Our own services"\n\n'
        '[[service]]\nid = "news-portal"\nname = "Our news portal"\ncategory = "intranet"\n'
        'owner = "Us"\nleaning = "business"\ndomains = ["example-news.ca"]\n'
    )
    config = data_dir / "socialsight.toml"
    config.write_text(
        config.read_text().replace("overrides = []", 'overrides = ["our-services.toml"]')
    )
    code, out, _ = cli("catalog", "lookup", "www.example-news.ca", "--data", data_dir, "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["service"], row["category"], row["rule"]) == (
        "news-portal", "intranet", "example-news.ca",
    )  # fmt: skip
    cli("ingest", small_org_log(tmp_path / "access.log"), "--data", data_dir)
    payload = json.loads(cli("services", "--data", data_dir, "--json")[1])
    assert ("news-portal", 9) in [(r["service"], r["people"]) for r in payload["rows"]]
    assert json.loads(cli("unknown", "--data", data_dir, "--json")[1])["rows"] == []
    # A broken override is one clear line.
    override.write_text("[[service]]\nid = 'x'\n")
    code, _, err = cli("catalog", "list", "--data", data_dir)
    assert code == 1 and "our-services.toml" in err and "Traceback" not in err


def test_simulate_then_ingest_end_to_end(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    outage = "facebook@2026-03-03T10:00/2h"
    code, out, err = cli("simulate", "--out", logs, "--days", "3", "--people", "60",
                         "--seed", "3", "--outage", outage, "--json")  # fmt: skip
    assert code == 0, err
    info = json.loads(out)
    assert info["people"] == 60 and info["days"] == 3
    assert info["outages"] == ["facebook@2026-03-03T15:00:00.000Z/2026-03-03T17:00:00.000Z"]
    truth = json.loads((logs / "truth.json").read_text())
    assert truth["outages"][0]["service"] == "facebook"
    code, out, err = cli("ingest", logs / "access.log", "--data", data_dir,
                         "--directory", logs / "directory.csv", "--json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["lines"] == info["lines"]
    # Only the planted over-long hostile line is not an access record.
    assert summary["rejected"] == {"too-long": 1}
    rows = json.loads(cli("services", "--data", data_dir, "--json")[1])["rows"]
    assert {"facebook", "outlook-web", "google-search"} <= {r["service"] for r in rows}


def test_simulate_rejects_bad_options(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("simulate", "--out", tmp_path / "x", "--outage", "facebook@noon")
    assert code == 1 and err.startswith("error:") and "Traceback" not in err
    code, _, err = cli("simulate", "--out", tmp_path / "x", "--people", "3")
    assert code == 1 and "people must be between" in err


def test_summarise_builds_then_has_nothing_to_do(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    log = small_org_log(tmp_path / "access.log")
    staff = small_org_directory(tmp_path / "staff.csv")
    assert cli("ingest", "--data", data_dir, "--directory", staff, log)[0] == 0
    code, out, err = cli("summarise", "--data", data_dir, "--json")
    assert code == 0, err
    first = json.loads(out)
    assert (first["new_batches"], first["rebuilt"]) == (1, True)
    assert first["days_recomputed"] >= 1
    code, out, _ = cli("summarise", "--data", data_dir, "--json")
    again = json.loads(out)
    assert (code, again["new_batches"], again["days_recomputed"]) == (0, 0, 0)


def test_the_console_runs_ingest_alone_with_the_same_help_and_errors(tmp_path: Path) -> None:
    """``socialsight ingest`` builds only its own command (start-up, issue #6): the same
    help, the same usage errors and exit codes as through the whole app."""
    runs = []
    for program in (
        "import sys; from socialsight.entry import console;"
        " sys.argv = ['socialsight', *sys.argv[1:]]; console()",
        "import sys; from socialsight.cli import main; main(sys.argv[1:])",
    ):
        out = []
        for args in (
            ["ingest", "--help"],
            ["ingest"],
            ["ingest", "--data", str(tmp_path), "x.log"],
        ):
            done = subprocess.run(
                [sys.executable, "-c", program, *args], capture_output=True, text=True,
                env={**os.environ, "COLUMNS": "100"}, check=False,
            )  # fmt: skip
            out.append((done.returncode, done.stdout, done.stderr))
        runs.append(out)
    assert runs[0] == runs[1]
    assert runs[0][0][0] == 0 and "Usage: socialsight ingest" in runs[0][0][1]
    assert runs[0][1][0] == 2 and "Missing argument" in runs[0][1][2]
    assert runs[0][2][0] == 1 and "not a socialsight data directory" in runs[0][2][2]


def test_an_ingest_with_json_imports_neither_rich_nor_the_other_commands(tmp_path: Path) -> None:
    """Start-up (issue #6): the ingest command alone needs no Rich (nothing drawn) and none of
    the other command modules."""
    program = ending_with(
        "sorted(m for m in sys.modules if m.split('.')[0] == 'rich'"
        " or m.startswith('socialsight.commands.'))"
    )
    log = small_org_log(tmp_path / "access.log")
    done = _ingest_program(program, tmp_path / "data", log)
    assert json.loads(done.stdout)["records"] == 26
    assert done.stderr.strip().splitlines()[-1] == "[]"


def _ingest_program(program: str, data: Path, log: Path) -> subprocess.CompletedProcess[str]:
    """``program`` run as ``socialsight ingest --json log`` into a new installation ``data``;
    it must succeed."""
    assert _run_cli("init", "--data", str(data))[0] == 0
    done = subprocess.run(
        [sys.executable, "-c", program, "ingest", "--data", str(data), "--json", str(log)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_an_ingest_imports_duckdb_s_extension_not_its_package(tmp_path: Path) -> None:
    """Start-up (issue #6): the ledger uses DuckDB's C extension, whose classes the package
    re-exports; the package's own import (80 ms) is not paid by an ingest."""
    import _duckdb
    import duckdb

    assert _duckdb.Error is duckdb.Error
    assert _duckdb.DuckDBPyConnection is duckdb.DuckDBPyConnection
    program = ending_with("'duckdb' in sys.modules, '_duckdb' in sys.modules")
    log = small_org_log(tmp_path / "access.log")
    log.write_text(log.read_text() + "garbage\n")
    done = _ingest_program(program, tmp_path / "data", log)
    assert done.stderr.strip().splitlines()[-1] == "False True"
    # The rejects were counted and sampled without the package's Arrow scans.
    code, out, _ = _run_cli("rejects", "--data", str(tmp_path / "data"), "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["counts"] == [{"path": str(log), "reason": "not-squid-access", "lines": 1}]
    assert [(s["reason"], s["line"]) for s in payload["samples"]] == [("not-squid-access", 27)]


def _run_cli(*args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "socialsight", *args], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, done.stderr
