"""Per-card loading and caching: one product costs its own cards, an edit costs the edited file, nothing stale."""
from __future__ import annotations

import datetime as dt
import os

import pytest

import interpreter.store as store
from interpreter import Engine
from interpreter.catalogue import load_catalogue
from interpreter.errors import CatalogueError, ErrorList, LookupProblem
from interpreter.yamlsource import MAX_DOCUMENT_BYTES
from cards import FIXTURE, catalogue_with, invoke

FAMILY = """\
family: test-family
title: Test family
source: {document: f.txt, section: "1"}
deadlines:
  report_due:
    label: Rapport
    due: registered_on + 14 days
    source: {section: "1", quote: "Het rapport binnen 14 dagen."}
"""


def card(code: str, days: int, family: bool = True) -> str:
    return (f"code: {code}\ntitle: Product {code}\nsource: {{document: test.txt, section: \"1\"}}\n"
            f"edition: {{name: eerste, valid_from: 2016-01-01}}\n"
            + ("family: test-family\n" if family else "")
            + f"deadlines:\n  plan_due:\n    label: Plan\n    due: registered_on + {days} days\n"
              f"    source: {{section: \"2\", quote: \"Het plan binnen {days} dagen.\"}}\n")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(folder))
    monkeypatch.setenv("CATALOGUE_CACHE_KEY", str(tmp_path / "key" / "cache.key"))
    monkeypatch.delenv("CATALOGUE_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def root(tmp_path, cache_dir):
    return catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card("T-1", 10), "T-2.yaml": card("T-2", 20),
                                              "T-3.yaml": card("T-3", 30, family=False)},
                          {"test-family.yaml": FAMILY})


def plan(engine: Engine, code: str) -> dt.date:
    result = engine.evaluate(code, {"registered_on": "2016-04-01"}, as_of=dt.date(2016, 4, 1))
    return next(d.date for d in result.deadlines if d.id == "plan_due")


def test_one_product_loads_only_its_own_cards(root, checked):
    assert plan(Engine(root), "T-2") == dt.date(2016, 4, 21)  # 1 April + 20 days
    assert checked == ["T-2.yaml"]


def test_a_second_run_checks_nothing_and_an_edit_rechecks_only_that_card(root, checked):
    load_catalogue(root)
    assert sorted(checked) == ["T-1.yaml", "T-2.yaml", "T-3.yaml"]
    checked.clear()
    load_catalogue(root)
    assert checked == []
    (root / "products" / "T-1.yaml").write_text(card("T-1", 11), encoding="utf-8")
    catalogue = load_catalogue(root)
    assert checked == ["T-1.yaml"]
    engine = Engine(catalogue)
    assert plan(engine, "T-1") == dt.date(2016, 4, 12)  # the edit is seen: 1 April + 11 days
    assert plan(engine, "T-2") == dt.date(2016, 4, 21)


