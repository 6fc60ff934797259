"""The ``socialsight`` command: a thin face over the library.

Each command parses its options, calls one library function, and renders the result as a Rich
table or, with ``--json``, as stable machine-readable JSON. Expected failures are one line on
stderr and exit code 1; usage errors exit 2; nothing expected ends in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from socialsight import __version__, formats
from socialsight.config import (
    KEY_NAME,
    STORE_NAME,
    check_min_group,
    load_settings,
    require_initialised,
    resolve_data_dir,
    write_default_config,
)
from socialsight.errors import SocialsightError
from socialsight.privacy.keys import create_key
from socialsight.render import (
    failures_reported,
    human_bytes,
    print_json,
    safe,
    stderr,
    stdout,
    table,
)

app = typer.Typer(
    name="socialsight",
    help="Sight of your organisation's dependence on social media and Web 2.0 services, "
    "from the proxy, firewall and DNS logs you already have. Individuals stay pseudonymous.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Look up and list the service catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Data directory (default: $SOCIALSIGHT_DATA or ./socialsight-data).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _local(value: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as wall-clock time in the configured zone, for display."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone)) if value is not None else None


def _suppressed_caption(grouped: Any) -> str:
    n = grouped.suppressed_groups
    if not n:
        return f"groups of fewer than {grouped.min_group_size} people are never shown"
    return (
        f"{n} group{'s' if n != 1 else ''} with fewer than {grouped.min_group_size} people withheld"
    )


# -- commands ---------------------------------------------------------------------------------
@app.command()
def init(
    data: DataOption = None,
    timezone: Annotated[
        str, typer.Option(help="IANA time zone for office hours and display.")
    ] = "UTC",
    min_group_size: Annotated[
        int, typer.Option(help="Minimum group size k for every grouped output (>= 2).")
    ] = 5,
) -> None:
    """Create a data directory: configuration, store and the secret pseudonymisation key.

    Example: socialsight init --data /srv/socialsight --timezone America/Toronto
    """
    from socialsight.store.store import Store

    data_dir = resolve_data_dir(data)
    check_min_group(min_group_size)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SocialsightError(f"cannot create {data_dir}: {exc.strerror}") from None
    config = write_default_config(data_dir, timezone, min_group_size)
    new_key = create_key(data_dir / KEY_NAME)
    store = Store.create(data_dir / STORE_NAME)
    # The catalog snapshot too: written once here rather than by the first ingest.
    from socialsight.catalog.model import load_catalog
    from socialsight.ingest import sync_catalog

    sync_catalog(store, load_catalog(load_settings(data_dir).catalog_overrides))
    stdout().print(f"Data directory ready: {data_dir}")
    stdout().print(f"  configuration  {config}")
    if new_key:
        stdout().print(
            f"  secret key     {data_dir / KEY_NAME} (mode 0600). Back it up apart from the "
            "data: without it pseudonyms cannot be recomputed; with it they can be re-identified."
        )
    else:
        stdout().print(f"  secret key     {data_dir / KEY_NAME} (kept: it already existed)")


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Log files, globs or directories.")],
    data: DataOption = None,
    directory: Annotated[
        Path | None, typer.Option(help="CSV with user,unit columns: the organisational units.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="Force a format instead of detecting it.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Mapping file (TOML) for --format generic: which column is what."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Read log files into the store: parse, classify, pseudonymise, keep.

    Files already read are not read again; lines appended since are read once; rotated,
    renamed, compressed and truncated files are recognised. Lines that are not access records
    are counted by reason (see `socialsight rejects`).

    Example: socialsight ingest /var/log/squid/access.log* --directory staff.csv

    Example: socialsight ingest export.csv --format generic --mapping export.toml
    """
    from socialsight import ingest_command

    code = ingest_command.run(paths, data, directory, format, mapping, json_out)
    if code:
        raise typer.Exit(code)


def _insights(data: Path | None) -> Any:
    from socialsight.insights import Insights

    return Insights.open(data)


