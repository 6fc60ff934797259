"""``socialsight report``: the single-file HTML report and the CSV / JSON exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from socialsight.cli import DataOption, app
from socialsight.errors import InputError
from socialsight.render import stderr, stdout


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:,.1f} MB" if size >= 1e5 else f"{size / 1e3:,.1f} kB"


@app.command()
def report(
    data: DataOption = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the self-contained HTML report to this file."),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write one CSV per table (and privacy.csv) into this folder."),
    ] = None,
    json_target: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="FILE|-",
            help="Write every section as one JSON document; - for stdout.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="First local day YYYY-MM-DD for dependencies, outages and usage."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Last local day YYYY-MM-DD (inclusive) for the same sections."),
    ] = None,
) -> None:
    """Write the report as one HTML file, CSV files and/or a JSON document.

    Sections: overview, usage over time by category, top dependencies with
    their score factors, per-unit profiles, outages with the units hit, and
    unclassified domains.

    The HTML file is self-contained (its CSS, data and plotly.js are inside
    it; it loads nothing from the network). Groups of fewer people than the
    minimum group size are withheld everywhere; each section says how many.

    Example: socialsight report --html report.html --csv out --json out.json
    """
    from socialsight.insights import Insights
    from socialsight.report import build_report, write_csv, write_html, write_json

    if html is None and csv is None and json_target is None:
        # A usage error (exit 2), like any other misuse of the options.
        raise typer.BadParameter(
            "say what to write: --html FILE, --csv DIR and/or --json FILE|-",
            param_hint="'--html' / '--csv' / '--json'",
        )
    window = (_day(since, "--since"), _day(until, "--until"))
    built = build_report(Insights.open(data), *window)
    # With --json - the JSON owns standard output; the summary goes to standard error.
    console: Console = stderr() if json_target == "-" else stdout()
    if html is not None:
        path = write_html(built, html)
        console.print(Text(f"HTML report  {path} ({_size(path)})"))
    if csv is not None:
        files = write_csv(built, csv)
        console.print(Text(f"CSV files    {csv}/ ({', '.join(f.name for f in files)})"))
    if json_target is not None:
        written = write_json(built, json_target)
        if written is not None:
            console.print(Text(f"JSON         {written} ({_size(written)})"))
    withheld = {name: n for name, n in built.suppressed.items() if n}
    summary = ", ".join(f"{name} {n:,}" for name, n in withheld.items()) or "none"
    console.print(Text(f"Groups of fewer than {built.min_group_size} people withheld: {summary}"))