def test_an_edit_to_a_family_rechecks_its_cards_and_its_error_is_reported(root, checked):
    load_catalogue(root)
    checked.clear()
    family = root / "families" / "test-family.yaml"
    family.write_text(FAMILY.replace("registered_on + 14 days", "registerd_on + 14 days"), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    assert {"T-1.yaml", "T-2.yaml"} <= set(checked)
    errors = caught.value.errors if isinstance(caught.value, ErrorList) else [caught.value]
    assert [e.position.file.endswith("test-family.yaml") for e in errors] == [True]  # once, not once per card
    assert "registerd_on" in errors[0].message
    with pytest.raises(CatalogueError):
        Engine(root).evaluate("T-1", {})  # the cached T-1 of the good family is not used


def test_a_deleted_card_is_gone(root):
    load_catalogue(root)
    (root / "products" / "T-2.yaml").unlink()
    with pytest.raises(LookupProblem):
        Engine(root).evaluate("T-2", {})
    assert "T-2" not in load_catalogue(root).products


def test_a_renamed_card_names_its_new_file(root):
    load_catalogue(root)
    (root / "products" / "T-2.yaml").rename(root / "products" / "renamed.yaml")
    product = Engine(root).catalogue.product("T-2")
    assert product.file.endswith("renamed.yaml")
    assert load_catalogue(root).product("T-2").file.endswith("renamed.yaml")


def test_edit_then_revert_gives_the_original_again(root):
    path = root / "products" / "T-3.yaml"
    original = path.read_text(encoding="utf-8")
    assert plan(Engine(root), "T-3") == dt.date(2016, 5, 1)  # 1 April + 30 days
    path.write_text(card("T-3", 31, family=False), encoding="utf-8")
    assert plan(Engine(root), "T-3") == dt.date(2016, 5, 2)
    path.write_text(original, encoding="utf-8")
    assert plan(Engine(root), "T-3") == dt.date(2016, 5, 1)


def test_a_broken_card_stops_only_itself_and_the_whole_catalogue(root):
    (root / "products" / "T-1.yaml").write_text(card("T-1", 10).replace("+ 10 days", "+ 10"), encoding="utf-8")
    engine = Engine(root)
    assert plan(engine, "T-2") == dt.date(2016, 4, 21)
    with pytest.raises(CatalogueError) as caught:
        engine.evaluate("T-1", {})
    assert caught.value.position.file.endswith("T-1.yaml")
    outcome = invoke("--catalogue", root, "validate")
    assert outcome.exit_code == 1 and "T-1.yaml" in outcome.output


def test_an_unknown_product_suggests_a_close_code(root):
    with pytest.raises(LookupProblem) as caught:
        Engine(root).evaluate("T-22", {})
    assert "did you mean 'T-2'" in caught.value.hint


def test_cards_checked_in_two_processes_equal_cards_checked_in_one(root, monkeypatch, tmp_path):
    (root / "products" / "T-1.yaml").write_text(card("T-1", 10).replace("+ 10 days", "+ 10"), encoding="utf-8")
    monkeypatch.setenv("CATALOGUE_NO_CACHE", "1")

    def outcome():
        try:
            catalogue = load_catalogue(root)
        except CatalogueError as error:
            errors = error.errors if isinstance(error, ErrorList) else [error]
            return [(str(e.position), e.message, e.hint, type(e).__name__) for e in errors]
        return catalogue

    # Forking is held back while other threads run (the service's watcher); a test run may have
    # left an idle one behind, so here the check is set aside: this test is about what the forked
    # workers give back.
    monkeypatch.setattr(store, "_can_fork", lambda: True)
    forks = []
    two_processes = store._in_two_processes
    monkeypatch.setattr(store, "_in_two_processes", lambda *args: forks.append(1) or two_processes(*args))
    monkeypatch.setattr(store, "PARALLEL_FROM", 10_000)
    serial = outcome()
    assert not forks
    monkeypatch.setattr(store, "PARALLEL_FROM", 1)
    parallel = outcome()
    assert forks  # the cards were checked in two worker processes
    # The error crossed from a worker process with its class, position (line 9: the due line) and hint.
    assert serial == parallel and len(serial) == 1
    assert ".yaml:9:" in serial[0][0] and serial[0][0].split(":")[0].endswith("T-1.yaml")
    assert serial[0][2] and serial[0][3] == "TypeCheckError"

    (root / "products" / "T-1.yaml").write_text(card("T-1", 10), encoding="utf-8")
    monkeypatch.setattr(store, "PARALLEL_FROM", 10_000)
    serial = outcome()
    monkeypatch.setattr(store, "PARALLEL_FROM", 1)
    parallel = outcome()
    assert list(serial.products) == list(parallel.products)
    for code in serial.products:
        assert serial.product(code).rules == parallel.product(code).rules


def test_a_card_whose_code_needs_yaml_to_read_is_still_found(root):
    quoted = card("T-2", 20).replace("code: T-2", 'code: "T-2"  # quoted')
    (root / "products" / "T-2.yaml").write_text(quoted, encoding="utf-8")
    assert plan(Engine(root), "T-2") == dt.date(2016, 4, 21)
    assert "T-2" in Engine(root).catalogue.codes()


def test_no_fork_while_another_thread_runs():
    import threading
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not store._can_fork()  # a forked child could inherit a lock that thread holds
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("make, message", [
    (lambda path: os.mkfifo(path), "not a regular file"),  # reading it would wait for a writer
    (lambda path: path.open("wb").truncate(MAX_DOCUMENT_BYTES + 1), "the file is too large"),  # sparse: no disk
])
def test_a_card_file_that_cannot_be_a_card_is_refused_before_it_is_read(root, make, message):
    path = root / "products" / "T-9.yaml"
    make(path)
    with pytest.raises(CatalogueError) as caught:
        Engine(root).evaluate("T-1", {})
    assert message in caught.value.message and caught.value.position.file.endswith("T-9.yaml")
    outcome = invoke("--catalogue", root, "validate")
    assert outcome.exit_code == 1 and message in outcome.output


# A warm evaluate: the cards come from their cache entries, so neither the loading pipeline
# (loader.py and cerberus with it) nor Lark's parser tables are needed.
WARM_EVALUATE = """
import sys, datetime as dt
from interpreter import Engine, parser
result = Engine(sys.argv[1]).evaluate("T-1", {"registered_on": "2016-04-01"}, as_of=dt.date(2016, 4, 2))
assert str(result.deadlines[0].date) == "2016-05-27", result.deadlines  # 2016-04-01 + 56 days
print(sorted(m for m in ("cerberus", "interpreter.loader", "interpreter.schema")
             if m in sys.modules), parser.lark_parser.cache_info().currsize)
"""


def test_a_warm_evaluate_loads_neither_the_pipeline_nor_the_parser(tmp_path, cache_dir):
    import subprocess
    import sys

    from cards import CARD_HEAD, PLAN_CARD
    root = catalogue_with(tmp_path, FIXTURE, {"t1.yaml": CARD_HEAD + PLAN_CARD})
    run = [sys.executable, "-c", WARM_EVALUATE, str(root)]
    cold = subprocess.run(run, capture_output=True, text=True, env=os.environ, timeout=120)
    assert cold.returncode == 0, cold.stderr
    assert "'interpreter.loader'" in cold.stdout  # the first time the card is parsed and checked
    warm = subprocess.run(run, capture_output=True, text=True, env=os.environ, timeout=120)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.split() == ["[]", "0"]


def test_a_cache_hit_keeps_the_settings_and_family_titles_the_sheets_show(root):
    """The base entry carries catalogue.yaml and the family titles, so the sheets read no YAML of their own."""
    (root / "catalogue.yaml").write_text(
        (root / "catalogue.yaml").read_text(encoding="utf-8").replace(
            "catalogue: Re-integratieproducten (UWV, spoor 2, RSD de Liemers LEON)", "catalogue: Eerste titel"),
        encoding="utf-8")
    for first, second in ((load_catalogue(root), load_catalogue(root)), (store.open_catalogue(root),
                                                                          store.open_catalogue(root))):
        for catalogue in (first, second):
            assert catalogue.settings["catalogue"] == "Eerste titel"
            assert catalogue.family_titles["test-family"] == "Test family"
    (root / "catalogue.yaml").write_text(
        (root / "catalogue.yaml").read_text(encoding="utf-8").replace("Eerste titel", "Tweede titel"), encoding="utf-8")
    assert load_catalogue(root).settings["catalogue"] == "Tweede titel"
    assert store.open_catalogue(root).settings["catalogue"] == "Tweede titel"
