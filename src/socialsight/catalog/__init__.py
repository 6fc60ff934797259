"""The service catalog (data) and the matcher that classifies hosts with it.

>>> from socialsight.catalog import Matcher, load_catalog
>>> Matcher(load_catalog()).lookup("mail.google.com").service_id
'gmail'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialsight.catalog.matcher import CLASSIFY_SCHEMA, Match, Matcher, normalise_host
    from socialsight.catalog.model import (
        LEANINGS,
        Catalog,
        Service,
        is_valid_domain,
        load_catalog,
    )

# Importing a submodule (socialsight.catalog.model) runs this file first: the names are
# resolved on first use, so that reading the catalog does not import the matcher and pyarrow.
_LAZY = {
    "CLASSIFY_SCHEMA": "matcher",
    "Match": "matcher",
    "Matcher": "matcher",
    "normalise_host": "matcher",
    "LEANINGS": "model",
    "Catalog": "model",
    "Service": "model",
    "is_valid_domain": "model",
    "load_catalog": "model",
}

__all__ = [
    "CLASSIFY_SCHEMA",
    "LEANINGS",
    "Catalog",
    "Match",
    "Matcher",
    "Service",
    "is_valid_domain",
    "load_catalog",
    "normalise_host",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