@app.command()
def services(data: DataOption = None, json_out: JsonOption = False) -> None:
    """Services in use: category, people, units, requests, bytes up/down, active days.

    Groups with fewer people than the minimum group size are withheld and counted.

    Example: socialsight services --json
    """
    grouped = _insights(data).services()
    if json_out:
        print_json(grouped.as_json())
        return
    rows = [
        [
            safe(r["service"]),
            safe(r["category"]),
            safe(r["people"]),
            safe(r["units"]),
            safe(r["requests"]),
            human_bytes(r["bytes_up"]),
            human_bytes(r["bytes_down"]),
            safe(r["active_days"]),
        ]
        for r in grouped.rows
    ]
    table(
        "Services in use",
        ["service", "category", "people", "units", "requests", "bytes up", "bytes down",
         "active days"],
        rows,
        caption=_suppressed_caption(grouped),
    )  # fmt: skip


@app.command()
def unknown(
    data: DataOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many domains.")] = 50,
    json_out: JsonOption = False,
) -> None:
    """Unclassified registered domains, ranked by people and requests: what to classify next.

    Example: socialsight unknown --limit 20
    """
    insights = _insights(data)
    settings = insights.settings
    grouped = insights.unknown(limit)
    rows = grouped.rows
    if json_out:
        print_json(grouped.as_json())
        return
    table(
        "Unclassified domains",
        ["domain", "people", "requests", "hosts", "bytes down", f"last seen ({settings.timezone})"],
        [
            [
                safe(r["domain"] + (" (IP)" if r["is_ip"] else "")),
                safe(r["people"]),
                safe(r["requests"]),
                safe(r["hosts"]),
                human_bytes(r["bytes_down"]),
                safe(_local(r["last_seen"], settings.timezone)),
            ]
            for r in rows
        ],
        caption=_suppressed_caption(grouped),
    )


@app.command()
def status(data: DataOption = None, json_out: JsonOption = False) -> None:
    """What the store holds: files read, how far, events and rejects.

    Example: socialsight status
    """
    from socialsight.store.store import Store

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    store = Store.open(data_dir / STORE_NAME)
    files = store.files()
    rejected: dict[str, int] = {}
    for path, _reason, count in store.reject_summary():
        rejected[path] = rejected.get(path, 0) + count
    per_file = store.events_per_file()
    total_events = sum(per_file.values())
    rows = [
        {
            "file_id": f.file_id,
            "path": f.path,
            "state": f.state,
            "format": f.format,
            "compression": f.compression,
            "offset": f.byte_offset,
            "lines": f.lines,
            "events": per_file.get(f.file_id, 0),
            "rejected": rejected.get(f.path, 0),
        }
        for f in files
    ]
    if json_out:
        print_json({"files": rows, "events": total_events})
        return
    table(
        "Files read",
        ["path", "state", "format", "lines", "records", "rejected", "offset"],
        [
            [
                safe(r["path"]),
                safe(r["state"]),
                safe(r["format"]),
                safe(r["lines"]),
                safe(r["events"]),
                safe(r["rejected"]),
                safe(r["offset"]),
            ]
            for r in rows
        ],
    )
    stdout().print(f"{total_events:,} events stored")


