"""Log formats: a registry of :class:`~socialsight.formats.base.LogFormat` classes by name.

Adding a format is adding one module to this package that lists its classes in a
module-level ``FORMATS`` tuple; the registry finds every such module by itself. Modules whose
name starts with an underscore (shared helpers) and ``base`` are not scanned.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache

from socialsight.errors import InputError
from socialsight.formats.base import LogFormat, ParseResult

__all__ = ["LogFormat", "ParseResult", "detect", "get", "names", "registry"]

# A format must recognise at least this share of the sampled lines to be chosen.
DETECT_THRESHOLD = 0.5


@cache
def registry() -> dict[str, type[LogFormat]]:
    """Every format class by its ``name``, found by scanning this package once."""
    found: dict[str, type[LogFormat]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for cls in getattr(module, "FORMATS", ()):
            if cls.name in found:
                raise RuntimeError(f"format name {cls.name!r} registered twice")
            found[cls.name] = cls
    return dict(sorted(found.items()))


def names() -> list[str]:
    """Registered format names, sorted."""
    return list(registry())


def detectable() -> list[type[LogFormat]]:
    """The formats that auto-detection tries, in name order."""
    return [cls for cls in registry().values() if cls.detectable]


def get(name: str) -> type[LogFormat]:
    """The format class registered under ``name``.

    >>> get("squid").name
    'squid'
    """
    formats = registry()
    if name not in formats:
        raise InputError(f"unknown format {name!r}; known formats: {', '.join(formats)}")
    return formats[name]


def detect(sample: Sequence[str]) -> type[LogFormat] | None:
    """The format that recognises most of the sample lines, or None if none reaches
    :data:`DETECT_THRESHOLD`. Blank lines are ignored. On a tie the earlier name wins."""
    lines = [line for line in sample if line.strip()]
    if not lines:
        return None
    best: tuple[float, type[LogFormat]] | None = None
    for cls in detectable():
        score = cls.sniff(lines)
        if score >= DETECT_THRESHOLD and (best is None or score > best[0]):
            best = (score, cls)
    return best[1] if best else None
