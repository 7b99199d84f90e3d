"""The static type check: names resolve, kinds of values fit, and every mistake is reported once,
at the place where it was written, with a hint a policy editor can act on."""
from __future__ import annotations

from pathlib import Path

import pytest

from cards import CARD_HEAD, catalogue_with, load_errors
from interpreter import nodes as n
from interpreter import types as t
from interpreter.checker import check_rules
from interpreter.errors import CatalogueError, Position, TypeCheckError
from interpreter.model import Edition, Expr, Rule
from interpreter.parser import parse

# -- a small vocabulary and rules built by hand -------------------------------------------------

PHASE = t.EnumType("phase", ("orientation", "preparation", "strengthening", "mediation"))
BENEFIT = t.EnumType("benefit", ("WGA", "ZW", "WAO", "WAZ", "Wajong"))
ENUMS = {"phase": PHASE, "benefit": BENEFIT}
FACTS = {
    "registered_on": t.DATE, "started_on": t.DATE, "ended_on": t.DATE, "intake_on": t.DATE,
    "price": t.MONEY, "hard_to_place": t.BOOL, "phases": t.SetType("set of phase", PHASE),
    "benefit": BENEFIT, "label_text": t.TEXT, "hours": t.NUMBER, "rate": t.PERCENT,
}

FILE = "rules.yaml"


def expr(text: str, line: int) -> Expr:
    """An expression written at the start of `line` (column 1) of rules.yaml."""
    return Expr(text, parse(text, lambda offset: Position(FILE, line, 1 + offset)), Position(FILE, line, 1))


def rule(rule_id: str, text: str, line: int, section: str = "values", slot: str = "value", **more) -> Rule:
    exprs = {slot: expr(text, line)}
    for other_slot, (other_text, other_line) in more.items():
        exprs[other_slot] = expr(other_text, other_line)
    return Rule(rule_id, section, rule_id, Position(FILE, line - 1, 3), FILE, exprs=exprs)


def parameter(rule_id: str, line: int, *editions: str) -> Rule:
    """A parameter with one edition per line, starting at `line`."""
    return Rule(rule_id, "parameters", rule_id, Position(FILE, line - 1, 3), FILE,
                editions=tuple(Edition(None, None, expr(text, line + i)) for i, text in enumerate(editions)))


def check(*rules: Rule) -> tuple[dict[str, Rule], list[CatalogueError]]:
    return check_rules(FACTS, ENUMS, {r.id: r for r in rules})


def type_of(text: str, *others: Rule) -> t.Type:
    checked, errors = check(rule("v", text, 1), *others)
    assert errors == [], [str(e) for e in errors]
    return checked["v"].exprs["value"].node.type


def one_error(*rules: Rule) -> TypeCheckError:
    _, errors = check(*rules)
    assert len(errors) == 1, [str(e) for e in errors]
    assert isinstance(errors[0], TypeCheckError)
    return errors[0]


def place(error: CatalogueError) -> tuple[int, int]:
    assert error.position.file == FILE
    return error.position.line, error.position.column


