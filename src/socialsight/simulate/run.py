"""Run a simulation: generate day by day, write the log, the directory, the register and the
truth file. :func:`simulate` is the one entry point (the CLI's ``socialsight simulate``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from socialsight import formats
from socialsight.errors import InputError
from socialsight.simulate import planted
from socialsight.simulate.calendar import DAY, LocalClock, default_holidays, iso_utc
from socialsight.simulate.config import SimulationConfig
from socialsight.simulate.organisation import (
    SITES,
    SMALL_UNIT,
    UNITS,
    People,
    heavy_dependencies,
    make_people,
)
from socialsight.simulate.register import declared_uses
from socialsight.simulate.services import NON_CATALOG, SERVICES, blocked_hosts, long_tail
from socialsight.simulate.tables import (
    ACTIONS,
    BLOCKED,
    FAILED,
    Batch,
    HostTable,
    Renderer,
)
from socialsight.simulate.traffic import WEEKEND_RATE, Rates, make_rates, requests, visits

Progress = Callable[[int, int], None]
TRUTH_VERSION = 1
# Work hours for the truth's work-hours shares (local time, working days).
WORK_START, WORK_END = 9 * 3600, 17 * 3600


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote."""

    out_dir: Path
    files: tuple[Path, ...]
    """The log file(s)."""
    lines: int
    """Log lines written, hostile ones included."""
    bytes_written: int
    people: int
    units: dict[str, int]
    """People per unit."""
    days: int
    working_days: int
    truth_path: Path
    directory_path: Path
    declared_path: Path
    format: str
    hostile_lines: int = 0
    outages: tuple[str, ...] = field(default=())
    """One ``service@start/end`` text (UTC) per planted outage."""


def _seed(cfg: SimulationConfig, *parts: int) -> np.random.Generator:
    # Independent, reproducible streams per purpose and per day.
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, *parts]))


@dataclass
class _Plan:
    """Everything decided before the first day is generated."""

    clock: LocalClock
    holidays: tuple[date, ...]
    day_kind: list[str]
    working: list[int]
    people: People
    rates: Rates
    hosts: HostTable
    users: list[str]
    addresses: list[str]
    outages: list[dict[str, Any]]
    abusers: list[tuple[int, str, str]]
    upload_days: set[int]
    adoption_day: int | None
    hostile: dict[int, list[tuple[str, int, int, int]]]
    hostile_kinds: list[str]


