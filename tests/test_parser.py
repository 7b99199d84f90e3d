"""The rule language's grammar: every construct parses into the right node, the printer gives
the same tree back, and syntax errors point at the exact place in the YAML file."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import CARD_HEAD, catalogue_with, load_errors
from interpreter import nodes as n
from interpreter.catalogue import load_catalogue
from interpreter.errors import Position, RuleSyntaxError
from interpreter.parser import parse
from interpreter.printer import to_text

# Positions take no part in node equality, so expected trees can use any position.
P = Position("test", 1, 1)


def at(offset: int) -> Position:
    return Position("expr", 1, offset + 1)


def p(text: str) -> n.Node:
    return parse(text, at)


def name(text: str, qualifier: str | None = None) -> n.Name:
    return n.Name(text, qualifier=qualifier, pos=P)


def num(value: str) -> n.NumberLit:
    return n.NumberLit(Decimal(value), pos=P)


def money(value: str) -> n.MoneyLit:
    return n.MoneyLit(Decimal(value), pos=P)


def pct(value: str) -> n.PercentLit:
    return n.PercentLit(Decimal(value), pos=P)


def dur(amount: int, unit: str) -> n.DurationLit:
    return n.DurationLit(amount, unit, pos=P)


def arith(op: str, left: n.Node, right: n.Node) -> n.Arithmetic:
    return n.Arithmetic(op, left, right, pos=P)


def cmp(op: str, left: n.Node, right: n.Node) -> n.Compare:
    return n.Compare(op, left, right, pos=P)


a, b, c = name("a"), name("b"), name("c")


# -- literals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("56", num("56")),
    ("0", num("0")),
    ("12.5", num("12.5")),
    ("€5000", money("5000")),
    ("€1350.50", money("1350.50")),
    ("€ 5000", money("5000")),
    ("60%", pct("60")),
    ("12.5%", pct("12.5")),
    ("2016-04-01", n.DateLit(dt.date(2016, 4, 1), pos=P)),
    ("2016-02-29", n.DateLit(dt.date(2016, 2, 29), pos=P)),
    ('"De prijs ligt boven de richtlijn"', n.TextLit("De prijs ligt boven de richtlijn", pos=P)),
    ('""', n.TextLit("", pos=P)),
    ("true", n.BoolLit(True, pos=P)),
    ("false", n.BoolLit(False, pos=P)),
])
def test_literals(text, expected):
    assert p(text) == expected


def test_money_keeps_its_cents_exactly():
    node = p("€1350.50")
    assert isinstance(node, n.MoneyLit)
    assert type(node.value) is Decimal
    assert str(node.value) == "1350.50"


def test_percentage_is_kept_as_written():
    assert p("60%").value == Decimal("60")


@pytest.mark.parametrize("text, amount, unit", [
    ("1 day", 1, "days"),
    ("56 days", 56, "days"),
    ("1 working day", 1, "working_days"),
    ("10 working days", 10, "working_days"),
    ("10 working   days", 10, "working_days"),
    ("1 week", 1, "weeks"),
    ("26 weeks", 26, "weeks"),
    ("1 month", 1, "months"),
    ("3 months", 3, "months"),
    ("1 year", 1, "years"),
    ("2 years", 2, "years"),
])
def test_durations(text, amount, unit):
    assert p(text) == dur(amount, unit)


@pytest.mark.parametrize("text, members", [
    ("{orientation, mediation}", ("orientation", "mediation")),
    ("{WGA}", ("WGA",)),
    ("{ WGA ,ZW,Wajong }", ("WGA", "ZW", "Wajong")),
    ("{}", ()),
])
def test_sets(text, members):
    assert p(text) == n.SetLit(members, pos=P)


# -- names and calls --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("registered_on", name("registered_on")),
    ("max_price", name("max_price")),
    ("deadlines.plan_due", name("plan_due", qualifier="deadlines")),
    ("parameters.max_price", name("max_price", qualifier="parameters")),
    # Names that begin with a keyword are still names.
    ("order_date", name("order_date")),
    ("iffy", name("iffy")),
    ("india", name("india")),
    ("notice_on", name("notice_on")),
    ("everyone", name("everyone")),
    ("true_value", name("true_value")),
    ("in_force", name("in_force")),
    ("weeks_left", name("weeks_left")),
])
def test_references(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("min(price, €5000)", n.Call("min", (name("price"), money("5000")), pos=P)),
    ("max(a, b, c)", n.Call("max", (a, b, c), pos=P)),
    ("next_working_day(registered_on + 5 days)",
     n.Call("next_working_day", (arith("+", name("registered_on"), dur(5, "days")),), pos=P)),
    ("round(price * 60%)", n.Call("round", (arith("*", name("price"), pct("60")),), pos=P)),
    ("today()", n.Call("today", (), pos=P)),
])
def test_calls(text, expected):
    assert p(text) == expected


# -- operators and their precedence -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("registered_on + 56 days", arith("+", name("registered_on"), dur(56, "days"))),
    ("a + b * c", arith("+", a, arith("*", b, c))),
    ("a * b + c", arith("+", arith("*", a, b), c)),
    ("(a + b) * c", arith("*", arith("+", a, b), c)),
    ("a - b - c", arith("-", arith("-", a, b), c)),
    ("a - (b - c)", arith("-", a, arith("-", b, c))),
    ("a / b / c", arith("/", arith("/", a, b), c)),
    ("a * b / c", arith("/", arith("*", a, b), c)),
    ("price * 60%", arith("*", name("price"), pct("60"))),
    ("(registered_on + 2 weeks)", arith("+", name("registered_on"), dur(2, "weeks"))),
])
def test_arithmetic(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("-5", n.Negate(num("5"), pos=P)),
    ("-a * b", arith("*", n.Negate(a, pos=P), b)),
    ("a - -b", arith("-", a, n.Negate(b, pos=P))),
    ("-(a + b)", n.Negate(arith("+", a, b), pos=P)),
    ("--a", n.Negate(n.Negate(a, pos=P), pos=P)),
    ("-€10 + price", arith("+", n.Negate(money("10"), pos=P), name("price"))),
])
def test_unary_minus(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons(op):
    assert p(f"price {op} €5000") == cmp(op, name("price"), money("5000"))


def test_single_equals_is_equality():
    assert p("benefit = WGA") == cmp("==", name("benefit"), name("WGA"))
    assert p("benefit = WGA").op == "=="


def test_comparison_binds_looser_than_arithmetic():
    assert p("a + b <= c * 2") == cmp("<=", arith("+", a, b), arith("*", c, num("2")))


@pytest.mark.parametrize("text, expected", [
    ("a and b", n.And(a, b, pos=P)),
    ("a or b", n.Or(a, b, pos=P)),
    ("not a", n.Not(a, pos=P)),
    ("a or b and c", n.Or(a, n.And(b, c, pos=P), pos=P)),
    ("a and b or c", n.Or(n.And(a, b, pos=P), c, pos=P)),
    ("not a and b", n.And(n.Not(a, pos=P), b, pos=P)),
    ("not (a and b)", n.Not(n.And(a, b, pos=P), pos=P)),
    ("not not a", n.Not(n.Not(a, pos=P), pos=P)),
    ("a and b and c", n.And(n.And(a, b, pos=P), c, pos=P)),
    ("not a == b", n.Not(cmp("==", a, b), pos=P)),
    ("a < b and b < c", n.And(cmp("<", a, b), cmp("<", b, c), pos=P)),
])
def test_and_or_not(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("benefit in {WGA, ZW}", n.Member(name("benefit"), n.SetLit(("WGA", "ZW"), pos=P), pos=P)),
    ("benefit not in {WGA}", n.Member(name("benefit"), n.SetLit(("WGA",), pos=P), negated=True, pos=P)),
    ("orientation in phases", n.Member(name("orientation"), name("phases"), pos=P)),
    ("not a in b", n.Not(n.Member(a, b, pos=P), pos=P)),
    ("a in b and c not in b",
     n.And(n.Member(a, b, pos=P), n.Member(c, b, negated=True, pos=P), pos=P)),
])
def test_membership(text, expected):
    assert p(text) == expected


def test_not_in_is_negated_and_in_is_not():
    assert p("a in b").negated is False
    assert p("a not in b").negated is True


@pytest.mark.parametrize("text, expected", [
    ("if hard_to_place then 80% else 60%", n.If(name("hard_to_place"), pct("80"), pct("60"), pos=P)),
    ("if a then b else if c then 1 else 2",
     n.If(a, b, n.If(c, num("1"), num("2"), pos=P), pos=P)),
    ("if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks",
     n.If(cmp("==", name("phases"), n.SetLit(("orientation", "mediation"), pos=P)),
          arith("+", name("registered_on"), dur(26, "weeks")),
          arith("+", name("registered_on"), dur(104, "weeks")), pos=P)),
    # The else part reaches as far as it can.
    ("if a then b else c ?? d", n.If(a, b, n.Coalesce(c, name("d"), pos=P), pos=P)),
    ("(if a then b else c) ?? d", n.Coalesce(n.If(a, b, c, pos=P), name("d"), pos=P)),
    ("if a ?? false then 100% else 0%",
     n.If(n.Coalesce(a, n.BoolLit(False, pos=P), pos=P), pct("100"), pct("0"), pos=P)),
])
def test_if_then_else(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("intake_on ?? registered_on", n.Coalesce(name("intake_on"), name("registered_on"), pos=P)),
    ("intake_on ?? (registered_on + 2 weeks)",
     n.Coalesce(name("intake_on"), arith("+", name("registered_on"), dur(2, "weeks")), pos=P)),
    ("intake_on ?? registered_on + 2 weeks",
     n.Coalesce(name("intake_on"), arith("+", name("registered_on"), dur(2, "weeks")), pos=P)),
    ("a ?? b ?? c", n.Coalesce(n.Coalesce(a, b, pos=P), c, pos=P)),
    ("a ?? b or c", n.Coalesce(a, n.Or(b, c, pos=P), pos=P)),
    ("(intake_on ?? intake_due) + 1 week",
     arith("+", n.Coalesce(name("intake_on"), name("intake_due"), pos=P), dur(1, "weeks"))),
])
def test_coalesce(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("every 3 months from started_on until ended_on",
     n.Every(dur(3, "months"), name("started_on"), name("ended_on"), pos=P)),
    ("every 6 weeks from started_on + 1 week until ended_on ?? planned_end_on",
     n.Every(dur(6, "weeks"), arith("+", name("started_on"), dur(1, "weeks")),
             n.Coalesce(name("ended_on"), name("planned_end_on"), pos=P), pos=P)),
    ("every (if reduced_reporting ?? false then 6 months else 3 months) from started_on until ended_on",
     n.Every(n.If(n.Coalesce(name("reduced_reporting"), n.BoolLit(False, pos=P), pos=P),
                  dur(6, "months"), dur(3, "months"), pos=P),
             name("started_on"), name("ended_on"), pos=P)),
])
def test_every(text, expected):
    assert p(text) == expected


def test_whitespace_and_line_breaks_do_not_matter():
    assert p("if a\n  then b\n  else c") == p("if a then b else c")
    assert p("registered_on+56 days") == p("registered_on + 56 days")


# -- positions from a locate function ----------------------------------------------------------

def test_parse_places_nodes_with_the_locate_function():
    # The expression stands in rules.yaml at line 3, column 12.
    def locate(offset: int) -> Position:
        return Position("rules.yaml", 3, 12 + offset)

    text = "price <= €5000 and benefit in {WGA}"
    node = parse(text, locate)
    assert isinstance(node, n.And)
    assert node.pos == Position("rules.yaml", 3, 12)
    # Binary operators stand at their operator, where a type error is best shown.
    assert node.left.pos == Position("rules.yaml", 3, 12 + text.index("<="))
    assert node.left.left.pos == Position("rules.yaml", 3, 12)
    assert node.left.right.pos == Position("rules.yaml", 3, 12 + text.index("€"))
    assert node.right.pos == Position("rules.yaml", 3, 12 + text.index("benefit"))
    assert node.right.container.pos == Position("rules.yaml", 3, 12 + text.index("{"))


def test_parse_positions_of_if_and_arithmetic():
    node = parse("if a then b + 1 else c", at)
    assert node.pos == at(0)
    assert node.then.pos == at(12)          # the '+'
    assert node.then.right.pos == at(14)    # the '1'
    assert node.otherwise.pos == at(21)


def test_parse_error_uses_the_locate_function():
    def locate(offset: int) -> Position:
        return Position("rules.yaml", 7, 5 + offset)

    with pytest.raises(RuleSyntaxError) as caught:
        parse("registered_on + 56 dagen", locate)
    assert caught.value.position == Position("rules.yaml", 7, 5 + 19)
    assert "'dagen'" in caught.value.message


def test_every_syntax_error_is_a_rule_syntax_error_with_a_position():
    for text in ["a +", "(a", "a b", "€5.000", "2016-13-01", "1.5 weeks", "a ; b", ""]:
        with pytest.raises(RuleSyntaxError) as caught:
            p(text)
        assert caught.value.position.file == "expr"
        assert 1 <= caught.value.position.column <= len(text) + 1


@pytest.mark.parametrize("text, column, message", [
    ("max(a b)", 7, "unexpected 'b' in 'max(a b)'; expected an operator (such as +, -, ==, and, or), ',' or ')'"),
    ("{a b}", 4, "unexpected 'b' in '{a b}'; expected ',' or '}'"),
    ("a not b", 7, "unexpected 'b' in 'a not b'; expected 'in'"),
    ("every 3 months from a b", 23,
     "unexpected 'b' in 'every 3 months from a b'; expected an operator (such as +, -, ==, and, or) or 'until'"),
    ("if a then b c", 13,
     "unexpected 'c' in 'if a then b c'; expected an operator (such as +, -, ==, and, or) or 'else'"),
    ("a )", 3, "unexpected ')' in 'a )'; expected the end of the expression"),
    ("f(a,)", 5, "unexpected ')' in 'f(a,)'; expected a value (a name, number, amount, percentage, date, '(' or '{')"),
    ("not", 4, "the expression 'not' ends too early; expected a value (a name, number, amount, percentage, date, "
               "'(' or '{')"),
    ("a.", 3, "the expression 'a.' ends too early; expected a name (a fact, parameter or rule)"),
])
def test_what_was_expected_is_said_in_words(text, column, message):
    with pytest.raises(RuleSyntaxError) as caught:
        p(text)
    assert caught.value.position.column == column
    assert caught.value.message == message


@pytest.mark.parametrize("text, column, hint", [
    ('label_text == “x”', 15, 'straight double quotes'),
    ("price ≤ €5000", 7, "<="),
    ("price – €10", 7, "-"),
    ("5000 euro", 6, "€5000"),
    ('"abc', 1, "closed on the same line"),
    ("price <= 12,5%", 12, "a point (12.5%)"),
    ("price <= €5000,-", 10, "€5000"),
    ("price <= €5.000", 10, "€5000"),
    ("registered_on + 2016-4-1", 17, "2016-04-01"),
])
def test_hints_for_common_slips(text, column, hint):
    with pytest.raises(RuleSyntaxError) as caught:
        p(text)
    assert caught.value.position.column == column
    assert hint in caught.value.hint


# -- the printer: parse(to_text(parse(x))) == parse(x) ---------------------------------------------

ROUND_TRIP = [
    "56", "12.5", "0.50", "€5000", "€1350.50", "60%", "12.5%", "2016-04-01", '"a text"', "true", "false",
    "1 day", "56 days", "1 working day", "10 working days", "1 week", "26 weeks", "1 month", "3 months",
    "1 year", "2 years", "{}", "{orientation, mediation}", "registered_on", "deadlines.plan_due",
    "min(price, €5000)", "max(a, b, c)", "f()", "next_working_day(registered_on + 5 days)",
    "a + b * c", "(a + b) * c", "a - b - c", "a - (b - c)", "a / (b * c)", "a * (b / c)", "-a", "--a",
    "-(a + b)", "a - -b", "-a * b", "a == b", "a = b", "a != b", "a < b", "a <= b + 1", "(a == b) == c",
    "a == (b == c)", "(a in b) == c", "a and b or c", "a and (b or c)", "a or b and c", "(a or b) and c",
    "a and (b and c)", "a or (b or c)", "not a", "not not a", "not (a and b)", "not a and b",
    "not a == b", "(not a) == b", "benefit in {WGA, ZW}", "benefit not in {WGA}", "not a in b",
    "if a then b else c", "if a then b else if c then d else e", "if (if a then b else c) then d else e",
    "(if a then b else c) + 1", "if a then b else c ?? d", "(if a then b else c) ?? d",
    "a ?? b ?? c", "a ?? (b ?? c)", "intake_on ?? (registered_on + 2 weeks)",
    "(intake_on ?? intake_due) + 1 week", "a ?? b or c", "(a ?? b) or c",
    "every 3 months from started_on until ended_on",
    "every (if reduced_reporting ?? false then 6 months else 3 months) from started_on until ended_on ?? x",
    "every 6 weeks from (a ?? b) until c", "every 2 weeks from a + 1 day until b - 1 day",
    "(every 1 month from a until b)",
    "if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks",
    "if full_pay ?? false then 100% else if hard_to_place then 80% else 60%",
    "contract_end_on <= contract_started_on + contract_max_term",
    "orientation in phases and mediation in phases",
    "round(price * 60%) - €0.01",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_printer_round_trips(text):
    tree = p(text)
    printed = to_text(tree)
    assert p(printed) == tree, printed
    # Printing is stable: the printed text prints as itself.
    assert to_text(p(printed)) == printed


@pytest.mark.parametrize("text, printed", [
    ("a = b", "a == b"),
    ("€ 5000", "€5000"),
    ("€1350.50", "€1350.50"),
    ("1 weeks", "1 week"),
    ("2 working   day", "2 working days"),
    ("((a + b))", "a + b"),
    ("(a * b) + c", "a * b + c"),
    ("a ?? (b ?? c)", "a ?? (b ?? c)"),
    ("(a == b) == c", "(a == b) == c"),
    ("every (if a then 6 months else 3 months) from b until c",
     "every (if a then 6 months else 3 months) from b until c"),
])
def test_printer_output(text, printed):
    assert to_text(p(text)) == printed


# Random trees: whatever the printer writes, the parser reads back as the same tree.
_NAMES = st.sampled_from(["a", "b", "price", "registered_on", "order_date", "iffy"])
_LEAVES = st.one_of(
    _NAMES.map(name),
    st.integers(0, 999).map(lambda i: num(str(i))),
    st.sampled_from(["5000", "1350.50", "0.01"]).map(money),
    st.sampled_from(["60", "12.5"]).map(pct),
    st.tuples(st.integers(1, 30), st.sampled_from(["days", "working_days", "weeks", "months", "years"]))
      .map(lambda t: dur(*t)),
    st.sampled_from([dt.date(2016, 4, 1), dt.date(2016, 2, 29)]).map(lambda d: n.DateLit(d, pos=P)),
    st.booleans().map(lambda v: n.BoolLit(v, pos=P)),
    st.sampled_from(["", "tekst"]).map(lambda v: n.TextLit(v, pos=P)),
    st.sampled_from([(), ("WGA",), ("orientation", "mediation")]).map(lambda m: n.SetLit(m, pos=P)),
    st.just(name("plan_due", qualifier="deadlines")),
)


def _grow(children):
    return st.one_of(
        st.tuples(st.sampled_from("+-*/"), children, children).map(lambda t: arith(*t)),
        st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children).map(lambda t: cmp(*t)),
        st.tuples(children, children, st.booleans()).map(lambda t: n.Member(t[0], t[1], negated=t[2], pos=P)),
        st.tuples(children, children).map(lambda t: n.And(*t, pos=P)),
        st.tuples(children, children).map(lambda t: n.Or(*t, pos=P)),
        st.tuples(children, children).map(lambda t: n.Coalesce(*t, pos=P)),
        children.map(lambda x: n.Not(x, pos=P)),
        children.map(lambda x: n.Negate(x, pos=P)),
        st.tuples(children, children, children).map(lambda t: n.If(*t, pos=P)),
        st.tuples(children, children, children).map(lambda t: n.Every(*t, pos=P)),
        st.tuples(st.sampled_from(["min", "max", "round"]), st.lists(children, max_size=3))
          .map(lambda t: n.Call(t[0], tuple(t[1]), pos=P)),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_LEAVES, _grow, max_leaves=12))
def test_printer_round_trips_random_trees(tree):
    printed = to_text(tree)
    assert p(printed) == tree, printed


# -- syntax errors in a catalogue: the place in the YAML file and what to write ---------------------

HEAD = CARD_HEAD


def deadline(due: str) -> str:
    """A card with one deadline; `due: ` stands on line 11, its value starts in column 10."""
    return HEAD + (
        "deadlines:\n"               # line 8
        "  d:\n"                     # line 9
        "    label: Test deadline\n"  # line 10
        f"    due: {due}\n"          # line 11
    )


def check(test: str) -> str:
    """A card with one check; `test: ` stands on line 11, its value starts in column 11."""
    return HEAD + (
        "checks:\n"                  # line 8
        "  c:\n"                     # line 9
        "    label: Test check\n"    # line 10
        f"    test: {test}\n"        # line 11
    )


def write_catalogue(tmp_path: Path, source: Path, card: str) -> Path:
    """The fixture catalogue with its products replaced by one test card."""
    return catalogue_with(tmp_path, source, {"T-1.yaml": card})


@pytest.fixture
def syntax_error(tmp_path, catalogue_root):
    """Load a catalogue with the given card; it must fail with exactly one syntax error."""
    def load(card: str) -> RuleSyntaxError:
        root = write_catalogue(tmp_path, catalogue_root, card)
        errors = load_errors(root)
        assert len(errors) == 1, [str(e) for e in errors]
        error = errors[0]
        assert isinstance(error, RuleSyntaxError), str(error)
        assert Path(error.position.file) == root / "products" / "T-1.yaml"
        return error
    return load


def test_the_test_card_itself_is_valid(tmp_path, catalogue_root):
    root = write_catalogue(tmp_path, catalogue_root, deadline("registered_on + 56 days"))
    catalogue = load_catalogue(root)
    assert catalogue.codes() == ["T-1"]
    due = catalogue.product("T-1").rules["d"].exprs["due"]
    assert to_text(due.node) == "registered_on + 56 days"
    assert (due.pos.line, due.pos.column) == (11, 10)
    assert (due.node.pos.line, due.node.pos.column) == (11, 24)  # the '+'
    assert (due.node.right.pos.line, due.node.right.pos.column) == (11, 26)


def test_dutch_unit(syntax_error):
    error = syntax_error(deadline("registered_on + 56 dagen"))
    assert (error.position.line, error.position.column) == (11, 29)
    assert "unexpected 'dagen'" in error.message
    assert "'registered_on + 56 dagen'" in error.message
    assert "a unit (days, working days, weeks, months, years)" in error.message
    assert "'days' instead of 'dagen'" in error.hint


def test_dutch_working_days(syntax_error):
    error = syntax_error(deadline("started_on + 10 werkdagen"))
    assert (error.position.line, error.position.column) == (11, 26)
    assert "'working days' instead of 'werkdagen'" in error.hint


def test_dutch_money_notation(syntax_error):
    error = syntax_error(check("price <= €5.000,00"))
    assert (error.position.line, error.position.column) == (11, 20)
    assert "'€5.000,00'" in error.message
    assert "Dutch" in error.message
    assert "€5000.00" in error.hint


def test_dutch_decimal_comma(syntax_error):
    error = syntax_error(check("price <= €1350,50"))
    assert (error.position.line, error.position.column) == (11, 20)
    assert "'€1350,50'" in error.message and "Dutch" in error.message
    assert "€1350.50" in error.hint


def test_an_amount_below_one_euro_is_not_taken_for_a_thousands_point():
    # '€0.005' has no thousands in it: a thousands point never follows a leading 0, so it is the
    # decimal point it looks like, not the Dutch '€5.000' (which stays refused, above).
    assert parse("€0.005", lambda offset: None).value == Decimal("0.005")


def test_if_without_else(syntax_error):
    error = syntax_error(deadline("if hard_to_place then registered_on"))
    # Just after 'registered_on', where the 'else' should come.
    assert (error.position.line, error.position.column) == (11, 45)
    assert "'if hard_to_place then registered_on'" in error.message
    assert "ends too early" in error.message
    assert "expected 'else'" in error.message
    assert "else" in error.hint


def test_impossible_date(syntax_error):
    error = syntax_error(deadline("max(registered_on, 2016-02-31)"))
    assert (error.position.line, error.position.column) == (11, 29)
    assert "'2016-02-31'" in error.message
    assert "February 2016 has 29 days" in error.message


def test_impossible_month(syntax_error):
    error = syntax_error(deadline("max(registered_on, 2016-13-01)"))
    assert (error.position.line, error.position.column) == (11, 29)
    assert "no month 13" in error.message


def test_date_written_day_first(syntax_error):
    error = syntax_error(deadline("max(registered_on, 01-04-2016)"))
    assert (error.position.line, error.position.column) == (11, 29)
    assert "'01-04-2016'" in error.message
    assert "2016-04-01" in error.hint


def test_unclosed_parenthesis(syntax_error):
    error = syntax_error(deadline("(registered_on + 5 days"))
    # Where the ')' is missing: after 'days'.
    assert (error.position.line, error.position.column) == (11, 33)
    assert "'(registered_on + 5 days'" in error.message
    assert "expected ')'" in error.message
    # ... and which '(' is open.
    assert "line 11, column 10" in error.hint


def test_stray_character(syntax_error):
    error = syntax_error(deadline("registered_on + 5 days;"))
    assert (error.position.line, error.position.column) == (11, 32)
    assert "unexpected character ';'" in error.message
    assert "'registered_on + 5 days;'" in error.message
    assert "expected an operator" in error.message and "the end of the expression" in error.message


def test_multiplication_sign_from_a_word_processor(syntax_error):
    error = syntax_error(check("price × 2 <= €5000"))
    assert (error.position.line, error.position.column) == (11, 17)
    assert "unexpected character '×'" in error.message
    assert "*" in error.hint


def test_single_quoted_text(syntax_error):
    error = syntax_error(check("benefit == 'WGA'"))
    assert (error.position.line, error.position.column) == (11, 22)
    assert "unexpected character \"'\"" in error.message
    assert "double quotes" in error.hint


def test_percent_sign_after_a_space(syntax_error):
    error = syntax_error(check("price * 60 % <= €5000"))
    assert (error.position.line, error.position.column) == (11, 22)
    assert "'%'" in error.message
    assert "60%" in error.hint


def test_fractional_duration(syntax_error):
    error = syntax_error(deadline("registered_on + 1.5 weeks"))
    assert (error.position.line, error.position.column) == (11, 26)
    assert "whole number" in error.message and "1.5" in error.message


def test_missing_operand(syntax_error):
    error = syntax_error(deadline("registered_on +"))
    assert (error.position.line, error.position.column) == (11, 25)
    assert "ends too early" in error.message
    assert "expected a value" in error.message


def test_two_values_without_an_operator(syntax_error):
    error = syntax_error(deadline("registered_on started_on"))
    assert (error.position.line, error.position.column) == (11, 24)
    assert "unexpected 'started_on'" in error.message
    assert "expected an operator" in error.message
    # Only what fits here is offered: no 'then' or 'else' without an 'if'.
    assert "'else'" not in error.message and "'then'" not in error.message


def test_error_inside_a_folded_block(syntax_error):
    card = HEAD + (
        "deadlines:\n"                          # line 8
        "  d:\n"                                # line 9
        "    label: Test deadline\n"            # line 10
        "    due: >-\n"                         # line 11
        "      if hard_to_place\n"              # line 12
        "      then registered_on + 26 weeks\n"  # line 13
        "      else registered_on + 104 dagen\n"  # line 14
    )
    error = syntax_error(card)
    assert (error.position.line, error.position.column) == (14, 32)
    assert "'dagen'" in error.message


def test_error_inside_a_quoted_value(syntax_error):
    error = syntax_error(deadline('"registered_on + 56 dagen"'))
    # One column further than unquoted: the opening quote.
    assert (error.position.line, error.position.column) == (11, 30)


def test_impossible_edition_date(syntax_error):
    card = HEAD + "  valid_from: 2016-02-30\n" + (   # line 8; the value starts in column 15
        "deadlines:\n"
        "  d:\n"
        "    label: Test deadline\n"
        "    due: registered_on\n"
    )
    error = syntax_error(card)
    assert (error.position.line, error.position.column) == (8, 15)
    assert "February 2016 has 29 days" in error.message


def test_year_zero(syntax_error):
    card = HEAD + "  valid_from: 0000-01-01\n" + (   # line 8; the value starts in column 15
        "deadlines:\n"
        "  d:\n"
        "    label: Test deadline\n"
        "    due: registered_on\n"
    )
    error = syntax_error(card)
    assert (error.position.line, error.position.column) == (8, 15)
    assert "'0000-01-01' is not a date: there is no year 0" == error.message


def test_impossible_date_of_an_edition_of_a_value(syntax_error):
    card = HEAD + (
        "parameters:\n"               # line 8
        "  threshold:\n"              # line 9
        "    label: Drempel\n"        # line 10
        "    value:\n"                # line 11
        "      2016-01-01: €209000\n"  # line 12
        "      2017-02-29: €221000\n"  # line 13
    )
    error = syntax_error(card)
    assert (error.position.line, error.position.column) == (13, 7)
    assert "'2017-02-29'" in error.message and "February 2017 has 28 days" in error.message


def test_all_syntax_errors_of_a_card_are_reported_together(tmp_path, catalogue_root):
    card = HEAD + (
        "deadlines:\n"                               # line 8
        "  d:\n"                                     # line 9
        "    label: Test deadline\n"                 # line 10
        "    due: registered_on + 56 dagen\n"        # line 11
        "  e:\n"                                     # line 12
        "    label: Other deadline\n"                # line 13
        "    due: if hard_to_place then started_on\n"  # line 14
    )
    errors = load_errors(write_catalogue(tmp_path, catalogue_root, card))
    assert [(e.position.line, e.position.column) for e in errors] == [(11, 29), (14, 42)]
    assert all(isinstance(e, RuleSyntaxError) for e in errors)


def test_editing_a_fixture_card(tmp_path, catalogue_root):
    """The fixture's U-XR card with one deadline mistyped: only that mistake is reported, at its place."""
    root = tmp_path / "catalogue"
    shutil.copytree(catalogue_root, root)
    card = root / "products" / "uwv" / "U-XR.yaml"
    text = card.read_text(encoding="utf-8")
    written = "    due: registered_on + 56 days\n"
    assert text.count(written) == 1
    line = text[:text.index(written)].count("\n") + 1
    card.write_text(text.replace(written, "    due: registered_on + 56 dagen\n"), encoding="utf-8")
    errors = load_errors(root)
    assert len(errors) == 1, [str(e) for e in errors]
    assert Path(errors[0].position.file) == card
    assert (errors[0].position.line, errors[0].position.column) == (line, 29)
    assert "'days' instead of 'dagen'" in errors[0].hint


