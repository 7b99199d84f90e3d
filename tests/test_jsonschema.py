"""`catalogue schema`: JSON Schemas for editors, derived from the cerberus schemas and the fact vocabulary.

The engine's tests write the schemas of the fixture catalogue: documents with the mistakes an editor
should flag while typing must not validate. The bundled catalogue's own promise (an invariant): its
cards, families, test files and the example cases validate against the schemas written for it, and
its committed schemas/ folder is what `catalogue schema` writes today.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from cards import BUNDLED, CASES, FIXTURE, invoke
from interpreter import schema as s  # noqa: E402
from interpreter.api import Engine  # noqa: E402
from interpreter.policy.jsonschema import CASE_FILE, all_schemas, render  # noqa: E402
from interpreter.yamlsource import load_file, load_text  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NAMES = ["card.schema.json", "family.schema.json", "tests.schema.json", "case.schema.json", "result.schema.json"]



def read_schemas(folder: Path) -> dict[str, dict]:
    return {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in NAMES}


def validator(schemas: dict[str, dict], name: str) -> Draft7Validator:
    """A validator that resolves the "case.schema.json" $ref among the written schemas."""
    try:
        from referencing import Registry
        from referencing.jsonschema import DRAFT7
    except ImportError:  # jsonschema < 4.18
        from jsonschema import RefResolver
        resolver = RefResolver(base_uri="", referrer=schemas[name], store=dict(schemas))
        return Draft7Validator(schemas[name], resolver=resolver)
    registry = Registry().with_resources((key, DRAFT7.create_resource(value)) for key, value in schemas.items())
    return Draft7Validator(schemas[name], registry=registry)


def problems(schemas: dict[str, dict], name: str, data) -> list:
    return sorted(validator(schemas, name).iter_errors(data), key=lambda e: list(e.absolute_path))


def write_schemas(root: Path, out: Path) -> Path:
    """The schemas as `catalogue schema --out` writes them for the catalogue at `root`."""
    result = invoke("--catalogue", root, "schema", "--out", out)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    return write_schemas(FIXTURE, tmp_path_factory.mktemp("schemas"))


@pytest.fixture(scope="module")
def schemas(written) -> dict[str, dict]:
    return read_schemas(written)


@pytest.fixture(scope="module")
def bundled_schemas(tmp_path_factory) -> dict[str, dict]:
    """The bundled catalogue's schemas: its files use the facts its vocabulary has, which a policy
    edit may extend beyond the fixture's."""
    return read_schemas(write_schemas(BUNDLED, tmp_path_factory.mktemp("bundled-schemas")))


def kind_of(path: Path) -> str | None:
    relative = path.relative_to(BUNDLED).parts
    if relative[0] == "families":
        return "family.schema.json"
    if relative[0] == "products":
        return "tests.schema.json" if path.name.endswith(".tests.yaml") else "card.schema.json"
    return None


BUNDLED_FILES = [p for p in sorted(BUNDLED.rglob("*.yaml")) if kind_of(p)]
EXAMPLES = sorted((REPO / "examples").glob("*-case.*"))  # case files; the .csv caseload is for batch


# -- writing ------------------------------------------------------------------------------------------

def test_schema_writes_the_five_schemas(tmp_path):
    out = tmp_path / "out"
    result = invoke("schema", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    assert result.stdout.splitlines() == [f"wrote {out / name}" for name in NAMES]


def test_the_default_folder_is_the_catalogues_schemas_folder(tmp_path):
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    shutil.rmtree(root / "schemas", ignore_errors=True)
    result = invoke("--catalogue", root, "schema")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (root / "schemas").iterdir()) == sorted(NAMES)
    # writing them does not change what the catalogue is
    assert invoke("--catalogue", root, "validate").exit_code == 0


def test_writing_twice_gives_the_same_files(tmp_path, written):
    again = tmp_path / "again"
    write_schemas(FIXTURE, again)
    for name in NAMES:
        assert (again / name).read_text(encoding="utf-8") == (written / name).read_text(encoding="utf-8")
    assert not list(again.glob("*.tmp"))


