"""The declared-use register: import with counted rejections, clear errors, listing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from socialsight.catalog import load_catalog
from socialsight.errors import InputError
from socialsight.register import import_register
from socialsight.store.store import Store

from conftest import CliResult, SimulatedOrg

SERVICES = set(load_catalog().services)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_counts_and_reports_rejections(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(data_dir / "store")
    csv = write(
        tmp_path / "uses.csv",
        "service,unit,purpose,tolerable_downtime_hours,extra\n"
        'facebook,Communications,"Posts, events",8,x\n'
        "FaceBook ,Tourism,Campaigns,,\n"
        "myspace-2,IT,Nostalgia,4,\n"
        "twitter,Communications,Alerts,soon,\n"
        "twitter,Legal,Alerts,-3,\n"
        "facebook,Communications,again,2,\n"
        ",IT,nothing,1,\n"
        "github,,code,1,\n",
    )
    result = import_register(store, csv, SERVICES)
    assert result.imported == 2
    assert [(r.line, r.reason) for r in result.rejected] == [
        (4, "unknown-service"),
        (5, "bad-downtime"),
        (6, "bad-downtime"),
        (7, "duplicate"),
        (8, "missing-service"),
        (9, "missing-unit"),
    ]
    assert "'myspace-2' is not a catalog service id" in result.rejected[0].detail
    rows = store.declared_uses()
    assert [(r["unit"], r["service"], r["tolerable_downtime_hours"]) for r in rows] == [
        ("Communications", "facebook", 8.0),
        ("Tourism", "facebook", None),
    ]
    assert rows[0]["purpose"] == "Posts, events" and rows[0]["line"] == 2
    assert result.as_json()["rejected"][1] == {
        "line": 5, "reason": "bad-downtime", "detail": "'soon' is not a number of hours >= 0",
    }  # fmt: skip


def test_a_new_import_replaces_the_register(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(data_dir / "store")
    import_register(store, write(tmp_path / "a.csv", "unit,service\nIT,github\nIT,slack\n"),
                    SERVICES)  # fmt: skip
    import_register(store, write(tmp_path / "b.csv", "unit,service\nIT,github\n"), SERVICES)
    assert [(r["unit"], r["service"]) for r in store.declared_uses()] == [("IT", "github")]
    # A header alone empties it on purpose.
    import_register(store, write(tmp_path / "c.csv", "unit,service\n"), SERVICES)
    assert store.declared_uses() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"team,tool\nIT,github\n", "must name the columns unit, service (missing: unit, service)"),
        (b"unit,service\nIT,myspace2\n", "no usable row (1 rejected; line 2"),
        (b"unit,service\n\xff\xfeIT,github\n", "not UTF-8"),
        (b"unit,service\nIT,git\x00hub\n", "NUL bytes"),
    ],
)
def test_unusable_files_are_one_clear_error_and_change_nothing(
    data_dir: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    store = Store.open(data_dir / "store")
    import_register(store, write(tmp_path / "ok.csv", "unit,service\nIT,github\n"), SERVICES)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_register(store, bad, SERVICES)
    assert [(r["unit"], r["service"]) for r in store.declared_uses()] == [("IT", "github")]
    with pytest.raises(InputError, match="cannot read"):
        import_register(store, tmp_path / "missing.csv", SERVICES)


def test_store_without_register_reads_empty(data_dir: Path) -> None:
    assert Store.open(data_dir / "store").declared_uses() == []


def test_cli_register(
    cli: Callable[..., CliResult], data_dir: Path, tmp_path: Path, simulated_org: SimulatedOrg
) -> None:
    csv = write(tmp_path / "uses.csv",
                "unit,service,owner\nIT,github,=HYPERLINK(\"x\")\nIT,nope,x\n")  # fmt: skip
    code, out, err = cli("register", "import", csv, "--data", data_dir, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["imported"] == 1 and doc["rejected"][0]["reason"] == "unknown-service"
    code, out, err = cli("register", "list", "--data", data_dir, "--json")
    assert code == 0, err
    (row,) = json.loads(out)["rows"]
    assert (row["unit"], row["service"], row["owner"]) == ("IT", "github", '=HYPERLINK("x")')
    code, out, err = cli("register", "import", tmp_path / "none.csv", "--data", data_dir)
    assert code == 1 and "cannot read the register" in err and "Traceback" not in err
    # The simulated organisation's register, as the fixture imported it.
    code, out, err = cli("register", "list", "--data", simulated_org.data, "--unit",
                         "Service Centre", "--json")  # fmt: skip
    assert code == 0, err
    services = {r["service"] for r in json.loads(out)["rows"]}
    assert "facebook" in services and "whatsapp" not in services  # the undeclared one
    code, out, err = cli("register", "list", "--data", simulated_org.data, "--service", "slack",
                         "--json")  # fmt: skip
    assert code == 0, err
    status = {r["unit"]: (r["observed"], r["observed_tier"]) for r in json.loads(out)["rows"]}
    # Finance declared Slack and never uses it (the truth's declared_unused); IT lives on it.
    unused = simulated_org.truth["declared_unused"]
    assert unused == [{"unit": "Finance", "service": "slack"}]
    assert status == {"Finance": (False, None), "IT": (True, "critical")}
    code, out, err = cli("register", "list", "--data", simulated_org.data, "--service", "slack")
    assert code == 0 and "not observed" in out and "critical" in out
