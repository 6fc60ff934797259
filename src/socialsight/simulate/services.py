"""The services the simulated organisation uses, with their real host names.

Each service is keyed by its catalog service id (``facebook``, ``youtube`` ...), so that the
truth file speaks the same language as the classifier. A host has a *kind* that decides the
shape of its traffic (HTML pages, JSON APIs, static assets, images, media chunks, uploads).

Besides catalog services there is ``news`` (real news and government sites that are not in the
social-media catalog) and the generated long tail of unknown sites (:func:`long_tail`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Host kinds: the median response size in bytes and the URL paths used for GET/POST on them.
KIND_MEDIAN_BYTES: dict[str, float] = {
    "page": 48_000.0,
    "api": 3_200.0,
    "static": 62_000.0,
    "image": 85_000.0,
    "media": 1_250_000.0,
    "upload": 1_800.0,
}
KIND_PATHS: dict[str, tuple[str, ...]] = {
    "page": ("/", "/home", "/search?q=ontario+ministry", "/notifications"),
    "api": ("/api/v1/updates", "/api/graphql", "/ajax/poll?seq=12", "/v2/events"),
    "static": ("/rsrc/app.js", "/static/main.css", "/assets/vendor.js", "/fonts/ui.woff2"),
    "image": ("/img/photo_1024.jpg", "/media/thumb_320.jpg", "/i/avatar.png", "/pics/hero.webp"),
    "media": ("/videoplayback?itag=22", "/seg/chunk-00042.ts", "/hls/720p/seg7.ts", "/v/c.mp4"),
    "upload": ("/upload", "/upload/chunk?part=3", "/files/put", "/api/upload/session"),
}
KIND_MIME: dict[str, str] = {
    "page": "text/html",
    "api": "application/json",
    "static": "application/javascript",
    "image": "image/jpeg",
    "media": "video/mp4",
    "upload": "application/json",
}
KINDS = tuple(KIND_MEDIAN_BYTES)


@dataclass(frozen=True)
class Service:
    """How one service's traffic looks."""

    id: str
    hosts: tuple[tuple[str, str, float], ...]
    """(host name, kind, relative weight) for every host its pages pull from."""
    connect_share: float = 0.7
    """Share of requests that are HTTPS tunnels (CONNECT host:443) rather than bumped GET/POST."""
    post_share: float = 0.08
    """Share of the non-CONNECT requests that are POSTs."""
    upload_median: float = 2_000.0
    """Median request body of a POST, in bytes (large for services people upload to)."""
    requests_per_session: float = 12.0
    """Mean requests in one visit (pages pull many assets)."""
    think_seconds: float = 20.0
    """Mean pause between two requests of one visit."""