def test_unwritable_target_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = invoke("schema", "--out", blocker / "schemas")
    assert result.exit_code == 1
    assert "cannot write the schemas" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_draft7_schema(schemas, name):
    Draft7Validator.check_schema(schemas[name])
    assert schemas[name]["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schemas[name]["title"]


# -- the bundled files are valid -------------------------------------------------------------------------

def test_there_are_bundled_files_to_check():
    kinds = {kind_of(p) for p in BUNDLED_FILES}
    assert kinds == {"card.schema.json", "family.schema.json", "tests.schema.json"}


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.relative_to(BUNDLED).as_posix())
def test_every_bundled_file_validates(bundled_schemas, path):
    found = problems(bundled_schemas, kind_of(path), load_file(path).data)
    assert not found, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_case_validates(bundled_schemas, path):
    found = problems(bundled_schemas, CASE_FILE, load_file(path).data)
    assert not found, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


@pytest.mark.parametrize("path", sorted(CASES.glob("*-case.*")), ids=lambda p: p.name)
def test_every_fixture_case_validates(schemas, path):
    found = problems(schemas, CASE_FILE, load_file(path).data)
    assert not found, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


def test_example_cases_point_their_editor_at_the_written_case_schema():
    for path in EXAMPLES:
        if path.suffix != ".yaml":
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(.+)", first)
        assert match, f"{path.name} has no yaml-language-server line"
        # examples/ sit beside catalogue/ in the repository, whichever catalogue the suite checks
        assert (path.parent / match.group(1)).resolve() == (REPO / "catalogue" / "schemas" / CASE_FILE).resolve()


# -- what the editor flags -------------------------------------------------------------------------------

CARD = """\
code: T-1
title: Testproduct
source: {document: test.txt, section: "1"}
edition: {name: eerste, valid_from: 2016-01-01}
deadlines:
  plan_due:
    label: Plan ingediend
    due: registered_on + 56 days
    met_by: plan_submitted_on
    roll: next_working_day
payments:
  fee:
    label: Prijs
    base: price
    parts:
      effort: {label: Inspanning, share: 60%, on: plan_approved_on}
      result: {label: Resultaat, share: 40%}
example:
  as_of: 2016-04-01
  facts: {registered_on: 2016-04-01, price: 4000}
"""

TESTS = """\
product: T-1
cases:
  - name: a case
    as_of: 2016-05-27
    facts:
      registered_on: 2016-04-01
      phases: [orientation, mediation]
      benefit: WGA
      price: "€4000"
    expect:
      deadlines:
        plan_due: {date: "2016-05-27", status: open}
      missing: [price]
"""


def data(text: str):
    return copy.deepcopy(load_text(text, "<test>").data)


def test_the_sound_documents_pass(schemas):
    assert problems(schemas, "card.schema.json", data(CARD)) == []
    assert problems(schemas, "tests.schema.json", data(TESTS)) == []


def only(found: list):
    assert len(found) == 1, [e.message for e in found]
    return found[0]


@pytest.mark.parametrize("old, new, path, key", [
    ("title: Testproduct", "title: Testproduct\nremark: x", [], "remark"),                      # top level
    ("    met_by: plan_submitted_on", "    metby: plan_submitted_on", ["deadlines", "plan_due"], "metby"),
    ("{label: Resultaat, share: 40%}", "{label: Resultaat, share: 40%, when: true}",            # not in a part
     ["payments", "fee", "parts", "result"], "when"),
    ("edition: {name: eerste,", "edition: {name: eerste, valid_form: 2020-01-01,", ["edition"], "valid_form"),
])
def test_unknown_key_in_a_card(schemas, old, new, path, key):
    assert old in CARD
    error = only(problems(schemas, "card.schema.json", data(CARD.replace(old, new))))
    assert error.validator == "additionalProperties"
    assert list(error.absolute_path) == path
    assert f"'{key}' was unexpected" in error.message


