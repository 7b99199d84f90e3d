"""`catalogue new CODE --family FAMILY`: a card with every section and a test file, valid at once.

Every test works on a copy of the fixture catalogue in tmp_path.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from cards import invoke, copy_fixture
from interpreter.api import Engine
from interpreter.yamlsource import load_file

SECTIONS = ["parameters", "deadlines", "payments", "reports", "checks", "values", "assumptions", "source",
            "edition"]
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")



@pytest.fixture
def cat(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


def card(root: Path, code: str) -> Path:
    return next(p for p in (root / "products").rglob(f"{code}.yaml"))


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder of the catalogue, with a hash of each file's bytes."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def card_count(root: Path) -> int:
    result = invoke("--catalogue", root, "validate")
    assert result.exit_code == 0, result.stderr
    return int(re.match(r"ok: (\d+) product cards", result.stdout).group(1))


# -- a new card in each family ---------------------------------------------------------------------------

@pytest.mark.parametrize("code, family, sibling", [
    ("LN-9", "leon", "LN-3"),
    ("U-XX", "uwv-innovatief", "U-XR"),
    ("T2-Z", "spoor2", "T2-A"),
])
def test_new_card_lands_beside_its_family_and_validates(cat, code, family, sibling):
    before = card_count(cat)
    folder = card(cat, sibling).parent
    result = invoke("--catalogue", cat, "new", code, "--family", family)
    assert result.exit_code == 0, result.stderr
    new_card, new_tests = folder / f"{code}.yaml", folder / f"{code}.tests.yaml"
    assert result.stdout.splitlines() == [
        f"wrote {new_card}", f"wrote {new_tests}",
        f"next: fill in the TODOs, then run 'catalogue validate' and 'catalogue test {code}'"]
    assert new_card.is_file() and new_tests.is_file()
    assert not list(folder.glob("*.tmp"))
    # the catalogue validates at once, with one card more
    assert card_count(cat) == before + 1
    product = Engine(cat).catalogue.product(code)
    assert product.family == family
    assert product.valid_from == dt.date.today()


@pytest.mark.parametrize("code, family", [("LN-9", "leon"), ("U-XX", "uwv-innovatief"), ("T2-Z", "spoor2")])
def test_new_cards_test_file_passes_at_once(cat, code, family):
    assert invoke("--catalogue", cat, "new", code, "--family", family).exit_code == 0
    result = invoke("--catalogue", cat, "test", code)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_new_card_has_every_section(cat):
    assert invoke("--catalogue", cat, "new", "U-XX", "--family", "uwv-innovatief").exit_code == 0
    path = card(cat, "U-XX")
    data = load_file(path).data
    for section in SECTIONS:
        assert section in data, f"the new card has no '{section}'"
    assert data["code"] == "U-XX"
    assert data["family"] == "uwv-innovatief"
    assert data["title"].startswith("TODO")
    assert set(data["source"]) == {"document", "section"}
    # the source document is the family's
    family = load_file(cat / "families" / "uwv-innovatief.yaml").data
    assert data["source"]["document"] == family["source"]["document"]
    assert data["source"]["section"].startswith("TODO")
    assert data["edition"]["name"].startswith("TODO")
    assert data["edition"]["valid_from"] == dt.date.today().isoformat()
    tests = load_file(path.with_name("U-XX.tests.yaml")).data
    assert tests["product"] == "U-XX"
    assert [case["name"] for case in tests["cases"]] == ["an empty case leaves every result open"]
    assert tests["cases"][0]["facts"] == {}


@pytest.mark.parametrize("declared, description", [
    ("[doel, aanpak]", {"doel": "TODO: what the product is for (quoted from the source)"}),
    ("[]", None),
])
def test_new_cards_description_uses_a_heading_the_catalogue_declares(cat, declared, description):
    settings = cat / "catalogue.yaml"
    settings.write_text(re.sub(r"(?m)^descriptions: .*$", f"descriptions: {declared}",
                               settings.read_text(encoding="utf-8")), encoding="utf-8")
    for path in (cat / "products").rglob("*.yaml"):  # the bundled cards use the headings now undeclared
        if not path.name.endswith(".tests.yaml") and "uwv" not in path.parts[-2]:
            path.unlink()
    for path in (cat / "products").rglob("*.yaml"):
        if not path.name.endswith(".tests.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"(?ms)^description:\n(?:  .*?\n|    .*?\n)+", "", text), encoding="utf-8")
    result = invoke("--catalogue", cat, "new", "U-XX", "--family", "uwv-innovatief")
    assert result.exit_code == 0, result.stderr
    assert load_file(card(cat, "U-XX")).data.get("description") == description
    assert invoke("--catalogue", cat, "validate").exit_code == 0


def test_new_card_points_the_editor_at_the_schemas(cat):
    assert invoke("--catalogue", cat, "new", "T2-Z", "--family", "spoor2").exit_code == 0
    path = card(cat, "T2-Z")
    for file, schema in ((path, "card.schema.json"), (path.with_name("T2-Z.tests.yaml"), "tests.schema.json")):
        match = SCHEMA_LINE.fullmatch(file.read_text(encoding="utf-8").splitlines()[0])
        assert match, f"{file.name} does not start with a yaml-language-server line"
        assert os.path.normpath(file.parent / match.group(1)) == os.path.normpath(cat / "schemas" / schema)


def test_new_card_and_test_file_follow_the_json_schemas(cat):
    import jsonschema  # a dependency of the project (pyproject.toml)
    assert invoke("--catalogue", cat, "new", "LN-9", "--family", "leon").exit_code == 0
    assert invoke("--catalogue", cat, "schema").exit_code == 0
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (cat / "schemas").glob("*.json")}
    path = card(cat, "LN-9")
    card_errors = list(jsonschema.Draft7Validator(schemas["card.schema.json"]).iter_errors(load_file(path).data))
    assert card_errors == []
    tests_schema = dict(schemas["tests.schema.json"])
    tests_schema["definitions"] = {"case": schemas["case.schema.json"]}
    text = json.dumps(tests_schema).replace('"$ref": "case.schema.json"', '"$ref": "#/definitions/case"')
    tests = load_file(path.with_name("LN-9.tests.yaml")).data
    assert list(jsonschema.Draft7Validator(json.loads(text)).iter_errors(tests)) == []


# -- what a family's rules need from each card -----------------------------------------------------------------

DEMO = """\
family: demo
title: Demo family
source: {document: demo.txt, section: "1"}
checks:
  price_within_cap:
    label: Prijs binnen het plafond
    test: price <= cap
    message: De prijs ligt boven het plafond.
