"""The dashboard in a real browser: Debian's chromium driven by Playwright, against a real
Uvicorn server on a free localhost port, over a copy of the simulated organisation.

The flow is the one the dashboard is for: log in, read the overview, go to Facebook from the
top dependencies, see the planted outage on its timeline, ask what an 8-hour outage would
cost, log out. No console error is allowed, and no request may leave 127.0.0.1. The test
writes screenshots of the main pages to test-artifacts/screenshots/ (see SCREENSHOTS below).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from socialsight.insights import Insights

from conftest import SimulatedOrg
from webtools import PASSWORDS, shared_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Test artifacts by default (gitignored);
# `SCREENSHOTS=docs/screenshots pytest tests/test_browser.py` refreshes the README pictures.
SCREENSHOTS = Path(
    os.environ.get(
        "SCREENSHOTS", Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
    )
)
ZONE = ZoneInfo("America/Toronto")


@pytest.fixture(scope="module")
def server(
    simulated_org: SimulatedOrg, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A real Uvicorn server on a free port of 127.0.0.1 in a thread; yields (base URL, data)."""
    shared = shared_site(simulated_org.data, tmp_path_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(shared.app, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(600):
        if uv.started:
            started.set()
            break
        started.wait(0.05)
    assert uv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", shared.data
    uv.should_exit = True
    thread.join(timeout=30)
    sock.close()


def _local(value: datetime) -> str:
    return value.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def _wait_for_charts(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plot')].every(p => p.dataset.rendered === 'true')",
        timeout=60_000,
    )


def test_three_clicks_from_overview_to_the_units_hurt_most(
    server: tuple[str, Path], simulated_org: SimulatedOrg
) -> None:
    base, data = server
    insights = Insights.open(data)
    expected_outages = insights.outages(service="facebook").rows
    expected_impact = insights.impact("facebook", 8.0)
    planted = simulated_org.truth["outages"][0]
    planted_start = datetime.fromisoformat(planted["start"].replace("Z", "+00:00"))
    planted_end = datetime.fromisoformat(planted["end"].replace("Z", "+00:00"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.on(
                "console",
                lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning") else None,
            )  # fmt: skip
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

            # Anyone arriving is sent to the login form.
            page.goto(base + "/")
            assert page.url == base + "/login?next=%2F"
            page.screenshot(path=SCREENSHOTS / "login.png")
            page.fill("input[name=username]", "analyst")
            page.fill("input[name=password]", PASSWORDS["analyst"])
            page.click("button:has-text('Log in')")
            page.wait_for_url(base + "/")

            # The overview: headline counts, chart, top dependencies.
            _wait_for_charts(page)
            overview = insights.overview()
            assert page.inner_text("#card-outages") == f"{overview['outages']:,}"
            assert page.inner_text("#card-services") == f"{overview['services']:,}"
            page.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)

            # Click 1: Facebook, from the top dependencies.
            page.click("#top-dependencies a:text-is('Facebook')")
            page.wait_for_url(base + "/services/facebook")
            _wait_for_charts(page)
            rows = page.locator("#outages tbody tr")
            assert rows.count() == len(expected_outages) >= 1
            shown = [rows.nth(i).locator("td").nth(0).inner_text() for i in range(rows.count())]
            assert shown == [_local(o["start"]) for o in expected_outages]
            # The planted outage (10:00-16:00 local on 2026-03-11) is an episode on the
            # timeline: the plotted bar starts where the library says, within the window.
            episode = next(o for o in expected_outages if o["start"] < planted_end
                           and o["end"] > planted_start)  # fmt: skip
            bars: list[dict[str, Any]] = page.evaluate(
                "() => document.getElementById('timeline-chart').data"
                ".map(t => ({base: t.base, x: t.x}))"
            )
            bases = [b for trace in bars for b in trace["base"]]
            assert _local(episode["start"]) in bases
            assert _local(episode["start"]).startswith("2026-03-11")
            page.screenshot(path=SCREENSHOTS / "service-facebook.png", full_page=True)

            # Click 2: the what-if form, prefilled with 8 hours and the configured rate.
            assert page.input_value("#impact-form input[name=hours]") == "8.0"
            assert float(page.input_value("#impact-form input[name=rate]")) == (
                insights.settings.hourly_rate
            )
            page.click("#impact-form button[type=submit]")
            page.wait_for_selector("#impact-units")
            _wait_for_charts(page)
            ranked = page.locator("#impact-units tbody tr td:nth-child(2)").all_inner_texts()
            assert ranked == [u["unit"] for u in expected_impact.units]
            assert len(ranked) >= 3
            page.locator("#what-if").screenshot(path=SCREENSHOTS / "impact.png")

            # The other main pages render without error.
            page.goto(base + "/outages")
            _wait_for_charts(page)
            page.screenshot(path=SCREENSHOTS / "outages.png", full_page=True)
            page.goto(base + "/services?tier=critical")
            page.screenshot(path=SCREENSHOTS / "services.png", full_page=True)

            # Log out (a POST form) and the pages are closed again.
            page.click("button:has-text('Log out')")
            page.wait_for_url(base + "/login")
            page.goto(base + "/outages")
            assert page.url.startswith(base + "/login")
        finally:
            browser.close()

    assert problems == []
    outside = [url for url in requests if not url.startswith(base + "/")]
    assert outside == []
    assert any(url == base + "/vendor/plotly.min.js" for url in requests)
    for name in ("login", "overview", "service-facebook", "impact", "outages", "services"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000, name