# -- the types of valid expressions ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("registered_on + 56 days", t.DATE),
    ("registered_on + 10 working days", t.DATE),
    ("registered_on - 3 months", t.DATE),
    ("2 weeks + registered_on", t.DATE),
    ("registered_on + 2 * 3 weeks", t.DATE),
    ("price * 60%", t.MONEY),
    ("60% * price", t.MONEY),
    ("price * 2", t.MONEY),
    ("price / 3", t.MONEY),
    ("price / €1000", t.NUMBER),
    ("ended_on - registered_on", t.NUMBER),
    ("price + €10 - €5", t.MONEY),
    ("60% + 20%", t.PERCENT),
    ("rate * 2", t.PERCENT),
    ("hours / 2 + 1", t.NUMBER),
    ("-price", t.MONEY),
    ("min(price, €5000)", t.MONEY),
    ("max(registered_on, started_on, ended_on)", t.DATE),
    ("min(60%, rate)", t.PERCENT),
    ("round(price * 60%)", t.MONEY),
    ("round(hours / 3)", t.NUMBER),
    ("next_working_day(registered_on + 56 days)", t.DATE),
    ("every 3 months from started_on until ended_on", t.DATES),
    ("every 6 weeks from started_on until ended_on ?? started_on + 1 year", t.DATES),
    ("intake_on ?? registered_on + 2 weeks", t.DATE),
    ("intake_on ?? (registered_on + 2 weeks)", t.DATE),
    ("hard_to_place ?? false", t.BOOL),
    ("if hard_to_place then 80% else 60%", t.PERCENT),
    ("if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks",
     t.DATE),
    ("price <= €5000", t.BOOL),
    ("registered_on < started_on", t.BOOL),
    ("benefit in {WGA, ZW}", t.BOOL),
    ("benefit not in {Wajong}", t.BOOL),
    ("orientation in phases and mediation in phases", t.BOOL),
    ("{orientation, mediation} == phases", t.BOOL),
    ("benefit == WGA", t.BOOL),
    ("WGA == benefit", t.BOOL),
    ("not hard_to_place or price > €0", t.BOOL),
    ('label_text == "x"', t.BOOL),
    ('"x"', t.TEXT),
    ("as_of + 1 day", t.DATE),
    ("3 months", t.DURATION),
    ("{orientation}", t.SetType("set of phase", PHASE)),
    ("benefit", BENEFIT),
    ("WGA", BENEFIT),
])
def test_types_of_valid_expressions(text, expected):
    assert type_of(text) == expected


def test_names_are_resolved_to_facts_rules_and_choices():
    checked, errors = check(rule("v", "if benefit == WGA then w else registered_on", 1),
                            rule("w", "registered_on + 1 day", 2, section="deadlines", slot="due"))
    assert errors == []
    node = checked["v"].exprs["value"].node
    assert isinstance(node.condition.left, n.FactRef) and node.condition.left.type == BENEFIT
    assert node.condition.right == n.EnumLit("benefit", "WGA", pos=Position(FILE, 1, 1))
    assert isinstance(node.then, n.RuleRef) and node.then.name == "w" and node.then.type == t.DATE
    # The position of a resolved name is still where it was written.
    assert node.then.pos == Position(FILE, 1, 24)


def test_references_take_the_type_of_the_rule():
    checked, errors = check(
        rule("v", "max_price * 2", 1),
        parameter("max_price", 2, "€5000"),
        rule("share", "60%", 3, section="payments", slot="share", base=("price", 4)),
        rule("ok", "price <= max_price", 5, section="checks", slot="test"),
        rule("w", "if ok then share else €0", 6),
        rule("report", "every 3 months from started_on until ended_on", 7, section="reports", slot="date"),
        rule("x", "report", 8),
    )
    assert errors == []
    assert checked["v"].exprs["value"].node.type == t.MONEY  # a parameter: the type of its value
    w = checked["w"].exprs["value"].node
    assert w.condition.type == t.BOOL  # a check: whether it passed
    assert w.then.type == t.MONEY  # a payment part: its amount
    assert checked["x"].exprs["value"].node.type == t.DATES  # a report: its dates


@pytest.mark.parametrize("text", ["deadlines.plan_due + 1 day", "deadline.plan_due + 1 day", "plan_due + 1 day"])
def test_qualified_references(text):
    checked, errors = check(rule("v", text, 1),
                            rule("plan_due", "registered_on + 56 days", 2, section="deadlines", slot="due"))
    assert errors == []
    node = checked["v"].exprs["value"].node
    assert isinstance(node.left, n.RuleRef) and node.left.name == "plan_due"
    assert node.type == t.DATE


