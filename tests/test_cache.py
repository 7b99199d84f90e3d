"""The on-disk cache of checked cards: used when nothing changed, never when something did, never trusted blindly."""
from __future__ import annotations

import datetime as dt

import pytest

from interpreter.catalogue import load_catalogue
from interpreter.errors import CatalogueError
from interpreter.results import to_json
from interpreter.store import Scan

from cards import copy_fixture


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(folder))
    monkeypatch.delenv("CATALOGUE_NO_CACHE", raising=False)
    return folder


def catalogue_entries(folder):
    """The cached bases and cards in the folder (the parser's tables are kept there too)."""
    return [path for path in folder.glob("*.entry") if not path.name.startswith("lark-tables-")]


def card_entry(root, cache_dir, name="U-XR.yaml"):
    """Where the cache keeps the checked card `name` of the catalogue at `root`."""
    scan = Scan.of(root)
    path = next(path for path in scan.cards if path.name == name)
    return cache_dir / f"{scan.card_key(scan.base_key(), path)}.entry"


def test_an_unchanged_catalogue_comes_from_the_cache(tmp_path, cache_dir, checked):
    root = copy_fixture(tmp_path)
    first = load_catalogue(root)
    cards = len(checked)
    assert cards == sum(len(editions) for editions in first.products.values())
    second = load_catalogue(root)
    assert len(checked) == cards  # nothing checked again
    assert len(catalogue_entries(cache_dir)) == cards + 1  # every card, and the base they share
    assert second.hash == first.hash and list(second.products) == list(first.products)
    # The cached catalogue computes what the freshly loaded one does (U-XR: aanmelding + 56 dagen).
    facts = {"registered_on": dt.date(2016, 4, 1)}
    from interpreter.api import Engine
    fresh, cached = Engine(first), Engine(second)
    assert to_json(cached.evaluate("U-XR", facts, typed=True)) == to_json(fresh.evaluate("U-XR", facts, typed=True))
    assert to_json(cached.evaluate("U-XR", facts, typed=True))["deadlines"][0]["date"] == "2016-05-27"


def test_an_edited_card_is_loaded_again(tmp_path, cache_dir, checked):
    root = copy_fixture(tmp_path)
    load_catalogue(root)
    checked.clear()
    card = root / "products" / "uwv" / "U-XR.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("registered_on + 56 days", "registered_on + 50 days"),
                    encoding="utf-8")
    catalogue = load_catalogue(root)
    assert checked == ["U-XR.yaml"]
    due = catalogue.product("U-XR").rules["plan_due"].exprs["due"].text
    assert due.strip() == "registered_on + 50 days"


