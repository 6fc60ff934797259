"""The JSON cache of the bundled catalog: identical to parsing the TOML, and never used stale.

``load_catalog`` reads ``catalog/data/services.json`` instead of parsing ``services.toml``
only when the cache records the SHA-256 of exactly the TOML bytes being loaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from socialsight.catalog import cache, model
from socialsight.catalog.model import load_catalog, parse_bundled
from socialsight.errors import InputError

TOML = model.BUNDLED_PATH


def test_shipped_cache_is_fresh_and_identical_to_the_toml() -> None:
    toml_bytes = TOML.read_bytes()
    cached = cache.read_installed(toml_bytes)
    assert cached is not None, (
        "catalog/data/services.json is stale: run `python -m socialsight.catalog.cache`"
    )
    parsed = parse_bundled(toml_bytes)
    assert cached == parsed
    # Same order too: the store's catalog snapshot and listings follow it.
    assert list(cached.services) == list(parsed.services)
    assert list(cached.categories) == list(parsed.categories)
    assert load_catalog() == parsed
    doc = json.loads(cache.CACHE_PATH.read_text(encoding="utf-8"))
    assert doc["source_sha256"] == hashlib.sha256(toml_bytes).hexdigest()
    assert doc["format"] == cache.FORMAT


def test_cache_round_trip() -> None:
    toml_bytes = TOML.read_bytes()
    catalog = parse_bundled(toml_bytes)
    assert cache.read(toml_bytes, cache.dumps(catalog, toml_bytes)) == catalog


@pytest.mark.parametrize(
    "damage",
    ["other toml", "other format", "not json", "truncated", "missing key", "wrong shape", "empty"],
)
def test_a_cache_that_does_not_match_is_never_used(damage: str) -> None:
    toml_bytes = TOML.read_bytes()
    text = cache.dumps(parse_bundled(toml_bytes), toml_bytes)
    doc = json.loads(text)
    if damage == "other toml":
        toml_bytes += b"\n# one more comment\n"
    elif damage == "other format":
        text = json.dumps({**doc, "format": cache.FORMAT + 1})
    elif damage == "not json":
        text = "{not json"
    elif damage == "truncated":
        text = text[: len(text) // 2]
    elif damage == "missing key":
        text = json.dumps({k: v for k, v in doc.items() if k != "services"})
    elif damage == "wrong shape":
        text = json.dumps({**doc, "services": [["facebook"]]})
    else:
        text = ""
    assert cache.read(toml_bytes, text) is None


def _edited_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """Point the loader at a copy of services.toml with ``old`` replaced by ``new``, leaving
    the shipped cache (made from the unedited file) where it is."""
    text = TOML.read_text(encoding="utf-8")
    assert text.count(old) == 1
    edited = tmp_path / "services.toml"
    edited.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setattr(model, "BUNDLED_PATH", edited)
    assert cache.CACHE_PATH.is_file()


def test_edited_toml_wins_over_the_stale_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edited_package(tmp_path, monkeypatch, 'name = "Facebook"\n', 'name = "Facebook (edited)"\n')
    catalog = load_catalog()
    assert catalog.services["facebook"].name == "Facebook (edited)"
    assert catalog.services["twitter"].name == "X (Twitter)"


def test_edited_toml_with_a_mistake_fails_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache of the good file must not hide a broken edit.
    facebook = 'name = "Facebook"\ncategory = "social-network"\nowner = "Meta Platforms"\n'
    _edited_package(tmp_path, monkeypatch, facebook, facebook.replace("social-", "sociable-"))
    with pytest.raises(InputError, match="service facebook: unknown category 'sociable-network'"):
        load_catalog()


def test_missing_cache_falls_back_to_the_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "CACHE_PATH", tmp_path / "absent.json")
    assert load_catalog() == parse_bundled(TOML.read_bytes())


def test_overrides_still_apply_over_the_cached_catalog(tmp_path: Path) -> None:
    override = tmp_path / "ours.toml"
    override.write_text(
        '[[service]]\nid = "intranet-wiki"\nname = "Our wiki"\ncategory = "wiki"\n'
        'owner = "Us"\nleaning = "business"\ndomains = ["wiki.example.org"]\n\n'
        '[[service]]\nid = "facebook"\nextends = true\ndomains = ["fb.example.org"]\n',
        encoding="utf-8",
    )
    catalog = load_catalog([override])
    digest = hashlib.sha256(override.read_bytes()).hexdigest()[:8]
    assert catalog.version == f"{load_catalog().version}+local.{digest}"
    assert catalog.services["intranet-wiki"].domains == ("wiki.example.org",)
    assert catalog.services["facebook"].domains[-1] == "fb.example.org"
    assert "fb.example.org" not in load_catalog().services["facebook"].domains


def test_regenerating_writes_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "services.json"
    shutil.copy(cache.CACHE_PATH, target)
    monkeypatch.setattr(cache, "CACHE_PATH", target)
    target.write_text("stale", encoding="utf-8")
    cache.main()
    assert target.read_text(encoding="utf-8") == (
        model.BUNDLED_PATH.parent / "services.json"
    ).read_text(encoding="utf-8")
