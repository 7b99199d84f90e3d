"""The loader and the bundled catalogue's own promises: every rule cited and quoted, a stable receipt."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from cards import BUNDLED, REPO
from interpreter.catalogue import load_catalogue


# This module checks the bundled catalogue's own promises, so it runs on catalogue/ itself.
@pytest.fixture(scope="module")
def engine(bundled):
    return bundled


@pytest.fixture(scope="module")
def catalogue_root():
    return BUNDLED


def _quoted_through_references(rule, product) -> bool:
    """A family rule over a value each card sets (price <= max_price) quotes through that card's rule."""
    from interpreter import nodes as n
    names = {node.name for expr in rule.exprs.values() for node in n.walk(expr.node) if isinstance(node, n.RuleRef)}
    return any(product.rules[name].citation and product.rules[name].citation.quotes for name in names)


def test_every_rule_cites_its_source_and_quotes_a_sentence(engine):
    unquoted = [f"{code}: {rule.id}"
                for code, editions in engine.catalogue.products.items() for product in editions
                for rule in product.rules.values()
                if rule.citation is None or not rule.citation.section
                or not (rule.citation.quotes or _quoted_through_references(rule, product))]
    assert unquoted == []


def test_a_description_written_as_one_text_ends_as_a_sentence(engine):
    # A text cut from an enumeration of the source keeps no dangling ';' (list items may end with one).
    dangling = [(product.code, key) for editions in engine.catalogue.products.values() for product in editions
                for key, text in product.description.items() if isinstance(text, str) and text.rstrip().endswith(";")]
    assert dangling == []


def test_a_description_list_does_not_open_with_a_line_that_answers_another(engine):
    # "Maar ..." answers the sentence before it: a card that keeps it keeps that sentence too.
    orphaned = [(product.code, key) for editions in engine.catalogue.products.values() for product in editions
                for key, lines in product.description.items()
                if isinstance(lines, list) and lines and str(lines[0]).startswith("Maar")]
    assert orphaned == []


def test_every_product_cites_its_document_and_section(engine):
    for editions in engine.catalogue.products.values():
        for product in editions:
            assert product.citation.document.endswith(".txt") and product.citation.section


def test_family_rules_reach_every_card_of_the_family(engine):
    # Every rule of a card's family (and of the families it extends) is a rule of the card, written in
    # one of those families unless the card overrides it, with its reason.
    from interpreter.model import SECTIONS, family_chain
    missing, misplaced = [], []
    for editions in engine.catalogue.products.values():
        for product in editions:
            chain = list(family_chain(product.family, engine.catalogue.families))
            family_files = {family.file for _, family in chain}
            for _, family in chain:
                for section in SECTIONS:
                    for rule_id in family.data.get(section) or {}:
                        # a payment is a split: its parts are the rules, its id their group
                        rules = ([part for part in product.rules.values() if part.group == rule_id]
                                 if section == "payments" else [product.rules.get(rule_id)])
                        if not rules or any(rule is None or rule.section != section for rule in rules):
                            missing.append((product.code, rule_id))
                        misplaced += [(product.code, rule.id, rule.origin) for rule in rules if rule is not None
                                      and rule.origin not in family_files
                                      and not (rule.origin == product.file and rule.override_reason)]
    assert missing == [] and misplaced == []
    assert any(product.family for editions in engine.catalogue.products.values() for product in editions)


def test_catalogue_hash_is_stable_and_changes_with_any_file(tmp_path):
    copy = tmp_path / "cat"
    shutil.copytree(BUNDLED, copy)
    first, again = load_catalogue(copy).hash, load_catalogue(copy).hash
    assert first == again and len(first) == 64
    card = next(path for path in sorted((copy / "products").rglob("*.yaml")) if not path.name.endswith(".tests.yaml"))
    card.write_text(card.read_text(encoding="utf-8") + "\n# a comment changes the receipt too\n", encoding="utf-8")
    assert load_catalogue(copy).hash != first


@pytest.mark.parametrize("case", sorted((REPO / "examples").glob("*-case.*")), ids=lambda path: path.name)
def test_every_demo_case_evaluates_under_the_code_its_name_gives(engine, case):
    # examples/ serves the README and `make demo`: <code>-case.yaml is a case of that product.
    result = engine.evaluate(case.name.split("-case.")[0], engine.read_case(case), typed=True)
    assert result.deadlines or result.payments or result.checks


def test_test_files_do_not_count_as_cards(engine):
    assert all(not p.file.endswith(".tests.yaml") for eds in engine.catalogue.products.values() for p in eds)


def test_every_catalogue_file_names_its_editor_schema(catalogue_root):
    # Editors (VS Code's YAML support) read this first line to complete keys and flag mistakes.
    expected = {"products": ("card.schema.json", "tests.schema.json"), "families": ("family.schema.json",)}
    for folder, schemas in expected.items():
        for path in (catalogue_root / folder).rglob("*.yaml"):
            first = path.read_text(encoding="utf-8").splitlines()[0]
            schema = schemas[1] if path.name.endswith(".tests.yaml") else schemas[0]
            assert first.startswith("# yaml-language-server: $schema="), path
            target = (path.parent / first.split("=", 1)[1]).resolve()
            assert target == (catalogue_root / "schemas" / schema).resolve() and target.exists(), path


def test_every_card_has_a_worked_example_inside_its_edition(engine):
    for editions in engine.catalogue.products.values():
        for product in editions:
            assert product.example_facts, f"{product.code} has no example for its sheet"
            result = engine.evaluate(product.code, product.example_facts, as_of=product.example_as_of, typed=True)
            assert result.edition == product.edition


def test_bundled_sheets_show_the_numbers_evaluate_gives(engine):
    # The sheet's worked example must be the interpreter's own answer: every known deadline date,
    # payment amount and report date of `evaluate` on the card's example stands on the sheet.
    from interpreter.sheets.words import date_text, money_text
    from interpreter.sheets import render_sheets

    pages = render_sheets(engine, "md")
    for code, editions in engine.catalogue.products.items():
        product = editions[-1]
        page = pages[f"{code}.md"]
        result = engine.evaluate(code, product.example_facts, as_of=product.example_as_of, typed=True)
        shown = [date_text(d.date) for d in result.deadlines if d.date]
        shown += [money_text(p.amount) for p in result.payments if p.amount is not None]
        shown += [date_text(r.date) for r in result.reports if r.date]
        shown += [date_text(v) for v in result.values.values() if isinstance(v, dt.date)]
        assert shown or not (result.deadlines or result.payments or result.reports), code
        for text in shown:
            assert text in page, f"{code}: {text} is not on the sheet"