def test_test_files_do_not_change_the_keys_and_a_shared_file_changes_all(tmp_path):
    root = copy_fixture(tmp_path)

    def keys():
        scan = Scan.of(root)
        return [scan.base_key()] + [scan.card_key(scan.base_key(), path) for path in scan.cards]

    before = keys()
    tests = root / "products" / "uwv" / "U-XR.tests.yaml"
    tests.write_text(tests.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert keys() == before
    (root / "facts.yaml").write_text((root / "facts.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not set(keys()) & set(before)


def test_a_damaged_entry_is_rebuilt(tmp_path, cache_dir, checked):
    root = copy_fixture(tmp_path)
    load_catalogue(root)
    checked.clear()
    entry = card_entry(root, cache_dir)
    entry.write_bytes(b"not a pickle")
    catalogue = load_catalogue(root)
    assert checked == ["U-XR.yaml"] and "U-XR" in catalogue.products
    assert entry.read_bytes() != b"not a pickle"


def test_a_cache_that_cannot_be_written_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(blocker / "cache"))
    catalogue = load_catalogue(copy_fixture(tmp_path))
    assert "LN-3" in catalogue.products


def test_the_cache_can_be_switched_off(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("CATALOGUE_NO_CACHE", "1")
    load_catalogue(copy_fixture(tmp_path))
    assert not cache_dir.exists()


def test_a_card_with_errors_is_never_cached(tmp_path, cache_dir):
    root = copy_fixture(tmp_path)
    card = root / "products" / "uwv" / "U-XR.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("registered_on + 56 days", "registerd_on + 56 days"),
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CatalogueError):
            load_catalogue(root)
    scan = Scan.of(root)
    entries = {path.name for path in catalogue_entries(cache_dir)}
    assert f"{scan.card_key(scan.base_key(), card)}.entry" not in entries
    others = [path for path in scan.cards if path != card]
    assert {f"{scan.card_key(scan.base_key(), path)}.entry" for path in others} <= entries  # the good ones are


# -- the cache trusts nothing it did not write (issue 11, defect 6) ------------------------------------

import os  # noqa: E402
import pickle  # noqa: E402
import stat  # noqa: E402
import warnings  # noqa: E402

from interpreter import cache  # noqa: E402
from interpreter.model import Product  # noqa: E402


class Exploit:
    """A pickle that runs code when it is loaded: it creates the file `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "config" / "cache.key"
    monkeypatch.setenv("CATALOGUE_CACHE_KEY", str(path))
    cache._warned.clear()
    return path


def test_a_crafted_entry_never_runs_and_is_replaced(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    marker = tmp_path / "pwned"
    cache_dir.mkdir(mode=0o700)
    entry = card_entry(root, cache_dir)
    payload = pickle.dumps(Exploit(marker))
    for crafted in (payload, cache.MAGIC + b"\0" * cache.MAC_SIZE + payload):
        entry.write_bytes(crafted)
        entry.with_suffix(".pickle").write_bytes(payload)  # the format before: never read
        checked.clear()
        catalogue = load_catalogue(root)
        assert "U-XR.yaml" in checked and "U-XR" in catalogue.products
        assert not marker.exists()
        assert entry.read_bytes().startswith(cache.MAGIC) and payload not in entry.read_bytes()


def test_crafted_parser_tables_never_run(tmp_path, cache_dir, key_file, monkeypatch):
    from interpreter import parser as parser_module
    marker = tmp_path / "pwned"
    cache_dir.mkdir(mode=0o700)
    name = parser_module._tables_name(parser_module.grammar_text())
    payload = pickle.dumps(Exploit(marker))
    (cache_dir / (name + cache.SUFFIX)).write_bytes(cache.MAGIC + b"\0" * cache.MAC_SIZE + payload)
    (cache_dir / "lark-tables.pickle").write_bytes(payload)  # where Lark's own cache used to look
    parser_module.lark_parser.cache_clear()
    try:
        assert parser_module.lark_parser().parse("1 + 2")
    finally:
        parser_module.lark_parser.cache_clear()
    assert not marker.exists()


def test_the_key_is_made_once_outside_the_cache_folder_with_mode_600(tmp_path, cache_dir, key_file):
    load_catalogue(copy_fixture(tmp_path))
    assert key_file.is_file() and cache_dir not in key_file.parents
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert len(key_file.read_bytes()) == 32


def test_an_entry_made_with_another_key_is_not_trusted(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    load_catalogue(root)
    cards = len(checked)
    key_file.write_bytes(b"k" * 32)  # a new key: every entry of the old one is foreign now
    load_catalogue(root)
    assert len(checked) == 2 * cards


def test_an_entry_of_the_wrong_kind_is_replaced(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    name = card_entry(root, cache_dir).stem
    for wrong in (42, {"a": 1}, "text"):
        cache.write_object(name, wrong)  # authentic, but not a checked card
        checked.clear()
        assert "U-XR" in load_catalogue(root).products and "U-XR.yaml" in checked
        assert isinstance(cache.read_object(name, Product), Product)


def test_a_fifo_in_place_of_an_entry_does_not_hang(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    cache_dir.mkdir(mode=0o700)
    entry = card_entry(root, cache_dir)
    os.mkfifo(entry)
    assert "U-XR" in load_catalogue(root).products and "U-XR.yaml" in checked
    assert stat.S_ISREG(entry.stat().st_mode)  # replaced by a file


def test_a_folder_writable_by_others_is_refused_once_with_a_warning(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            checked.clear()
            assert "U-XR" in load_catalogue(root).products and "U-XR.yaml" in checked
    messages = [str(w.message) for w in caught if issubclass(w.category, cache.CacheWarning)]
    assert messages == [f"the cache folder {cache_dir} is not owned by you or is writable by others; "
                        "going on without the catalogue cache"]
    assert not catalogue_entries(cache_dir)


def test_files_of_another_user_are_not_trusted(tmp_path, cache_dir, key_file, monkeypatch, checked):
    root = copy_fixture(tmp_path)
    load_catalogue(root)
    checked.clear()
    me = os.geteuid()
    monkeypatch.setattr(cache.os, "geteuid", lambda: me + 1)  # now every file belongs to someone else
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_catalogue(root)
    assert "U-XR.yaml" in checked
    assert any("not owned by you" in str(w.message) for w in caught)


def test_a_key_readable_by_others_is_refused(tmp_path, cache_dir, key_file, checked):
    root = copy_fixture(tmp_path)
    load_catalogue(root)
    checked.clear()
    key_file.chmod(0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_catalogue(root)
    assert "U-XR.yaml" in checked
    assert [str(w.message) for w in caught] == [
        f"the cache key {key_file} is not a file of yours that only you can read (mode 600); "
        "going on without the catalogue cache"]