def test_the_parser_tables_are_kept_in_the_cache_folder_and_reused(tmp_path, monkeypatch):
    from interpreter import cache
    from interpreter import parser as parser_module
    monkeypatch.setenv("CATALOGUE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CATALOGUE_CACHE_KEY", str(tmp_path / "key"))
    monkeypatch.delenv("CATALOGUE_NO_CACHE", raising=False)
    parser_module.lark_parser.cache_clear()
    try:
        built = parser_module.lark_parser()
        name = parser_module._tables_name(parser_module.grammar_text())
        assert cache.read_bytes(name)  # written, and it verifies
        parser_module.lark_parser.cache_clear()
        reused = parser_module.lark_parser()
        text = "if hard_to_place then registered_on + 10 working days else min(price, €5000)"
        assert reused is not built and reused.parse(text) == built.parse(text)
    finally:
        parser_module.lark_parser.cache_clear()


def test_every_unit_of_time_is_read_as_written_by_rules_and_case_files():
    # The units have one home (interpreter.values.UNITS); the grammar and the case reader are made from it.
    import re

    from interpreter.values import UNIT_PATTERN, UNITS
    assert set(UNITS.values()) == {"days", "working_days", "weeks", "months", "years"}
    for written, unit in UNITS.items():
        spaced = written.replace(" ", "  ")  # any white space between the words of a unit
        assert p(f"registered_on + 3 {spaced}") == arith("+", name("registered_on"), n.DurationLit(3, unit, pos=P))
        assert re.fullmatch(UNIT_PATTERN, spaced)
    with pytest.raises(RuleSyntaxError):
        p("registered_on + 3 fortnights")