def test_the_typed_rules_keep_everything_else():
    original = rule("d", "registered_on + 56 days", 2, section="deadlines", slot="due", met_by=("intake_on", 3))
    checked, errors = check(original)
    assert errors == []
    assert checked["d"].label == original.label and checked["d"].pos == original.pos
    assert checked["d"].exprs["due"].text == "registered_on + 56 days"
    assert checked["d"].exprs["met_by"].node.type == t.DATE
    # The original is untouched: rules are immutable.
    assert original.exprs["due"].node.type is None


# -- type errors at the operator, with a hint -------------------------------------------------------

def test_date_plus_number():
    error = one_error(rule("v", "registered_on + 5", 4))
    assert place(error) == (4, 15)  # the '+'
    assert error.message == "cannot add a number to a date"
    assert "days, working days, weeks, months, years" in error.hint


def test_money_plus_duration():
    error = one_error(rule("v", "price + 56 days", 4))
    assert place(error) == (4, 7)
    assert error.message == "cannot add a duration to an amount of money"
    assert "durations can only be added to or subtracted from a date" in error.hint


def test_percent_plus_money():
    error = one_error(rule("v", "60% + €10", 4))
    assert place(error) == (4, 5)
    assert error.message == "cannot add an amount of money to a percentage"
    assert "price * 60%" in error.hint


def test_error_in_a_nested_operand_points_at_the_inner_operator():
    error = one_error(rule("v", "if hard_to_place then registered_on + 5 else registered_on", 4))
    assert place(error) == (4, 37)
    assert "cannot add a number to a date" == error.message


@pytest.mark.parametrize("text, column, message", [
    ("price * registered_on", 7, "cannot multiply an amount of money by a date"),
    ("price / 60%", 7, "cannot divide an amount of money by a percentage"),
    ("registered_on - price", 15, "cannot subtract an amount of money from a date"),
    ("registered_on + started_on", 15, "cannot add a date to a date"),
    ("-registered_on", 1, "cannot put a minus sign before a date"),
])
def test_other_arithmetic_errors(text, column, message):
    error = one_error(rule("v", text, 4))
    assert place(error) == (4, column)
    assert error.message == message


def test_unknown_fact_did_you_mean():
    error = one_error(rule("v", "registerd_on + 56 days", 4))
    assert place(error) == (4, 1)
    assert "unknown name 'registerd_on'" in error.message
    assert "did you mean 'registered_on'?" in error.message
    assert "facts.yaml" in error.hint


def test_unknown_name_without_a_close_match():
    error = one_error(rule("v", "price + zzz", 4))
    assert place(error) == (4, 9)
    assert "unknown name 'zzz'" in error.message and "did you mean" not in error.message


def test_unknown_rule_did_you_mean():
    error = one_error(rule("plan_due", "registered_on + 56 days", 2, section="deadlines", slot="due"),
                      rule("start_due", "deadlines.plan_du + 1 week", 4, section="deadlines", slot="due"))
    assert place(error) == (4, 1)
    assert "there is no rule 'deadlines.plan_du'" in error.message
    assert "did you mean 'plan_due'?" in error.message
    assert "plan_due" in error.hint and "start_due" in error.hint


def test_rule_in_another_section():
    error = one_error(rule("plan_due", "registered_on + 56 days", 2, section="deadlines", slot="due"),
                      rule("v", "values.plan_due + 1 week", 4))
    assert place(error) == (4, 1)
    assert "'plan_due' is in deadlines" in error.message
    assert "deadlines.plan_due" in error.hint


def test_unknown_section_in_a_reference():
    error = one_error(rule("plan_due", "registered_on + 56 days", 2, section="deadlines", slot="due"),
                      rule("v", "dedlines.plan_due + 1 week", 4))
    assert place(error) == (4, 1)
    assert "'dedlines'" in error.message and "did you mean 'deadlines'?" in error.message


def test_unknown_function():
    error = one_error(rule("v", "price + maxx(price, €5)", 4))
    assert place(error) == (4, 9)
    assert "unknown function 'maxx'" in error.message
    assert "did you mean 'max'?" in error.message
    assert "min, max, round, next_working_day" in error.hint


