"""The Dutch renderer: checked expression trees become the sentences of the product sheets."""
from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from decimal import Decimal

import pytest

from interpreter import nodes as n
from interpreter.api import Engine
from interpreter.catalogue import Fact, Vocabulary
from interpreter.checker import Checker
from interpreter.dutch import (RenderError, capitalize, check_product, date_text, duration_text, expression,
                               label_in_sentence, money_text, number_text, percent_text, rule_applies,
                               rule_sentence, validity_text)
from interpreter.errors import CatalogueError, Position
from interpreter.parser import parse
from test_sheets import BAD_CARD, make_catalogue


@pytest.fixture(scope="module")
def vocabulary(engine):
    return engine.catalogue.vocabulary


@pytest.fixture(scope="module")
def proef(tmp_path_factory) -> Engine:
    return Engine(make_catalogue(tmp_path_factory.mktemp("dutch") / "catalogue"))


def typed(text: str, vocabulary) -> n.Node:
    node = parse(text, lambda offset: Position("<test>", 1, offset + 1))
    return Checker(vocabulary.fact_types, vocabulary.enums, {}).check(node)


def say(text: str, vocabulary) -> str:
    return expression(typed(text, vocabulary), vocabulary)


# -- numbers, amounts, dates and durations the Dutch way ------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (Decimal(5000), "€ 5.000"), (Decimal("1350.50"), "€ 1.350,50"), (Decimal("209000"), "€ 209.000"),
    (Decimal("0.5"), "€ 0,50"), (Decimal("2400.00"), "€ 2.400"), (Decimal("1234567.89"), "€ 1.234.567,89"),
    (Decimal(-5), "-€ 5"),
])
def test_money(value, expected):
    assert money_text(value) == expected


def test_numbers_percentages_dates_durations():
    assert number_text(Decimal("1.5")) == "1,5"
    assert number_text(Decimal("10000")) == "10.000"
    assert percent_text(Decimal(60)) == "60%" and percent_text(Decimal("2.5")) == "2,5%"
    assert date_text(dt.date(2016, 5, 27)) == "27 mei 2016"
    assert date_text(dt.date(2017, 12, 31)) == "31 december 2017"
    assert duration_text(56, "days") == "56 kalenderdagen"
    assert duration_text(10, "working_days") == "10 werkdagen"
    assert duration_text(1, "working_days") == "1 werkdag"
    assert duration_text(2, "weeks") == "2 weken" and duration_text(1, "weeks") == "1 week"
    assert duration_text(3, "months") == "3 maanden" and duration_text(1, "months") == "1 maand"
    assert duration_text(1, "years") == "1 jaar" and duration_text(2, "years") == "2 jaar"
    assert validity_text(dt.date(2016, 1, 1), dt.date(2017, 12, 31)) == \
        "geldig van 1 januari 2016 tot en met 31 december 2017"
    assert validity_text(dt.date(2016, 4, 1), None) == "geldig vanaf 1 april 2016"
    assert validity_text(None, None) == ""


def test_labels_inside_a_sentence():
    assert label_in_sentence("Drempelbedrag (Europese aanbesteding)") == "drempelbedrag (Europese aanbesteding)"
    assert label_in_sentence("Protocol Zeer Moeilijk Plaatsbaar") == "Protocol Zeer Moeilijk Plaatsbaar"
    assert label_in_sentence("LEON-prijs") == "LEON-prijs"
    assert label_in_sentence("WGA-uitkering") == "WGA-uitkering"
    assert label_in_sentence("Re-integratieplan ingediend") == "re-integratieplan ingediend"
    assert capitalize("uiterlijk 2 weken") == "Uiterlijk 2 weken" and capitalize("iDEAL") == "iDEAL"


# -- expressions ------------------------------------------------------------------------------------------

