"""The simulator keeps its promises: volume, determinism, local time across DST, holidays,
and a truth file that matches what was written (checked through the real Squid parser)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from socialsight import formats
from socialsight.simulate import OutageSpec, SimulationConfig, estimate_lines, simulate
from socialsight.simulate.planted import INVALID_BYTES, OVERLONG_CHARS
from socialsight.simulate.services import NON_CATALOG, SERVICES

TZ = "America/Toronto"
# 14 days from Monday 2 March 2026: Toronto moves to daylight time on Sunday 8 March.
CONFIG = SimulationConfig(days=14, people=150, seed=11)


class Run:
    """One simulation, its truth file and its log parsed by the Squid parser."""

    def __init__(self, out: Path, cfg: SimulationConfig) -> None:
        self.cfg = cfg
        self.summary = simulate(cfg, out, progress=self._progress)
        self.raw = (out / "access.log").read_bytes().split(b"\n")
        assert self.raw[-1] == b""
        self.raw = self.raw[:-1]
        self.truth: dict[str, Any] = json.loads((out / "truth.json").read_text())
        parsed = formats.get("squid")().parse(
            pa.array([line.decode("utf-8", "replace") for line in self.raw]), 1
        )
        self.rejects = parsed.rejects
        hostile = {h["line"] for h in self.truth["hostile_lines"]["lines"]}
        rec = parsed.records
        keep = pc.invert(pc.is_in(rec["log.line"], pa.array(sorted(hostile), pa.int64())))
        self.records = rec.filter(keep)
        self.unit_of = {p["user"]: p["unit"] for p in self.truth["people"]}
        local = self.records["@timestamp"].cast(pa.timestamp("us", tz=TZ))
        self.local_hour = pc.hour(local).to_numpy()
        self.local_minute = pc.minute(local).to_numpy()
        self.local_date = np.array(pc.strftime(local, "%Y-%m-%d").to_pylist())
        self.user = np.array(self.records["user.name"].to_pylist())
        self.domain = np.array(self.records["url.domain"].to_pylist())
        self.unit = np.array([self.unit_of.get(u, "") for u in self.user])
        self.ms = (self.records["@timestamp"].cast(pa.int64()).to_numpy() // 1000).astype(np.int64)

    def _progress(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    calls: ClassVar[list[tuple[int, int]]] = []

    def hosts_of(self, service: str) -> np.ndarray:
        return np.isin(self.domain, self.truth["services"][service])


def iso_ms(text: str) -> int:
    from datetime import datetime

    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    Run.calls = []
    return Run(tmp_path_factory.mktemp("sim"), CONFIG)


def test_summary_and_files(run: Run) -> None:
    s = run.summary
    assert s.lines == len(run.raw) == run.truth["lines"] == run.truth["files"][0]["lines"]
    assert s.people == 150 and sum(s.units.values()) == 150
    assert s.units["Minister's Office"] == 3
    assert s.days == 14 and s.working_days == 10
    assert [p.name for p in s.files] == ["access.log"]
    assert s.bytes_written == (s.out_dir / "access.log").stat().st_size
    assert Run.calls == [(d, 14) for d in range(1, 15)]


def test_volume_matches_the_model(run: Run) -> None:
    t = run.truth
    planted = sum(a["requests_in_windows"] for a in t["abusers"])
    planted += sum(o["retries"] for o in t["outages"]) + t["hostile_lines"]["count"]
    ordinary = run.summary.lines - planted
    expected = estimate_lines(CONFIG)
    assert abs(ordinary / expected - 1) < 0.05, (ordinary, expected)
    # About 100 lines per person and working day: a proxy that sees HTTPS as tunnels.
    assert 70 * 150 * 10 < run.summary.lines < 140 * 150 * 10


def test_every_line_but_the_hostile_ones_parses(run: Run) -> None:
    hostile = {h["line"] for h in run.truth["hostile_lines"]["lines"]}
    rejected = set(run.rejects["log.line"].to_pylist())
    assert rejected <= hostile
    assert run.records.num_rows == len(run.raw) - len(hostile)
    # Lines are in time order, as a proxy writes them.
    assert bool(np.all(np.diff(run.ms) >= 0))


def test_office_hours_in_local_time_on_both_sides_of_dst(run: Run) -> None:
    comms = run.unit == "Communications"
    assert run.truth["calendar"]["dst_changes"] == [
        {"utc": "2026-03-08T07:00:00.000Z", "offset_before_hours": -5.0, "offset_after_hours": -4.0}
    ]
    for week in (("2026-03-02", "2026-03-06"), ("2026-03-09", "2026-03-13")):
        sel = comms & (run.local_date >= week[0]) & (run.local_date <= week[1])
        hours = np.bincount(run.local_hour[sel], minlength=24)
        assert 9 <= int(np.argmax(hours)) <= 16
        assert hours[8:18].sum() / hours.sum() > 0.85
        # Nobody in Communications starts before 6:30 local (an hour off would show at 5:30).
        minutes = run.local_hour[sel] * 60 + run.local_minute[sel]
        assert minutes.min() >= 6 * 60 + 30
        # The lunch dip: 12-13 is quieter than 10-11 and 14-15.
        assert hours[12] < 0.8 * min(hours[10], hours[14])


def test_weekends_only_night_and_weekend_workers(run: Run) -> None:
    shift = {p["user"]: p["shift"] for p in run.truth["people"]}
    weekend = np.isin(run.local_date, ["2026-03-07", "2026-03-08", "2026-03-14", "2026-03-15"])
    users = set(run.user[weekend].tolist())
    assert users, "weekend workers work at weekends"
    assert {shift[u] for u in users} <= {"night", "weekend"}
    assert {shift[u] for u in set(run.user.tolist())} == {"office", "night", "weekend"}


def test_holiday_is_quiet(tmp_path: Path) -> None:
    cfg = SimulationConfig(days=7, people=60, seed=3, holidays=(date(2026, 3, 4),), outages=())
    r = Run(tmp_path, cfg)
    assert "2026-03-04" not in r.truth["calendar"]["working_days"]
    assert r.truth["calendar"]["holidays"] == ["2026-03-04"]
    shift = {p["user"]: p["shift"] for p in r.truth["people"]}
    on_holiday = r.local_date == "2026-03-04"
    assert {shift[u] for u in r.user[on_holiday]} <= {"night", "weekend"}
    per_day = {
        d: int((r.local_date == d).sum()) for d in ("2026-03-03", "2026-03-04", "2026-03-05")
    }
    assert per_day["2026-03-04"] < per_day["2026-03-03"] / 5
    assert per_day["2026-03-04"] < per_day["2026-03-05"] / 5
    assert r.truth["outages"] == []


def test_outage_window_only_failures(run: Run) -> None:
    (o,) = run.truth["outages"]
    assert o["service"] == "facebook"
    assert (o["start"], o["end"]) == ("2026-03-11T14:00:00.000Z", "2026-03-11T20:00:00.000Z")
    assert o["start_local"] == "2026-03-11T10:00:00-04:00"
    start, end = iso_ms(o["start"]), iso_ms(o["end"])
    inside = run.hosts_of("facebook") & (run.ms >= start) & (run.ms < end)
    outcome = np.array(run.records["event.outcome"].to_pylist())
    assert int(inside.sum()) == o["requests"] > 0
    assert set(outcome[inside].tolist()) == {"failed"}
    assert o["successful_requests"] == 0
    action = np.array(run.records["event.action"].to_pylist())[inside]
    status = run.records["http.response.status_code"].to_numpy(zero_copy_only=False)[inside]
    codes: dict[str, int] = {}
    for a, s in zip(action, status, strict=True):
        key = f"{a}/{0 if np.isnan(s) else int(s):03d}"
        codes[key] = codes.get(key, 0) + 1
    assert codes == o["result_codes"]
    assert {"TCP_MISS/503", "NONE/000", "TCP_MISS_ABORTED/000"} <= set(codes)
    nbytes = run.records["http.response.bytes"].to_numpy()[inside]
    elapsed = run.records["event.duration_ms"].to_numpy()[inside]
    assert int(nbytes.max()) == 0 and int(elapsed.min()) >= 5000
    # Retries: more requests than on an ordinary day in the same local window, not fewer.
    baseline = [n for d, n in o["requests_same_local_window_by_day"].items()
                if d in run.truth["calendar"]["working_days"] and d != "2026-03-11"]  # fmt: skip
    assert o["requests"] > 1.3 * float(np.median(baseline))
    assert o["retries"] > 0
    users = set(run.user[inside].tolist())
    assert o["people_hit"] == len(users)
    by_unit: dict[str, int] = {}
    for u in users:
        by_unit[run.unit_of[u]] = by_unit.get(run.unit_of[u], 0) + 1
    assert o["people_hit_by_unit"] == by_unit
    # Outside the window the service works as usual.
    after = run.hosts_of("facebook") & (run.ms >= end + 120_000)
    assert (outcome[after] == "allowed").mean() > 0.98


def test_custom_outage_in_local_time(tmp_path: Path) -> None:
    spec = OutageSpec.parse("youtube@2026-03-03T13:00/2h")
    cfg = SimulationConfig(days=3, people=60, seed=5, outages=(spec,), hostile_lines=0)
    r = Run(tmp_path, cfg)
    (o,) = r.truth["outages"]
    assert (o["service"], o["start"], o["end"]) == (
        "youtube",
        "2026-03-03T18:00:00.000Z",
        "2026-03-03T20:00:00.000Z",
    )
    inside = r.hosts_of("youtube") & (r.ms >= iso_ms(o["start"])) & (r.ms < iso_ms(o["end"]))
    outcome = np.array(r.records["event.outcome"].to_pylist())
    assert inside.sum() == o["requests"] > 0 and set(outcome[inside]) == {"failed"}
    assert r.truth["hostile_lines"] == {"count": 0, "kinds": {}, "lines": [], "users": []}


def test_abusers_match_the_log(run: Run) -> None:
    abusers = run.truth["abusers"]
    assert [a["kind"] for a in abusers] == ["streaming", "streaming", "upload", "banned", "banned"]
    assert [a["service"] for a in abusers[:2]] == ["youtube", "netflix"]
    nbytes = run.records["http.response.bytes"].to_numpy()
    for a in abusers:
        assert run.unit_of[a["user"]] == a["unit"]
        mine = (run.user == a["user"]) & run.hosts_of(a["service"])
        inside = np.zeros(len(mine), dtype=bool)
        for w in a["windows"]:
            inside |= (run.ms >= iso_ms(w["start"])) & (run.ms <= iso_ms(w["end"]))
        assert int((mine & inside).sum()) == a["requests_in_windows"]
        assert int(nbytes[mine & inside].sum()) == a["logged_bytes_in_windows"]
        assert int(mine.sum()) == a["requests_total"]
        hours = sum(iso_ms(w["end"]) - iso_ms(w["start"]) for w in a["windows"]) / 3.6e6
        assert a["hours"] == pytest.approx(hours, abs=0.001)
        if a["kind"] == "streaming":
            assert a["hours"] >= 1.5 * len(a["windows"]) * 0.95 and len(a["windows"]) >= 5
            # Hours of video: more than a gigabyte an hour.
            assert a["logged_bytes_in_windows"] > 1e9 * a["hours"]
            for w in a["windows"]:
                local = pa.array([iso_ms(w["start"]) * 1000], pa.timestamp("us", tz="UTC"))
                assert 13 <= pc.hour(local.cast(pa.timestamp("us", tz=TZ)))[0].as_py() <= 14
        if a["kind"] == "upload":
            assert len(a["windows"]) == 3
            assert a["uploaded_bytes_in_windows"] > 3 * 40 * 20e6
            assert a["logged_bytes_in_windows"] > 1e9
    banned = run.truth["banned_service_use"]
    users, counts = np.unique(run.user[run.hosts_of("tiktok")], return_counts=True)
    assert banned["users"] == dict(zip(users.tolist(), counts.tolist(), strict=True))
    assert set(banned["users"]) == {a["user"] for a in abusers if a["kind"] == "banned"}


def test_adoption_first_seen(run: Run) -> None:
    (a,) = run.truth["adoptions"]
    assert (a["unit"], a["service"]) == ("Environment", "mastodon")
    assert a["adopted_on"] == "2026-03-09"  # first working day at 40 % of 14 days
    use = run.hosts_of("mastodon")
    assert set(run.unit[use].tolist()) == {"Environment"}
    first = int(run.ms[use].min())
    assert first == iso_ms(a["first_seen"])
    assert min(run.local_date[use].tolist()) == a["adopted_on"]
    assert int(use.sum()) == a["requests"]


def test_undeclared_dependency(run: Run, tmp_path: Path) -> None:
    (u,) = run.truth["undeclared_dependencies"]
    assert (u["unit"], u["service"]) == ("Service Centre", "whatsapp")
    with (run.summary.declared_path).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "unit", "service", "purpose", "owner", "fallback", "tolerable_downtime_hours"
    ]  # fmt: skip
    declared = {(r["unit"], r["service"]) for r in rows}
    assert ("Service Centre", "whatsapp") not in declared
    assert {("Communications", "facebook"), ("Human Resources", "linkedin"), ("IT", "github"),
            ("Environment", "mastodon"), ("Finance", "slack")} <= declared  # fmt: skip
    use = run.hosts_of("whatsapp") & (run.unit == "Service Centre")
    assert int(use.sum()) == u["requests"]
    assert len(set(run.user[use].tolist())) == u["people"]
    assert u["breadth"] > 0.8 and u["working_days_seen"] == u["working_days"] == 10
    assert run.truth["declared_unused"] == [{"unit": "Finance", "service": "slack"}]
    assert not (run.hosts_of("slack") & (run.unit == "Finance")).any()


def test_hostile_lines_present(run: Run) -> None:
    h = run.truth["hostile_lines"]
    assert h["count"] == 7 == len(h["lines"])
    assert set(h["kinds"]) == {
        "script_in_url", "html_in_url", "script_in_user", "html_in_user",
        "overlong_line", "invalid_utf8", "control_chars",
    }  # fmt: skip
    line = {x["kind"]: run.raw[x["line"] - 1] for x in h["lines"]}
    assert b"<script>alert(document.cookie)</script>" in line["script_in_url"]
    assert b"<img/src=x/onerror=alert(1)>" in line["html_in_url"]
    assert b" <script>alert('user')</script> " in line["script_in_user"]
    assert b" <b>boss</b><iframe/src=//evil.example> " in line["html_in_user"]
    assert len(line["overlong_line"]) > OVERLONG_CHARS
    assert INVALID_BYTES in line["invalid_utf8"]
    assert b"\x1b[2J" in line["control_chars"]
    with pytest.raises(UnicodeDecodeError):
        line["invalid_utf8"].decode("utf-8")
    # No other line is hostile.
    others = [b for i, b in enumerate(run.raw, 1) if i not in {x["line"] for x in h["lines"]}]
    assert not any(b"<" in b or b"\x1b" in b for b in others)
    assert max(len(b) for b in others) < 1000


def test_directory_and_people(run: Run) -> None:
    with run.summary.directory_path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["user", "unit"]
    listed = {u: unit for u, unit in rows[1:]}
    people = run.truth["people"]
    missing = {p["user"] for p in run.truth["people_not_in_directory"]}
    assert len(missing) == 2 and not missing & set(listed)
    assert listed == {p["user"]: p["unit"] for p in people if p["in_directory"]}
    assert missing <= set(run.user.tolist())  # they do browse
    networks = {u["name"]: u["network"] for u in run.truth["units"]}
    for p in people:
        assert re.fullmatch(r"[a-z]+[0-9]{2}", p["user"])
        prefix = networks[p["unit"]].removesuffix(".0.0/16") + "."
        assert p["address"].startswith(prefix)
    assert len({p["user"] for p in people}) == len({p["address"] for p in people}) == 150
    assert sum(u["people"] for u in run.truth["units"]) == 150
    small = [u for u in run.truth["units"] if u["name"] == "Minister's Office"]
    assert small[0]["people"] == 3
    # Every person uses the proxy through their own fixed address.
    addr = dict(zip(run.user, run.records["source.address"].to_pylist(), strict=True))
    assert all(addr[p["user"]] == p["address"] for p in people if p["user"] in addr)


def test_traffic_mix(run: Run) -> None:
    method = np.array(run.records["http.request.method"].to_pylist())
    share = {m: float((method == m).mean()) for m in ("CONNECT", "GET", "POST")}
    assert share["CONNECT"] > 0.5 and share["GET"] > 0.2 and 0.01 < share["POST"] < 0.15
    codes = set(
        zip(run.records["event.action"].to_pylist(),
            run.records["http.response.status_code"].to_pylist(), strict=True)
    )  # fmt: skip
    assert {("TCP_TUNNEL", 200), ("TCP_MISS", 200), ("TCP_REFRESH_UNMODIFIED", 304),
            ("TCP_MISS", 404), ("TCP_DENIED", 403)} <= codes  # fmt: skip
    outcome = np.array(run.records["event.outcome"].to_pylist())
    blocked = outcome == "blocked"
    assert int(blocked.sum()) == run.truth["blocked"]["requests"] > 0
    assert set(run.domain[blocked]) <= set(run.truth["blocked"]["hosts"])
    # The long tail: many distinct unknown sites.
    known = {h for hosts in run.truth["services"].values() for h in hosts}
    unknown = set(run.domain.tolist()) - known
    assert len(unknown) > 500


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    cfg = SimulationConfig(days=3, people=60, seed=21)

    def digest(out: Path) -> dict[str, str]:
        simulate(cfg if out.name != "other" else SimulationConfig(days=3, people=60, seed=22), out)
        names = ("access.log", "truth.json", "directory.csv", "declared-uses.csv")
        return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names}

    first, second, other = (digest(tmp_path / n) for n in ("a", "b", "other"))
    assert first == second
    assert first["access.log"] != other["access.log"]
    assert first["truth.json"] != other["truth.json"]


def test_every_simulated_host_classifies_to_its_service() -> None:
    from socialsight.catalog.matcher import Matcher
    from socialsight.catalog.model import load_catalog
    from socialsight.simulate.services import long_tail

    matcher = Matcher(load_catalog())
    wrong = {
        host: matcher.lookup(host).service_id
        for sid, svc in SERVICES.items()
        if sid not in NON_CATALOG
        for host, _, _ in svc.hosts
        if matcher.lookup(host).service_id != sid
    }
    assert wrong == {}
    ours = set(SERVICES)
    tail = long_tail(4000, np.random.default_rng(7))
    assert not {h for h in tail if matcher.lookup(h).service_id in ours}