def test_set_member_not_in_the_enum():
    error = one_error(rule("v", "phases == {orientation, mediaton}", 4))
    assert place(error) == (4, 11)  # the set
    assert "'mediaton' is not a phase" in error.message
    assert "did you mean 'mediation'?" in error.message
    assert "orientation, preparation, strengthening, mediation" in error.hint


def test_set_member_not_in_the_enum_with_in():
    error = one_error(rule("v", "benefit in {WGA, ZWW}", 4))
    assert place(error) == (4, 12)
    assert "'ZWW' is not a benefit (did you mean 'ZW'?)" in error.message


def test_set_of_unknown_kind():
    error = one_error(rule("v", "{foo, bar}", 4))
    assert place(error) == (4, 1)
    assert "cannot tell which kind of set" in error.message


def test_comparing_a_date_with_money():
    error = one_error(rule("v", "registered_on <= price", 4))
    assert place(error) == (4, 15)  # the '<='
    assert error.message == "cannot compare a date with an amount of money"
    assert "same kind" in error.hint


def test_ordering_needs_an_ordered_kind():
    error = one_error(rule("v", "benefit < WGA", 4))
    assert place(error) == (4, 9)
    assert "'<' needs numbers, amounts, percentages or dates" in error.message
    assert "==" in error.hint


def test_if_branches_of_different_types():
    error = one_error(rule("v", "if hard_to_place then registered_on else €5", 4))
    assert place(error) == (4, 42)  # the 'else' part
    assert "the 'then' part is a date but the 'else' part is an amount of money" in error.message
    assert "same kind" in error.hint


def test_non_bool_condition():
    error = one_error(rule("v", "if price then 80% else 60%", 4))
    assert place(error) == (4, 4)  # the condition
    assert "the condition after 'if' must be yes/no, not an amount of money" in error.message


@pytest.mark.parametrize("text, column, message", [
    ("hard_to_place and price", 19, "'and' needs yes/no values, not an amount of money"),
    ("price or hard_to_place", 1, "'or' needs yes/no values, not an amount of money"),
    ("not registered_on", 5, "'not' needs yes/no values, not a date"),
])
def test_logic_needs_yes_no_values(text, column, message):
    error = one_error(rule("v", text, 4))
    assert place(error) == (4, column)
    assert error.message == message


@pytest.mark.parametrize("text, message", [
    ("price in {WGA}", "'in' needs a choice on its left, not an amount of money"),
    ("price in phases", "an amount of money cannot be in a set of phase"),
    ("benefit in phases", "a benefit (WGA, ZW, WAO, WAZ, Wajong) cannot be in a set of phase"),
    ("benefit in price", "'in' needs a set on its right, not an amount of money"),
])
def test_membership_of_the_wrong_kind(text, message):
    error = one_error(rule("v", text, 4))
    assert place(error) == (4, 1)
    assert error.message == message


@pytest.mark.parametrize("text, message", [
    ("min(price)", "min(...) needs two or more"),
    ("max(price, registered_on)", "max(...) needs two or more"),
    ("round(registered_on)", "round(...) takes one amount, number or percentage"),
    ("next_working_day(price)", "next_working_day(...) takes one date"),
    ("next_working_day(registered_on, started_on)", "next_working_day(...) takes one date"),
])
def test_function_arguments(text, message):
    error = one_error(rule("v", text, 4))
    assert place(error) == (4, 1)
    assert message in error.message


@pytest.mark.parametrize("text, column, message", [
    ("every 3 from started_on until ended_on", 7, "after 'every' comes a duration, not a number"),
    ("every 3 months from price until ended_on", 21, "after 'from' comes a date, not an amount of money"),
    ("every 3 months from started_on until 5", 38, "after 'until' comes a date, not a number"),
])
def test_every_parts(text, column, message):
    error = one_error(rule("v", text, 4))
    assert place(error) == (4, column)
    assert error.message == message


def test_coalesce_sides_of_different_kinds():
    error = one_error(rule("v", "intake_on ?? €5", 4))
    assert place(error) == (4, 1)
    assert "both sides of '??' must be of the same kind: a date and an amount of money" in error.message