"""
DEMO_SUB = """\
family: demo-sub
extends: demo
title: Demo sub-family
source: {document: demo.txt, section: "2"}
"""
D1 = """\
code: D-1
family: demo-sub
title: Demo product
source: {document: demo.txt, section: "3"}
edition: {name: eerste, valid_from: 2016-01-01}
parameters:
  cap:
    label: Plafond
    value: €1000
    source: {section: "3", quote: "ten hoogste € 1000"}
"""


@pytest.fixture
def demo(cat) -> Path:
    (cat / "families" / "demo.yaml").write_text(DEMO, encoding="utf-8")
    (cat / "families" / "demo-sub.yaml").write_text(DEMO_SUB, encoding="utf-8")
    (cat / "products" / "demo").mkdir()
    (cat / "products" / "demo" / "D-1.yaml").write_text(D1, encoding="utf-8")
    assert invoke("--catalogue", cat, "validate").exit_code == 0
    return cat


@pytest.mark.parametrize("family", ["demo", "demo-sub"])
def test_parameters_the_family_needs_are_copied_from_a_sibling(demo, family):
    result = invoke("--catalogue", demo, "new", "D-2", "--family", family)
    assert result.exit_code == 0, result.stderr
    path = demo / "products" / "demo" / "D-2.yaml"
    text = path.read_text(encoding="utf-8")
    assert "copied from D-1.yaml" in text
    cap = load_file(path).data["parameters"]["cap"]
    assert cap["value"] == "€1000"
    assert cap["label"].startswith("TODO") and cap["label"].endswith("Plafond")
    assert cap["source"] == {"section": "3", "quote": "ten hoogste € 1000"}
    assert invoke("--catalogue", demo, "validate").exit_code == 0
    # an empty case leaves the price check open: the test file lists the fact it needs
    tests = load_file(path.with_name("D-2.tests.yaml")).data
    assert tests["cases"][0]["expect"]["missing"] == ["price"]
    assert invoke("--catalogue", demo, "test", "D-2").exit_code == 0


def test_new_card_that_would_break_the_catalogue_is_not_written(demo):
    (demo / "products" / "demo" / "D-1.yaml").unlink()  # no sibling left to copy 'cap' from
    before = snapshot(demo)
    result = invoke("--catalogue", demo, "new", "D-2", "--family", "demo")
    assert result.exit_code == 1
    assert f"{demo / 'families' / 'demo.yaml'}:" in result.stderr
    assert "'cap'" in result.stderr
    assert snapshot(demo) == before


def test_a_new_family_folder_is_removed_again_on_failure(demo):
    shutil.rmtree(demo / "products" / "demo")
    before = snapshot(demo)
    result = invoke("--catalogue", demo, "new", "D-2", "--family", "demo")
    assert result.exit_code == 1
    assert snapshot(demo) == before
    assert not (demo / "products" / "demo").exists()


# -- refusals: nothing is written ----------------------------------------------------------------------------

@pytest.mark.parametrize("code, family, message, hint", [
    ("U-XR", "uwv-innovatief", "a card for U-XR already exists", "valid_from"),
    ("LN-3", "leon", "a card for LN-3 already exists", "new edition"),
    ("LN-9", "leo", "unknown family 'leo'", "did you mean 'leon'?"),
    ("T2-Z", "spoor-2", "unknown family 'spoor-2'", "did you mean 'spoor2'?"),
    ("leon-9", "leon", "'leon-9' is not a valid product code", "capital letters"),
    ("12 XR", "uwv", "'12 XR' is not a valid product code", "capital letters"),
    ("LN_9", "leon", "'LN_9' is not a valid product code", "capital letters"),
])
def test_refusals_write_nothing(cat, code, family, message, hint):
    before = snapshot(cat)
    result = invoke("--catalogue", cat, "new", code, "--family", family)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "hint:" in result.stderr and hint in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(cat) == before


def test_unknown_family_lists_the_families(cat):
    result = invoke("--catalogue", cat, "new", "X-1", "--family", "zzz")
    assert result.exit_code == 1
    families = sorted(p.stem for p in (cat / "families").glob("*.yaml"))
    assert "the families are: " + ", ".join(families) in result.stderr
    assert "did you mean" not in result.stderr


def test_a_code_already_used_under_another_file_name_is_refused(cat):
    old = card(cat, "U-XR").read_text(encoding="utf-8")
    old = re.sub(r"^code: U-XR$", "code: U-XQ", old, flags=re.MULTILINE)
    old = old.replace("valid_from: 2016-04-01", "valid_from: 2015-01-01\n  valid_until: 2015-12-31")
    old = re.sub(r"^example:\n(?:  .*\n)+", "", old, flags=re.MULTILINE)  # its 2016 example is not a 2015 case
    (card(cat, "U-XR").parent / "U-XQ-2015.yaml").write_text(old, encoding="utf-8")
    assert invoke("--catalogue", cat, "validate").exit_code == 0
    before = snapshot(cat)
    result = invoke("--catalogue", cat, "new", "U-XQ", "--family", "uwv-innovatief")
    assert result.exit_code == 1
    assert "a card for U-XQ already exists" in result.stderr
    assert snapshot(cat) == before


def test_a_catalogue_that_does_not_load_gets_no_new_card(cat):
    path = card(cat, "U-XR")
    path.write_text(path.read_text(encoding="utf-8").replace("+ 56 days", "+ 56 dagen"), encoding="utf-8")
    before = snapshot(cat)
    result = invoke("--catalogue", cat, "new", "U-XX", "--family", "uwv-innovatief")
    assert result.exit_code == 1
    assert "'days' instead of 'dagen'" in result.stderr
    assert snapshot(cat) == before


def test_the_family_option_is_required(cat):
    result = invoke("--catalogue", cat, "new", "X-1")
    assert result.exit_code == 2
    assert "--family" in result.stderr


def test_new_reads_no_yaml_the_loaded_catalogue_already_holds(cat, monkeypatch):
    # The families, the sibling cards and the family's folder come from the loaded catalogue; the only
    # YAML read from disk is the new card, when the catalogue is checked with it.
    from interpreter import yamlsource
    from interpreter.api import Engine
    from interpreter.policy.scaffold import new_card

    catalogue = Engine(cat).catalogue
    catalogue.load_whole()
    read: list[str] = []
    original = yamlsource.read_bounded

    def reading(path, name):
        read.append(Path(path).name)
        return original(path, name)

    monkeypatch.setattr(yamlsource, "read_bounded", reading)
    written = new_card(cat, "LN-9", "leon", "2024-01-01", catalogue)
    assert [path.name for path in written] == ["LN-9.yaml", "LN-9.tests.yaml"]
    assert written[0].parent == card(cat, "LN-3").parent
    assert set(read) == {"LN-9.yaml"}
