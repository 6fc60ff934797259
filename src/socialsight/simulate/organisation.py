"""The simulated provincial ministry: its units, its people and how each unit works.

A unit's *profile* says how many visits a person of that unit makes to each service on an
ordinary working day. The numbers are chosen so that a reader recognises the unit from its
traffic: Communications posts to Facebook and X all day, Human Resources lives on LinkedIn,
IT on GitHub and Stack Overflow, the Service Centre answers the public on WhatsApp Web.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMMON: dict[str, float] = {
    "google-search": 5.0,
    "wikipedia": 0.8,
    "news": 1.6,
    "outlook-web": 3.0,
    "microsoft-teams": 2.0,
    "onedrive": 0.6,
    "zoom": 0.2,
    "linkedin": 0.2,
    "gmail": 0.3,
}
"""Business visits per person per working day that every unit makes."""

# (unit, relative size, site index, business visits per person per working day on top of COMMON)
UNITS: tuple[tuple[str, float, int, dict[str, float]], ...] = (
    (
        "Communications",
        10,
        0,
        {
            "facebook": 7.0,
            "twitter": 6.0,
            "instagram": 2.0,
            "youtube": 1.5,
            "linkedin": 1.5,
            "google-docs": 1.5,
            "dropbox": 0.8,
        },
    ),
    ("Public Health", 12, 2, {"youtube": 2.5, "zoom": 2.5, "twitter": 1.5, "facebook": 1.5}),
    (
        "Tourism",
        7,
        0,
        {"instagram": 5.0, "youtube": 2.5, "facebook": 2.5, "twitter": 1.0, "dropbox": 1.2},
    ),
    ("Human Resources", 8, 0, {"linkedin": 8.0, "google-docs": 1.0, "zoom": 1.0}),
    ("Procurement", 6, 0, {"google-docs": 1.5, "dropbox": 1.0, "wetransfer": 0.4}),
    ("Finance", 9, 0, {"google-drive": 1.2}),
    ("Legal", 5, 0, {"google-docs": 0.6, "dropbox": 0.5}),
    (
        "IT",
        9,
        0,
        {"github": 6.0, "stack-overflow": 5.0, "slack": 5.0, "reddit": 0.5, "youtube": 0.8},
    ),
    ("Environment", 8, 3, {"youtube": 1.0, "twitter": 1.0, "google-drive": 1.5}),
    ("Transportation", 10, 4, {"twitter": 2.0, "facebook": 1.0, "google-drive": 1.0}),
    ("Minister's Office", 0, 0, {"twitter": 3.0, "facebook": 2.0, "linkedin": 1.0}),
    ("Service Centre", 16, 1, {"whatsapp": 8.0, "facebook": 1.5, "twitter": 1.0}),
)
"""The units; the Minister's Office has a fixed 3 people (below the k = 5 privacy minimum)."""

SMALL_UNIT = "Minister's Office"
SMALL_UNIT_SIZE = 3

SITES: tuple[tuple[str, str], ...] = (
    ("Head Office, Queen's Park", "10.10"),
    ("Service Centre, Scarborough", "10.20"),
    ("Public Health Lab, Etobicoke", "10.30"),
    ("Environment Field Office, Peterborough", "10.40"),
    ("Transportation Depot, Downsview", "10.50"),
)
"""(site, /16 network prefix) of each building; units live on one site each."""

PERSONAL: dict[str, float] = {
    "facebook": 0.5,
    "instagram": 0.35,
    "reddit": 0.25,
    "youtube": 0.35,
    "spotify": 0.25,
    "twitter": 0.2,
    "linkedin": 0.1,
    "whatsapp": 0.15,
    "netflix": 0.03,
}
"""Personal visits per person per working day (mostly at lunch), scaled per person."""