@pytest.mark.parametrize("section, slot, text, wanted, found", [
    ("deadlines", "due", "price", "a date", "an amount of money"),
    ("deadlines", "due", "every 3 months from started_on until ended_on", "a date", "a list of dates"),
    ("checks", "test", "price", "a yes/no value", "an amount of money"),
    ("payments", "share", "€10", "a percentage", "an amount of money"),
    ("reports", "date", "60%", "a date or a list of dates", "a percentage"),
])
def test_slot_of_the_wrong_kind(section, slot, text, wanted, found):
    error = one_error(rule("r", text, 4, section=section, slot=slot))
    assert place(error) == (4, 1)
    assert f"'{slot}' of r must be {wanted}, but '{text}' is {found}" == error.message


def test_when_must_be_yes_no():
    error = one_error(rule("d", "registered_on", 4, section="deadlines", slot="due", when=("price", 5)))
    assert place(error) == (5, 1)
    assert "'when' of d must be a yes/no value" in error.message


# -- rules that refer to each other ---------------------------------------------------------------

def test_cycle_is_reported_once_and_named():
    error = one_error(rule("a", "b + 1 day", 2), rule("b", "a - 1 day", 4), rule("c", "a", 6))
    assert place(error) == (1, 3)  # the rule where the circle was found: a
    assert "a → b → a" in error.message
    assert "circle" in error.message and "break the circle" in error.hint


def test_longer_cycle():
    error = one_error(rule("a", "b", 2), rule("b", "c", 4), rule("c", "a + 1 day", 6), rule("d", "b", 8))
    assert "a → b → c → a" in error.message


def test_rule_referring_to_itself():
    error = one_error(rule("a", "a + 1 day", 2))
    assert "a → a" in error.message


def test_user_of_a_broken_rule_is_not_reported_again():
    _, errors = check(rule("a", "registerd_on + 1 day", 2), rule("b", "a + 1 day", 4),
                      rule("c", "b + 1 day", 6), rule("d", "price + 1 day", 8))
    # The broken rule and the independent mistake, not the two rules that only use the broken one.
    assert [place(e) for e in errors] == [(2, 1), (8, 7)]


def test_editions_of_different_types():
    error = one_error(parameter("threshold", 4, "€209000", "€221000", "5%"))
    assert place(error) == (6, 1)  # the edition that differs
    assert "the editions of threshold have different types: an amount of money and a percentage" in error.message
    assert "same kind" in error.hint


# -- the same through catalogue cards, with real file positions --------------------------------------

HEAD = CARD_HEAD


def deadline(due: str) -> str:
    """One deadline; its `due` value starts on line 11, column 10."""
    return HEAD + f"deadlines:\n  d:\n    label: Test deadline\n    due: {due}\n"


def value(text: str) -> str:
    """One value; it starts on line 11, column 12."""
    return HEAD + f"values:\n  v:\n    label: Test value\n    value: {text}\n"


def card_errors(tmp_path: Path, source: Path, card: str, families: dict[str, str] | None = None
                ) -> list[CatalogueError]:
    root = catalogue_with(tmp_path, source, {"T-1.yaml": card}, families)
    found = load_errors(root)
    for error in found:
        assert Path(error.position.file) == root / "products" / "T-1.yaml"
    return found


@pytest.fixture
def type_error(tmp_path, catalogue_root):
    def load(card: str) -> TypeCheckError:
        errors = card_errors(tmp_path, catalogue_root, card)
        assert len(errors) == 1, [str(e) for e in errors]
        assert isinstance(errors[0], TypeCheckError), str(errors[0])
        return errors[0]
    return load


def where(error: CatalogueError) -> tuple[int, int]:
    return error.position.line, error.position.column