EXPRESSIONS = [
    ("registered_on + 56 days", "56 kalenderdagen na datum aanmelding"),
    ("started_on + 10 working days", "10 werkdagen na start traject / onderzoek / voorziening"),
    ("registered_on + 3 months", "3 maanden na datum aanmelding"),
    ("registered_on + 1 year", "1 jaar na datum aanmelding"),
    ("registered_on - 2 weeks", "2 weken vóór datum aanmelding"),
    ("registered_on + 2 weeks * 3", "6 weken na datum aanmelding"),
    ("if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks",
     "26 weken na datum aanmelding als fasen van het traject precies Oriëntatiefase en Bemiddelingsfase zijn; "
     "anders 104 weken na datum aanmelding"),
    ("if hard_to_place then 80% else 60%", "80% als Protocol Zeer Moeilijk Plaatsbaar geldt; anders 60%"),
    ("if hard_to_place then (if full_pay then 1 else 2) else 3",
     "1 als Protocol Zeer Moeilijk Plaatsbaar geldt en full pay toegekend door Opdrachtgever geldt; "
     "2 als Protocol Zeer Moeilijk Plaatsbaar geldt; anders 3"),
    ("registered_on + (if hard_to_place then 2 weeks else 3 weeks)",
     "2 weken na datum aanmelding als Protocol Zeer Moeilijk Plaatsbaar geldt; anders 3 weken na datum aanmelding"),
    ("price * 60%", "60% van prijs (excl. btw)"),
    ("min(price, €5000)", "het laagste van prijs (excl. btw) en € 5.000"),
    ("max(registered_on, started_on)", "de laatste van datum aanmelding en start traject / onderzoek / voorziening"),
    ("round(price * 60%)", "60% van prijs (excl. btw), afgerond op hele centen"),
    ("intake_on ?? (registered_on + 2 weeks)", "datum intake (zolang onbekend: 2 weken na datum aanmelding)"),
    ("every 3 months from started_on until ended_on",
     "elke 3 maanden vanaf start traject / onderzoek / voorziening tot einde traject"),
    ("every (if reduced_reporting ?? false then 6 months else 3 months) from started_on until ended_on",
     "vanaf start traject / onderzoek / voorziening tot einde traject: elke 6 maanden als kwartaalrapportage "
     "vervalt (LEON) geldt; anders elke 3 maanden"),
    ("price <= €5000", "prijs (excl. btw) is ten hoogste € 5.000"),
    ("annual_volume > €50000", "jaarlijks financieel volume aanbieder is hoger dan € 50.000"),
    ("success_rate >= 90%", "behaald slagingspercentage is ten minste 90%"),
    ("price < €1350.50", "prijs (excl. btw) is lager dan € 1.350,50"),
    ("benefit in {WGA, ZW}", "uitkering is WGA-uitkering of Ziektewet-uitkering"),
    ("benefit not in {WGA, ZW}", "uitkering is niet WGA-uitkering en niet Ziektewet-uitkering"),
    ("benefit == Wajong", "uitkering is Wajong-uitkering"),
    ("benefit != Wajong", "uitkering is niet Wajong-uitkering"),
    ("phases == {orientation, mediation}", "fasen van het traject zijn precies Oriëntatiefase en Bemiddelingsfase"),
    ("orientation in phases and mediation in phases",
     "Oriëntatiefase en Bemiddelingsfase behoren tot fasen van het traject"),
    ("not hard_to_place", "Protocol Zeer Moeilijk Plaatsbaar geldt niet"),
    ("not (price <= €5000)", "prijs (excl. btw) is hoger dan € 5.000"),
    ("hard_to_place == false", "Protocol Zeer Moeilijk Plaatsbaar geldt niet"),
    ("hard_to_place and (full_pay or price > €100)",
     "Protocol Zeer Moeilijk Plaatsbaar geldt en (full pay toegekend door Opdrachtgever geldt of "
     "prijs (excl. btw) is hoger dan € 100)"),
    ("not (hard_to_place and full_pay)",
     "het is niet zo dat Protocol Zeer Moeilijk Plaatsbaar geldt en full pay toegekend door Opdrachtgever geldt"),
    ("full_pay ?? false", "full pay toegekend door Opdrachtgever geldt"),
    ("invoice_received_on <= ended_on + 30 days", "factuur ontvangen valt uiterlijk 30 kalenderdagen na einde traject"),
    ("registered_on == started_on", "datum aanmelding valt op start traject / onderzoek / voorziening"),
    ("as_of > registered_on", "de peildatum valt na datum aanmelding"),
    ("ended_on - registered_on", "het aantal dagen van datum aanmelding tot einde traject"),
    ("next_working_day(registered_on)", "de eerste werkdag op of na datum aanmelding"),
    ('"12XR " + text(district)', "“12XR ” gevolgd door de code van district van opdrachtverlening"),
    ("price / 2", "prijs (excl. btw) gedeeld door 2"),
    ("price - €100", "prijs (excl. btw) min € 100"),
    ("(price + €100) * 2", "(prijs (excl. btw) plus € 100) keer 2"),
    ("-€5", "-€ 5"),
    ("-1.5", "-1,5"),
    ("2016-04-01", "1 april 2016"),
    ('"vrije tekst"', "“vrije tekst”"),
    ("true", "ja"),
    ("as_of", "de peildatum"),
    ("€1350.50", "€ 1.350,50"),
]


