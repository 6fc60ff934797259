"""Dependency, outage and what-if commands, the unit list, and the declared-use register.

Thin: each command parses its options, calls one :class:`socialsight.insights.Insights`
method (or :func:`socialsight.register.import_register`) and renders a Rich table or JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from socialsight.cli import DataOption, JsonOption, app
from socialsight.errors import SocialsightError
from socialsight.render import print_json, safe, stdout, table

register_app = typer.Typer(
    help="The declared-use register: what units use services for, and their tolerable downtime.",
    no_args_is_help=True,
)
app.add_typer(register_app, name="register")

ServiceOption = Annotated[
    str | None, typer.Option("--service", help="Only this service (catalog id, e.g. facebook).")
]
UnitOption = Annotated[str | None, typer.Option("--unit", help="Only this unit.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First local day YYYY-MM-DD (default: the data's).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Last local day YYYY-MM-DD (default: the data's).")
]


def _insights(data: Path | None) -> Any:
    from socialsight.insights import Insights

    return Insights.open(data)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SocialsightError(f"{option} {value!r} is not a date YYYY-MM-DD") from None


def _caption(grouped: Any, what: str = "groups") -> str:
    n = grouped.suppressed_groups
    if not n:
        return f"{what} of fewer than {grouped.min_group_size} people are never shown"
    return f"{n} {what} with fewer than {grouped.min_group_size} people withheld"


def _local(value: datetime, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone))


def _pct(value: float | None) -> Text:
    return Text("-", style="dim") if value is None else Text(f"{value:.0%}")


def _trend(value: float | None) -> Text:
    return Text("-", style="dim") if value is None else Text(f"{value:+.0%}/wk")


@app.command()
def dependencies(
    data: DataOption = None,
    service: ServiceOption = None,
    unit: UnitOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many rows.")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show every factor's value, weight and points.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """How much each unit depends on each service: people, regularity, office hours, write
    share, time on service, trend, first seen, and the 0-100 criticality score and tier.

    The score and its factors are explained in docs/dependency.md. Pairs of a unit and a
    service with fewer people than the minimum group size are withheld and counted.

    Example: socialsight dependencies --service facebook --since 2026-03-01 --json
    """
    insights = _insights(data)
    grouped = insights.dependencies(
        service=service, unit=unit, since=_day(since, "--since"), until=_day(until, "--until")
    )
    if limit is not None:
        from socialsight.privacy.min_group import Grouped

        grouped = Grouped(grouped.rows[: max(limit, 0)], grouped.min_group_size,
                          grouped.suppressed_groups)  # fmt: skip
    if json_out:
        print_json(grouped.as_json())
        return
    zone = insights.settings.timezone
    if explain:
        for r in grouped.rows:
            table(
                # Unit names come from the directory file: never read as Rich markup.
                escape(f"{r['unit']} / {r['service']}: {r['score']:.1f} ({r['tier']})"),
                ["factor", "value", "weight", "points"],
                [[safe(f["label"]), safe(f["value"]), safe(f["weight"]), safe(f["points"])]
                 for f in r["factors"]],
            )  # fmt: skip
        return
    rows = []
    for r in grouped.rows:
        flag = "UNDECLARED" if r["undeclared_critical"] else ("declared" if r["declared"] else "")
        rows.append(
            [
                safe(r["unit"]),
                safe(r["service"]),
                Text(f"{r['score']:.1f}"),
                safe(r["tier"]),
                Text(f"{r['people']}/{r['unit_people']}"),
                _pct(r["regularity"]),
                _pct(r["office_hours_share"]),
                _pct(r["active_share"]),
                Text(f"{r['hours_on_service']:,.1f}"),
                _trend(r["trend"]),
                safe(_local(r["first_seen"], zone).date().isoformat()),
                Text(flag, style="bold red" if r["undeclared_critical"] else ""),
            ]
        )
    table(
        "Dependencies by unit and service",
        ["unit", "service", "score", "tier", "people", "regularity", "office hrs", "writes",
         "hours", "trend", "first seen", "register"],
        rows,
        caption=_caption(grouped, "unit/service pairs"),
    )  # fmt: skip


@app.command()
def outages(
    data: DataOption = None,
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    json_out: JsonOption = False,
) -> None:
    """Episodes when a service was unreachable or failing, found from error outcomes and
    from volume falling far below the service's own baseline: start, end, severity, people
    and units hit, retries. Newest first; times in the configured zone.

    The detection method is explained in docs/dependency.md.

    Example: socialsight outages --service facebook --json
    """
    insights = _insights(data)
    grouped = insights.outages(
        service=service, since=_day(since, "--since"), until=_day(until, "--until")
    )
    if json_out:
        print_json(grouped.as_json())
        return
    zone = insights.settings.timezone
    rows = []
    for r in grouped.rows:
        units = ", ".join(f"{u['unit']} ({u['people_hit']})" for u in r["units_hit"])
        if r["units_suppressed"]:
            units += f"{', ' if units else ''}+{r['units_suppressed']} small"
        rows.append(
            [
                safe(r["service"]),
                safe(_local(r["start"], zone).strftime("%Y-%m-%d %H:%M")),
                safe(_local(r["end"], zone).strftime("%H:%M")),
                safe(r["severity"]),
                safe(r["requests"]),
                _pct(r["error_share"]),
                safe(r["expected_requests"]),
                safe(r["retries"]),
                safe(r["people_hit"]),
                safe(units or "-"),
            ]
        )
    table(
        "Outages",
        ["service", "start", "end", "severity", "requests", "failed", "expected", "retries",
         "people", "units hit"],
        rows,
        caption=_caption(grouped, "episodes"),
    )  # fmt: skip


@app.command()
def impact(
    service: Annotated[str, typer.Argument(help="Catalog service id, e.g. facebook.")],
    hours: Annotated[float, typer.Option("--hours", help="How long the service is down.")] = 8.0,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="Cost of an office hour (default: hourly_rate in config)."),
    ] = None,
    data: DataOption = None,
    json_out: JsonOption = False,
) -> None:
    """What if a service were down for some hours: the units that depend on it ranked by
    score, people, office hours at risk, cost, and whose declared tolerable downtime it
    would exceed.

    The outage is taken to start when office hours start on a working day (the worst case);
    see docs/dependency.md for the formula.

    Example: socialsight impact facebook --hours 8 --rate 65 --json
    """
    result = _insights(data).impact(service, hours, rate)
    if json_out:
        print_json(result.as_json())
        return
    rows = [
        [
            safe(u["unit"]),
            Text(f"{u['score']:.1f}"),
            safe(u["tier"]),
            safe(u["people"]),
            Text(f"{u['office_hours_at_risk']:,.1f}"),
            Text(f"{u['cost']:,.0f}"),
            safe(u["tolerable_downtime_hours"]),
            Text("EXCEEDED", style="bold red") if u["exceeds_tolerance"] else Text(""),
        ]
        for u in result.units
    ]
    rows.append(
        [Text("total", style="bold"), Text(""), Text(""), safe(result.people),
         Text(f"{result.office_hours_at_risk:,.1f}"), Text(f"{result.cost:,.0f}"), Text(""),
         Text("")]
    )  # fmt: skip
    table(
        f"{result.service_name} down for {result.hours:g} h "
        f"({result.office_hours_covered:g} office hours) at {result.rate:,.2f} an hour",
        ["unit", "score", "tier", "people", "office hours at risk", "cost", "tolerable (h)",
         "tolerance"],
        rows,
        caption=_caption(result, "units"),
    )  # fmt: skip


@app.command()
def units(data: DataOption = None, json_out: JsonOption = False) -> None:
    """The units of the directory with their active people, services used and requests.

    Units with fewer people than the minimum group size are withheld and counted.

    Example: socialsight units --json
    """
    grouped = _insights(data).units()
    if json_out:
        print_json(grouped.as_json())
        return
    table(
        "Units",
        ["unit", "people", "services", "requests"],
        [[safe(r["unit"]), safe(r["people"]), safe(r["services"]), safe(r["requests"])]
         for r in grouped.rows],
        caption=_caption(grouped, "units"),
    )  # fmt: skip


@app.command()
def summarise(data: DataOption = None, json_out: JsonOption = False) -> None:
    """Bring the per-day summaries up to date with the ingested events.

    dependencies, outages and services answer from these summaries. Any question builds
    them when they are stale, so this is optional: run it after an ingest (in the same cron
    job) so that the first question asked afterwards is quick. Only the local days that new
    batches touched are recomputed.

    Example: socialsight ingest /var/log/squid/access.log && socialsight summarise
    """
    from socialsight.analytics.summaries import refresh_summaries

    insights = _insights(data)
    stats = refresh_summaries(insights.store, insights.settings)
    if json_out:
        print_json(
            {
                "new_batches": stats.new_batches,
                "days_recomputed": stats.days_recomputed,
                "rebuilt": stats.rebuilt,
                "seconds": round(stats.seconds, 3),
            }
        )
        return
    stdout().print(
        f"{stats.new_batches} new batches, {stats.days_recomputed} days recomputed"
        f" in {stats.seconds:.1f} s"
    )


@register_app.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(help="CSV: unit,service,purpose,owner,fallback,"
                                          "tolerable_downtime_hours")],
    data: DataOption = None,
    json_out: JsonOption = False,
) -> None:  # fmt: skip
    """Replace the declared-use register with the rows of a CSV file.

    Rows naming a service the catalog does not know, or with a bad tolerable downtime, are
    rejected and listed with their line numbers; the other rows are imported.

    Example: socialsight register import declared-uses.csv
    """
    from socialsight.register import import_register

    insights = _insights(data)
    result = import_register(insights.store, file, insights.catalog.services)
    if json_out:
        print_json(result.as_json())
        return
    stdout().print(Text(f"Imported {result.imported} declared uses from {file}"))
    if result.rejected:
        table(
            f"{len(result.rejected)} rows rejected",
            ["line", "reason", "detail"],
            [[safe(r.line), safe(r.reason), safe(r.detail)] for r in result.rejected],
        )


@register_app.command("list")
def register_list(
    data: DataOption = None,
    service: ServiceOption = None,
    unit: UnitOption = None,
    json_out: JsonOption = False,
) -> None:
    """The declared-use register beside what the logs show: unit, service, purpose, owner,
    fallback, tolerable downtime, and the observed dependency tier ("not observed" also
    covers use by fewer people than the minimum group size).

    Example: socialsight register list --service facebook --json
    """
    rows = [
        r
        for r in _insights(data).register_status()
        if (service is None or r["service"] == service) and (unit is None or r["unit"] == unit)
    ]
    if json_out:
        print_json({"rows": rows})
        return
    table(
        "Declared uses",
        ["unit", "service", "purpose", "owner", "fallback", "tolerable (h)", "observed"],
        [[safe(r["unit"]), safe(r["service"]), safe(r["purpose"]), safe(r["owner"]),
          safe(r["fallback"]), safe(r["tolerable_downtime_hours"]),
          safe(r["observed_tier"] or "not observed")] for r in rows],
    )  # fmt: skip