def plan(cfg: SimulationConfig) -> _Plan:
    """Decide the organisation, the calendar and the planted facts for ``cfg``."""
    clock = LocalClock(cfg.timezone, cfg.start, cfg.days)
    holidays = (
        cfg.holidays
        if cfg.holidays is not None
        else default_holidays(cfg.timezone, cfg.start, cfg.end)
    )
    day_kind = []
    for d in range(cfg.days):
        day = cfg.start + timedelta(days=d)
        kind = "holiday" if day in holidays else "weekend" if day.weekday() >= 5 else "working"
        day_kind.append(kind)
    working = [d for d, k in enumerate(day_kind) if k == "working"]

    org = _seed(cfg, 0)
    people = make_people(
        cfg.people,
        org,
        night_workers=cfg.resolved("night_workers", cfg.people),
        weekend_workers=cfg.resolved("weekend_workers", cfg.people),
        not_in_directory=cfg.resolved("not_in_directory", cfg.people),
        protected_units=(cfg.adoption_unit, cfg.undeclared_unit),
    )
    hosts = HostTable(long_tail(cfg.long_tail_sites, org), blocked_hosts(cfg.blocked_sites, org))
    rates = make_rates(people, cfg.activity, cfg.lines_per_visit)
    # The adopted service is nobody's habit before the adoption day (see _day).
    col = rates.columns.index(cfg.adoption_service)
    rates.business[:, col] = 0.0
    rates.personal[:, col] = 0.0
    adopters = people.of_unit(cfg.adoption_unit)
    rates.business[adopters, col] = 3.0 * people.activity[adopters] * cfg.activity
    # Banned and planted-abuse services are not anybody's ordinary habit.
    for sid in (cfg.banned_service,):
        c = rates.columns.index(sid)
        rates.business[:, c] = 0.0
        rates.personal[:, c] = 0.0

    outages = _resolve_outages(cfg, clock, working, hosts)

    # Abusers: office-hours people in the directory, outside the units the truth measures.
    protected = {cfg.adoption_unit, cfg.undeclared_unit, SMALL_UNIT}
    eligible_units = [i for i, u in enumerate(UNITS) if u[0] not in protected]
    pool = np.nonzero(
        (people.shift == 0) & people.in_directory & np.isin(people.unit, eligible_units)
    )[0]
    roles = [("streaming", cfg.streaming_services[i % len(cfg.streaming_services)])
             for i in range(cfg.streamers)]  # fmt: skip
    roles += [("upload", cfg.upload_service)] * cfg.uploaders
    roles += [("banned", cfg.banned_service)] * cfg.banned_users
    if len(roles) > len(pool):
        raise InputError(f"too many planted abusers ({len(roles)}) for {cfg.people} people")
    chosen = _seed(cfg, 2).choice(pool, size=len(roles), replace=False)
    abusers = [(int(p), kind, svc) for p, (kind, svc) in zip(chosen, roles, strict=True)]
    upload_days = {working[int(i * len(working) / 4)] for i in (1, 2, 3)} if working else set()

    adoption_day = next((d for d in working if d >= int(cfg.adoption_fraction * cfg.days)), None)

    users = list(people.user)
    addresses = list(people.address)
    hostile: dict[int, list[tuple[str, int, int, int]]] = {}
    kinds: list[str] = []
    if working and cfg.hostile_lines:
        hday = working[len(working) // 2]
        hrng = _seed(cfg, 3)
        for i in range(cfg.hostile_lines):
            kind = planted.HOSTILE_KINDS[i % len(planted.HOSTILE_KINDS)]
            kinds.append(kind)
            person = int(hrng.integers(len(people)))
            where, value = planted.hostile_value(kind)
            url = -1
            if where == "user":
                users.append(value)
                addresses.append(people.address[person])
                person = len(users) - 1
            else:
                url = hosts.add_url(value, "www.cbc.ca")
            hostile.setdefault(hday, []).append((kind, person, url, 11 * 60 + 7 * i))
    return _Plan(
        clock, holidays, day_kind, working, people, rates, hosts, users, addresses, outages,
        abusers, upload_days, adoption_day, hostile, kinds,
    )  # fmt: skip


def _resolve_outages(
    cfg: SimulationConfig, clock: LocalClock, working: list[int], hosts: HostTable
) -> list[dict[str, Any]]:
    specs: list[tuple[str, float, float]] = []
    if cfg.outages is None:
        if working:
            day = next((d for d in working if d >= 9), working[len(working) // 2])
            start = clock.to_utc(np.array([day * DAY + 10 * 3600]))[0]
            specs.append(("facebook", float(start), float(start) + 6 * 3600))
    else:
        for o in cfg.outages:
            begin, end = o.window(clock.tz)
            specs.append((o.service, begin.timestamp(), end.timestamp()))
    out = []
    for service, begin_s, end_s in specs:
        out.append(
            {
                "service": service,
                "start_ms": round(begin_s * 1000),
                "end_ms": round(end_s * 1000),
                "hosts": hosts.hosts_of(service),
            }
        )
    return out


def _day_batch(cfg: SimulationConfig, p: _Plan, d: int) -> tuple[Batch, list[planted.Window]]:
    rng = _seed(cfg, 1, d)
    kind = p.day_kind[d]
    people = p.people
    business = p.rates.business
    if p.adoption_day is None or d < p.adoption_day:
        business = business.copy()
        business[:, p.rates.columns.index(cfg.adoption_service)] = 0.0
    parts = []
    office = people.shift == 0
    weekend = people.shift == 2
    night = (people.shift == 1) & (((np.arange(len(people)) + d) % 7) < 5)  # 5 nights in 7
    if kind == "working":
        day_people = office | weekend
        counts = rng.poisson(business * day_people[:, None])
        parts.append(visits(counts, rng, "office", False))
        counts = rng.poisson(p.rates.personal * day_people[:, None])
        parts.append(visits(counts, rng, "lunch", True))
    else:
        counts = rng.poisson(business * weekend[:, None] * WEEKEND_RATE)
        parts.append(visits(counts, rng, "office", False))
    counts = rng.poisson(business * night[:, None])
    parts.append(visits(counts, rng, "night", False))
    person = np.concatenate([v[0] for v in parts])
    column = np.concatenate([v[1] for v in parts])
    start = np.concatenate([v[2] for v in parts])
    batch = requests(d, person, column, start, p.rates, p.hosts, p.clock, rng)
    windows: list[planted.Window] = []
    if kind == "working":
        abuse, windows = planted.abuse_day(d, p.abusers, p.hosts, p.clock, rng, p.upload_days)
        batch = Batch.concat([batch, abuse])
    if d in p.hostile:
        batch = Batch.concat([batch, planted.hostile_day(d, p.hostile[d], p.hosts, p.clock, rng)])
    return batch, windows


def estimate_lines(cfg: SimulationConfig) -> int:
    """Expected number of ordinary log lines for ``cfg`` (planted ones not counted).

    >>> 0 < estimate_lines(SimulationConfig(days=7, people=150))
    True
    """
    p = plan(cfg)
    lpv = p.rates.lines_per_visit
    people = p.people
    office = people.shift == 0
    weekend = people.shift == 2
    total = 0.0
    for d in range(cfg.days):
        business = p.rates.business.copy()
        if p.adoption_day is None or d < p.adoption_day:
            business[:, p.rates.columns.index(cfg.adoption_service)] = 0.0
        per_person = business @ lpv
        night = (people.shift == 1) & (((np.arange(len(people)) + d) % 7) < 5)
        if p.day_kind[d] == "working":
            total += (
                per_person[office | weekend].sum()
                + (p.rates.personal @ lpv)[office | weekend].sum()
            )
        else:
            total += per_person[weekend].sum() * WEEKEND_RATE
        total += per_person[night].sum()
    return round(total)


@dataclass
class _OutageStats:
    requests: int = 0
    successes: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    people: set[int] = field(default_factory=set)


class _Tracker:
    """Accumulates, chunk by chunk, what the truth file reports about the written lines."""

    def __init__(self, cfg: SimulationConfig, p: _Plan) -> None:
        self.cfg = cfg
        self.p = p
        n = len(p.people)
        self.n_people = n
        self.n_base_urls = len(p.hosts.url_text) - sum(
            1 for v in p.hostile.values() for _, _, u, _ in v if u >= 0
        )
        self.hostile_lines: list[int] = []
        self.outage_stats = [_OutageStats() for _ in p.outages]
        self.outage_baseline: list[dict[str, int]] = [{} for _ in p.outages]
        watch = {a[0] for a in p.abusers}
        self.watch = np.array(sorted(watch), dtype=np.int64)
        self.watched: list[Batch] = []
        self.adopt_people = p.people.of_unit(cfg.adoption_unit)
        self.undeclared_people = p.people.of_unit(cfg.undeclared_unit)
        self.adopt_hosts = p.hosts.hosts_of(cfg.adoption_service)
        self.undeclared_hosts = p.hosts.hosts_of(cfg.undeclared_service)
        self.banned_hosts = p.hosts.hosts_of(cfg.banned_service)
        self.adopt: list[np.ndarray] = []
        self.undeclared: list[tuple[np.ndarray, np.ndarray]] = []
        self.banned: list[np.ndarray] = []
        self.blocked = 0
        self.blocked_people: set[int] = set()

    def add(self, b: Batch, first_line: int) -> None:
        p = self.p
        host = p.hosts.url_host[b.url]
        hostile = (b.person >= self.n_people) | (b.url >= self.n_base_urls)
        self.hostile_lines += (np.nonzero(hostile)[0] + first_line).tolist()
        ok = ~hostile
        local = p.clock.to_local(b.ts_ms // 1000)
        tod = local % DAY
        lday = local // DAY
        for i, o in enumerate(p.outages):
            svc = np.isin(host, o["hosts"]) & ok
            inside = svc & (b.ts_ms >= o["start_ms"]) & (b.ts_ms < o["end_ms"])
            st = self.outage_stats[i]
            st.requests += int(inside.sum())
            st.successes += int((inside & (b.outcome != FAILED)).sum())
            for a, s in zip(b.action[inside], b.status[inside], strict=True):
                key = f"{ACTIONS[a]}/{s:03d}"
                st.codes[key] = st.codes.get(key, 0) + 1
            st.people.update(np.unique(b.person[inside]).tolist())
            # The same local time of day on every day, for a baseline to compare with.
            lo = p.clock.to_local(np.array([o["start_ms"] // 1000]))[0] % DAY
            hi = lo + (o["end_ms"] - o["start_ms"]) // 1000
            same = svc & (tod >= lo) & (tod < hi)
            days, counts = np.unique(lday[same], return_counts=True)
            base = self.outage_baseline[i]
            for dd, c in zip(days.tolist(), counts.tolist(), strict=True):
                key = (self.cfg.start + timedelta(days=int(dd))).isoformat()
                base[key] = base.get(key, 0) + int(c)
        mine = np.isin(b.person, self.watch) & ok
        if mine.any():
            self.watched.append(b.take(mine))
        a = np.isin(b.person, self.adopt_people) & np.isin(host, self.adopt_hosts)
        self.adopt.append(b.ts_ms[a])
        u = np.isin(b.person, self.undeclared_people) & np.isin(host, self.undeclared_hosts)
        self.undeclared.append((b.person[u], local[u]))
        self.banned.append(b.person[np.isin(host, self.banned_hosts) & ok])
        blk = b.outcome == BLOCKED
        self.blocked += int(blk.sum())
        self.blocked_people.update(np.unique(b.person[blk]).tolist())


def simulate(
    cfg: SimulationConfig, out_dir: Path, progress: Progress | None = None
) -> SimulationSummary:
    """Simulate ``cfg`` into ``out_dir``: the log, ``directory.csv``, ``declared-uses.csv`` and
    ``truth.json``. ``progress(done, total)`` is called after each simulated day.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     s = simulate(SimulationConfig(days=2, people=60, seed=1), Path(tmp))
    ...     (s.people, s.files[0].name, s.lines > 0)
    (60, 'access.log', True)
    """
    writer = formats.get(cfg.format)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    p = plan(cfg)
    renderer = Renderer(p.hosts, p.users, p.addresses)
    log_path = out_dir / ("access.log" if cfg.format == "squid" else f"{cfg.format}.log")
    tracker = _Tracker(cfg, p)
    windows: list[planted.Window] = []
    retries = [0 for _ in p.outages]
    carry = Batch.empty()
    line = 1
    written = 0
    token = planted.INVALID_TOKEN.encode()
    with log_path.open("wb") as fh:
        for d in range(cfg.days):
            batch, wins = _day_batch(cfg, p, d)
            windows += wins
            for i, o in enumerate(p.outages):
                batch, n = planted.outage(
                    batch, o["hosts"], o["start_ms"], o["end_ms"], p.hosts, _seed(cfg, 4, i, d)
                )
                retries[i] += n
            batch = Batch.concat([carry, batch])
            batch = batch.take(np.argsort(batch.ts_ms, kind="stable"))
            if d < cfg.days - 1:
                cut = int(np.searchsorted(batch.ts_ms, p.clock.day_start_utc(d + 1) * 1000))
                out, carry = batch.take(slice(0, cut)), batch.take(slice(cut, None))
            else:
                out = batch
            if len(out):
                lines = writer.write(renderer.table(out, line))
                data = ("\n".join(lines) + "\n").encode("utf-8")
                if token in data:
                    data = data.replace(token, planted.INVALID_BYTES)
                fh.write(data)
                written += len(data)
                tracker.add(out, line)
                line += len(out)
            if progress is not None:
                progress(d + 1, cfg.days)

    directory_path = out_dir / "directory.csv"
    with directory_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["user", "unit"])
        for person in np.nonzero(p.people.in_directory)[0].tolist():
            w.writerow([p.people.user[person], UNITS[int(p.people.unit[person])][0]])
    declared_path = out_dir / "declared-uses.csv"
    with declared_path.open("w", newline="", encoding="utf-8") as fh:
        dw = csv.DictWriter(fh, fieldnames=list(_register_columns()), lineterminator="\n")
        dw.writeheader()
        dw.writerows(declared_uses(cfg))

    truth = _truth(cfg, p, tracker, windows, retries, log_path, line - 1)
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=True) + "\n")
    units = {u[0]: int((p.people.unit == i).sum()) for i, u in enumerate(UNITS)}
    return SimulationSummary(
        out_dir=out_dir,
        files=(log_path,),
        lines=line - 1,
        bytes_written=written,
        people=len(p.people),
        units=units,
        days=cfg.days,
        working_days=len(p.working),
        truth_path=truth_path,
        directory_path=directory_path,
        declared_path=declared_path,
        format=cfg.format,
        hostile_lines=len(tracker.hostile_lines),
        outages=tuple(
            f"{o['service']}@{iso_utc(o['start_ms'] / 1000)}/{iso_utc(o['end_ms'] / 1000)}"
            for o in p.outages
        ),
    )


def _register_columns() -> tuple[str, ...]:
    from socialsight.simulate.register import COLUMNS

    return COLUMNS


def _who(p: _Plan, person: int) -> dict[str, str]:
    return {"user": p.people.user[person], "unit": UNITS[int(p.people.unit[person])][0]}


def _truth(
    cfg: SimulationConfig,
    p: _Plan,
    t: _Tracker,
    windows: list[planted.Window],
    retries: list[int],
    log_path: Path,
    lines: int,
) -> dict[str, Any]:
    people = p.people
    unit_name = [u[0] for u in UNITS]
    iso = iso_utc

    outages = []
    for i, o in enumerate(p.outages):
        st = t.outage_stats[i]
        hit = sorted(st.people)
        by_unit: dict[str, int] = {}
        for person in hit:
            name = unit_name[int(people.unit[person])]
            by_unit[name] = by_unit.get(name, 0) + 1
        outages.append(
            {
                "service": o["service"],
                "hosts": [p.hosts.hosts[h] for h in o["hosts"]],
                "start": iso(o["start_ms"] / 1000),
                "end": iso(o["end_ms"] / 1000),
                "start_local": datetime.fromtimestamp(o["start_ms"] / 1000, p.clock.tz).isoformat(),
                "requests": st.requests,
                "successful_requests": st.successes,
                "retries": retries[i],
                "result_codes": dict(sorted(st.codes.items())),
                "people_hit": len(hit),
                "people_hit_by_unit": dict(sorted(by_unit.items())),
                "requests_same_local_window_by_day": dict(sorted(t.outage_baseline[i].items())),
            }
        )

    watched = Batch.concat(t.watched) if t.watched else Batch.empty()
    w_host = p.hosts.url_host[watched.url]
    abusers = []
    for person, kind, service in p.abusers:
        svc_hosts = p.hosts.hosts_of(service)
        mine = (watched.person == person) & np.isin(w_host, svc_hosts)
        wins = [w for w in windows if w.person == person]
        inside = np.zeros(len(watched), dtype=bool)
        for w in wins:
            inside |= (watched.ts_ms >= w.start_ms) & (watched.ts_ms <= w.end_ms)
        sel = mine & inside
        abusers.append(
            {
                **_who(p, person),
                "kind": kind,
                "service": service,
                "windows": [
                    {"start": iso(w.start_ms / 1000), "end": iso(w.end_ms / 1000)} for w in wins
                ],
                "hours": round(sum(w.end_ms - w.start_ms for w in wins) / 3_600_000, 3),
                "requests_in_windows": int(sel.sum()),
                "logged_bytes_in_windows": int(watched.resp_bytes[sel].sum()),
                "uploaded_bytes_in_windows": int(watched.req_bytes[sel].sum()),
                "requests_total": int(mine.sum()),
            }
        )

    adopt_ts = np.concatenate(t.adopt) if t.adopt else np.zeros(0, dtype=np.int64)
    adoption = {
        "unit": cfg.adoption_unit,
        "service": cfg.adoption_service,
        "adopted_on": (cfg.start + timedelta(days=p.adoption_day)).isoformat()
        if p.adoption_day is not None
        else None,
        "first_seen": iso(int(adopt_ts.min()) / 1000) if len(adopt_ts) else None,
        "requests": len(adopt_ts),
        "declared": True,
    }

    u_person = np.concatenate([x[0] for x in t.undeclared]) if t.undeclared else np.zeros(0)
    u_local = np.concatenate([x[1] for x in t.undeclared]) if t.undeclared else np.zeros(0)
    u_day = u_local // DAY
    working = np.array(p.working)
    on_working = np.isin(u_day, working)
    tod = u_local % DAY
    work_hours = on_working & (tod >= WORK_START) & (tod < WORK_END)
    unit_size = len(p.people.of_unit(cfg.undeclared_unit))
    users = np.unique(u_person)
    undeclared = {
        "unit": cfg.undeclared_unit,
        "service": cfg.undeclared_service,
        "requests": len(u_person),
        "people": len(users),
        "unit_people": unit_size,
        "breadth": round(len(users) / unit_size, 4) if unit_size else 0.0,
        "working_days_seen": len(np.unique(u_day[on_working])),
        "working_days": len(p.working),
        "work_hours_share": round(float(work_hours.mean()), 4) if len(u_person) else 0.0,
    }

    banned = np.concatenate(t.banned) if t.banned else np.zeros(0, dtype=np.int64)
    b_people, b_counts = np.unique(banned, return_counts=True)

    kinds: dict[str, int] = {}
    for k in p.hostile_kinds:
        kinds[k] = kinds.get(k, 0) + 1
    hostile_users = [u for u in p.users[len(p.people) :]]
    shift_name = ("office", "night", "weekend")
    return {
        "generator": {"name": "socialsight.simulate", "truth_version": TRUTH_VERSION},
        "config": {
            "days": cfg.days,
            "people": cfg.people,
            "seed": cfg.seed,
            "start": cfg.start.isoformat(),
            "timezone": cfg.timezone,
            "format": cfg.format,
            "activity": cfg.activity,
            "lines_per_visit": cfg.lines_per_visit,
        },
        "period": {
            "first_day": cfg.start.isoformat(),
            "last_day": cfg.end.isoformat(),
            "start": iso(p.clock.day_start_utc(0)),
            "end": iso(p.clock.day_start_utc(cfg.days)),
        },
        "calendar": {
            "working_days": [(cfg.start + timedelta(days=d)).isoformat() for d in p.working],
            "holidays": [h.isoformat() for h in p.holidays],
            "dst_changes": p.clock.offset_changes(),
            "office_hours_local": ["09:00", "17:00"],
        },
        "files": [{"path": log_path.name, "format": cfg.format, "lines": lines}],
        "lines": lines,
        "units": [
            {
                "name": name,
                "people": int((people.unit == i).sum()),
                "in_directory": int(((people.unit == i) & people.in_directory).sum()),
                "site": SITES[UNITS[i][2]][0],
                "network": SITES[UNITS[i][2]][1] + ".0.0/16",
            }
            for i, name in enumerate(unit_name)
        ],
        "people_not_in_directory": [_who(p, int(i)) for i in np.nonzero(~people.in_directory)[0]],
        "night_workers": [_who(p, int(i)) for i in np.nonzero(people.shift == 1)[0]],
        "weekend_workers": [_who(p, int(i)) for i in np.nonzero(people.shift == 2)[0]],
        "outages": outages,
        "abusers": abusers,
        "banned_service_use": {
            "service": cfg.banned_service,
            "users": {
                p.people.user[int(x)]: int(c) for x, c in zip(b_people, b_counts, strict=True)
            },
        },
        "adoptions": [adoption],
        "undeclared_dependencies": [undeclared],
        # The heaviest (unit, service) pairs by the unit profiles' design, not by measurement.
        "heavy_dependencies": heavy_dependencies(),
        "declared_unused": [{"unit": u, "service": s} for u, s in cfg.declared_unused],
        "blocked": {
            "hosts": p.hosts.hosts[p.hosts.first_blocked :],
            "requests": t.blocked,
            "people": len(t.blocked_people),
        },
        "hostile_lines": {
            "count": len(t.hostile_lines),
            "kinds": kinds,
            "lines": [
                {"line": n, "kind": k}
                for n, k in zip(t.hostile_lines, p.hostile_kinds, strict=False)
            ],
            "users": hostile_users,
        },
        "services": {
            sid: [h for h, _, _ in s.hosts] for sid, s in SERVICES.items() if sid not in NON_CATALOG
        },
        "people": [
            {
                **_who(p, i),
                "address": people.address[i],
                "shift": shift_name[int(people.shift[i])],
                "in_directory": bool(people.in_directory[i]),
            }
            for i in range(len(people))
        ],
    }
