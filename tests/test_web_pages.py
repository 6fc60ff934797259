"""Every dashboard route for every role, the figures each page shows (the library's, exactly),
the minimum group size, escaping of hostile strings, and fresh data after an ingest."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import markupsafe
import pytest

from socialsight.insights import Insights
from socialsight.store.store import Store

from conftest import CliResult, SimulatedOrg
from factories import squid_line
from webtools import (
    FAST_HASHER,
    PASSWORDS,
    ROLES,
    Answers,
    Client,
    logged_in,
    make_app,
    shared_site,
)

Cli = Callable[..., CliResult]


def esc(value: object) -> str:
    """Text as the templates escape it (Jinja2's autoescape)."""
    return str(markupsafe.escape(value))


@dataclass
class Site:
    data: Path
    insights: Answers
    clients: dict[str, Client]
    anonymous: Client


@pytest.fixture(scope="module")
def site(simulated_org: SimulatedOrg, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    shared = shared_site(simulated_org.data, tmp_path_factory)
    clients = {role: logged_in(shared.app, role) for role in ROLES}
    anonymous = Client(shared.app)
    yield Site(shared.data, shared.insights, clients, anonymous)
    for client in [*clients.values(), anonymous]:
        client.close()


def _top_unit(site: Site) -> str:
    return str(site.insights.units().rows[0]["unit"])


# (path, least role). Unit paths use the largest unit, filled in at run time.
PAGES = [
    ("/", "viewer"),
    ("/services", "viewer"),
    ("/services?category=social-network&tier=critical&sort=tier&order=asc", "viewer"),
    ("/services/facebook", "viewer"),
    ("/units", "viewer"),
    ("/units/{unit}", "viewer"),
    ("/outages", "viewer"),
    ("/unknown", "viewer"),
    ("/export/services.csv", "analyst"),
    ("/export/dependencies.csv", "analyst"),
    ("/export/outages.csv", "analyst"),
    ("/export/units.csv", "analyst"),
    ("/export/unknown.csv", "analyst"),
    ("/admin/users", "admin"),
]
API = [
    ("/api/v1/me", "viewer"),
    ("/api/v1/overview", "viewer"),
    ("/api/v1/services", "viewer"),
    ("/api/v1/services/facebook", "viewer"),
    ("/api/v1/dependencies", "viewer"),
    ("/api/v1/dependencies?service=facebook&since=2026-03-02&until=2026-03-31", "viewer"),
    ("/api/v1/outages", "viewer"),
    ("/api/v1/outages?service=facebook", "viewer"),
    ("/api/v1/usage", "viewer"),
    ("/api/v1/usage?service=facebook", "viewer"),
    ("/api/v1/units", "viewer"),
    ("/api/v1/units/{unit}", "viewer"),
    ("/api/v1/unknown?limit=50", "viewer"),
    ("/api/v1/openapi.json", "viewer"),
    ("/api/v1/impact?service=facebook&hours=8", "analyst"),
]


def test_every_route_for_every_role(site: Site) -> None:
    unit = _top_unit(site).replace(" ", "%20")
    for role, client in site.clients.items():
        for path, needed in PAGES + API:
            url = path.format(unit=unit)
            status = client.get(url).status_code
            allowed = ROLES.index(role) >= ROLES.index(needed)
            assert status == (200 if allowed else 403), (role, url, status)
        token = client.csrf("/")
        impact = client.post("/services/facebook/impact", data={"hours": "8", "csrf_token": token})
        assert impact.status_code == (200 if role != "viewer" else 403), role
    for path, _ in PAGES:
        response = site.anonymous.get(path.format(unit=unit))
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path, _ in API:
        assert site.anonymous.get(path.format(unit=unit)).status_code == 401
    assert site.anonymous.post("/services/facebook/impact", data={}).status_code == 303


def test_overview_shows_the_library_figures(site: Site) -> None:
    page = site.clients["viewer"].get("/").text
    summary = site.insights.overview()
    for card, key in [("services", "services"), ("critical", "critical_dependencies"),
                      ("outages", "outages"), ("unknown", "unknown_domains")]:  # fmt: skip
        assert f'id="card-{card}">{summary[key]:,}<' in page
    top = re.findall(
        r'<td><a href="/services/([^"]+)">[^<]*</a></td>\s*<td><a href="/units/[^"]+">([^<]*)</a>',
        page.split('id="top-dependencies"')[1],
    )
    expected = [(r["service"], esc(r["unit"])) for r in site.insights.dependencies().rows]
    assert top == expected[:15]
    assert "facebook" in {service for service, _ in top}
    chart = re.search(r'data-target="usage-chart">(.*?)</script>', page, re.S)
    assert chart
    traces = json.loads(chart.group(1))["data"]
    categories = {r["key"] for r in site.insights.usage_over_time(by="category").rows}
    assert {t["name"] for t in traces} == {html.escape(c, quote=False) for c in categories}


def test_services_filter_and_sort(site: Site) -> None:
    client = site.clients["viewer"]
    services = site.insights.services().rows

    def listed(query: str) -> list[str]:
        body = client.get("/services" + query).text.split('id="services"')[1]
        return re.findall(r'<td><a href="/services/[^"]+">([^<]+)</a></td>', body)

    assert listed("") == [r["service"] for r in services]  # people, descending (library order)
    social = listed("?category=social-network")
    assert social == [r["service"] for r in services if r["category"] == "social-network"]
    assert "facebook" in social
    by_requests = listed("?sort=requests&order=asc")
    assert by_requests == [r["service"] for r in sorted(services, key=lambda r: r["requests"])]
    critical = {r["service"] for r in site.insights.dependencies().rows if r["tier"] == "critical"}
    assert set(listed("?tier=critical")) == critical
    assert listed("?category=no-such-category") == []
    # A bad sort column falls back to the default; a bad order is refused, not a traceback.
    assert listed("?sort=__class__") == listed("")
    bad = client.get("/services?order=sideways")
    assert bad.status_code == 400 and "order" in bad.text


def test_service_page_ranks_units_with_every_factor(site: Site) -> None:
    viewer = site.clients["viewer"].get("/services/facebook").text
    ranked = site.insights.dependencies(service="facebook").rows
    body = viewer.split('id="units-ranked"')[1].split("</table>")[0]
    shown = re.findall(r'<td><a href="/units/[^"]+">([^<]*)</a></td>', body)
    assert shown == [esc(r["unit"]) for r in ranked]
    for factor in ranked[0]["factors"]:
        assert esc(factor["label"]) in body
    assert "needs the analyst role" in viewer and 'id="impact-form"' not in viewer
    analyst = site.clients["analyst"].get("/services/facebook").text
    assert 'name="hours" type="number" min="0.25" max="744" step="0.25" value="8.0"' in analyst
    rate = site.insights.settings.hourly_rate
    assert f'name="rate" type="number" min="0" step="0.01" value="{rate}"' in analyst
    assert site.clients["viewer"].get("/services/no-such-service").status_code == 404


def test_what_if_form(site: Site) -> None:
    client = site.clients["analyst"]
    token = client.csrf("/services/facebook")
    response = client.post("/services/facebook/impact",
                           data={"hours": "8", "rate": "100", "csrf_token": token})  # fmt: skip
    assert response.status_code == 200
    impact = site.insights.impact("facebook", 8.0, 100.0)
    body = response.text.split('id="impact-units"')[1].split("</table>")[0]
    shown = re.findall(r'<td><a href="/units/[^"]+">([^<]*)</a></td>', body)
    assert shown == [esc(u["unit"]) for u in impact.units]
    assert f"<strong>{impact.people:,}</strong> people" in response.text
    assert f"about <strong>{impact.cost:,.0f}</strong> at 100.00 an hour" in response.text
    # Bad input is a clear 400 page, a missing token a 403, an unknown service a 404.
    for hours in ("-1", "0", "abc", "100000"):
        bad = client.post("/services/facebook/impact", data={"hours": hours, "csrf_token": token})
        assert bad.status_code == 400 and "hours" in bad.text, hours
    assert client.post("/services/facebook/impact", data={"hours": "8"}).status_code == 403
    missing = client.post("/services/nope/impact", data={"hours": "8", "csrf_token": token})
    assert missing.status_code == 404


def test_unit_pages(site: Site) -> None:
    client = site.clients["viewer"]
    unit = _top_unit(site)
    page = client.get(f"/units/{unit}").text
    rows = site.insights.dependencies(unit=unit).rows
    body = page.split('id="unit-dependencies"')[1].split("</table>")[0]
    assert re.findall(r'<td><a href="/services/([^"]+)">', body) == [r["service"] for r in rows]
    units_page = client.get("/units").text
    assert re.findall(r'<td><a href="/units/[^"]+">([^<]*)</a>', units_page) == [
        esc(r["unit"]) for r in site.insights.units().rows]  # fmt: skip
    assert client.get("/units/No%20Such%20Unit").status_code == 404


def test_outages_and_unknown_pages(site: Site) -> None:
    client = site.clients["viewer"]
    outages = client.get("/outages").text
    episodes = site.insights.outages().rows
    body = outages.split('id="outages"')[1]
    assert re.findall(r'<td><a href="/services/([^"]+)">', body) == [o["service"] for o in episodes]
    assert any(o["service"] == "facebook" for o in episodes)
    unknown = client.get("/unknown?limit=40").text
    domains = re.findall(r'<td class="domain">([^<]+?)(?: <span|</td>)', unknown)
    assert domains == [esc(r["domain"]) for r in site.insights.unknown(40).rows]
    assert client.get("/unknown?limit=0").status_code == 400


def test_minimum_group_size_in_every_api_answer(site: Site) -> None:
    client = site.clients["viewer"]
    k = site.insights.settings.min_group_size
    assert k == 5
    unit = _top_unit(site).replace(" ", "%20")
    answers = {path: client.get(path.format(unit=unit)).json() for path, _ in API[1:-2]}
    grouped = []
    for path, answer in answers.items():
        for part in (answer, *[v for v in answer.values() if isinstance(v, dict)]):
            if isinstance(part, dict) and "rows" in part:
                assert part["min_group_size"] == k, path
                grouped.append((path, part))
    assert len(grouped) >= 12
    for path, part in grouped:
        for row in part["rows"]:
            for key in ("people", "people_hit"):
                if key in row:
                    assert row[key] >= k, (path, row)
    # The counts of withheld groups are the library's.
    assert answers["/api/v1/unknown?limit=50"]["suppressed_groups"] == (
        site.insights.unknown(50).suppressed_groups)  # fmt: skip
    assert answers["/api/v1/dependencies"]["suppressed_groups"] == (
        site.insights.dependencies().suppressed_groups)  # fmt: skip
    page = client.get("/unknown").text
    n = site.insights.unknown(200).suppressed_groups
    assert f"{n:,} groups with fewer than 5 people withheld." in page


def test_csv_exports(site: Site) -> None:
    response = site.clients["analyst"].get("/export/dependencies.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="socialsight-dependencies.csv"')  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = site.insights.dependencies()
    assert [(r["unit"], r["service"], r["tier"]) for r in rows] == [
        (e["unit"], e["service"], e["tier"]) for e in expected.rows]  # fmt: skip
    assert response.headers["x-socialsight-suppressed-groups"] == str(expected.suppressed_groups)
    assert site.clients["analyst"].get("/export/secrets.csv").status_code == 404


def test_hostile_strings_from_the_simulator_never_reach_a_page_raw(
    site: Site, simulated_org: SimulatedOrg
) -> None:
    hostile = simulated_org.truth["hostile_lines"]["users"]
    assert any("<script>" in h for h in hostile)
    client = site.clients["admin"]
    unit = _top_unit(site).replace(" ", "%20")
    for path, _ in PAGES:
        text = client.get(path.format(unit=unit)).text
        for value in hostile:
            assert value not in text, path
        assert "<script>" not in text, path  # only <script src=...> and JSON data blocks


# -- a directory with hostile unit names ---------------------------------------------------
HOSTILE_UNITS = [
    '<script>alert("unit")</script>',
    "</script><img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example","click")',
]


@pytest.fixture
def hostile_site(data_dir: Path, tmp_path: Path, cli: Cli) -> Iterator[Client]:
    """Three units with hostile names, three people each (k = 2), all on Facebook."""
    lines, staff = [], ["user,unit"]
    when = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    for u, unit in enumerate(HOSTILE_UNITS):
        for i in range(3):
            user = f"h{u}p{i}"
            staff.append(f'{user},"{unit.replace(chr(34), chr(34) * 2)}"')
            for minute in range(3):
                at = when.replace(minute=minute + 10 * i)
                lines.append(
                    squid_line(at, f"10.7.{u}.{i}", user, "CONNECT", "www.facebook.com:443")
                )
                lines.append(
                    squid_line(at, f"10.7.{u}.{i}", user, "GET", "http://hostile-news.example/")
                )
    (tmp_path / "access.log").write_text("\n".join(lines) + "\n")
    (tmp_path / "staff.csv").write_text("\n".join(staff) + "\n")
    code, _, err = cli("ingest", tmp_path / "access.log", "--data", data_dir,
                       "--directory", tmp_path / "staff.csv")  # fmt: skip
    assert code == 0, err
    from socialsight.web.users import UserStore

    UserStore(data_dir, FAST_HASHER).add("analyst", "analyst", PASSWORDS["analyst"])
    client = logged_in(make_app(data_dir), "analyst")
    yield client
    client.close()


def test_hostile_unit_names_render_as_text(hostile_site: Client) -> None:
    units = hostile_site.get("/api/v1/units").json()["rows"]
    assert sorted(r["unit"] for r in units) == sorted(HOSTILE_UNITS)  # intact as data
    pages = ["/units", "/services/facebook", "/"]
    for unit in HOSTILE_UNITS:
        pages.append("/units/" + "".join(f"%{b:02X}" for b in unit.encode()))
    for path in pages:
        response = hostile_site.get(path)
        assert response.status_code == 200, path
        text = response.text
        for unit in HOSTILE_UNITS[:2]:
            assert unit not in text, path
        # The only script elements are the two files and the JSON data blocks.
        scripts = re.findall(r"<script[^>]*>", text)
        assert set(scripts) <= {
            '<script src="/vendor/plotly.min.js" defer>',
            '<script src="/static/app.js" defer>',
        } | {s for s in scripts if s.startswith('<script type="application/json"')}, path
    units_page = hostile_site.get("/units").text
    assert "&lt;script&gt;alert(&#34;unit&#34;)&lt;/script&gt;" in units_page
    # Chart labels are escaped for plotly (which reads HTML in labels), then '<', '>' and
    # '&' are escaped in the JSON: a unit name can neither close the block nor style a label.
    service = hostile_site.get("/services/facebook").text
    chart = re.search(r'data-target="usage-chart">(.*?)</script>', service, re.S)
    assert chart and "<" not in chart.group(1) and "&" not in chart.group(1)
    names = {trace["name"] for trace in json.loads(chart.group(1))["data"]}
    assert names == {html.escape(u, quote=False) for u in HOSTILE_UNITS}
    exported = hostile_site.get("/export/units.csv").text
    assert "'=HYPERLINK" in exported and "\n=HYPERLINK" not in exported


def test_new_data_shows_after_an_ingest_commits(data_dir: Path, tmp_path: Path, cli: Cli) -> None:
    from socialsight.web.users import UserStore

    UserStore(data_dir, FAST_HASHER).add("viewer", "viewer", PASSWORDS["viewer"])
    client = logged_in(make_app(data_dir), "viewer")
    try:
        assert client.get("/api/v1/services").json()["rows"] == []
        when = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
        log = tmp_path / "a.log"
        lines = [squid_line(when, f"10.0.0.{i}", f"p{i}", "CONNECT", "www.youtube.com:443")
                 for i in range(3)]  # fmt: skip
        log.write_text("\n".join(lines) + "\n")
        # An ingest holding the writer lock does not stop the dashboard from answering.
        with Store.open(data_dir / "store").writer_lock():
            assert client.get("/services").status_code == 200
        assert cli("ingest", log, "--data", data_dir)[0] == 0
        rows = client.get("/api/v1/services").json()["rows"]
        assert [(r["service"], r["people"]) for r in rows] == [("youtube", 3)]
        assert '<a href="/services/youtube">youtube</a>' in client.get("/services").text
    finally:
        client.close()


def test_the_cache_answers_per_arguments_and_store_version(
    data_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    from socialsight.web.data import Library

    from factories import small_org_directory, small_org_log

    log = small_org_log(tmp_path / "access.log")
    staff = small_org_directory(tmp_path / "staff.csv")
    assert cli("ingest", log, "--data", data_dir, "--directory", staff)[0] == 0
    library = Library(data_dir)
    fresh = Insights.open(data_dir)
    for method, args, kwargs in [
        ("dependencies", (), {}),
        ("dependencies", (), {"service": "facebook"}),
        ("usage_over_time", (), {"service": "facebook"}),
        ("unknown", (1,), {}),
        ("impact", ("facebook", 2.0, 10.0), {}),
    ]:
        cached = library.ask(method, *args, **kwargs)
        assert cached.as_json() == getattr(fresh, method)(*args, **kwargs).as_json(), method
        assert library.ask(method, *args, **kwargs) is cached  # served from the cache
    version = library.version()
    # A commit changes the version: the next answer is computed on the new data.
    more = tmp_path / "more.log"
    more.write_text(
        squid_line(datetime(2026, 3, 12, 15, tzinfo=UTC), "10.1.0.9", "comms5", "GET",
                   "http://www.example-news.ca/") + "\n"
    )  # fmt: skip
    before = library.ask("unknown")
    assert cli("ingest", more, "--data", data_dir, "--directory", staff)[0] == 0
    assert library.version() != version
    after = library.ask("unknown")
    assert after.rows[0]["requests"] == before.rows[0]["requests"] + 1


def test_an_empty_installation_renders_every_page(data_dir: Path) -> None:
    from socialsight.web.users import UserStore

    UserStore(data_dir, FAST_HASHER).add("admin", "admin", PASSWORDS["admin"])
    client = logged_in(make_app(data_dir), "admin")
    try:
        pages = ["/", "/services", "/services/facebook", "/units", "/outages", "/unknown"]
        for path in [*pages, "/export/dependencies.csv", "/api/v1/overview"]:
            assert client.get(path).status_code == 200, path
        assert "No dependency passes the minimum group size yet." in client.get("/").text
    finally:
        client.close()
