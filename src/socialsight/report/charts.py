"""The report's charts as Plotly figures (``plotly.graph_objects``), rendered later as JSON.

Plotly.js reads a small subset of HTML in trace names, tick labels and hover text (``<b>``,
``<br>``, ``<a href>``, entities). Unit names come from the customer's directory file and are
attacker-controlled, so every such string passes through :func:`label`, which turns ``&``,
``<`` and ``>`` into entities that plotly.js shows as the characters themselves.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go  # type: ignore[import-untyped]

TIER_COLOURS = {
    "critical": "#b2182b",
    "important": "#ef8a62",
    "incidental": "#67a9cf",
    "personal": "#999999",
}
SEVERITY_COLOURS = {"down": "#b2182b", "failing": "#ef8a62", "degraded": "#fddbc7"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def label(text: Any) -> str:
    """A log-derived string made inert for plotly.js: shown as text, never read as markup."""
    return html.escape("" if text is None else str(text), quote=False)


def _layout(fig: go.Figure, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": FONT, "size": 12},
        hoverlabel={"font": {"family": FONT}},
        **extra,
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def usage_chart(rows: Iterable[Mapping[str, Any]]) -> go.Figure:
    """Requests per local day, one line per key (a category, or a unit for one service).

    A (day, key) row withheld by the minimum group size is absent, not zero: the line shows
    a gap there instead of a false dip.
    """
    series: dict[str, list[tuple[date, int, int]]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        key = str(row["key"])
        series.setdefault(key, []).append((row["day"], int(row["requests"]), int(row["people"])))
        totals[key] = totals.get(key, 0) + int(row["requests"])
    fig = go.Figure()
    for key in sorted(series, key=lambda k: (-totals[k], k)):
        points = sorted(series[key])
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d, _, _ in points],
                y=[n for _, n, _ in points],
                customdata=[p for _, _, p in points],
                name=label(key),
                mode="lines+markers",
                marker={"size": 4},
                connectgaps=False,
                # The trace name is shown by reference, never pasted into the template.
                hovertemplate="%{x}<br>%{y:,} requests, %{customdata:,} people"
                "<extra>%{fullData.name}</extra>",
            )
        )
    return _layout(
        fig,
        380,
        yaxis_title="requests per day",
        xaxis={"type": "date", "tickformat": "%b %d"},
        legend={"orientation": "v"},
    )


def dependencies_chart(rows: Iterable[Mapping[str, Any]], top: int = 15) -> go.Figure:
    """The ``top`` (unit, service) pairs by criticality score, coloured by tier."""
    chosen = list(rows)[:top]
    fig = go.Figure()
    for tier, colour in TIER_COLOURS.items():
        mine = [r for r in chosen if r.get("tier") == tier]
        if not mine:
            continue
        fig.add_trace(
            go.Bar(
                orientation="h",
                x=[round(float(r["score"]), 1) for r in mine],
                y=[label(f"{r['unit']} · {r.get('service_name') or r['service']}") for r in mine],
                name=tier,
                marker={"color": colour},
                hovertemplate="%{y}<br>score %{x}<extra>" + tier + "</extra>",
            )
        )
    order = [label(f"{r['unit']} · {r.get('service_name') or r['service']}") for r in chosen]
    return _layout(
        fig,
        max(160, 28 * len(chosen) + 60),
        xaxis={"range": [0, 100], "title": "criticality score (0-100)"},
        # Highest score at the top: plotly draws the first category at the bottom.
        yaxis={"categoryorder": "array", "categoryarray": order[::-1]},
        barmode="overlay",
    )


def outage_timeline(
    rows: Iterable[Mapping[str, Any]], zone: str, period: tuple[date, date] | None = None
) -> go.Figure:
    """Each outage episode as a bar from its start to its end, in local time, by service,
    across the whole ``period`` (first and last local day) when given, so that one reads when
    in the month it happened and how long it lasted."""
    tz = ZoneInfo(zone)
    fig = go.Figure()
    episodes = list(rows)
    for severity, colour in SEVERITY_COLOURS.items():
        mine = [r for r in episodes if r.get("severity") == severity]
        if not mine:
            continue
        starts = [_local(r["start"], tz) for r in mine]
        lengths = [
            (r["end"] - r["start"]).total_seconds() * 1000
            if isinstance(r["end"], datetime) and isinstance(r["start"], datetime)
            else float(r.get("duration_minutes") or 0) * 60_000
            for r in mine
        ]
        fig.add_trace(
            go.Bar(
                orientation="h",
                base=starts,
                x=lengths,
                y=[label(r.get("service_name") or r["service"]) for r in mine],
                customdata=[
                    [
                        s,
                        _local(r["end"], tz),
                        int(r.get("people_hit") or 0),
                        round(float(r.get("duration_minutes") or 0)),
                    ]
                    for s, r in zip(starts, mine, strict=True)
                ],
                name=severity,
                marker={"color": colour, "line": {"color": "#555", "width": 1}},
                hovertemplate="%{y}: %{customdata[0]} to %{customdata[1]}<br>"
                "%{customdata[3]} min, %{customdata[2]:,} people hit<extra>"
                + severity
                + "</extra>",
            )
        )
    services = {label(r.get("service_name") or r["service"]) for r in episodes}
    xaxis: dict[str, Any] = {"type": "date", "title": f"local time ({zone})"}
    if period is not None:
        first, last = period
        xaxis["range"] = [first.isoformat(), (last + timedelta(days=1)).isoformat()]
    return _layout(fig, max(160, 50 * len(services) + 90), xaxis=xaxis, barmode="overlay")


def _local(value: Any, tz: ZoneInfo) -> str:
    # Plotly date axes have no time zones: give wall-clock time in the configured zone.
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return str(value)
