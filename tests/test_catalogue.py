"""The loader and the bundled catalogue's own promises: every rule cited and quoted, a stable receipt."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from cards import BUNDLED
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


def test_each_uwv_card_quotes_its_own_price_cap_with_the_price_check(engine):
    from interpreter.sheets.pages import Builder
    builder = Builder(engine)
    for code, cap in (("12XR", "€ 5000"), ("12LT", "€ 3750"), ("12EC", "€ 1350"), ("12EP", "€ 650")):
        product = engine.product(code)
        quotes = [q for c in builder.rule_citations(product, product.rules["price_within_guideline"])
                  for q in c["quotes"]]
        assert cap in quotes[0], (code, quotes)
        assert not [q for q in quotes if "maximum bedrag" in q and cap not in q], (code, quotes)  # no other cap


def test_review_fixes_on_the_bundled_cards(engine):
    # 12XR: "Wat de vaste prijs van een re-integratietraject is exclusief btw, scholing en functiegerichte
    # vaardigheidstrainingen, maar inclusief reiskosten" decides what belongs in the price
    assert "maar inclusief reiskosten" in engine.product("12XR").rules["max_price"].label
    for code in ("12EC", "12EP"):
        groups = engine.product(code).description["client_groups"]
        # the "Maar" of the last sentence answers the one before it, which the card now keeps
        assert any("vastgesteld dat scholing noodzakelijk is" in line for line in groups), code
        assert groups.index(next(g for g in groups if g.startswith("Maar"))) > 0
    assert not engine.product("12EC").description["goal"].endswith(";")
    # S2-D: the source's words, not the card's reading
    assert engine.product("S2-D").rules["lead_time"].editions[0].expr.node.value == \
        "Signalering bij intakefase of tijdens looptijd traject"


def test_every_product_cites_its_document_and_section(engine):
    for editions in engine.catalogue.products.values():
        for product in editions:
            assert product.citation.document.endswith(".txt") and product.citation.section


def test_family_rules_reach_every_card_of_the_family(engine):
    # 12XR's family uwv-innovatief holds the drempelbedrag; LEON's family the intake deadline.
    assert "drempelbedrag" in engine.product("12XR").rules
    assert engine.product("LEON-3").rules["intake_due"].origin.endswith("families/leon.yaml")


def test_catalogue_hash_is_stable_and_changes_with_any_file(tmp_path):
    copy = tmp_path / "cat"
    shutil.copytree(BUNDLED, copy)
    first, again = load_catalogue(copy).hash, load_catalogue(copy).hash
    assert first == again and len(first) == 64
    card = copy / "products" / "uwv" / "12XR.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "\n# a comment changes the receipt too\n", encoding="utf-8")
    assert load_catalogue(copy).hash != first


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
