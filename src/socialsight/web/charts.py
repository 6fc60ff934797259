"""Plotly figures built on the server and shipped to the page as JSON data.

A page embeds each figure in a ``<script type="application/json">`` block, which the browser
never executes; ``static/app.js`` reads it and calls ``Plotly.newPlot``. Every figure is built
here from rows the library returned: the web adds no analytics of its own.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go  # type: ignore[import-untyped]
import plotly.io as pio  # type: ignore[import-untyped]

_LAYOUT: dict[str, Any] = {
    "template": go.layout.Template(),
    "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
    "height": 320,
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "y": -0.2},
    "xaxis": {"gridcolor": "#e5e7eb"},
    "yaxis": {"gridcolor": "#e5e7eb", "rangemode": "tozero"},
}
SEVERITY_COLOURS = {"down": "#b91c1c", "failing": "#ea580c", "degraded": "#ca8a04"}


def to_json(figure: go.Figure) -> str:
    """The figure as JSON safe to place inside a ``<script type="application/json">`` block:
    ``<``, ``>`` and ``&`` are escaped, so a log-derived label cannot close the block."""
    text: str = pio.to_json(figure, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def label(value: Any) -> str:
    """Log-derived text for a chart label. plotly.js reads a subset of HTML in labels
    (``<b>``, ``<a href>``, ``<span style>``); escaped, a hostile unit name shows as text."""
    return html.escape(str(value), quote=False)


def usage_figure(rows: Iterable[Mapping[str, Any]], measure: str = "people") -> go.Figure:
    """One line per key (category, service or unit) of ``usage_over_time`` rows, by day."""
    series: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for row in rows:
        series[str(row["key"])].append((row["day"], row[measure]))
    figure = go.Figure(layout={**_LAYOUT, "yaxis": {**_LAYOUT["yaxis"], "title": measure}})
    # Largest series first, so that the legend reads in order of weight.
    for key, points in sorted(series.items(), key=lambda kv: -sum(v or 0 for _, v in kv[1])):
        points.sort(key=lambda p: p[0])
        figure.add_trace(
            go.Scatter(
                x=[p[0].isoformat() for p in points],
                y=[p[1] for p in points],
                name=label(key),
                mode="lines+markers",
                marker={"size": 4},
            )
        )
    return figure


def local(value: datetime, zone: str) -> str:
    """A UTC time as local wall-clock text for a date axis (``YYYY-MM-DD HH:MM``)."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def outage_timeline(
    rows: Iterable[Mapping[str, Any]], zone: str, start: Any = None, end: Any = None
) -> go.Figure:
    """Outage episodes as horizontal bars on a local-time axis, one lane per service."""
    figure = go.Figure(
        layout={
            **_LAYOUT,
            "height": 260,
            "barmode": "overlay",
            "xaxis": {**_LAYOUT["xaxis"], "type": "date", "title": f"local time ({zone})"},
            "yaxis": {"automargin": True, "gridcolor": "#e5e7eb"},
            "showlegend": True,
        }
    )
    by_severity: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_severity[str(row["severity"])].append(row)
    for severity, episodes in by_severity.items():
        figure.add_trace(
            go.Bar(
                orientation="h",
                name=severity,
                y=[label(e["service_name"]) for e in episodes],
                base=[local(e["start"], zone) for e in episodes],
                x=[(e["end"] - e["start"]).total_seconds() * 1000 for e in episodes],
                marker={"color": SEVERITY_COLOURS.get(severity, "#6b7280")},
                customdata=[
                    [local(e["start"], zone), local(e["end"], zone), e["people_hit"]]
                    for e in episodes
                ],
                hovertemplate="%{customdata[0]} to %{customdata[1]}<br>"
                "%{customdata[2]} people hit<extra>%{fullData.name}</extra>",
            )
        )
    if start is not None and end is not None:
        # The period's last local day is included: the axis ends at the next midnight.
        if isinstance(end, date) and not isinstance(end, datetime):
            end = end + timedelta(days=1)
        figure.update_xaxes(range=[str(start), str(end)])
    return figure


def impact_figure(units: Iterable[Mapping[str, Any]]) -> go.Figure:
    """Office hours at risk per unit of an impact answer, most affected first."""
    ranked = list(units)
    figure = go.Figure(
        layout={
            **_LAYOUT,
            "height": max(200, 28 * len(ranked) + 80),
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {**_LAYOUT["xaxis"], "title": "office hours at risk"},
        }
    )
    figure.add_trace(
        go.Bar(
            orientation="h",
            y=[label(u["unit"]) for u in ranked],
            x=[u["office_hours_at_risk"] for u in ranked],
            marker={"color": ["#b91c1c" if u.get("exceeds_tolerance") else "#2563eb"
                              for u in ranked]},
            name="office hours at risk",
        )
    )  # fmt: skip
    return figure
