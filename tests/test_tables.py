"""Decision tables and lookups: their YAML form, the checker's proof that a table is complete and
without overlaps, and what both backends compute from them (on small test cards, not the catalogue)."""
from __future__ import annotations

import datetime as dt

import pytest

from cards import CARD_HEAD, FIXTURE, SPLIT_TABLE, catalogue_with, load_errors
from interpreter.api import Engine
from interpreter.results import to_json

# The split of 000 §5.2 as a decision table (cards.SPLIT_TABLE, which quotes the sentences).
SPLIT = CARD_HEAD + "  valid_from: 2016-01-01\n" + SPLIT_TABLE + """\
payments:
  fee:
    label: Prijs
    base: price
    parts:
      effort: {label: Inspanning, share: split.effort_share, on: plan_approved_on}
      result: {label: Resultaat, share: result_share, on: work_resumed_on}
"""
# Lines: 8 valid_from, 9 tables:, 10 split:, 12 inputs:, 15 outputs:, 16 effort_share, 18 rows:,
# 19/20/21 the three rows (their '[' at column 9), 22 payments:.

# A lookup from 000 §5.2 (District van opdrachtverlening), whose table lines the fixture's family
# uwv-innovatief quotes: an order code, ’X’, the district's key and its name.
DISTRICTS = {"D01": "District Noord Nederland", "D02": "District Utrecht & Flevoland", "D03": "District Rijnmond",
             "D04": "District Overijssel & Gelderland Noord", "D05": "District Den Haag & Leiden",
             "D06": "District West Brabant & Zeeland", "D07": "District Gelderland Midden & Zuid",
             "D08": "District Noord-Holland Noord", "D09": "District Midden & Oost Brabant",
             "D10": "District Groot Amsterdam", "D11": "District Limburg"}


def lookup_card(entries: dict[str, str] | None = None, fields: str = "name: {type: text, label: naam}",
                value: str = "districts[district].name") -> str:
    entries = DISTRICTS if entries is None else entries
    return CARD_HEAD + "  valid_from: 2016-01-01\n" + (          # line 8
        "lookups:\n"                                               # 9
        "  districts:\n"                                           # 10
        "    label: Districten\n"                                  # 11
        "    key: district\n"                                      # 12
        "    fields:\n"                                            # 13
        f"      {fields}\n"                                        # 14
        "    entries:\n"                                           # 15
        + "".join(f"      {code}: {{name: {name}}}\n" for code, name in entries.items())  # 16 ...
        + "values:\n"
        "  district_name:\n"
        "    label: Naam van het district\n"
        f"    value: '{value}'\n")


def engine_for(tmp_path, card: str) -> Engine:
    return Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))


def errors_for(tmp_path, card: str) -> list:
    return load_errors(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))


def evaluate(engine: Engine, facts: dict, backend: str) -> dict:
    return to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 5, 1), backend=backend))


def amounts(result: dict) -> dict:
    return {p["id"]: p["amount"] for p in result["payments"]}


# -- evaluation, identical on both backends ---------------------------------------------------------

@pytest.fixture(scope="module")
def split_engine(tmp_path_factory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("split"), SPLIT)


@pytest.mark.parametrize("backend", ["reference", "compiled"])
@pytest.mark.parametrize("facts, effort, result", [
    # 60% and 40% of € 4000: € 2400 and € 1600 (no cure less pay).
    ({"price": 4000, "hard_to_place": False}, "2400.00", "1600.00"),
    # Protocol Zeer Moeilijk Plaatsbaar: 80% and 20% of € 4000.
    ({"price": 4000, "hard_to_place": True}, "3200.00", "800.00"),
    # Full pay: 100% on the effort part, whatever hard_to_place says ('-' in that column) or if it is unknown.
    ({"price": 4000, "hard_to_place": True, "full_pay": True}, "4000.00", "0.00"),
    ({"price": 4000, "full_pay": True}, "4000.00", "0.00"),
    # full_pay unknown counts as no (full_pay ?? false): the ordinary 60/40.
    ({"price": "3333.33", "hard_to_place": False}, "2000.00", "1333.33"),
])
def test_the_row_that_applies_gives_the_outputs(split_engine, backend, facts, effort, result):
    out = evaluate(split_engine, facts, backend)
    assert amounts(out) == {"effort": effort, "result": result}
    shares = {p["id"]: p["share"] for p in out["payments"]}
    assert out["values"]["effort_share"]["value"] == shares["effort"]
    assert out["values"]["result_share"]["value"] == shares["result"]


@pytest.mark.parametrize("backend", ["reference", "compiled"])
def test_an_unknown_input_leaves_the_outputs_open_and_names_it(split_engine, backend):
    out = evaluate(split_engine, {"price": 4000}, backend)
    # full_pay is unknown (so false) and hard_to_place unknown: rows 1 and 2 both may apply.
    assert out["values"]["effort_share"] == {"type": "percentage", "value": None, "missing": ["hard_to_place"]}
    assert all("hard_to_place" in p["missing"] and p["amount"] is None for p in out["payments"])


