"""Log formats: a registry of :class:`~socialsight.formats.base.LogFormat` classes by name.

Adding a format is adding one module to this package that lists its classes in a
module-level ``FORMATS`` tuple; the registry finds every such module by itself. Modules whose
name starts with an underscore (shared helpers) and ``base`` are not scanned.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from socialsight.errors import InputError

if TYPE_CHECKING:
    from socialsight.formats.base import LogFormat, ParseResult

__all__ = ["LogFormat", "ParseResult", "detect", "get", "names", "registry"]


def __getattr__(name: str) -> Any:
    # LogFormat and ParseResult are re-exported lazily: importing this package (the CLI does,
    # for every command) then does not import pyarrow, which only format modules need.
    if name in ("LogFormat", "ParseResult"):
        from socialsight.formats import base

        value = getattr(base, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# A format must recognise at least this share of the sampled lines to be chosen.
DETECT_THRESHOLD = 0.5

# A name that may also be the name of the module holding it.
_MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")


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
            if cls.name != info.name:
                # detect() and get() find a format by the name of its module.
                raise RuntimeError(f"format {cls.name!r} must live in module {cls.name}.py")
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
    direct = _from_own_module(name)
    if direct is not None:
        return direct
    formats = registry()
    if name not in formats:
        raise InputError(f"unknown format {name!r}; known formats: {', '.join(formats)}")
    return formats[name]


def _from_own_module(name: str) -> type[LogFormat] | None:
    """The class named ``name`` if the module of the same name defines it, importing that
    module only.

    A run that reads a file of a known format (a re-ingest, ``--format``) then skips importing
    every other format module. Any other name goes through :func:`registry`, which also checks
    that no name is registered twice (tests call it, so a clash cannot ship)."""
    if not _MODULE_NAME.fullmatch(name) or name == "base":
        return None
    module_name = f"{__name__}.{name}"
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    for cls in getattr(module, "FORMATS", ()):
        if cls.name == name:
            return cls  # type: ignore[no-any-return]
    return None


def detect(sample: Sequence[str]) -> type[LogFormat] | None:
    """The format that recognises most of the sample lines, or None if none reaches
    :data:`DETECT_THRESHOLD`. Blank lines are ignored. On a tie the earlier name wins.

    Formats are tried in name order, each module imported when reached, and the first to
    recognise every line wins at once: no later name could beat it. (A Squid log is then
    detected without importing the eight formats after ``squid``.)
    """
    lines = [line for line in sample if line.strip()]
    if not lines:
        return None
    best: tuple[float, type[LogFormat]] | None = None
    for cls in _detectable_in_order():
        score = cls.sniff(lines)
        if score >= DETECT_THRESHOLD and (best is None or score > best[0]):
            best = (score, cls)
            if score >= 1.0:
                break
    return best[1] if best else None


def _detectable_in_order() -> Iterator[type[LogFormat]]:
    """:func:`detectable`, importing each module only when reached (every format lives in the
    module of its name, which :func:`registry` checks)."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_") and info.name != "base"
    )
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        yield from sorted(
            (cls for cls in getattr(module, "FORMATS", ()) if cls.detectable),
            key=lambda cls: str(cls.name),
        )