def _s(id_: str, hosts: str, **kw: float) -> Service:
    # Hosts are written "name:kind:weight" separated by spaces to keep the table readable.
    parsed = []
    for item in hosts.split():
        name, kind, weight = item.split(":")
        parsed.append((name, kind, float(weight)))
    return Service(id_, tuple(parsed), **kw)


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        _s(
            "facebook",
            "www.facebook.com:page:4 static.xx.fbcdn.net:static:4 scontent.xx.fbcdn.net:image:4 "
            "scontent-yyz1-1.xx.fbcdn.net:image:2 graph.facebook.com:api:2 "
            "edge-chat.facebook.com:api:1 video.xx.fbcdn.net:media:1 "
            "upload.facebook.com:upload:0.5",
            post_share=0.15,
            upload_median=1_500_000,
            requests_per_session=16,
        ),
        _s(
            "instagram",
            "www.instagram.com:page:3 i.instagram.com:api:2 scontent.cdninstagram.com:image:5 "
            "static.cdninstagram.com:static:2 rupload.instagram.com:upload:0.4",
            post_share=0.12,
            upload_median=3_000_000,
            requests_per_session=14,
        ),
        _s(
            "whatsapp",
            "web.whatsapp.com:page:4 static.whatsapp.net:static:1 mmg.whatsapp.net:image:2 "
            "media.fyyz1-1.fna.whatsapp.net:image:1",
            post_share=0.3,
            upload_median=40_000,
            requests_per_session=10,
            think_seconds=40,
        ),
        _s(
            "twitter",
            "twitter.com:page:2 x.com:page:3 api.x.com:api:2 pbs.twimg.com:image:4 "
            "abs.twimg.com:static:3 video.twimg.com:media:1 upload.twitter.com:upload:0.4",
            post_share=0.15,
            upload_median=900_000,
            requests_per_session=14,
        ),
        _s(
            "linkedin",
            "www.linkedin.com:page:5 static.licdn.com:static:3 media.licdn.com:image:3",
            post_share=0.1,
            requests_per_session=12,
            think_seconds=30,
        ),
        _s(
            "youtube",
            "www.youtube.com:page:3 i.ytimg.com:image:3 rr3---sn-xyz.googlevideo.com:media:4 "
            "rr1---sn-t0aekn7e.googlevideo.com:media:2 upload.youtube.com:upload:0.3",
            post_share=0.06,
            upload_median=25_000_000,
            requests_per_session=20,
            think_seconds=12,
        ),
        _s(
            "tiktok",
            "www.tiktok.com:page:3 p16-sign-va.tiktokcdn.com:image:3 "
            "v16-webapp-prime.tiktok.com:media:4",
            requests_per_session=25,
            think_seconds=8,
        ),
        _s(
            "reddit",
            "www.reddit.com:page:4 i.redd.it:image:3 preview.redd.it:image:2 "
            "www.redditstatic.com:static:2 v.redd.it:media:1",
            requests_per_session=15,
        ),
        _s(
            "slack",
            "slack.com:page:1 app.slack.com:page:4 a.slack-edge.com:static:2 "
            "wss-primary.slack.com:api:3 files.slack.com:upload:0.5",
            post_share=0.3,
            upload_median=250_000,
            requests_per_session=10,
            think_seconds=45,
        ),
        _s(
            "dropbox",
            "www.dropbox.com:page:3 dl.dropboxusercontent.com:media:2 "
            "content.dropboxapi.com:upload:2 cfl.dropboxstatic.com:static:1",
            post_share=0.35,
            upload_median=6_000_000,
            requests_per_session=8,
        ),
        _s("google-docs", "docs.google.com:page:5", post_share=0.4, requests_per_session=14),
        _s("google-drive", "drive.google.com:page:4", post_share=0.25, upload_median=2_500_000),
        _s("gmail", "mail.google.com:page:4", post_share=0.2, requests_per_session=10),
        _s(
            "google-search",
            "www.google.com:page:5 www.google.ca:page:2",
            requests_per_session=4,
            think_seconds=15,
        ),
        _s(
            "wikipedia",
            "en.wikipedia.org:page:5 fr.wikipedia.org:page:1 upload.wikimedia.org:image:3",
            post_share=0.0,
            requests_per_session=8,
        ),
        _s(
            "github",
            "github.com:page:5 api.github.com:api:2 avatars.githubusercontent.com:image:2 "
            "github.githubassets.com:static:2",
            post_share=0.1,
            requests_per_session=14,
        ),
        _s(
            "stack-overflow",
            "stackoverflow.com:page:5 cdn.sstatic.net:static:3 i.sstatic.net:image:1",
            post_share=0.02,
            requests_per_session=8,
        ),
        _s(
            "microsoft-teams",
            "teams.microsoft.com:page:4 presence.teams.microsoft.com:api:3",
            post_share=0.3,
            requests_per_session=10,
            think_seconds=60,
        ),
        _s("zoom", "zoom.us:page:2 us02web.zoom.us:page:3 st1.zoom.us:static:1"),
        _s(
            "outlook-web",
            "outlook.office365.com:page:4 outlook.office.com:page:2",
            post_share=0.2,
            requests_per_session=10,
            think_seconds=40,
        ),
        _s(
            "onedrive",
            "onedrive.live.com:page:3 api.onedrive.com:api:2",
            post_share=0.2,
            upload_median=2_000_000,
        ),
        _s(
            "netflix",
            "www.netflix.com:page:2 assets.nflxext.com:static:2 "
            "ipv4-c001-yyz001-ix.1.oca.nflxvideo.net:media:6",
            requests_per_session=30,
            think_seconds=10,
        ),
        _s(
            "spotify",
            "open.spotify.com:page:3 i.scdn.co:image:2 audio-fa.scdn.co:media:4",
            requests_per_session=15,
            think_seconds=30,
        ),
        _s(
            "twitch",
            "www.twitch.tv:page:2 static.twitchcdn.net:static:2 "
            "video-weaver.yyz01.hls.ttvnw.net:media:6",
            requests_per_session=30,
            think_seconds=8,
        ),
        _s(
            "wetransfer",
            "wetransfer.com:page:3 api.wetransfer.com:upload:2",
            post_share=0.4,
            upload_median=20_000_000,
            requests_per_session=6,
        ),
        _s(
            "mastodon",
            "mastodon.social:page:4 files.mastodon.social:image:3",
            post_share=0.1,
            upload_median=500_000,
        ),
        _s(
            "news",
            "www.cbc.ca:page:4 www.theglobeandmail.com:page:2 www.ctvnews.ca:page:2 "
            "www.bbc.com:page:1 www.thestar.com:page:1 weather.gc.ca:page:2 "
            "www.canada.ca:page:2 www.ontario.ca:page:3",
            post_share=0.0,
            requests_per_session=15,
        ),
    )
}
"""Every service the simulator can generate, by catalog service id (``news`` is not one)."""