_GIVEN = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "lisa",
    "daniel",
    "nancy",
    "matthew",
    "sandra",
    "anthony",
    "ashley",
    "mark",
    "emily",
    "donald",
    "kimberly",
    "steven",
    "michelle",
    "paul",
    "amanda",
    "andrew",
    "melissa",
    "joshua",
    "deborah",
    "kevin",
    "stephanie",
    "brian",
    "rebecca",
    "george",
    "laura",
    "timothy",
    "sharon",
    "ryan",
    "cynthia",
    "jacob",
    "kathleen",
    "gary",
    "amy",
    "nicholas",
    "angela",
    "eric",
    "helen",
    "jonathan",
    "anna",
    "priya",
    "wei",
    "mohamed",
    "fatima",
    "amir",
    "aisha",
    "raj",
    "sanjay",
    "mei",
    "chen",
    "olivia",
    "liam",
    "noah",
    "emma",
    "sophie",
    "luc",
    "chantal",
    "marc",
    "genevieve",
    "francois",
    "isabelle",
    "pierre",
    "nathalie",
]
_FAMILY = [
    "smith",
    "brown",
    "tremblay",
    "martin",
    "roy",
    "wilson",
    "macdonald",
    "gagnon",
    "johnson",
    "taylor",
    "campbell",
    "anderson",
    "leblanc",
    "lee",
    "jones",
    "white",
    "williams",
    "miller",
    "thompson",
    "gauthier",
    "young",
    "vanderberg",
    "morin",
    "bouchard",
    "scott",
    "stewart",
    "cote",
    "king",
    "clark",
    "lavoie",
    "murray",
    "wong",
    "fortin",
    "ouellet",
    "singh",
    "patel",
    "nguyen",
    "chen",
    "kim",
    "li",
    "zhang",
    "khan",
    "ali",
    "sharma",
    "gill",
    "grewal",
    "hall",
    "wright",
    "walker",
    "robinson",
    "lewis",
    "harris",
    "mitchell",
    "reid",
    "ross",
    "fraser",
    "bell",
    "graham",
    "mackenzie",
    "hughes",
    "kelly",
    "murphy",
    "ryan",
    "obrien",
]


@dataclass(frozen=True)
class People:
    """Everyone in the simulated organisation, one entry per person (index = person id)."""

    user: list[str]
    """Login names like ``jsmith42``: unique, lower case."""
    address: list[str]
    """Fixed client IPv4 address on the person's site."""
    unit: np.ndarray
    """Unit index into :data:`UNITS` (int)."""
    shift: np.ndarray
    """0 office hours, 1 night worker, 2 weekend worker (int)."""
    in_directory: np.ndarray
    """False for the people planted as missing from the directory file (bool)."""
    activity: np.ndarray
    """Personal multiplier of business activity (lognormal around 1)."""
    personal: np.ndarray
    """Personal multiplier of personal (lunch) browsing; 0 for people who never do it."""

    def __len__(self) -> int:
        return len(self.user)

    def of_unit(self, name: str) -> np.ndarray:
        """Ids of the people in unit ``name``."""
        return np.nonzero(self.unit == unit_index(name))[0]


def unit_index(name: str) -> int:
    """Index of a unit in :data:`UNITS`.

    >>> unit_index("Communications")
    0
    """
    for i, unit in enumerate(UNITS):
        if unit[0] == name:
            return i
    raise KeyError(name)


def business_visits() -> dict[tuple[str, str], float]:
    """(unit, service) -> business visits per person per working day by design: the shared
    :data:`COMMON` rates plus the unit's own profile (before each person's activity factor).

    >>> business_visits()[("Human Resources", "linkedin")]
    8.2
    """
    out: dict[tuple[str, str], float] = {}
    for unit, _size, _site, profile in UNITS:
        for table in (COMMON, profile):
            for sid, rate in table.items():
                out[(unit, sid)] = round(out.get((unit, sid), 0.0) + rate, 6)
    return out


HEAVY_COUNT = 5
"""How many (unit, service) pairs the truth file names as the heaviest dependencies."""


