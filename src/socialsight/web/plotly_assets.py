"""plotly.js from the installed ``plotly`` package, made to live under a strict CSP.

plotly.js normally injects ``<style>`` elements at run time, which a Content-Security-Policy
without ``'unsafe-inline'`` styles blocks (and the browser reports as errors). plotly.js skips
that injection when the page already holds an element with the id it would create and the
class ``no-inline-styles``. So the dashboard serves plotly's own rules as a stylesheet
(``/vendor/plotly.css``, extracted once from the bundled plotly.min.js) linked under that id,
and marks the ids of the other bundled style blocks (MapLibre's, unused here) as present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

_STYLE_MAP_START = '{"X,X div":'
_PRESENT_IDS = re.compile(r'document\.getElementById\("([0-9a-f]{64})"\)')
_TOKEN = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([A-Za-z_$][\w$]*))\s*""")


def plotly_js_path() -> Path:
    """plotly.min.js as bundled by the installed ``plotly`` package."""
    return Path(str(files("plotly").joinpath("package_data", "plotly.min.js")))


@dataclass(frozen=True)
class PlotlyAssets:
    """What a page needs beside plotly.min.js to keep plotly from injecting styles."""

    css: str
    """plotly's global style rules as a stylesheet."""
    present_ids: tuple[str, ...]
    """Ids of style blocks plotly.js adds at load unless an element with the id exists."""


def _style_map(js: str) -> dict[str, str]:
    """plotly's ``{selector: declarations}`` object literal, read from the minified bundle."""
    start = js.find(_STYLE_MAP_START)
    if start < 0:
        return {}
    rules: dict[str, str] = {}
    pos = start + 1
    while pos < len(js) and js[pos] != "}":
        key = _TOKEN.match(js, pos)
        if not key or js[key.end()] != ":":
            return rules
        value = _TOKEN.match(js, key.end() + 1)
        if not value or value.group(3) is not None:
            return rules
        name = next(g for g in key.groups() if g is not None)
        rules[name] = value.group(1) if value.group(1) is not None else value.group(2)
        pos = value.end()
        if js[pos] == ",":
            pos += 1
    return rules


@cache
def plotly_assets() -> PlotlyAssets:
    """The stylesheet and ids for the installed plotly.js (read once per process)."""
    js = plotly_js_path().read_text(encoding="utf-8")
    lines = []
    for selector, declarations in _style_map(js).items():
        # The same substitutions plotly.js makes before inserting each rule.
        full = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        if full.startswith(","):
            full = " " + full
        lines.append(f"{full} {{{declarations}}}")
    present = tuple(dict.fromkeys(_PRESENT_IDS.findall(js)))
    return PlotlyAssets("\n".join(lines) + "\n", present)
