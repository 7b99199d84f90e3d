"""The loader and the bundled catalogue's own promises: every rule cited and quoted, a stable receipt."""
from __future__ import annotations

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
