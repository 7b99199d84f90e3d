"""The loader and the bundled catalogue's own promises: every rule cited and quoted, a stable receipt."""
from __future__ import annotations

import datetime as dt
import shutil

from interpreter.catalogue import BUNDLED, load_catalogue


def test_every_rule_cites_its_source_and_quotes_a_sentence(engine):
    unquoted = [f"{code}: {rule.id}"
                for code, editions in engine.catalogue.products.items() for product in editions
                for rule in product.rules.values()
                if rule.citation is None or not rule.citation.quotes or not rule.citation.section]
    assert unquoted == []


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
    from interpreter.dutch import date_text, money_text
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