def heavy_dependencies(exclude_units: tuple[str, ...] = (SMALL_UNIT,)) -> list[dict[str, object]]:
    """The :data:`HEAVY_COUNT` (unit, service) pairs with the most business visits per person
    per working day by design (:func:`business_visits`), heaviest first, with the rate of the
    next pair so that a reader sees the margin. Units in ``exclude_units`` (the Minister's
    Office, below the privacy minimum) are left out.

    >>> [(d["unit"], d["service"]) for d in heavy_dependencies()][:2]
    [('Human Resources', 'linkedin'), ('Service Centre', 'whatsapp')]
    """
    from socialsight.simulate.services import NON_CATALOG

    ranked = sorted(
        ((rate, unit, sid) for (unit, sid), rate in business_visits().items()
         if unit not in exclude_units and sid not in NON_CATALOG),
        key=lambda item: (-item[0], item[1], item[2]),
    )  # fmt: skip
    top = ranked[:HEAVY_COUNT]
    following = ranked[HEAVY_COUNT][0] if len(ranked) > HEAVY_COUNT else 0.0
    return [
        {"unit": unit, "service": sid, "visits_per_person_day": rate,
         "next_visits_per_person_day": following}
        for rate, unit, sid in top
    ]  # fmt: skip


def unit_sizes(people: int) -> list[int]:
    """People per unit: 3 in the Minister's Office, the rest shared by relative size
    (largest remainder, so the sizes sum to ``people``).

    >>> sum(unit_sizes(150)), unit_sizes(150)[unit_index("Minister's Office")]
    (150, 3)
    """
    weights = np.array([u[1] for u in UNITS], dtype=np.float64)
    rest = people - SMALL_UNIT_SIZE
    exact = weights / weights.sum() * rest
    sizes = np.floor(exact).astype(int)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: rest - int(sizes.sum())]] += 1
    sizes[unit_index(SMALL_UNIT)] = SMALL_UNIT_SIZE
    return [int(s) for s in sizes]


def make_people(
    people: int,
    rng: np.random.Generator,
    *,
    night_workers: int,
    weekend_workers: int,
    not_in_directory: int,
    protected_units: tuple[str, ...],
) -> People:
    """Draw the organisation's people deterministically from ``rng``.

    Night workers are placed in IT and the Service Centre, weekend workers in the Service
    Centre and Transportation; people missing from the directory are never taken from
    ``protected_units`` (the units whose planted facts the truth file measures).
    """
    sizes = unit_sizes(people)
    unit = np.repeat(np.arange(len(UNITS)), sizes)
    users: list[str] = []
    taken: set[str] = set()
    for _ in range(people):
        while True:
            given = _GIVEN[int(rng.integers(len(_GIVEN)))]
            family = _FAMILY[int(rng.integers(len(_FAMILY)))]
            name = f"{given[0]}{family}{int(rng.integers(10, 100))}"
            if name not in taken:
                taken.add(name)
                users.append(name)
                break
    # Addresses: a distinct host number per person within the unit's site /16.
    addresses: list[str] = []
    per_site: dict[int, int] = {}
    for u in unit:
        site = UNITS[int(u)][2]
        n = per_site.get(site, 0)
        per_site[site] = n + 1
        prefix = SITES[site][1]
        addresses.append(f"{prefix}.{1 + n // 250}.{10 + n % 250}")

    shift = np.zeros(people, dtype=np.int64)

    def pick(count: int, units: tuple[str, ...], exclude: np.ndarray) -> np.ndarray:
        pool = np.nonzero(np.isin(unit, [unit_index(u) for u in units]) & ~exclude)[0]
        count = min(count, len(pool))
        return np.sort(rng.choice(pool, size=count, replace=False))

    none = np.zeros(people, dtype=bool)
    shift[pick(night_workers, ("IT", "Service Centre"), none)] = 1
    shift[pick(weekend_workers, ("Service Centre", "Transportation"), shift != 0)] = 2
    in_directory = np.ones(people, dtype=bool)
    eligible = tuple(u[0] for u in UNITS if u[0] not in protected_units and u[0] != SMALL_UNIT)
    in_directory[pick(not_in_directory, eligible, shift != 0)] = False

    activity = rng.lognormal(0.0, 0.35, size=people)
    # A fifth of the staff never browse personally at work; the others vary a lot.
    personal = rng.lognormal(0.0, 0.6, size=people) * (rng.random(people) > 0.2)
    return People(users, addresses, unit, shift, in_directory, activity, personal)
