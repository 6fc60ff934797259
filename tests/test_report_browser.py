"""The HTML report in a real browser: Debian's chromium, driven by Playwright.

The page must draw its charts with the inlined plotly.js, log no console error, request
nothing but the file itself, and show hostile unit names as text (no script runs, no dialog
opens).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright
from test_report import org_report_folder

from conftest import CliResult, SimulatedOrg
from factories import squid_line

CHROMIUM = "/usr/bin/chromium"
HOSTILE_UNIT = "<img src=x onerror=alert(1)><script>alert('unit')</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"chromium is missing at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@dataclass
class Visit:
    """What the page did while it was open."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _open(browser: Browser, path: Path) -> Visit:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = Visit(page)
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))

    def dialog(d: Dialog) -> None:
        visit.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(path.as_uri(), wait_until="load")
    return visit


def test_simulated_report_renders_offline_with_its_charts(
    browser: Browser, simulated_org: SimulatedOrg
) -> None:
    html = org_report_folder(simulated_org) / "report.html"
    visit = _open(browser, html)
    page = visit.page
    # Three charts: usage over time, top dependencies, outage timeline.
    page.wait_for_function("document.querySelectorAll('div[data-figure] .main-svg').length >= 3")
    assert page.locator("div[data-figure] .plot-container").count() == 3
    for chart in ("#chart-usage", "#chart-dependencies", "#chart-outages"):
        assert page.locator(f"{chart} .main-svg").count() >= 1, chart
    # The outage timeline has a bar for Facebook; the dependency chart names the whatsapp pair.
    assert page.locator("#chart-outages .bars path").count() >= 1
    assert "Facebook" in page.locator("#chart-outages").inner_text()
    assert "Service Centre · WhatsApp" in page.locator("#chart-dependencies").inner_text()
    # No plotly logo link to the outside world.
    assert page.locator("a[href^='http']").count() == 0
    text = page.locator("body").inner_text()
    assert "Minister" not in text
    assert visit.console_errors == [] and visit.page_errors == []
    assert visit.requests == [html.as_uri()]
    page.close()


def test_hostile_unit_name_is_shown_as_text(
    browser: Browser,
    data_dir: Path,
    tmp_path: Path,
    cli: Callable[..., CliResult],
) -> None:
    lines, staff = [], [("user", "unit")]
    for p in range(3):
        user, ip = f"user{p}", f"10.8.0.{p + 1}"
        staff.append((user, HOSTILE_UNIT))
        for day in (10, 11):
            when = datetime(2026, 3, day, 14, 5 * p, tzinfo=UTC)
            lines.append(squid_line(when, ip, user, "CONNECT", "www.facebook.com:443"))
            lines.append(squid_line(when, ip, user, "POST", "http://www.facebook.com/x"))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (tmp_path / "staff.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(staff)
    code, _, err = cli("ingest", log, "--data", data_dir, "--directory", tmp_path / "staff.csv")
    assert code == 0, err
    html = tmp_path / "report.html"
    code, _, err = cli("report", "--data", data_dir, "--html", html)
    assert code == 0, err

    visit = _open(browser, html)
    page = visit.page
    page.wait_for_function("document.querySelectorAll('div[data-figure] .main-svg').length >= 2")
    # The name is text in the tables and in the chart labels; no element came from it.
    assert page.get_by_text(HOSTILE_UNIT, exact=True).count() >= 2
    assert HOSTILE_UNIT in page.locator("#chart-dependencies").inner_text()
    assert page.locator("main img, main script").count() == 0
    assert visit.dialogs == []
    assert visit.console_errors == [] and visit.page_errors == []
    assert visit.requests == [html.as_uri()]
    page.close()