@pytest.mark.parametrize("text, expected", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_expressions_in_dutch(vocabulary, text, expected):
    assert say(text, vocabulary) == expected


def test_every_node_type_is_covered(vocabulary):
    """The renderer is total: every kind of node of nodes.py is said by at least one case above."""
    kinds = {cls for _, cls in inspect.getmembers(n, inspect.isclass)
             if issubclass(cls, n.Node) and cls is not n.Node}
    seen = set()
    for text, _ in EXPRESSIONS:
        seen.update(type(node) for node in n.walk(typed(text, vocabulary)))
    seen.add(n.Name)  # said below, unchecked
    seen.add(n.RuleRef)  # said with a product, below
    assert kinds - seen == set()


def test_unchecked_names_use_the_vocabulary(vocabulary):
    node = parse("registered_on + 2 weeks", lambda offset: Position("<test>", 1, offset + 1))
    assert isinstance(node.left, n.Name)
    assert expression(node, vocabulary) == "2 weken na datum aanmelding"
    member = parse("Wajong", lambda offset: Position("<test>", 1, offset + 1))
    assert expression(member, vocabulary) == "Wajong-uitkering"


def test_rule_references_use_card_labels_or_fixed_values(proef):
    product = proef.product("ZZ-1")
    vocabulary = proef.catalogue.vocabulary
    test = product.rules["price_within_cap"].exprs["test"].node
    assert expression(test, vocabulary, product) == "prijs (excl. btw) is ten hoogste maximumprijs van het proefproduct"
    prefix = n.RuleRef("order_prefix", pos=Position("<test>", 1, 1), type=None)
    assert expression(prefix, vocabulary, product) == "“ZZ1-”"  # one fixed value: said by its value
    with pytest.raises(RenderError, match="no card"):
        expression(test, vocabulary)  # without the product there are no labels


# -- what cannot be said well is an error with a place -------------------------------------------------------

def test_an_if_inside_a_condition_is_an_error(vocabulary):
    with pytest.raises(RenderError) as caught:
        say("if (if hard_to_place then true else false) then 1 else 2", vocabulary)
    error = caught.value
    assert isinstance(error, CatalogueError) and error.stage == "sheet"
    assert error.position == Position("<test>", 1, 5)
    assert error.hint


def test_too_many_alternatives_is_an_error(vocabulary):
    chain = " else ".join(f"if district == D0{i} then {i}" for i in range(1, 8)) + " else 0"
    with pytest.raises(RenderError, match="alternatives"):
        say(chain, vocabulary)


def test_a_fact_without_label_is_an_error(vocabulary):
    facts = dict(vocabulary.facts)
    facts["price"] = dataclasses.replace(facts["price"], label="")
    bare = Vocabulary(vocabulary.enums, vocabulary.enum_labels, facts)
    with pytest.raises(RenderError, match="no Dutch label"):
        expression(typed("price <= €5", vocabulary), bare)
    labels = {**vocabulary.enum_labels, "benefit": {**vocabulary.enum_labels["benefit"], "WGA": ""}}
    with pytest.raises(RenderError, match="no Dutch label"):
        expression(typed("benefit == WGA", vocabulary), Vocabulary(vocabulary.enums, labels, vocabulary.facts))
    assert isinstance(facts["registered_on"], Fact)


def test_check_product_reports_the_unsayable_rule(tmp_path):
    root = make_catalogue(tmp_path / "catalogue", {"products/proef/ZZ-9.yaml": BAD_CARD})
    engine = Engine(root)
    errors = check_product(engine.product("ZZ-9"), engine.catalogue.vocabulary)
    assert len(errors) == 1
    assert errors[0].position.file.endswith("ZZ-9.yaml") and errors[0].position.line == 8
    assert "condition" in errors[0].message


# -- sentences per kind of rule ------------------------------------------------------------------------------

def test_sentences_of_the_test_card(proef):
    product = proef.product("ZZ-1")
    vocabulary = proef.catalogue.vocabulary

    def sentence(rule_id):
        return rule_sentence(product.rules[rule_id], product, vocabulary)

    assert sentence("plan_due") == ("Uiterlijk 56 kalenderdagen na datum aanmelding; "
                                    "op tijd als Re-integratieplan ingediend niet later valt.")
    assert sentence("start_due").startswith("Uiterlijk 10 werkdagen na datum aanmelding; valt die dag niet op "
                                            "een werkdag, dan geldt de eerstvolgende werkdag")
    split = ("Prijs (excl. btw): 60% proefinspanning, 40% proefresultaat (bij Protocol Zeer Moeilijk Plaatsbaar "
             "80% / 20%); opeisbaar op akkoord Re-integratieplan resp. datum werkhervatting / plaatsing.")
    assert sentence("effort") == sentence("result") == split
    assert sentence("progress") == "Elke 3 maanden vanaf start traject / onderzoek / voorziening tot einde traject."
    assert sentence("cap") == ("€ 5.000 (geldig van 1 januari 2016 tot en met 31 december 2016); "
                               "€ 5.500,50 (geldig vanaf 1 januari 2017)")
    assert sentence("served_districts") == "District Noord Nederland en District Rijnmond"
    assert sentence("order_prefix") == "ZZ1-"
    assert sentence("extra_plan_needed") == "Nee"
    assert sentence("order_number") == "“ZZ1-” gevolgd door de code van district van opdrachtverlening."
    assert sentence("price_within_cap") == "Prijs (excl. btw) is ten hoogste maximumprijs van het proefproduct."
    assert sentence("extra_plan_due").startswith("Niet van toepassing op dit product: alleen als extra proefplan nodig")
    assert rule_applies(product.rules["extra_plan_due"], product, vocabulary) is False
    assert rule_applies(product.rules["plan_due"], product, vocabulary) is True


def test_issue_examples_on_the_bundled_cards(engine, vocabulary):
    def sentence(code, rule_id):
        product = engine.product(code)
        return rule_sentence(product.rules[rule_id], product, vocabulary)

    assert "uiterlijk 56 kalenderdagen na datum aanmelding" in sentence("12XR", "plan_due").lower()
    resumed = sentence("12XR", "work_resumed_due")
    assert " als " in resumed and "; anders uiterlijk 104 weken na datum aanmelding" in resumed
    fee = sentence("12XR", "effort")
    assert "60% inspanningsdeel, 40% resultaatdeel" in fee
    assert "bij Protocol Zeer Moeilijk Plaatsbaar 80% / 20%" in fee
    assert "10 werkdagen" in sentence("S2-A", "plan_due")
    assert "elke 3 maanden" in sentence("LEON-3", "progress_report")
    assert "€ 209.000 (geldig van 1 januari 2016 tot en met 31 december 2017)" in sentence("12XR", "drempelbedrag")


def test_every_bundled_rule_renders(engine, vocabulary):
    names = [name for name in vocabulary.facts if "_" in name]
    for code, editions in engine.catalogue.products.items():
        for product in editions:
            assert check_product(product, vocabulary) == [], code
            for rule in product.rules.values():
                text = rule_sentence(rule, product, vocabulary)
                assert text.strip() and (text[0].isupper() or text[0].isdigit() or text[0] in "€“-"), (code, rule.id)
                assert "None" not in text and "??" not in text, (code, rule.id, text)
                leaked = [name for name in names + [rule.id] if "_" in name and name in text]
                assert not leaked, (code, rule.id, text)  # facts by their labels, never by their names


# -- any well-typed expression is said, or refused with a RenderError ----------------------------------------

from functools import lru_cache  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_UNITS = st.sampled_from(["days", "working days", "weeks", "months", "years"])


@lru_cache(maxsize=None)
def _typed_text(kind: str, depth: int = 0) -> st.SearchStrategy[str]:
    """Text of a well-typed expression of `kind`, built from the bundled vocabulary's facts."""
    def sub(other):
        return st.deferred(lambda: _typed_text(other, depth + 1))

    def branch(*options):
        return st.one_of(*options) if depth < 2 else options[0]

    if kind == "date":
        base = st.sampled_from(["registered_on", "started_on", "ended_on", "intake_on", "as_of", "2016-04-01"])
        return branch(
            base,
            st.builds(lambda d, u: f"({d} + {u})", sub("date"), sub("duration")),
            st.builds(lambda d, u: f"({d} - {u})", sub("date"), sub("duration")),
            st.builds(lambda c, a, b: f"(if {c} then {a} else {b})", sub("bool"), sub("date"), sub("date")),
            st.builds(lambda a, b: f"({a} ?? {b})", sub("date"), sub("date")),
            st.builds(lambda a, b: f"min({a}, {b})", sub("date"), sub("date")),
            st.builds(lambda a: f"next_working_day({a})", sub("date")))
    if kind == "duration":
        literal = st.builds(lambda k, u: f"{k} {u}", st.integers(1, 120), _UNITS)
        return branch(literal, st.builds(lambda d, k: f"({d} * {k})", literal, st.integers(1, 4)),
                      st.builds(lambda c, a, b: f"(if {c} then {a} else {b})", sub("bool"), literal, literal))
    if kind == "money":
        base = st.sampled_from(["price", "annual_volume", "€5000", "€1350.50"])
        return branch(
            base,
            st.builds(lambda m, p: f"({m} * {p})", sub("money"), sub("percent")),
            st.builds(lambda a, b: f"({a} + {b})", sub("money"), sub("money")),
            st.builds(lambda a, b: f"max({a}, {b})", sub("money"), sub("money")),
            st.builds(lambda a: f"round({a})", sub("money")),
            st.builds(lambda c, a, b: f"(if {c} then {a} else {b})", sub("bool"), sub("money"), sub("money")))
    if kind == "percent":
        return branch(st.builds(lambda k: f"{k}%", st.integers(0, 100)), st.just("success_rate"),
                      st.builds(lambda c, a, b: f"(if {c} then {a} else {b})", sub("bool"), sub("percent"),
                                sub("percent")))
    if kind == "bool":
        return branch(
            st.sampled_from(["hard_to_place", "full_pay", "(full_pay ?? false)", "benefit in {WGA, ZW}",
                             "orientation in phases", "phases == {orientation, mediation}", "district == D01"]),
            st.builds(lambda a: f"(not {a})", sub("bool")),
            st.builds(lambda a, b: f"({a} and {b})", sub("bool"), sub("bool")),
            st.builds(lambda a, b: f"({a} or {b})", sub("bool"), sub("bool")),
            st.builds(lambda a, o, b: f"({a} {o} {b})", sub("money"), st.sampled_from(["<", "<=", ">", ">=", "=="]),
                      sub("money")),
            st.builds(lambda a, o, b: f"({a} {o} {b})", sub("date"), st.sampled_from(["<", "<=", ">", ">=", "!="]),
                      sub("date")))
    if kind == "dates":
        return st.builds(lambda s, a, b: f"every {s} from {a} until {b}", sub("duration"), sub("date"), sub("date"))
    raise AssertionError(kind)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["date", "money", "percent", "bool", "dates"]).flatmap(_typed_text))
def test_any_well_typed_expression_is_said_or_refused(vocabulary, text):
    node = typed(text, vocabulary)
    try:
        said = expression(node, vocabulary)
    except RenderError as error:
        assert error.position.file == "<test>" and error.message
        return
    assert said.strip() and "None" not in said
    assert not [name for name in vocabulary.facts if "_" in name and name in said], said
