"""The on-disk cache of checked catalogues: used when nothing changed, never when something did."""
from __future__ import annotations

import datetime as dt

import pytest

from interpreter.cache import cached_load, catalogue_key
from interpreter.catalogue import _load, load_catalogue
from interpreter.errors import CatalogueError
from interpreter.results import to_json

from cards import copy_bundled


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(folder))
    monkeypatch.delenv("CATALOGUE_NO_CACHE", raising=False)
    return folder


class CountingLoader:
    def __init__(self):
        self.calls = 0

    def __call__(self, root):
        self.calls += 1
        return _load(root)


def test_an_unchanged_catalogue_comes_from_the_cache(tmp_path, cache_dir):
    root = copy_bundled(tmp_path)
    load = CountingLoader()
    first = cached_load(root, load)
    second = cached_load(root, load)
    assert load.calls == 1
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    assert second.hash == first.hash and list(second.products) == list(first.products)
    # The cached catalogue computes what the freshly loaded one does (12XR: aanmelding + 56 dagen).
    facts = {"registered_on": dt.date(2016, 4, 1)}
    from interpreter.api import Engine
    fresh, cached = Engine(first), Engine(second)
    assert to_json(cached.evaluate("12XR", facts, typed=True)) == to_json(fresh.evaluate("12XR", facts, typed=True))
    assert to_json(cached.evaluate("12XR", facts, typed=True))["deadlines"][0]["date"] == "2016-05-27"


def test_an_edited_card_is_loaded_again(tmp_path, cache_dir):
    root = copy_bundled(tmp_path)
    load = CountingLoader()
    cached_load(root, load)
    card = root / "products" / "uwv" / "12XR.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("registered_on + 56 days", "registered_on + 50 days"),
                    encoding="utf-8")
    catalogue = cached_load(root, load)
    assert load.calls == 2
    due = catalogue.product("12XR").rules["plan_due"].exprs["due"].text
    assert due.strip() == "registered_on + 50 days"


def test_test_files_do_not_change_the_key(tmp_path):
    root = copy_bundled(tmp_path)
    before = catalogue_key(root)
    tests = root / "products" / "uwv" / "12XR.tests.yaml"
    tests.write_text(tests.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert catalogue_key(root) == before
    (root / "facts.yaml").write_text((root / "facts.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert catalogue_key(root) != before


def test_a_damaged_entry_is_rebuilt(tmp_path, cache_dir):
    root = copy_bundled(tmp_path)
    load = CountingLoader()
    cached_load(root, load)
    entry = next(cache_dir.glob("*.pickle"))
    entry.write_bytes(b"not a pickle")
    catalogue = cached_load(root, load)
    assert load.calls == 2 and "12XR" in catalogue.products
    assert entry.read_bytes() != b"not a pickle"


def test_a_cache_that_cannot_be_written_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(blocker / "cache"))
    catalogue = load_catalogue(copy_bundled(tmp_path))
    assert "LEON-3" in catalogue.products


def test_the_cache_can_be_switched_off(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("CATALOGUE_NO_CACHE", "1")
    load_catalogue(copy_bundled(tmp_path))
    assert not cache_dir.exists()


def test_a_catalogue_with_errors_is_never_cached(tmp_path, cache_dir):
    root = copy_bundled(tmp_path)
    card = root / "products" / "uwv" / "12XR.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("registered_on + 56 days", "registerd_on + 56 days"),
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CatalogueError):
            load_catalogue(root)
    assert not list(cache_dir.glob("*.pickle"))
