"""Log formats: a registry of :class:`~socialsight.formats.base.LogFormat` classes by name.

Adding a format is adding one module here and one line to ``_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from socialsight.errors import InputError
from socialsight.formats.base import LogFormat, ParseResult

__all__ = ["LogFormat", "ParseResult", "detect", "get", "names"]

# module name -> class name; imported lazily so that one broken module cannot hide the others.
_MODULES: dict[str, str] = {
    "squid": "SquidNative",
}

# A format must recognise at least this share of the sampled lines to be chosen.
DETECT_THRESHOLD = 0.5


def names() -> list[str]:
    """Registered format names, sorted."""
    return sorted(_MODULES)


def get(name: str) -> type[LogFormat]:
    """The format class registered under ``name``.

    >>> get("squid").name
    'squid'
    """
    if name not in _MODULES:
        raise InputError(f"unknown format {name!r}; known formats: {', '.join(names())}")
    module = importlib.import_module(f"socialsight.formats.{name}")
    cls: type[LogFormat] = getattr(module, _MODULES[name])
    return cls


def detect(sample: Sequence[str]) -> type[LogFormat] | None:
    """The format that recognises most of the sample lines, or None if none reaches
    :data:`DETECT_THRESHOLD`. Blank lines are ignored."""
    lines = [line for line in sample if line.strip()]
    if not lines:
        return None
    best: tuple[float, type[LogFormat]] | None = None
    for name in names():
        cls = get(name)
        score = cls.sniff(lines)
        if score >= DETECT_THRESHOLD and (best is None or score > best[0]):
            best = (score, cls)
    return best[1] if best else None