NON_CATALOG = frozenset({"news"})
"""Ids in :data:`SERVICES` that the catalog does not know (real sites, but not social media)."""

# Word lists for plausible unknown sites, and the real suffixes they live under.
_WORDS = [
    "maple",
    "lake",
    "north",
    "river",
    "pine",
    "stone",
    "harbour",
    "valley",
    "cedar",
    "bright",
    "green",
    "blue",
    "red",
    "summit",
    "prairie",
    "grand",
    "metro",
    "civic",
    "urban",
    "rural",
    "coastal",
    "lakeside",
    "heritage",
    "pioneer",
    "beacon",
    "compass",
    "anchor",
    "orchard",
    "meadow",
    "ridge",
    "bay",
    "point",
    "creek",
    "falls",
    "hill",
    "field",
    "garden",
    "market",
    "forge",
    "craft",
    "studio",
    "works",
    "labs",
    "hub",
    "net",
    "data",
    "cloud",
    "media",
    "press",
    "journal",
    "daily",
    "weekly",
    "times",
    "review",
    "guide",
    "bakery",
    "cafe",
    "kitchen",
    "books",
    "travel",
    "outdoor",
    "sport",
    "fitness",
    "health",
    "dental",
    "clinic",
    "law",
    "tax",
    "auto",
    "parts",
    "homes",
    "realty",
    "design",
    "print",
    "photo",
    "music",
    "radio",
    "tech",
    "soft",
    "code",
    "apps",
]
_SUFFIXES = (".com", ".com", ".com", ".org", ".ca", ".ca", ".co.uk", ".net", ".gov", ".io", ".info")
_BLOCKED_WORDS = ("casino", "poker", "betting", "slots", "jackpot", "wager")


def long_tail(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct plausible unknown host names (two words and a real suffix).

    >>> hosts = long_tail(3, np.random.default_rng(1))
    >>> len(hosts), all("." in h for h in hosts)
    (3, True)
    """
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        a, b = rng.choice(len(_WORDS), size=2, replace=False)
        suffix = _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
        prefix = "www." if rng.random() < 0.6 else ""
        host = f"{prefix}{_WORDS[a]}{_WORDS[b]}{suffix}"
        # A third word when two collide keeps the list distinct without looping for long.
        if host in seen:
            host = f"{prefix}{_WORDS[a]}{_WORDS[b]}{_WORDS[int(rng.integers(len(_WORDS)))]}{suffix}"
        if host not in seen:
            seen.add(host)
            out.append(host)
    return out


def blocked_hosts(count: int, rng: np.random.Generator) -> list[str]:
    """Gambling sites that the proxy's category filter refuses (``TCP_DENIED/403``)."""
    out: list[str] = []
    while len(out) < count:
        word = _BLOCKED_WORDS[int(rng.integers(len(_BLOCKED_WORDS)))]
        other = _WORDS[int(rng.integers(len(_WORDS)))]
        host = f"www.{other}{word}{('.com', '.net', '.bet')[int(rng.integers(3))]}"
        if host not in out:
            out.append(host)
    return out
