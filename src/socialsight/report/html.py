"""The single-file HTML report: one page with its CSS, its data and plotly.js inside it.

Nothing in the page is fetched: the styles are inline, the charts are drawn by the plotly.js
bundled in the installed ``plotly`` package (inlined in a ``<script>``), and each figure is a
JSON block read by a short boot script. A Content-Security-Policy in the page itself forbids
every network request and lets only those two scripts run (by their SHA-256), so a string
that escaped escaping still could not run or load anything.

Log-derived strings (units, services, domains) reach the page only through Jinja2 with
autoescaping on, or inside JSON made safe for a script block by :func:`script_json`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go  # type: ignore[import-untyped]
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from socialsight.report import charts
from socialsight.report.files import write_text_atomic
from socialsight.report.model import SECTIONS, UNKNOWN_LIMIT, Report

TOP_DEPENDENCIES = 30
"""(unit, service) pairs in the report's dependency table (all of them are in the exports)."""
TOP_PER_UNIT = 12
"""Dependencies listed in each unit's profile."""
TOP_UNKNOWN = 50
"""Unclassified domains listed in the page."""

SECTION_TITLES = {
    "services": "Services in use",
    "dependencies": "Dependencies (unit × service)",
    "outages": "Outages",
    "units": "Units",
    "unknown": "Unclassified domains",
    "usage": "Usage over time (day × category)",
}

# JSON inside <script>: no character may end the element or open a comment, and the two
# line separators that older JavaScript parsers reject are escaped as well.
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: Any) -> Markup:
    """``data`` as JSON that is safe inside ``<script type="application/json">``.

    Every ``<``, ``>``, ``&`` and ``'`` becomes its ``\\uXXXX`` escape, which JSON.parse turns
    back into the same character; those characters can only occur inside JSON strings, so the
    replacement never changes the document's meaning.

    >>> str(script_json({"unit": "</script><script>alert(1)</script>"}))
    '{"unit": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(data, default=_json_default, ensure_ascii=False, allow_nan=False)
    for char, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 (every character that could end the script is escaped)


def figure_json(fig: go.Figure) -> Markup:
    """A Plotly figure as script-safe JSON (``{"data": [...], "layout": {...}}``)."""
    # plotly's own encoder knows its types (numpy arrays, dates); reparse and re-escape ours.
    return script_json(json.loads(fig.to_json()))


def plotly_js() -> str:
    """The plotly.js of the installed plotly package, ready to inline in a ``<script>``."""
    source = files("plotly") / "package_data" / "plotly.min.js"
    text = source.read_text(encoding="utf-8")
    # "</script" would end the element early and "<!--" changes how the rest is parsed; in
    # plotly.js they could only occur inside strings or regular expressions, where "<\/"
    # and "\x3C!--" mean the same characters.
    return (
        text.replace("</script", "<\\/script")
        .replace("</SCRIPT", "<\\/SCRIPT")
        .replace("<!--", "\\x3C!--")
    )


def _boot_js() -> str:
    return (files("socialsight.report") / "templates" / "boot.js").read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(scripts: list[str]) -> str:
    """No network at all; only the given inline scripts run; inline styles and data: images
    (plotly's "download as PNG") are allowed."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_sha256(s) for s in scripts),
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _environment(zone: str) -> Environment:
    env = Environment(
        loader=PackageLoader("socialsight.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    tz = ZoneInfo(zone)

    def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if isinstance(value, datetime):
            return value.astimezone(tz).strftime(fmt)
        if isinstance(value, date):
            return value.isoformat()
        return "–" if value is None else str(value)

    def num(value: Any, digits: int = 0) -> str:
        if value is None:
            return "–"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return f"{float(value):,.{digits}f}"

    def pct(value: Any) -> str:
        return "–" if value is None else f"{float(value) * 100:.0f} %"

    def signed_pct(value: Any) -> str:
        if value is None:
            return "–"
        rounded = round(float(value) * 100)
        return "0 %" if rounded == 0 else f"{rounded:+d} %"

    def human_bytes(value: Any) -> str:
        if value is None:
            return "–"
        size = float(value)
        for unit in ("B", "kB", "MB", "GB"):
            if size < 1000:
                return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
            size /= 1000
        return f"{size:,.1f} TB"

    env.filters.update(local=local, num=num, pct=pct, signed_pct=signed_pct, bytes=human_bytes)
    return env


def render_html(report: Report) -> str:
    """The whole report as one HTML document (a few MB: plotly.js is most of it)."""
    deps = report.sections["dependencies"].rows
    outages = report.sections["outages"].rows
    usage = report.sections["usage"].rows
    figures: dict[str, Markup] = {}
    if usage:
        figures["fig-usage"] = figure_json(charts.usage_chart(usage))
    if deps:
        figures["fig-dependencies"] = figure_json(charts.dependencies_chart(deps))
    if outages:
        figures["fig-outages"] = figure_json(
            charts.outage_timeline(outages, report.timezone, _period(report))
        )
    js = plotly_js()
    boot = _boot_js()
    env = _environment(report.timezone)
    template = env.get_template("report.html.j2")
    return template.render(
        report=report,
        overview=report.overview,
        headline=_headline(report),
        sections=report.sections,
        section_names=SECTIONS,
        section_titles=SECTION_TITLES,
        dependencies=deps[:TOP_DEPENDENCIES],
        profiles=report.profiles(),
        top_per_unit=TOP_PER_UNIT,
        unknown_limit=UNKNOWN_LIMIT,
        outages=outages,
        unknown=report.sections["unknown"].rows[:TOP_UNKNOWN],
        services=report.sections["services"].rows,
        figures=figures,
        csp=content_security_policy([js, boot]),
        plotly_js=Markup(js),  # noqa: S704 (the installed plotly.js, made script-safe above)
        boot_js=Markup(boot),  # noqa: S704 (our own file)
    )


def _period(report: Report) -> tuple[date, date] | None:
    """The first and last local day the report covers (its window, else all data held)."""
    first = report.since or report.overview.get("period_start")
    last = report.until or report.overview.get("period_end")
    if isinstance(first, date) and isinstance(last, date):
        return first, last
    return None


def _headline(report: Report) -> list[tuple[str, Any, str]]:
    """(label, value, note) of the overview cards. With a window, the counts of critical
    dependencies and outages are those of the window, as in the sections below."""
    o = report.overview
    windowed = report.since is not None or report.until is not None
    deps = report.sections["dependencies"].rows
    critical = (
        sum(1 for r in deps if r.get("tier") == "critical")
        if windowed
        else o.get("critical_dependencies")
    )
    undeclared = (
        sum(1 for r in deps if r.get("undeclared_critical"))
        if windowed
        else o.get("undeclared_critical")
    )
    outages = len(report.sections["outages"].rows) if windowed else o.get("outages")
    in_window = "in the report window" if windowed else ""
    return [
        ("events", o.get("events"), "requests read from the logs"),
        ("people", o.get("people"), "distinct pseudonyms"),
        ("services", o.get("services"), f"used by at least {report.min_group_size} people"),
        ("critical dependencies", critical, in_window or "(unit, service) pairs"),
        ("undeclared critical", undeclared, in_window or "critical uses nobody declared"),
        ("outages", outages, in_window or "episodes detected"),
        ("unknown domains", o.get("unknown_domains"), "not in the catalog"),
    ]


def write_html(report: Report, path: Path) -> Path:
    """Write the report to ``path`` (replaced atomically) and return it."""
    return write_text_atomic(path, render_html(report))