def test_missing_label_of_a_rule(schemas):
    error = only(problems(schemas, "card.schema.json", data(CARD.replace("    label: Plan ingediend\n", ""))))
    assert error.validator == "required"
    assert list(error.absolute_path) == ["deadlines", "plan_due"]
    assert "'label' is a required property" in error.message


def test_missing_title_of_a_card(schemas):
    error = only(problems(schemas, "card.schema.json", data(CARD.replace("title: Testproduct\n", ""))))
    assert error.validator == "required" and "'title'" in error.message


def test_bad_enum_member_in_a_card(schemas):
    error = only(problems(schemas, "card.schema.json", data(CARD.replace("next_working_day", "next_workday"))))
    assert error.validator == "enum"
    assert list(error.absolute_path) == ["deadlines", "plan_due", "roll"]


@pytest.mark.parametrize("old, new, path", [
    ("valid_from: 2016-01-01", "valid_from: 01-01-2016", ["edition", "valid_from"]),
    ("valid_from: 2016-01-01", "valid_from: 2016-1-1", ["edition", "valid_from"]),
    ("as_of: 2016-04-01", "as_of: 1 april 2016", ["example", "as_of"]),
])
def test_wrong_date_pattern_in_a_card(schemas, old, new, path):
    error = only(problems(schemas, "card.schema.json", data(CARD.replace(old, new))))
    assert error.validator == "pattern"
    assert list(error.absolute_path) == path


def test_bad_product_code(schemas):
    error = only(problems(schemas, "card.schema.json", data(CARD.replace("code: T-1", "code: t-1"))))
    assert error.validator == "pattern" and list(error.absolute_path) == ["code"]


def test_misspelled_fact_in_a_cards_example(schemas):
    found = problems(schemas, "card.schema.json", data(CARD.replace("{registered_on: 2016-04-01, price",
                                                                    "{registerd_on: 2016-04-01, price")))
    error = only(found)
    assert error.validator == "additionalProperties"
    assert list(error.absolute_path) == ["example", "facts"]
    assert "registerd_on" in error.message


@pytest.mark.parametrize("old, new, path, rule", [
    ("      registered_on: 2016-04-01", "      registerd_on: 2016-04-01", ["cases", 0, "facts"], "additionalProperties"),
    ("benefit: WGA", "benefit: WIA", ["cases", 0, "facts", "benefit"], "enum"),
    ("[orientation, mediation]", "[orientation, mediaton]", ["cases", 0, "facts", "phases", 1], "enum"),
    ("registered_on: 2016-04-01", "registered_on: 2016-4-1", ["cases", 0, "facts", "registered_on"], "pattern"),
    ("as_of: 2016-05-27", "as_of: 27-05-2016", ["cases", 0, "as_of"], "pattern"),
    ('price: "€4000"', 'price: "€4.000,00"', ["cases", 0, "facts", "price"], "pattern"),
    ("      deadlines:", "      deadline:", ["cases", 0, "expect"], "additionalProperties"),
    ("  - name: a case\n", "  - title: a case\n", ["cases", 0], None),
])
def test_mistakes_in_a_test_file(schemas, old, new, path, rule):
    assert old in TESTS
    found = problems(schemas, "tests.schema.json", data(TESTS.replace(old, new)))
    assert found, "the mistake was not flagged"
    assert any(list(e.absolute_path) == path and (rule is None or e.validator == rule) for e in found), \
        [(list(e.absolute_path), e.validator, e.message) for e in found]


@pytest.mark.parametrize("case, rule", [
    ({"registerd_on": "2016-04-01"}, "additionalProperties"),
    ({"registered_on": "2016-02-1"}, "pattern"),
    ({"benefit": "WIA"}, "enum"),
    ({"hard_to_place": "yes"}, "type"),
    ({"phases": ["orientation", "orientation"]}, "uniqueItems"),
    ({"success_rate": "60"}, "pattern"),
    ({"introduction_hours": "anderhalf"}, "pattern"),
    ({"price": "vijfduizend"}, "pattern"),
])
def test_mistakes_in_a_case_file(schemas, case, rule):
    error = only(problems(schemas, CASE_FILE, case))
    assert error.validator == rule


