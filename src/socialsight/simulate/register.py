"""The declared-use register the simulated units would fill in (``declared-uses.csv``).

A unit declares every catalog service its work relies on (one visit a day per person or more
in its profile, the shared tools included), except the planted undeclared dependency; the
planted "declared but unused" pairs are added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialsight.simulate.organisation import COMMON, UNITS
from socialsight.simulate.services import NON_CATALOG

if TYPE_CHECKING:
    from socialsight.simulate.config import SimulationConfig

COLUMNS = ("unit", "service", "purpose", "owner", "fallback", "tolerable_downtime_hours")

_PURPOSE = {
    "facebook": ("Public posts, events and answering residents' messages", "Website news page", 8),
    "twitter": ("Announcements, alerts and media relations", "Website news page", 4),
    "instagram": ("Photo and video campaigns", "Facebook page", 24),
    "youtube": ("Publishing and streaming video", "Video files on the website", 8),
    "linkedin": ("Recruitment and professional networking", "Job board on the website", 24),
    "whatsapp": ("Answering the public by chat", "Telephone line", 2),
    "google-docs": ("Co-editing documents with partners", "Shared drive and email", 24),
    "google-drive": ("Sharing files with partners", "Shared drive", 24),
    "dropbox": ("Exchanging large files with suppliers", "Secure file transfer", 24),
    "wetransfer": ("Receiving large tender files", "Secure file transfer", 48),
    "zoom": ("Meetings with external partners", "Microsoft Teams", 8),
    "github": ("Source code and issue tracking", "Internal Git server", 8),
    "stack-overflow": ("Technical questions and answers", "Vendor documentation", 72),
    "slack": ("Chat with partner organisations", "Microsoft Teams", 8),
    "google-search": ("Web search", "Other search engine", 4),
    "outlook-web": ("Email", "Desktop mail client", 2),
    "microsoft-teams": ("Meetings and chat", "Telephone", 2),
    "mastodon": ("Public posts on the Fediverse", "Website news page", 24),
}


def declared_uses(cfg: SimulationConfig) -> list[dict[str, str]]:
    """Register rows (see :data:`COLUMNS`), sorted by unit then service."""
    rows: set[tuple[str, str]] = set()
    for unit, _size, _site, profile in UNITS:
        rates = dict(COMMON)
        for sid, rate in profile.items():
            rates[sid] = rates.get(sid, 0.0) + rate
        for sid, rate in rates.items():
            if rate >= 1.0 and sid not in NON_CATALOG:
                rows.add((unit, sid))
    rows.add((cfg.adoption_unit, cfg.adoption_service))
    rows.discard((cfg.undeclared_unit, cfg.undeclared_service))
    rows.update(cfg.declared_unused)
    out = []
    for unit, sid in sorted(rows):
        purpose, fallback, hours = _PURPOSE.get(sid, ("Daily work", "None identified", 24))
        out.append(
            {
                "unit": unit,
                "service": sid,
                "purpose": purpose,
                "owner": f"Director, {unit}",
                "fallback": fallback,
                "tolerable_downtime_hours": str(hours),
            }
        )
    return out
