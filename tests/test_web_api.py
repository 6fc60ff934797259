"""The JSON API: the same figures as the library, its OpenAPI document, input validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SimulatedOrg
from webtools import Answers, Client, logged_in, make_app, shared_site


@pytest.fixture(scope="module")
def api(
    simulated_org: SimulatedOrg, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Client, Client, Answers]]:
    shared = shared_site(simulated_org.data, tmp_path_factory)
    viewer, analyst = logged_in(shared.app, "viewer"), logged_in(shared.app, "analyst")
    yield viewer, analyst, shared.insights
    viewer.close()
    analyst.close()


def test_answers_are_the_library_answers(api: tuple[Client, Client, Answers]) -> None:
    viewer, analyst, insights = api
    deps = viewer.get("/api/v1/dependencies?service=facebook").json()
    expected = insights.dependencies(service="facebook")
    assert [(r["unit"], r["score"], r["tier"], r["people"]) for r in deps["rows"]] == [
        (r["unit"], r["score"], r["tier"], r["people"]) for r in expected.rows]  # fmt: skip
    assert deps["suppressed_groups"] == expected.suppressed_groups
    assert [f["name"] for f in deps["rows"][0]["factors"]] == [
        f["name"] for f in expected.rows[0]["factors"]]  # fmt: skip

    overview = viewer.get("/api/v1/overview").json()
    library = insights.overview()
    for key in ("events", "people", "units", "services", "critical_dependencies", "outages",
                "unknown_domains", "min_group_size"):  # fmt: skip
        assert overview[key] == library[key], key
    assert overview["period_start"] == library["period_start"].isoformat()

    impact = analyst.get("/api/v1/impact?service=facebook&hours=8").json()
    answer = insights.impact("facebook", 8.0)
    assert impact["rate"] == insights.settings.hourly_rate
    assert [u["unit"] for u in impact["units"]] == [u["unit"] for u in answer.units]
    assert impact["cost"] == pytest.approx(answer.cost)

    service = viewer.get("/api/v1/services/facebook").json()
    assert service["info"]["id"] == "facebook" and "facebook.com" in service["info"]["domains"]
    assert len(service["outages"]["rows"]) == len(insights.outages(service="facebook").rows)


def test_validation_is_a_clear_422_never_a_traceback(api: tuple[Client, Client, Answers]) -> None:
    viewer, analyst, _ = api
    for path in ("/api/v1/impact?service=facebook&hours=0",
                 "/api/v1/impact?service=facebook&hours=abc",
                 "/api/v1/impact?hours=8",
                 "/api/v1/dependencies?since=yesterday",
                 "/api/v1/usage?by=person",
                 "/api/v1/unknown?limit=-1"):  # fmt: skip
        response = analyst.get(path)
        assert response.status_code == 422, path
        assert isinstance(response.json()["detail"], list) and response.json()["detail"], path
    assert analyst.get("/api/v1/impact?service=nope&hours=8").status_code == 404
    assert analyst.get("/api/v1/services/nope").json() == {
        "detail": "no service 'nope' in the catalog"}  # fmt: skip
    assert viewer.get("/api/v1/impact?service=facebook&hours=8").json() == {
        "detail": "this needs the analyst role"}  # fmt: skip


def test_openapi_document(api: tuple[Client, Client, Answers]) -> None:
    viewer, _, _ = api
    document = viewer.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "socialsight API"
    assert sorted(document["paths"]) == [
        "/api/v1/dependencies", "/api/v1/impact", "/api/v1/me", "/api/v1/outages",
        "/api/v1/overview", "/api/v1/services", "/api/v1/services/{service}",
        "/api/v1/units", "/api/v1/units/{unit}", "/api/v1/unknown", "/api/v1/usage",
    ]  # fmt: skip
    grouped = document["components"]["schemas"]["GroupedAnswer"]
    assert set(grouped["required"]) == {"min_group_size", "suppressed_groups", "rows"}


def test_create_app_needs_an_initialised_data_dir(tmp_path: Path) -> None:
    # create_app refuses a directory that `socialsight init` did not create.
    from socialsight.errors import NotInitialisedError

    with pytest.raises(NotInitialisedError):
        make_app(tmp_path)