def test_case_values_written_every_allowed_way_pass(schemas):
    case = {"registered_on": "2016-04-01", "price": Decimal("4000.50"), "annual_volume": 60000,
            "estimated_value": "€209000", "success_rate": "60%", "hard_to_place": False,
            "phases": ["orientation", "mediation"], "district": "D01", "benefit": "Wajong",
            "introduction_hours": "1.5", "intake_hours": 4}
    assert problems(schemas, CASE_FILE, case) == []


# -- derived, not kept by hand -----------------------------------------------------------------------------

def test_every_fact_of_the_vocabulary_is_in_the_case_schema(schemas):
    vocabulary = Engine(FIXTURE).catalogue.vocabulary
    properties = schemas[CASE_FILE]["properties"]
    assert set(properties) == set(vocabulary.facts) | {"rules_on"}  # rules_on: a date of the case, not a fact
    assert properties["rules_on"]["pattern"] == r"^\d{4}-\d{2}-\d{2}$"
    for name, fact in vocabulary.facts.items():
        assert properties[name]["description"] == fact.label
    assert properties["benefit"]["enum"] == list(vocabulary.enums["benefit"].members)


def test_the_card_schema_follows_the_cerberus_schema(schemas):
    card = schemas["card.schema.json"]
    assert set(card["properties"]) == set(s.CARD)
    assert set(card["required"]) == {key for key, rule in s.CARD.items() if rule.get("required")}
    assert set(schemas["family.schema.json"]["properties"]) == set(s.FAMILY)
    assert set(schemas["tests.schema.json"]["properties"]) == set(s.TEST_FILE)
    headings = card["properties"]["description"]["propertyNames"]["enum"]
    declared = load_file(FIXTURE / "catalogue.yaml").data["descriptions"]
    assert headings == declared and "goal" in headings  # catalogue.yaml `descriptions:`, in its order


def test_a_key_added_to_the_cerberus_schema_shows_up(monkeypatch):
    vocabulary = Engine(FIXTURE).catalogue.vocabulary
    monkeypatch.setitem(s.DEADLINE, "grace", {"type": "string", "empty": False})
    deadline = all_schemas(vocabulary)["card.schema.json"]["properties"]["deadlines"]["additionalProperties"]
    assert deadline["properties"]["grace"] == {"type": "string", "minLength": 1}