def test_the_trace_names_the_row_that_applied(split_engine):
    result = split_engine.evaluate("T-1", {"price": 4000, "hard_to_place": True}, as_of=dt.date(2016, 5, 1),
                                   explain=True)
    notes = [step["note"] for entry in result.trace if entry.get("rule") == "effort_share"
             for step in entry.get("steps", []) if "note" in step]
    assert len(notes) == 1 and notes[0].startswith("row 2 of table split applies (")
    assert notes[0].endswith(":20:9)")  # the second row, line 20, where its '[' stands


def test_hit_policy_first_takes_the_first_row_that_applies(tmp_path):
    card = SPLIT.replace("    rows:\n", "    hit: first\n    rows:\n").replace(
        "      - [true, -, 100%, 0%]\n", "").replace(
        "      - [false, false, 60%, 40%]\n", "      - [true, -, 100%, 0%]\n      - [-, false, 60%, 40%]\n")
    engine = engine_for(tmp_path, card)
    for backend in ("reference", "compiled"):
        # full_pay true: row 1 (100/0) comes before row 2 ('-', false), which applies too.
        assert amounts(evaluate(engine, {"price": 1000, "full_pay": True, "hard_to_place": False}, backend)) == {
            "effort": "1000.00", "result": "0.00"}
        # full_pay unknown (false): row 2, 60/40.
        assert amounts(evaluate(engine, {"price": 1000, "hard_to_place": False}, backend)) == {
            "effort": "600.00", "result": "400.00"}


# -- the proof at load ------------------------------------------------------------------------------

def only_error(tmp_path, card: str):
    errors = errors_for(tmp_path, card)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_a_gap_is_reported_at_the_nearest_row_with_the_column_that_differs(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("      - [true, -, 100%, 0%]\n", ""))
    assert error.message == (
        "table 'split' is not complete: no row applies when full_pay = true, hard_to_place = true "
        "(and 1 more combination); the nearest, row 2, differs in column full_pay says false")
    assert (error.position.line, error.position.column) == (20, 9)
    assert error.position.file.endswith("T-1.yaml")
    assert "add a row" in error.hint and "'-'" in error.hint


def test_an_overlap_is_reported_at_the_later_row_with_the_overlapping_column(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("[true, -, 100%, 0%]", "[-, true, 100%, 0%]"))
    assert error.message == ("rows 2 and 3 of table 'split' both apply when full_pay = false, hard_to_place = true; "
                             "they overlap in column full_pay (false and -)")
    assert (error.position.line, error.position.column) == (21, 9)
    assert "row 3 (line 21)" in error.hint and "row 2 (line 20)" in error.hint and "hit: first" in error.hint


def test_under_hit_policy_first_a_row_that_never_applies_is_refused(tmp_path):
    card = SPLIT.replace("    rows:\n", "    hit: first\n    rows:\n").replace(
        "[false, true, 80%, 20%]", "[-, -, 80%, 20%]").replace("[true, -, 100%, 0%]", "[true, true, 100%, 0%]")
    error = only_error(tmp_path, card)
    assert error.message == "row 3 of table 'split' never applies: the rows above it cover every case it covers"
    assert (error.position.line, error.position.column) == (22, 9)  # one line lower: 'hit: first' above the rows


def test_choice_inputs_are_proven_over_every_member(tmp_path):
    card = CARD_HEAD + """\
  valid_from: 2016-01-01
tables:
  rate:
    label: Tarief
    inputs:
      benefit: benefit
    outputs:
      rate: Tarief
    rows:
      - ["{WGA, ZW}", €10]
      - [Wajong, €20]
      - [WAO, €30]
"""
    error = only_error(tmp_path, card)
    # WAZ is the one member no row names (lines: 17 WGA/ZW, 18 Wajong, 19 WAO).
    assert "no row applies when benefit = WAZ" in error.message
    assert error.message.endswith("the nearest, row 1, differs in column benefit says {WGA, ZW}")


@pytest.mark.parametrize("cell, message", [
    ("ja", "row 1 of table 'split', column full_pay must be true, false or '-' (any), not 'ja'"),
    ("fals", "row 1 of table 'split', column full_pay must be true, false or '-' (any), not 'fals'"),
])
def test_a_yes_no_cell_must_be_true_false_or_any(tmp_path, cell, message):
    error = only_error(tmp_path, SPLIT.replace("[false, false, 60%, 40%]", f"[{cell}, false, 60%, 40%]"))
    assert error.message == message
    assert (error.position.line, error.position.column) == (19, 10)