# -- subset and superset, indicative values ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("phases subset of {orientation, mediation}",
     n.SetRelation("subset", name("phases"), n.SetLit(("orientation", "mediation"), pos=P), pos=P)),
    ("{orientation} superset of phases",
     n.SetRelation("superset", n.SetLit(("orientation",), pos=P), name("phases"), pos=P)),
    # 'circa' binds to the value right after it, like a minus sign: (circa 6 months) + 1 week
    ("circa 6 months + 1 week", arith("+", n.Indicative("circa", dur(6, "months"), pos=P), dur(1, "weeks"))),
    ("about €250", n.Indicative("about", money("250"), pos=P)),
    # a name that starts with the word is still a name
    ("about_six_months", name("about_six_months")),
    ("circa_term", name("circa_term")),
])
def test_set_relations_and_indications_parse(text, expected):
    assert p(text) == expected


def test_set_relations_and_indications_keep_their_positions():
    # "started_on >= circa x and phases subset of y": 'circa' at offset 14, 'phases' at 26, 'y' at 43
    tree = p("started_on >= circa x and phases subset of y")
    assert tree.left.right.pos == at(14) and tree.right.pos == at(26) and tree.right.right.pos == at(43)


@pytest.mark.parametrize("text", ["phases subset of {orientation}", "circa (registered_on + 3 months)",
                                  "about €5 + €1", "not (phases superset of {mediation}) or circa 2 > 1"])
def test_set_relations_and_indications_print_back(text):
    assert to_text(p(to_text(p(text)))) == to_text(p(text))
    assert p(to_text(p(text))) == p(text)
