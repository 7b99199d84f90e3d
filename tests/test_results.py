"""The result contract: every result the engine gives fits catalogue/schemas/result.schema.json."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from jsonschema import Draft7Validator

from cards import BUNDLED
from interpreter.policy.jsonschema import RESULT_FILE, result_schema
from interpreter.results import SCHEMA_VERSION, to_json
from interpreter.policy.testing import discover, load_tests

from cards import card_engine

SCHEMA = result_schema()
VALIDATOR = Draft7Validator(SCHEMA)


def problems(data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]


def test_the_written_schema_is_the_one_the_code_derives():
    written = json.loads((BUNDLED / "schemas" / RESULT_FILE).read_text(encoding="utf-8"))
    assert written == SCHEMA, "run `catalogue schema` after changing the result contract"
    Draft7Validator.check_schema(SCHEMA)


def test_every_bundled_test_case_result_fits_the_schema(bundled):
    engine = bundled
    checked = 0
    for path in discover(BUNDLED):
        for case in load_tests(path, engine):
            for explain in (False, True):
                result = to_json(engine.evaluate(case.product, case.facts, as_of=case.as_of, typed=True,
                                                 explain=explain), explain=explain)
                assert problems(result) == [], f"{path.name}: {case.name}"
                assert result["schema_version"] == SCHEMA_VERSION
            checked += 1
    assert checked > 100  # every card's cases, not an empty walk


def test_the_schema_refuses_what_an_integrator_tripped_over(engine):
    good = to_json(engine.evaluate("U-XR", {"registered_on": "2016-04-01", "price": 4000}))
    assert problems(good) == []
    untyped = copy.deepcopy(good)
    untyped["values"]["max_price"] = "5000.00"  # a bare value without its type
    text_source = copy.deepcopy(good)
    text_source["deadlines"][0]["source"] = "000 §5.2"  # the old short string
    no_status = copy.deepcopy(good)
    del no_status["payments"][0]["status"]
    label_trigger = copy.deepcopy(good)
    label_trigger["payments"][0]["trigger"] = "akkoord Re-integratieplan"
    float_money = copy.deepcopy(good)
    float_money["payments"][0]["amount"] = 2400.0
    for bad in (untyped, text_source, no_status, label_trigger, float_money):
        assert problems(bad), bad


# A small card of our own: one split paid on a fact, and one value of each kind the contract names.
CARD = """\
  valid_from: 2016-01-01
parameters:
  cap: {label: Cap, value: €5000, source: {section: "§2", quote: "Ten hoogste € 5000."}}
values:
  plan_day: {label: Plan, value: registered_on + 56 days}
  rate: {label: Rate, value: 60%}
  open_flag: {label: Flag, value: hard_to_place}
payments:
  split:
    label: Split
    base: price
    source: {section: "§3", quote: "60% bij akkoord plan, 40% bij werkhervatting."}
    parts:
      first: {label: First, share: 60%, on: plan_approved_on}
      second: {label: Second, share: 40%, on: work_resumed_on}
"""


def titled_engine(tmp_path, body: str, title: str):
    """card_engine, with catalogue.yaml giving the test card's document (test.txt) a title."""
    from interpreter.api import Engine

    card_engine(tmp_path, body)
    settings = tmp_path / "cat" / "catalogue.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"  test.txt: {title}\n", encoding="utf-8")
    return Engine(tmp_path / "cat")


def test_values_say_their_type_and_payments_their_trigger_and_status(tmp_path):
    engine = titled_engine(tmp_path, CARD, "Testbron, versie 2016")
    # as_of 2016-06-01: the plan was approved on 2016-05-01 (so that part is due), no return to work yet.
    out = to_json(engine.evaluate("T-1", {"registered_on": "2016-04-01", "price": 1000,
                                          "plan_approved_on": "2016-05-01"}, as_of=dt.date(2016, 6, 1)))
    assert problems(out) == []
    assert out["values"]["cap"] == {"type": "money", "value": "5000.00", "missing": []}
    assert out["values"]["plan_day"] == {"type": "date", "value": "2016-05-27", "missing": []}  # 04-01 + 56 days
    assert out["values"]["rate"] == {"type": "percentage", "value": "60%", "missing": []}
    assert out["values"]["open_flag"] == {"type": "yes/no", "value": None, "missing": ["hard_to_place"]}
    first, second = out["payments"]
    assert first["trigger"]["fact"] == "plan_approved_on" and first["trigger"]["label"]
    assert (first["status"], first["amount"], first["date"], first["missing"]) == ("due", "600.00", "2016-05-01", [])
    assert (second["status"], second["amount"], second["missing"]) == ("pending", "400.00", ["work_resumed_on"])
    assert first["source"] == {"document": "test.txt", "title": "Testbron, versie 2016", "section": "§3",
                               "quote": "60% bij akkoord plan, 40% bij werkhervatting."}
    assert out["values"]["plan_day"] and "source" not in out["values"]["plan_day"]
    assert out["values"] and "work_resumed_on" in out["missing"]
    # approved after as_of: known amount, not yet due
    later = to_json(engine.evaluate("T-1", {"registered_on": "2016-04-01", "price": 1000,
                                            "plan_approved_on": "2016-07-01"}, as_of=dt.date(2016, 6, 1)))
    assert later["payments"][0]["status"] == "pending"
    unknown = to_json(engine.evaluate("T-1", {"registered_on": "2016-04-01"}, as_of=dt.date(2016, 6, 1)))
    assert unknown["payments"][0]["status"] == "unknown"
    assert unknown["payments"][0]["missing"] == ["plan_approved_on", "price"]


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_both_backends_give_the_same_contract(tmp_path, backend):
    engine = card_engine(tmp_path, CARD)
    facts = {"registered_on": "2016-04-01", "price": 1000, "plan_approved_on": "2016-05-01"}
    mine = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend))
    other = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1),
                                    backend="reference" if backend == "compiled" else "compiled"))
    assert mine == other