def test_a_fact_added_to_facts_yaml_shows_up_in_the_regenerated_case_schema(tmp_path, schemas):
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    facts = root / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    text = re.sub(r"^facts:\n", "facts:\n  pension_on: {type: date, label: ingangsdatum pensioen}\n", text,
                  count=1, flags=re.MULTILINE)
    text = re.sub(r"^(      Wajong: .*\n)", r"\1      WIA: WIA-uitkering\n", text, count=1, flags=re.MULTILINE)
    facts.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("--catalogue", root, "schema", "--out", out)
    assert result.exit_code == 0, result.stderr
    regenerated = read_schemas(out)
    case = regenerated[CASE_FILE]["properties"]
    assert case["pension_on"] == {"description": "ingangsdatum pensioen", "type": "string",
                                  "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    assert "WIA" in case["benefit"]["enum"]
    assert "pension_on" not in schemas[CASE_FILE]["properties"]
    # a test file may now use the fact; before, the editor flagged it
    tests = data(TESTS.replace("      benefit: WGA\n", "      benefit: WIA\n      pension_on: 2030-01-01\n"))
    assert problems(regenerated, "tests.schema.json", tests) == []
    assert problems(schemas, "tests.schema.json", tests)


def test_committed_schemas_equal_freshly_generated_ones():
    folder = BUNDLED / "schemas"
    assert folder.is_dir(), "catalogue/schemas/ is missing: run `catalogue schema` and commit the folder"
    fresh = render(all_schemas(Engine(BUNDLED).catalogue.vocabulary))
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(fresh)
    for name, text in fresh.items():
        assert (folder / name).read_text(encoding="utf-8") == text, \
            f"catalogue/schemas/{name} is out of date: run `catalogue schema`"


# -- decision tables and lookups -------------------------------------------------------------------------

TABLE_AND_LOOKUP = """\
tables:
  split:
    label: Verdeling
    inputs: {full_pay: full_pay ?? false, hard_to_place: hard_to_place}
    outputs: {effort_share: Inspanningsdeel, result_share: Resultaatdeel}
    rows:
      - [false, false, 60%, 40%]
      - [false, true, 80%, 20%]
      - [true, -, 100%, 0%]
lookups:
  districts:
    label: Districten
    key: district
    fields:
      name: {type: text, label: naam}
    entries:
      D01: {name: District Noord Nederland}
"""


def test_a_table_and_a_lookup_pass(schemas):
    assert problems(schemas, "card.schema.json", data(CARD + TABLE_AND_LOOKUP)) == []
    assert problems(schemas, "family.schema.json", data(
        "family: f\ntitle: F\nsource: {document: d.txt, section: '1'}\n" + TABLE_AND_LOOKUP)) == []


@pytest.mark.parametrize("old, new, path, validator", [
    ("    rows:\n", "    hit: any\n    rows:\n", ["tables", "split", "hit"], "enum"),       # an unknown hit policy
    ("      name: {type: text, label: naam}", "      name: text",                              # a field without label
     ["lookups", "districts", "fields", "name"], "type"),
    ("      - [true, -, 100%, 0%]", "      - [true, {WGA: null}, 100%, 0%]",                  # a set without quotes
     ["tables", "split", "rows", 2, 1], "type"),
    ("    key: district\n", "", ["lookups", "districts"], "required"),
])
def test_mistakes_in_a_table_or_lookup(schemas, old, new, path, validator):
    assert old in TABLE_AND_LOOKUP
    error = only(problems(schemas, "card.schema.json", data(CARD + TABLE_AND_LOOKUP.replace(old, new))))
    assert error.validator == validator
    assert list(error.absolute_path) == path


def test_a_table_has_at_most_its_limit_of_rows(schemas):
    from interpreter.limits import MAX_TABLE_ROWS
    rows = "".join("      - [true, -, 100%, 0%]\n" for _ in range(MAX_TABLE_ROWS + 1))
    text = CARD + TABLE_AND_LOOKUP.replace("      - [true, -, 100%, 0%]\n", rows)
    error = only(problems(schemas, "card.schema.json", data(text)))
    assert error.validator == "maxItems" and list(error.absolute_path) == ["tables", "split", "rows"]


# -- round two: payment schedules, overrides ---------------------------------------------------------------

SCHEDULED = """\
payments:
  coaching:
    label: Begeleiding per kwartaal
    schedule: every 3 months from started_on until ended_on
    amount: €850
"""


def test_a_payment_is_a_split_or_a_schedule_for_an_editor_too(schemas):
    card = data(CARD)
    card["payments"].update(data(SCHEDULED)["payments"])
    assert problems(schemas, "card.schema.json", card) == []
    both = copy.deepcopy(card)
    both["payments"]["coaching"]["base"] = "price"
    error = only(problems(schemas, "card.schema.json", both))
    assert list(error.absolute_path) == ["payments", "coaching"] and error.validator == "oneOf"
    half = copy.deepcopy(card)
    del half["payments"]["coaching"]["amount"]
    assert only(problems(schemas, "card.schema.json", half)).validator == "oneOf"


def test_an_override_names_its_reason_as_a_text(schemas):
    card = data(CARD)
    card["deadlines"]["plan_due"]["overrides"] = "Eigen termijn van dit product."
    assert problems(schemas, "card.schema.json", card) == []
    card["deadlines"]["plan_due"]["overrides"] = True
    error = only(problems(schemas, "card.schema.json", card))
    assert list(error.absolute_path) == ["deadlines", "plan_due", "overrides"]