@app.command()
def rejects(
    data: DataOption = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the kept lines, read from the original logs.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Lines that were not access records: counts by reason, and the first lines of each.

    The store keeps file and line number, never the text (it may hold identities); --show
    reads the lines from the original log files, which must still be there.

    Example: socialsight rejects --show --reason not-squid-access
    """
    from rich.text import Text

    from socialsight.rejects import show_lines
    from socialsight.store.store import Store

    data_dir = resolve_data_dir(data)
    require_initialised(data_dir)
    store = Store.open(data_dir / STORE_NAME)
    summary = [s for s in store.reject_summary() if reason is None or s[1] == reason]
    samples = store.reject_samples(reason)
    texts = show_lines(samples) if show else {}
    if json_out:
        print_json(
            {
                "counts": [{"path": p, "reason": r, "lines": n} for p, r, n in summary],
                "samples": [
                    {"path": path, "reason": r, "line": line, "text": texts.get((fid, line))}
                    for fid, path, r, line in samples
                ],
            }
        )
        return
    table(
        "Rejected lines",
        ["file", "reason", "lines"],
        [[safe(p), safe(r), safe(n)] for p, r, n in summary],
    )
    if show:
        for fid, path, r, line in samples:
            stdout().print(Text(f"{path}:{line} [{r}] "), safe(texts.get((fid, line))))


@catalog_app.command("lookup")
def catalog_lookup(
    hosts: Annotated[list[str], typer.Argument(help="Host names or IP addresses.")],
    data: DataOption = None,
    json_out: JsonOption = False,
) -> None:
    """Which service and category each host belongs to, and why (the rule that matched).

    Example: socialsight catalog lookup www.facebook.com scontent.xx.fbcdn.net 157.240.2.35
    """
    from socialsight.catalog.matcher import Matcher

    matcher = Matcher(_catalog(data))
    matches = [matcher.lookup(h) for h in hosts]
    rows = [
        {
            "host": m.host,
            "service": m.service_id,
            "service_name": m.service_name,
            "category": m.category,
            "rule": m.rule,
            "registered_domain": m.registered_domain,
            "is_ip": m.is_ip,
            "reason": m.reason,
        }
        for m in matches
    ]
    if json_out:
        print_json(rows)
        return
    table(
        "Catalog lookup",
        ["host", "service", "category", "why"],
        [[safe(r["host"]), safe(r["service"]), safe(r["category"]), safe(r["reason"])]
         for r in rows],
    )  # fmt: skip


@catalog_app.command("list")
def catalog_list(
    data: DataOption = None,
    category: Annotated[str | None, typer.Option(help="Only this category (slug).")] = None,
    json_out: JsonOption = False,
) -> None:
    """The services of the catalog (bundled plus your overrides).

    Example: socialsight catalog list --category social-network
    """
    catalog = _catalog(data)
    if category and category not in catalog.categories:
        raise SocialsightError(
            f"unknown category {category!r}; categories: {', '.join(sorted(catalog.categories))}"
        )
    chosen = sorted(
        (s for s in catalog.services.values() if category is None or s.category == category),
        key=lambda s: (s.category, s.id),
    )
    if json_out:
        print_json(
            {
                "version": catalog.version,
                "services": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "category": s.category,
                        "owner": s.owner,
                        "leaning": s.leaning,
                        "domains": list(s.domains),
                    }
                    for s in chosen
                ],
            }
        )
        return
    table(
        f"Service catalog {catalog.version}",
        ["service", "name", "category", "owner", "leaning", "domains"],
        [
            [safe(s.id), safe(s.name), safe(s.category), safe(s.owner), safe(s.leaning),
             safe(", ".join(s.domains[:3]) + (" ..." if len(s.domains) > 3 else ""))]
            for s in chosen
        ],
        caption=f"{len(chosen)} services",
    )  # fmt: skip


def _catalog(data: Path | None) -> Any:
    """The catalog with this installation's overrides when there is one, else the bundled."""
    from socialsight.catalog.model import load_catalog

    data_dir = resolve_data_dir(data)
    try:
        overrides = load_settings(data_dir).catalog_overrides
    except SocialsightError:
        overrides = ()
    return load_catalog(overrides)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder for the logs and the truth file.")],
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 30,
    people: Annotated[int, typer.Option(help="People in the organisation.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 7,
    start: Annotated[
        str | None, typer.Option(help="First local day, YYYY-MM-DD (default 2026-03-02).")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the organisation.")] = (
        "America/Toronto"
    ),
    format: Annotated[str, typer.Option("--format", help="Log format to write.")] = "squid",
    outage: Annotated[
        list[str] | None,
        typer.Option(
            help="SERVICE@LOCAL-START/LENGTH, e.g. facebook@2026-03-11T10:00/6h; repeatable.",
        ),
    ] = None,
    no_outage: Annotated[bool, typer.Option("--no-outage", help="Plant no outage.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Write the logs of a simulated provincial ministry, with a truth file of planted facts.

    The folder gets the log, directory.csv (user,unit), declared-uses.csv and truth.json (the
    planted outage, abusers, adoption, undeclared dependency and hostile lines).

    Example: socialsight simulate --out demo-logs --days 30 --people 3000 --seed 7
    """
    from socialsight.simulate import OutageSpec, SimulationConfig
    from socialsight.simulate import simulate as run_simulation

    if outage and no_outage:
        raise SocialsightError("--outage and --no-outage cannot be used together")
    try:
        first_day = date.fromisoformat(start) if start else date(2026, 3, 2)
    except ValueError:
        raise SocialsightError(f"--start {start!r} is not a date YYYY-MM-DD") from None
    outages: tuple[Any, ...] | None = None
    if no_outage:
        outages = ()
    elif outage:
        outages = tuple(OutageSpec.parse(text, timezone) for text in outage)
    formats.get(format)
    config = SimulationConfig(
        days=days, people=people, seed=seed, start=first_day, timezone=timezone,
        format=format, outages=outages,
    )  # fmt: skip
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("simulating"), BarColumn(),
        TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
        TimeRemainingColumn(), console=stderr(), disable=json_out or not stderr().is_terminal,
        transient=True,
    )  # fmt: skip
    with bar:
        task = bar.add_task("simulate", total=days)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = run_simulation(config, out, progress)
    info = {
        "out": str(summary.out_dir),
        "files": [str(f) for f in summary.files],
        "lines": summary.lines,
        "bytes": summary.bytes_written,
        "people": summary.people,
        "units": summary.units,
        "days": summary.days,
        "working_days": summary.working_days,
        "format": summary.format,
        "hostile_lines": summary.hostile_lines,
        "outages": list(summary.outages),
        "truth": str(summary.truth_path),
        "directory": str(summary.directory_path),
        "declared_uses": str(summary.declared_path),
    }
    if json_out:
        print_json(info)
        return
    from rich.text import Text

    console = stdout()
    console.print(
        f"Simulated {summary.people:,} people in {len(summary.units)} units over "
        f"{summary.days} days ({summary.working_days} working): {summary.lines:,} lines of "
        f"{summary.format} in {', '.join(str(f) for f in summary.files)}"
    )
    for text in summary.outages:
        console.print(Text(f"  planted outage: {text}"))
    console.print(f"  directory      {summary.directory_path}")
    console.print(f"  declared uses  {summary.declared_path}")
    console.print(f"  truth file     {summary.truth_path}")


@app.command("formats")
def formats_cmd(json_out: JsonOption = False) -> None:
    """The log formats socialsight reads.

    Example: socialsight formats
    """
    rows = [{"name": n, "title": formats.get(n).title} for n in formats.names()]
    if json_out:
        print_json(rows)
        return
    table("Log formats", ["name", "title"], [[safe(r["name"]), safe(r["title"])] for r in rows])


@app.command()
def schema(json_out: JsonOption = False) -> None:
    """The fields the store keeps for each event, with their meaning.

    Example: socialsight schema --json
    """
    from socialsight.schema import EVENT_SCHEMA, describe

    rows = [{"name": n, "type": t, "description": d} for n, t, d in describe(EVENT_SCHEMA)]
    if json_out:
        print_json(rows)
        return
    table(
        "Stored event fields",
        ["field", "type", "description"],
        [[safe(r["name"]), safe(r["type"]), safe(r["description"])] for r in rows],
    )


@app.command()
def version() -> None:
    """Print the version."""
    stdout().print(f"socialsight {__version__}")


def main(argv: Sequence[str] | None = None, only: str | None = None) -> None:
    """Entry point: run the app, turning expected errors into one line and exit code 1.

    Click's standalone mode handles usage errors (exit 2); a :class:`SocialsightError` raised
    by the library comes through it and is reported here. With ``only``, ``argv`` are the
    arguments of that one command, run without building the others.
    """
    if only is None:
        _load_command_modules()
    run: Callable[..., Any] = app if only is None else _only(only)
    prog = "socialsight" if only is None else f"socialsight {only}"
    with failures_reported():
        run(args=list(argv) if argv is not None else None, prog_name=prog)


def _only(name: str) -> typer.Typer:
    """An app of the one command ``name``. Typer builds every command of an app before it
    runs one (inspecting each signature): 30 ms of an ingest's start, a tenth of what the
    ingest of a million lines may take in all (issue #6)."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.registered_commands = [
        info
        for info in app.registered_commands
        if (info.name or getattr(info.callback, "__name__", "")) == name
    ]
    return single


def _load_command_modules() -> None:
    """Commands that live in ``socialsight/commands/<topic>.py`` register themselves on ``app``
    when imported; every module of that package is imported here, when the whole app runs
    (not for ``socialsight ingest`` alone, which needs none of them nor Rich, which they
    import), so that adding a command group is adding one file."""
    import importlib
    import pkgutil

    from socialsight import commands

    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{info.name}")


if __name__ == "__main__":  # pragma: no cover
    main()
