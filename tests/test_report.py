"""`socialsight report`: the single-file HTML report and the CSV / JSON exports.

The simulated organisation's report must show its planted facts (the Facebook outage, the
Service Centre's undeclared critical dependency on WhatsApp) and never its 3-person unit; a
small hand-built store whose directory names units with markup and spreadsheet formulas shows
that log-derived strings are escaped in HTML and neutralised in CSV.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from socialsight.cli import main
from socialsight.report import SECTIONS
from socialsight.report.csv_export import cell, neutralise
from socialsight.report.html import script_json

from conftest import CliResult, SimulatedOrg
from factories import squid_line

SMALL_UNIT = "Minister's Office"
CSV_TABLES = {f"{name}.csv" for name in SECTIONS} | {"privacy.csv"}
PLOTLY_JS = (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")

# Markup and spreadsheet formulas as unit names: the directory file is customer input, and the
# unit reaches every table of the report.
SCRIPT_UNIT = '<script>alert("unit")</script>'
FORMULA_UNIT = '=HYPERLINK("https://evil.example/x","click")'
MINUS_UNIT = "-2+3"
AT_UNIT = "@SUM(A1)"
HOSTILE_UNITS = (SCRIPT_UNIT, FORMULA_UNIT, MINUS_UNIT, AT_UNIT)


@dataclass(frozen=True)
class Outputs:
    html: str
    csv: dict[str, list[dict[str, str]]]
    csv_text: dict[str, str]
    json: dict[str, Any]


def _run(*args: object) -> int:
    # The CLI in-process, outside a function-scoped fixture (module-scoped outputs below).
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _read_outputs(folder: Path) -> Outputs:
    csv_dir = folder / "csv"
    tables = {
        p.name: list(csv.DictReader(p.read_text(encoding="utf-8").splitlines()))
        for p in csv_dir.glob("*.csv")
    }
    texts = {p.name: p.read_text(encoding="utf-8") for p in csv_dir.glob("*.csv")}
    return Outputs(
        html=(folder / "report.html").read_text(encoding="utf-8"),
        csv=tables,
        csv_text=texts,
        json=json.loads((folder / "report.json").read_text(encoding="utf-8")),
    )


def _report(data: Path, folder: Path, *extra: str) -> Outputs:
    code = _run(
        "report", "--data", data, "--html", folder / "report.html", "--csv", folder / "csv",
        "--json", folder / "report.json", *extra,
    )  # fmt: skip
    assert code == 0
    return _read_outputs(folder)


def org_report_folder(org: SimulatedOrg) -> Path:
    """The simulated organisation's report in all three forms, written by the CLI once per
    session beside (never into) its data directory; test_report_browser.py opens the same."""
    folder = org.data.parent / "report"
    if not (folder / "report.json").is_file():
        folder.mkdir(exist_ok=True)
        _report(org.data, folder)
    return folder


@pytest.fixture(scope="module")
def org_report(simulated_org: SimulatedOrg) -> Outputs:
    return _read_outputs(org_report_folder(simulated_org))


def _without_plotly(html: str) -> str:
    assert PLOTLY_JS[:200] in html
    start = html.index(PLOTLY_JS[:200])
    end = html.index("</script>", start)
    return html[:start] + html[end:]


# -- the simulated organisation -----------------------------------------------------------------
def test_report_shows_the_planted_outage(org_report: Outputs, simulated_org: SimulatedOrg) -> None:
    planted = simulated_org.truth["outages"][0]
    start = datetime.fromisoformat(planted["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(planted["end"].replace("Z", "+00:00"))
    rows = org_report.json["outages"]["rows"]
    assert [r["service"] for r in rows] == ["facebook"]
    found = rows[0]
    assert abs(datetime.fromisoformat(found["start"]) - start) <= timedelta(minutes=15)
    assert abs(datetime.fromisoformat(found["end"]) - end) <= timedelta(minutes=15)
    hit = {u["unit"]: u["people_hit"] for u in found["units_hit"]}
    assert hit["Service Centre"] > 0 and SMALL_UNIT not in hit
    # The page names it with its local start (10:00 in Toronto) and draws the timeline.
    local_start = datetime.fromisoformat(found["start"]).astimezone(_toronto())
    assert f"Facebook: {local_start:%Y-%m-%d %H:%M} to " in org_report.html
    assert 'data-figure="fig-outages"' in org_report.html
    (csv_row,) = org_report.csv["outages.csv"]
    assert csv_row["service"] == "facebook" and csv_row["start"] == found["start"]
    assert int(csv_row["people_hit"]) == found["people_hit"]


def _toronto() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Toronto")


def test_report_flags_the_undeclared_critical_dependency(
    org_report: Outputs, simulated_org: SimulatedOrg
) -> None:
    planted = simulated_org.truth["undeclared_dependencies"][0]
    assert (planted["unit"], planted["service"]) == ("Service Centre", "whatsapp")
    rows = org_report.json["dependencies"]["rows"]
    (row,) = [r for r in rows if (r["unit"], r["service"]) == ("Service Centre", "whatsapp")]
    assert row["tier"] == "critical" and row["undeclared_critical"] is True
    assert row["declared"] is False
    assert row["people"] == planted["people"]
    flagged = [(r["unit"], r["service"]) for r in rows if r["undeclared_critical"]]
    assert ("Service Centre", "whatsapp") in flagged
    (csv_row,) = [
        r for r in org_report.csv["dependencies.csv"]
        if (r["unit"], r["service"]) == ("Service Centre", "whatsapp")
    ]  # fmt: skip
    assert csv_row["tier"] == "critical" and csv_row["undeclared_critical"] == "true"
    assert float(csv_row["score"]) == pytest.approx(row["score"])
    # In the page: its row in the top dependencies, flagged.
    table = org_report.html[org_report.html.index('<section id="dependencies">') :]
    table = table[: table.index("</section>")]
    match = re.search(
        r"<td>Service Centre</td>\s*<td>WhatsApp[^<]*</td>.*?</tr>", table, flags=re.S
    )
    assert match and "undeclared critical" in match.group(0), "whatsapp row not flagged"
    # Every factor of its score, with its label, in the row's factor table.
    row_html = table[match.start() : table.index("</details>", match.start())]
    for factor in row["factors"]:
        assert f"<td>{escape(factor['label'])}</td>" in row_html, factor


def test_the_three_person_unit_appears_nowhere(org_report: Outputs) -> None:
    for needle in ("Minister", "minister"):
        assert needle not in org_report.html
        assert needle not in json.dumps(org_report.json)
        for name, text in org_report.csv_text.items():
            assert needle not in text, name
    # ... and its absence is counted: the units table withheld it.
    assert org_report.json["units"]["suppressed_groups"] >= 1
    units = {r["unit"] for r in org_report.json["units"]["rows"]}
    assert "Service Centre" in units and "Communications" in units


def test_every_output_states_the_same_withheld_counts(org_report: Outputs) -> None:
    doc = org_report.json
    assert doc["min_group_size"] == 5
    assert set(doc["suppressed_groups"]) == set(SECTIONS)
    privacy = {r["table"]: r for r in org_report.csv["privacy.csv"]}
    assert set(privacy) == set(SECTIONS)
    note = org_report.html[org_report.html.index('<section id="privacy">') :]
    cells = re.findall(r'<td class="n">([\d,]+)</td><td class="n">([\d,]+)</td>', note)
    assert len(cells) == len(SECTIONS)
    for name, (shown, withheld) in zip(SECTIONS, cells, strict=True):
        section = doc[name]
        assert section["suppressed_groups"] == doc["suppressed_groups"][name]
        assert section["min_group_size"] == 5
        assert int(privacy[name]["suppressed_groups"]) == section["suppressed_groups"]
        assert int(privacy[name]["rows"]) == len(section["rows"])
        assert int(privacy[name]["min_group_size"]) == 5
        assert int(shown.replace(",", "")) == len(section["rows"])
        assert int(withheld.replace(",", "")) == section["suppressed_groups"]
        assert len(org_report.csv[f"{name}.csv"]) == len(section["rows"])
    # The simulated organisation has groups below k in units, dependencies and domains.
    for name in ("units", "dependencies", "unknown"):
        assert doc["suppressed_groups"][name] > 0, name
    assert "people withheld" in org_report.html


def test_every_row_in_every_output_has_at_least_k_people(org_report: Outputs) -> None:
    for name in SECTIONS:
        for row in org_report.json[name]["rows"]:
            people = row.get("people", row.get("people_hit"))
            assert people is not None and people >= 5, (name, row)
    for row in org_report.json["outages"]["rows"]:
        assert all(u["people_hit"] >= 5 for u in row["units_hit"])


def test_html_report_is_one_self_contained_file(org_report: Outputs) -> None:
    html = org_report.html
    assert html.startswith("<!DOCTYPE html>")
    # plotly.js from the installed package, inlined whole; nothing fetched.
    assert PLOTLY_JS[:200] in html and PLOTLY_JS[-200:] in html
    # The page itself (the library's own strings aside) loads nothing and names no URL.
    rest = _without_plotly(html)
    assert not re.search(r"<script[^>]*\ssrc\s*=", rest, flags=re.I)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", rest, flags=re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", rest, flags=re.I)
    assert "@import" not in rest and "url(" not in rest
    assert "http://" not in rest and "https://" not in rest
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "default-src &#39;none&#39;" in csp.group(1)
    for section in ("overview", "usage", "dependencies", "units", "outages", "unknown", "privacy"):
        assert f'<section id="{section}">' in html
    for figure in ("fig-usage", "fig-dependencies", "fig-outages"):
        assert f'<script type="application/json" id="{figure}">' in html


def test_html_sections_show_the_figures_of_the_json(org_report: Outputs) -> None:
    doc, html = org_report.json, org_report.html
    overview = doc["overview"]
    cards = dict(
        (label, int(value.replace(",", "")))
        for value, label in re.findall(
            r'<div class="value">([\d,]+)</div><div class="label">([^<]+)</div>', html
        )
    )
    assert cards["events"] == overview["events"]
    assert cards["people"] == overview["people"]
    assert cards["services"] == overview["services"]
    assert cards["outages"] == overview["outages"] == 1
    assert cards["critical dependencies"] == overview["critical_dependencies"]
    assert cards["unknown domains"] == overview["unknown_domains"]
    # One profile per unit that passed k, in the units section.
    units = html[html.index('<section id="units">') : html.index('<section id="outages">')]
    profiles = re.findall(r'<div class="unit" id="unit-\d+">\s*<h3>([^<]+)</h3>', units)
    assert profiles == [str(escape(r["unit"])) for r in doc["units"]["rows"]]
    # The usage chart carries every (day, category) row of the JSON.
    usage = json.loads(_figure(html, "fig-usage"))
    points = sum(len(trace["y"]) for trace in usage["data"])
    assert points == len(doc["usage"]["rows"]) > 0


def _figure(html: str, figure: str) -> str:
    start = html.index(f'<script type="application/json" id="{figure}">')
    start = html.index(">", start) + 1
    return html[start : html.index("</script>", start)]


def test_csv_tables_have_stable_columns_and_typed_cells(org_report: Outputs) -> None:
    assert set(org_report.csv) == CSV_TABLES
    header = {name: text.splitlines()[0].split(",") for name, text in org_report.csv_text.items()}
    assert header["units.csv"][:4] == ["unit", "people", "services", "requests"]
    assert header["usage.csv"][:4] == ["day", "key", "requests", "people"]
    assert header["dependencies.csv"][:4] == ["unit", "service", "service_name", "category"]
    assert header["outages.csv"][:4] == ["service", "service_name", "start", "end"]
    assert header["privacy.csv"] == ["table", "rows", "suppressed_groups", "min_group_size"]
    deps = org_report.csv["dependencies.csv"]
    for row in deps:
        assert 0 <= float(row["score"]) <= 100
        assert row["tier"] in {"critical", "important", "incidental", "personal"}
        assert row["declared"] in {"true", "false"}
        factors = json.loads(row["factors"])
        assert {"name", "value", "weight", "points"} <= set(factors[0])
    for row in org_report.csv["usage.csv"]:
        date.fromisoformat(row["day"])
        int(row["requests"])


def test_window_narrows_dependencies_outages_and_usage(
    simulated_org: SimulatedOrg, tmp_path: Path
) -> None:
    out = _report(simulated_org.data, tmp_path, "--since", "2026-03-12", "--until", "2026-03-31")
    doc = out.json
    assert doc["window"] == {"since": "2026-03-12", "until": "2026-03-31"}
    # The outage was on March 11: outside the window.
    assert doc["outages"]["rows"] == []
    assert "No outage detected." in out.html
    days = {r["day"] for r in doc["usage"]["rows"]}
    assert days and min(days) == "2026-03-12" and max(days) <= "2026-03-31"
    assert out.csv["outages.csv"] == [] and out.csv_text["outages.csv"].startswith("service,")


# -- hostile strings ------------------------------------------------------------------------------
@pytest.fixture
def hostile_store(data_dir: Path, tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    """k = 2; four units named with markup or formulas, three people each on Facebook and on
    an unclassified site, over two working days."""
    lines, people = [], []
    for u, unit in enumerate(HOSTILE_UNITS):
        for p in range(3):
            user = f"user{u}{p}"
            people.append((user, unit))
            ip = f"10.9.{u}.{p + 1}"
            for day in (10, 11):
                when = datetime(2026, 3, day, 14, 5 * p, tzinfo=UTC)
                lines.append(squid_line(when, ip, user, "CONNECT", "www.facebook.com:443"))
                lines.append(squid_line(when, ip, user, "POST", "http://www.facebook.com/x"))
                lines.append(squid_line(when, ip, user, "GET", "http://odd-site.example/"))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    directory = tmp_path / "staff.csv"
    with directory.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["user", "unit"])
        writer.writerows(people)
    code, _, err = cli("ingest", log, "--data", data_dir, "--directory", directory)
    assert code == 0, err
    return data_dir


def test_hostile_unit_names_render_as_text(
    hostile_store: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = cli(
        "report", "--data", hostile_store, "--html", folder / "report.html",
        "--csv", folder / "csv", "--json", folder / "report.json",
    )  # fmt: skip
    assert code == 0, err
    out = _read_outputs(folder)
    units = {r["unit"] for r in out.json["units"]["rows"]}
    assert set(HOSTILE_UNITS) <= units
    html = _without_plotly(out.html)
    # Escaped in the page: every "alert" is the text of an escaped tag, in the tables ...
    assert "<td>&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;</td>" in html
    assert "<h3>&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;</h3>" in html
    for found in re.finditer("alert", html):
        before = html[max(0, found.start() - 30) : found.start()]
        assert before.endswith(("&lt;script&gt;", "\\u0026lt;script\\u0026gt;")), before
    # ... and in the chart labels: entities for plotly.js, then JSON escapes for the script
    # block, so no "<" or ">" can close the element.
    figures = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html)
    assert figures
    for figure in figures:
        assert "<" not in figure and ">" not in figure
    label = '"\\u0026lt;script\\u0026gt;alert(\\"unit\\")\\u0026lt;/script\\u0026gt; · Facebook"'
    assert label in _figure(out.html, "fig-dependencies")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.I)
    # The JSON export keeps the names as they are (JSON is data, not markup).
    assert SCRIPT_UNIT in {r["unit"] for r in out.json["dependencies"]["rows"]}


def test_hostile_unit_names_are_neutralised_in_csv(
    hostile_store: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    code, _, err = cli("report", "--data", hostile_store, "--csv", tmp_path / "csv")
    assert code == 0, err
    units = {r["unit"]: r for r in _read_csv(tmp_path / "csv" / "units.csv")}
    assert set(units) == {SCRIPT_UNIT, "'" + FORMULA_UNIT, "'" + MINUS_UNIT, "'" + AT_UNIT}
    for row in units.values():
        assert row["people"] == "3"  # numbers stay numbers, never prefixed
    deps = _read_csv(tmp_path / "csv" / "dependencies.csv")
    assert {r["unit"] for r in deps} >= {"'" + FORMULA_UNIT, "'" + MINUS_UNIT, "'" + AT_UNIT}
    for path in (tmp_path / "csv").glob("*.csv"):
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
            for value in row:
                if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    # Only a number may start with "-" (a negative trend, say).
                    float(value)


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def test_script_json_cannot_close_its_script_element() -> None:
    hostile = {"unit": "</script><script>alert(1)</script>", "x": "a & b <!-- 'q'", "n": -1.5}
    text = str(script_json(hostile))
    for char in "<>&'":
        assert char not in text
    assert json.loads(text) == hostile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Legal", "Legal"),
        ("a=b", "a=b"),
        (-0.25, -0.25),
        (-3, -3),
        (0, 0),
        (True, "true"),
        (None, ""),
        (date(2026, 3, 11), "2026-03-11"),
        (datetime(2026, 3, 11, 14, 0, tzinfo=UTC), "2026-03-11T14:00:00+00:00"),
        ([{"unit": "=x", "people_hit": 5}], '[{"people_hit": 5, "unit": "=x"}]'),
    ],
)
def test_csv_cells(value: object, expected: object) -> None:
    assert cell(value) == expected
    if isinstance(value, str):
        assert neutralise(value) == expected


# -- the command line -----------------------------------------------------------------------------
def test_report_needs_an_output(data_dir: Path, cli: Callable[..., CliResult]) -> None:
    code, _, err = cli("report", "--data", data_dir)
    assert code == 2 and "say what to write" in err


def test_report_json_to_stdout(hostile_store: Path, cli: Callable[..., CliResult]) -> None:
    code, out, err = cli("report", "--data", hostile_store, "--json", "-")
    assert code == 0, err
    doc = json.loads(out)
    assert set(SECTIONS) <= set(doc) and doc["min_group_size"] == 2
    assert "withheld" in err  # the summary goes to stderr, stdout is the document


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2026-13-01"), "--since '2026-13-01' is not a date YYYY-MM-DD"),
        (("--since", "2026-03-20", "--until", "2026-03-10"), "is after --until"),
    ],
)
def test_report_bad_window_is_one_line(
    data_dir: Path, tmp_path: Path, cli: Callable[..., CliResult], args: tuple[str, ...],
    message: str,
) -> None:  # fmt: skip
    code, _, err = cli("report", "--data", data_dir, "--json", tmp_path / "r.json", *args)
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


def test_report_unwritable_target_is_one_line(
    data_dir: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    code, _, err = cli("report", "--data", data_dir, "--html", tmp_path / "no" / "r.html")
    assert code == 1 and "does not exist" in err and "Traceback" not in err
    code, _, err = cli("report", "--data", data_dir, "--csv", tmp_path / "r.html" / "x")
    assert code == 0, err  # the folder is created
    (tmp_path / "file").write_text("x")
    code, _, err = cli("report", "--data", data_dir, "--csv", tmp_path / "file")
    assert code == 1 and "not a folder" in err


def test_empty_store_gives_a_report(
    data_dir: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    code, _, err = cli("report", "--data", data_dir, "--html", tmp_path / "r.html",
                       "--json", tmp_path / "r.json", "--csv", tmp_path / "csv")  # fmt: skip
    assert code == 0, err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert all(doc[name]["rows"] == [] for name in SECTIONS)
    html = (tmp_path / "r.html").read_text()
    assert "No outage detected." in html and "No dependency passes" in html
    headers = (tmp_path / "csv" / "dependencies.csv").read_text().splitlines()
    assert headers == [headers[0]] and headers[0].startswith("unit,service,")