def test_card_date_plus_number(type_error):
    error = type_error(deadline("registered_on + 5"))
    assert where(error) == (11, 24)
    assert error.message == "cannot add a number to a date"
    assert "(e.g. '+ 5 days')" in error.hint
    assert str(error).split(": ", 1)[1].startswith("cannot add a number to a date")
    assert str(error).startswith(f"{error.position.file}:11:24: ")


def test_card_money_plus_duration(type_error):
    error = type_error(deadline("price + 56 days"))
    assert where(error) == (11, 16)
    assert error.message == "cannot add a duration to an amount of money"


def test_card_percent_plus_money(type_error):
    error = type_error(value("60% + €10"))
    assert where(error) == (11, 16)
    assert error.message == "cannot add an amount of money to a percentage"
    assert "multiply" in error.hint


def test_card_unknown_fact(type_error):
    error = type_error(deadline("registerd_on + 56 days"))
    assert where(error) == (11, 10)
    assert "did you mean 'registered_on'?" in error.message


def test_card_unknown_rule(type_error):
    card = HEAD + (
        "deadlines:\n"                          # line 8
        "  plan_due:\n"                         # line 9
        "    label: Plan\n"                     # line 10
        "    due: registered_on + 56 days\n"    # line 11
        "  start_due:\n"                        # line 12
        "    label: Start\n"                    # line 13
        "    due: deadlines.plan_du + 1 week\n"  # line 14
    )
    error = type_error(card)
    assert where(error) == (14, 10)
    assert "there is no rule 'deadlines.plan_du' (did you mean 'plan_due'?)" in error.message


def test_card_reference_to_a_family_rule(tmp_path, catalogue_root):
    # The family has a parameter contract_max_term (1 year): a card of that family may use it.
    family = ("family: test-family\ntitle: Test family\nsource: {document: f.txt, section: '1'}\n"
              "parameters:\n  contract_max_term: {label: Looptijd, value: 1 year}\n")
    card = HEAD + "family: test-family\n" + (
        "deadlines:\n  d:\n    label: Test deadline\n    due: contract_started_on + parameters.contract_max_term\n")
    assert card_errors(tmp_path, catalogue_root, card, {"test-family.yaml": family}) == []


def test_card_unknown_function(type_error):
    error = type_error(deadline("nxt_working_day(registered_on)"))
    assert where(error) == (11, 10)
    assert "unknown function 'nxt_working_day' (did you mean 'next_working_day'?)" in error.message


def test_card_set_member_not_in_enum(type_error):
    error = type_error(deadline("if phases == {orientation, mediaton} then registered_on else started_on"))
    assert where(error) == (11, 23)
    assert "'mediaton' is not a phase (did you mean 'mediation'?)" in error.message


def test_card_compare_date_with_money(type_error):
    error = type_error(deadline("if registered_on == price then registered_on else started_on"))
    assert where(error) == (11, 27)
    assert error.message == "cannot compare a date with an amount of money"


def test_card_if_branches_differ(type_error):
    error = type_error(deadline("if hard_to_place then registered_on else €5"))
    assert where(error) == (11, 51)
    assert "the 'then' part is a date but the 'else' part is an amount of money" in error.message


def test_card_non_bool_condition(type_error):
    error = type_error(deadline("if price then registered_on else started_on"))
    assert where(error) == (11, 13)
    assert "must be yes/no, not an amount of money" in error.message


def test_card_due_is_not_a_date(type_error):
    error = type_error(deadline("price"))
    assert where(error) == (11, 10)
    assert "'due' of d must be a date, but 'price' is an amount of money" == error.message


def test_card_cycle(type_error):
    card = HEAD + (
        "deadlines:\n"          # line 8
        "  a:\n"                # line 9
        "    label: A\n"        # line 10
        "    due: b + 1 day\n"  # line 11
        "  b:\n"                # line 12
        "    label: B\n"        # line 13
        "    due: a - 1 day\n"  # line 14
        "  c:\n"                # line 15
        "    label: C\n"        # line 16
        "    due: a\n"          # line 17
    )
    error = type_error(card)
    assert where(error) == (9, 3)
    assert "these rules refer to each other in a circle: a → b → a" == error.message


