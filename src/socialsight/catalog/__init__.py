"""The service catalog (data) and the matcher that classifies hosts with it.

>>> from socialsight.catalog import Matcher, load_catalog
>>> Matcher(load_catalog()).lookup("mail.google.com").service_id
'gmail'
"""

from socialsight.catalog.matcher import CLASSIFY_SCHEMA, Match, Matcher, normalise_host
from socialsight.catalog.model import LEANINGS, Catalog, Service, is_valid_domain, load_catalog

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