def test_batch_rows_are_the_same_shape(tmp_path, engine):
    from cards import invoke

    cases = {"a": {"registered_on": "2016-04-01", "price": 4000, "hard_to_place": False},
             "b": {"registered_on": "2016-04-01"}}
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps({"id": key, **facts}) + "\n" for key, facts in cases.items()), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert invoke("batch", "U-XR", path, "--out", out).exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"]
    for row in rows:
        assert problems(row) == []
        alone = to_json(engine.evaluate("U-XR", cases[row["id"]]))
        del alone["receipt"]  # a batch gives it once, for the whole run
        assert {key: value for key, value in row.items() if key not in ("row", "id")} == alone


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_every_source_is_titled_by_catalogue_documents_in_items_and_trace(tmp_path, backend):
    # catalogue.yaml `documents:` names each source file's title; every `source` object carries it,
    # the trace's included (both backends; the trace always comes from the tree walker).
    engine = titled_engine(tmp_path, CARD, "Testbron, versie 2016")
    facts = {"registered_on": "2016-04-01", "price": 1000, "plan_approved_on": "2016-05-01"}
    out = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend, explain=True),
                  explain=True)
    sources = [item["source"] for key in ("deadlines", "payments", "reports", "checks") for item in out[key]]
    sources += [entry["source"] for entry in out["trace"] if "source" in entry]
    assert len(out["payments"]) == 2 and any("source" in entry for entry in out["trace"])
    assert {(source["document"], source["title"]) for source in sources} == {("test.txt", "Testbron, versie 2016")}
    assert problems(out) == []


def test_a_document_without_a_title_is_named_by_its_file(tmp_path):
    # card_engine's catalogue.yaml lists the bundled sources only, not test.txt
    out = to_json(card_engine(tmp_path, CARD).evaluate("T-1", {}, as_of=dt.date(2016, 6, 1)))
    assert {item["source"]["title"] for item in out["payments"]} == {"test.txt"}


def test_every_document_the_catalogue_cites_has_a_title(bundled):
    # an invariant of any correct catalogue: no source object falls back to a bare file name
    import yaml

    titles = yaml.safe_load((BUNDLED / "catalogue.yaml").read_text(encoding="utf-8"))["documents"]
    for editions in bundled.catalogue.load_whole().products.values():
        for product in editions:
            citations = [product.citation, *(rule.citation for rule in product.rules.values())]
            for citation in filter(None, citations):
                assert citation.document in titles, f"{product.file}: {citation.document} has no title"
                assert citation.title == " ".join(titles[citation.document].split())


def test_an_unknown_check_kept_by_its_missing_facts_is_the_entry_check_result_makes(engine, monkeypatch):
    # The compiled code keeps the entry of an unknown check by the facts it misses (its entry holds nothing
    # else of the value); whatever was kept before, each entry must be the one check_result makes now.
    from interpreter import results
    from interpreter.results import check_result, unknown_check
    from interpreter.values import Open
    monkeypatch.setattr(results, "ENTRIES_KEPT", 3)
    rule = next(rule for rule in engine.product("U-XR").rules.values() if rule.section == "checks")
    values = [Open(frozenset({"price"})), Open(frozenset({"price"}), ("why",)), Open(frozenset({"price", "benefit"})),
              Open(), Open(reasons=("no value of x is valid on 2016-04-01",)), Open(frozenset({"district"})),
              Open(frozenset({"phases"})), True, False]
    kept: dict = {}
    for value in values * 2:
        assert unknown_check(rule, value, kept) == check_result(rule, value), value
    assert len(kept) == 3  # bounded: the fourth set of missing facts and later ones are made every time
    assert unknown_check(rule, Open(frozenset({"benefit", "price"})), kept).missing == ("benefit", "price")