def test_a_choice_cell_must_be_a_member(tmp_path):
    card = CARD_HEAD + """\
  valid_from: 2016-01-01
tables:
  rate:
    label: Tarief
    inputs:
      benefit: benefit
    outputs:
      rate: Tarief
    rows:
      - [Wajnog, €10]
      - [-, €20]
"""
    error = only_error(tmp_path, card)
    assert error.message == "'Wajnog' in row 1 of table 'rate', column benefit is not a benefit (did you mean 'Wajong'?)"
    assert (error.position.line, error.position.column) == (17, 10)


def test_an_input_must_be_yes_no_or_a_choice(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("hard_to_place: hard_to_place", "hard_to_place: price"))
    assert error.message == ("input 'hard_to_place' of table 'split' is an amount of money; a table's inputs must be "
                             "yes/no values or choices")
    assert (error.position.line, error.position.column) == (14, 22)
    assert "price > €5000" in error.hint


def test_the_cells_of_an_output_are_of_one_kind(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("[false, true, 80%, 20%]", "[false, true, €80, 20%]"))
    assert error.message == "output 'effort_share' of table 'split' is a percentage in row 1 but an amount of money in row 2"
    assert (error.position.line, error.position.column) == (20, 23)


def test_a_row_with_a_missing_cell_is_refused(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("[false, true, 80%, 20%]", "[false, 80%, 20%]"))
    assert error.message == ("row 2 of table 'split' has 3 cells, but the table has 4 columns "
                             "(full_pay, hard_to_place, effort_share, result_share)")
    assert (error.position.line, error.position.column) == (20, 9)
    assert "first the inputs, then the outputs" in error.hint


def test_an_unknown_output_of_a_table_is_refused_with_a_suggestion(tmp_path):
    error = only_error(tmp_path, SPLIT.replace("share: split.effort_share", "share: split.effort_shares"))
    assert error.message == "table 'split' has no output 'effort_shares' (did you mean 'effort_share'?)"
    assert error.hint == "the outputs of table 'split' are: effort_share, result_share"


def test_an_output_named_like_a_rule_is_defined_twice(tmp_path):
    error = only_error(tmp_path, SPLIT + "values:\n  effort_share:\n    label: Dubbel\n    value: 50%\n")
    # The values come first, the tables after them: the output is the second definition.
    assert error.message.startswith("'effort_share' is defined twice (first at ")
    assert error.message.endswith("T-1.yaml:30:3)")
    assert (error.position.line, error.position.column) == (16, 7)


# -- lookups ----------------------------------------------------------------------------------------

def quoted_district_line(engine, key: str) -> str:
    """The line of the source's district table for `key`, as the fixture's family uwv-innovatief quotes it."""
    family = engine.catalogue.families["uwv-innovatief"].data
    return next(line for line in family["parameters"]["districts"]["source"]["quote"] if f" {key} " in line)


@pytest.mark.parametrize("backend", ["reference", "compiled"])
def test_a_lookup_gives_the_field_of_the_entry_of_the_key(tmp_path, backend, engine):
    line = quoted_district_line(engine, "D05")
    order_code = line.split(" D05 ")[0]
    card = engine_for(tmp_path, lookup_card(value=f'"{order_code} " + text(district) + " " + districts[district].name'))
    out = evaluate(card, {"district": "D05"}, backend)
    # the source's table line, whole: the name comes from the lookup, the rest from the expression
    assert out["values"]["district_name"]["value"] == line
    assert line.endswith(" D05 District Den Haag & Leiden")
    assert evaluate(card, {}, backend)["values"]["district_name"] == {"type": "text", "value": None,
                                                                       "missing": ["district"]}


def test_a_lookup_with_a_missing_key_is_refused(tmp_path):
    entries = {code: name for code, name in DISTRICTS.items() if code not in ("D04", "D07")}
    error = only_error(tmp_path, lookup_card(entries))
    assert error.message == "lookup 'districts' has no entry for D04, D07"
    assert (error.position.line, error.position.column) == (15, 5)
    assert error.hint.startswith("a lookup needs an entry for every member of district: D01, D02")


def test_a_lookup_key_that_is_not_a_member_is_refused(tmp_path):
    entries = dict(DISTRICTS)
    entries["D12"] = "District Nergens"
    error = only_error(tmp_path, lookup_card(entries))
    assert error.message.startswith("'D12' in lookup 'districts' is not a district")
    assert (error.position.line, error.position.column) == (27, 7)


def test_a_lookup_value_of_the_wrong_type_is_refused(tmp_path):
    card = lookup_card(fields="name: {type: money, label: bedrag}", value="districts[district].name")
    errors = errors_for(tmp_path, card)
    assert errors and errors[0].message == "'District Noord Nederland' is not an amount of money"
    assert (errors[0].position.line, errors[0].position.column) == (16, 19)