def test_card_user_of_a_broken_rule_not_reported_twice(type_error):
    card = HEAD + (
        "deadlines:\n"                     # line 8
        "  a:\n"                           # line 9
        "    label: A\n"                   # line 10
        "    due: registerd_on + 1 day\n"  # line 11
        "  b:\n"                           # line 12
        "    label: B\n"                   # line 13
        "    due: a + 1 day\n"             # line 14
    )
    error = type_error(card)
    assert where(error) == (11, 10)


def test_card_editions_of_different_types(type_error):
    card = HEAD + (
        "parameters:\n"               # line 8
        "  x:\n"                      # line 9
        "    label: X\n"              # line 10
        "    value:\n"                # line 11
        "      2016-01-01: €209000\n"  # line 12
        "      2017-01-01: 5%\n"       # line 13
    )
    error = type_error(card)
    assert where(error) == (13, 19)
    assert "the editions of x have different types: an amount of money and a percentage" in error.message


def test_card_type_error_in_a_folded_block(type_error):
    card = HEAD + (
        "deadlines:\n"                          # line 8
        "  d:\n"                                # line 9
        "    label: Test deadline\n"            # line 10
        "    due: >-\n"                         # line 11
        "      if hard_to_place\n"              # line 12
        "      then registered_on + 26 weeks\n"  # line 13
        "      else registered_on + 104\n"      # line 14
    )
    error = type_error(card)
    assert where(error) == (14, 26)  # the second '+'
    assert error.message == "cannot add a number to a date"


def test_card_all_type_errors_reported_together(tmp_path, catalogue_root):
    card = HEAD + (
        "deadlines:\n"                        # line 8
        "  a:\n"                              # line 9
        "    label: A\n"                      # line 10
        "    due: registered_on + 5\n"        # line 11
        "  b:\n"                              # line 12
        "    label: B\n"                      # line 13
        "    due: price\n"                    # line 14
    )
    errors = card_errors(tmp_path, catalogue_root, card)
    assert [where(e) for e in errors] == [(11, 24), (14, 10)]


def test_a_share_that_needs_an_amount_of_its_own_payment_is_refused_at_load(tmp_path, catalogue_root):
    # first's share reads second's amount, but second's amount is the price times second's share
    # after the split, which needs first's share: no order of evaluation exists.
    card = CARD_HEAD + (
        "payments:\n"
        "  fee:\n"
        "    label: Fee\n"
        "    base: price\n"
        "    parts:\n"
        "      first:\n        label: First\n        share: if second > €100 then 60% else 50%\n"
        "      second:\n        label: Second\n        share: if price > €100 then 40% else 50%\n"
    )
    errors = load_errors(catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}))
    assert [error.message for error in errors] == [
        "the split of payment 'fee' refers to its own part 'second': the part's amount comes from the split, "
        "so it cannot decide a share or the base"]
    assert errors[0].position.line == 16  # the part 'second'


# -- indications: where 'circa' may stand, and what it marks -------------------------------------------

def test_circa_in_a_condition_marks_nothing_and_in_a_deadline_is_refused(tmp_path):
    from cards import card_engine
    engine = card_engine(tmp_path, """\
      valid_from: 2016-01-01
    checks:
      long_enough:
        label: Lang genoeg
        when: ended_on > started_on + circa 1 month
        test: ended_on >= started_on + 1 year
    """)
    rule = engine.catalogue.product("T-1").rules["long_enough"]
    assert rule.indicative is False  # a 'circa' in 'when' decides whether it applies, not what it says
    from cards import load_errors
    root = tmp_path / "cat"
    card = root / "products" / "T-1.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("checks:", "deadlines:\n  d:\n    label: D\n"
                                                             "    due: started_on + circa 2 weeks\nchecks:"),
                    encoding="utf-8")
    errors = load_errors(root)
    assert [e.message for e in errors] == ["a deadline's date is exact, but 'circa 2 weeks' is an indication"]