def test_an_unknown_field_of_a_lookup_is_refused_with_a_suggestion(tmp_path):
    error = only_error(tmp_path, lookup_card(value="districts[district].nam"))
    assert error.message == "lookup 'districts' has no field 'nam' (did you mean 'name'?)"
    assert error.hint == "the fields of 'districts' are: name"


def test_the_key_of_a_lookup_must_be_of_its_list_of_choices(tmp_path):
    error = only_error(tmp_path, lookup_card(value="districts[benefit].name"))
    assert error.message.startswith("the key of 'districts[...]' must be a district (D01, D02")
    assert error.message.endswith("not a benefit (WGA, ZW, WAO, WAZ, Wajong)")


def test_an_unknown_lookup_is_refused(tmp_path):
    error = only_error(tmp_path, lookup_card(value="district[district].name"))
    assert error.message == "there is no lookup 'district' (did you mean 'districts'?)"


def test_a_table_with_too_many_combinations_to_prove_is_refused(tmp_path):
    # 11 districts x 5 benefits x 2^7 yes/no inputs = 7,040 combinations, more than MAX_TABLE_COMBINATIONS (4,096).
    bools = "".join(f"      over_{k}: price > €{k}\n" for k in range(7))
    card = CARD_HEAD + f"""\
  valid_from: 2016-01-01
tables:
  big:
    label: Groot
    inputs:
      district: district
      benefit: benefit
{bools}    outputs:
      rate: Tarief
    rows:
      - [-, -, -, -, -, -, -, -, -, €10]
"""
    error = only_error(tmp_path, card)
    assert error.message == ("table 'big' has 7,040 combinations of input values, more than the 4,096 the checker "
                             "goes through")
    assert (error.position.line, error.position.column) == (10, 3)
    assert "split it into smaller tables" in error.hint


@pytest.mark.parametrize("name, meaning", [
    ("product_code", "the product code of the card"),
    ("deadline", "the part 'deadlines' of a card"),
])
def test_a_table_cannot_take_a_name_that_means_something_already(tmp_path, name, meaning):
    card = SPLIT.replace("  split:\n", f"  {name}:\n").replace("split.effort_share", f"{name}.effort_share")
    errors = errors_for(tmp_path, card)
    assert errors[0].message == f"'{name}' cannot name a table: it already means {meaning}"
    assert (errors[0].position.line, errors[0].position.column) == (10, 3)


@pytest.mark.parametrize("backend", ["reference", "compiled"])
def test_a_table_with_when_applies_only_then(tmp_path, backend):
    engine = engine_for(tmp_path, SPLIT.replace("    label: Verdeling\n", "    label: Verdeling\n    when: price > €0\n"))
    out = evaluate(engine, {"price": 0, "hard_to_place": False}, backend)
    assert {"effort_share", "result_share"} <= set(out["not_applicable"])
    assert evaluate(engine, {"price": 10, "hard_to_place": False}, backend)["values"]["effort_share"]["value"] == "60%"


@pytest.mark.parametrize("backend", ["reference", "compiled"])
def test_a_lookup_field_may_be_a_choice(tmp_path, backend):
    entries = {code: name for code, name in DISTRICTS.items()}
    card = lookup_card(entries, fields="name: {type: benefit, label: uitkering}",
                       value="districts[district].name == Wajong")
    card = card.replace("{name: District Den Haag & Leiden}", "{name: Wajong}")
    card = "".join(line if "{name: District" not in line else line.split("{")[0] + "{name: WGA}\n"
                   for line in card.splitlines(keepends=True))
    engine = engine_for(tmp_path, card)
    # D05 holds Wajong, every other district WGA
    assert evaluate(engine, {"district": "D05"}, backend)["values"]["district_name"]["value"] is True
    assert evaluate(engine, {"district": "D01"}, backend)["values"]["district_name"]["value"] is False


def test_a_lookup_text_that_yaml_reads_as_a_number_or_a_yes_is_refused_at_its_place(tmp_path):
    # Unquoted, YAML reads `01` as the number 1 and `yes` as true: the text as written is lost, so the
    # loader asks for quotes instead of showing '1' or 'true' on a result.
    entries = {**{code: f'"{name}"' for code, name in DISTRICTS.items()}, "D01": "01", "D02": "yes"}
    errors = errors_for(tmp_path, lookup_card(entries))
    assert [(e.position.line, e.position.column) for e in errors] == [(16, 19), (17, 19)]
    assert "as a number ('1'), not as a text" in errors[0].message
    assert "as a yes/no ('true'), not as a text" in errors[1].message
    assert all('in quotes' in e.hint for e in errors)
    quoted = {**entries, "D01": '"01"', "D02": '"yes"'}
    assert errors_for(tmp_path / "quoted", lookup_card(quoted)) == []
