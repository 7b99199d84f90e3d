"""The Dutch renderer: checked expression trees become the sentences of the product sheets."""
from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from decimal import Decimal
from pathlib import Path

import pytest

from interpreter import nodes as n
from interpreter import types as t
from interpreter.api import Engine
from interpreter.catalogue import Fact, Vocabulary, Words
from interpreter.checker import Checker
from interpreter.sheets import RenderError, check_product, expression, rule_applies, rule_sentence
from interpreter.sheets.grammar import Grammar, is_date_noun, label_unit, predicate_split
from interpreter.sheets.words import (capitalize, date_text, duration_text, label_in_sentence, money_text, number_text,
                                      percent_text, strip_brackets, validity_text)
from interpreter.errors import CatalogueError, Position
from interpreter.parser import parse
from cards import card_engine
from test_sheets import BAD_CARD, make_catalogue


@pytest.fixture(scope="module")
def vocabulary(engine):
    return engine.catalogue.vocabulary


@pytest.fixture(scope="module")
def proef(tmp_path_factory) -> Engine:
    return Engine(make_catalogue(tmp_path_factory.mktemp("dutch") / "catalogue"))


def typed(text: str, vocabulary) -> n.Node:
    node = parse(text, lambda offset: Position("<test>", 1, offset + 1))
    # built-in names as a card T-1 of the edition 'eerste editie' has them
    builtins = {"product_code": "T-1", "edition_name": "eerste editie"}
    return Checker(vocabulary.fact_types, vocabulary.enums, {}, builtins=builtins).check(node)


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
    # bracketed asides belong to the heading, not to the sentence
    assert label_in_sentence("Drempelbedrag (Europese aanbesteding)") == "drempelbedrag"
    assert label_in_sentence("Drempelbedrag (Europese aanbesteding, IIB-diensten), exclusief btw") == \
        "drempelbedrag, exclusief btw"
    assert label_in_sentence("Re-integratieplan nodig (klantmanager beoordeelt met af- of goedkeuring)") == \
        "re-integratieplan nodig"
    assert label_in_sentence("Protocol Zeer Moeilijk Plaatsbaar") == "Protocol Zeer Moeilijk Plaatsbaar"
    assert label_in_sentence("LEON-prijs") == "LEON-prijs"
    assert label_in_sentence("WGA-uitkering") == "WGA-uitkering"
    assert label_in_sentence("AG-uitkeringen (alleen deze)") == "AG-uitkeringen"
    assert label_in_sentence("Re-integratieplan ingediend") == "re-integratieplan ingediend"
    assert strip_brackets("(alleen een aside)") == "(alleen een aside)"  # nothing would be left
    assert capitalize("uiterlijk 2 weken") == "Uiterlijk 2 weken" and capitalize("iDEAL") == "iDEAL"


# The word lists of a catalogue's words.yaml, as a small one made for these tests.
WORDS = Words(het=frozenset({"bedrag", "plan", "maximum"}), het_whole=frozenset({"uur"}),
              singular_en=frozenset({"examen"}))


def test_number_agreement_articles_and_units():
    grammar = Grammar(WORDS)
    is_plural, agree, gender, with_article = grammar.is_plural, grammar.agree, grammar.gender, grammar.with_article
    # plural subjects take a plural verb
    assert is_plural("de gedeclareerde uren voor een intake zonder start")
    assert is_plural("de fasen van het traject") and is_plural("klantgroepen waarvoor UWV inkoopt")
    assert not is_plural("de aanmelding") and not is_plural("het indienen van het Re-integratieplan")
    assert not is_plural("de geplande einddatum van het traject") and not is_plural("de prijs exclusief btw")
    assert not is_plural("2 weken na de aanmelding") and not is_plural("€ 5.000")
    assert agree("de uren", "is") == "zijn" and agree("de prijs", "is") == "is"
    assert agree("de fasen", "valt") == "vallen" and agree("x", "behoort", plural=True) == "behoren"
    # a label gets the article of its head noun; a compound takes the gender of its last part
    assert gender("drempelbedrag") == "het" and gender("re-integratieplan") == "het"
    assert gender("maximumprijs") == "de" and gender("kwartaaltje") == "het"
    # a short noun is 'het' only as a whole word: 'natuur' does not end in the noun 'uur'
    assert gender("uur") == "het" and gender("natuur") == "de"
    assert with_article("drempelbedrag, exclusief btw") == "het drempelbedrag, exclusief btw"
    assert with_article("maximumprijs van het proefproduct") == "de maximumprijs van het proefproduct"
    assert with_article("klantgroepen waarvoor UWV inkoopt") == "de klantgroepen waarvoor UWV inkoopt"
    assert with_article("het maximum") == "het maximum" and with_article("Protocol X") == "Protocol X"


def test_the_word_lists_decide_article_and_number():
    """The nouns come from words.yaml: without the lists every noun takes 'de' and -en means plural."""
    listed, bare = Grammar(WORDS), Grammar()
    assert listed.with_article("drempelbedrag") == "het drempelbedrag"
    assert bare.with_article("drempelbedrag") == "de drempelbedrag"
    assert not listed.is_plural("examen") and bare.is_plural("examen")
    assert listed.agree("examen", "is") == "is" and bare.agree("examen", "is") == "zijn"


def test_units_predicates_and_days():
    # a unit named in a label's brackets
    assert label_unit("duur kennismakingsgesprek (uren)") == ("uur", "uur")
    assert label_unit("Kosteloze kennismaking, ten hoogste (uren; niet te factureren)") == ("uur", "uur")
    assert label_unit("Drempelbedrag (Europese aanbesteding)") is None and label_unit("Prijs") is None
    # a yes/no label that ends in a predicate reads 'X nodig is'
    assert predicate_split("re-integratieplan nodig") == ("re-integratieplan", "nodig")
    assert predicate_split("landelijk gecontracteerd") == ("landelijk", "gecontracteerd")
    assert predicate_split("factuur met logboek") is None
    assert predicate_split("op de factuur staat ook de periode") is None  # already a sentence
    assert predicate_split("Eis 1: begeleiders hebben een VOG") is None
    # a day is 'op' a date, an event happens 'bij' it
    assert is_date_noun("de geplande einddatum van het traject") and is_date_noun("1 april 2016")
    assert not is_date_noun("de aanmelding")


def test_every_fact_of_the_fixture_has_a_phrase(vocabulary):
    for name, fact in vocabulary.facts.items():
        assert fact.phrase and fact.phrase.strip() == fact.phrase, name
        if fact.type == t.BOOL:
            assert fact.phrase.split()[-1].islower() and not fact.phrase.startswith(("het ", "een ")), name
        else:
            assert fact.phrase.split()[0] in ("de", "het", "een"), name  # a noun phrase with its article


# -- expressions ------------------------------------------------------------------------------------------

PZMP = "de klant onder het Protocol Zeer Moeilijk Plaatsbaar valt"  # the phrase of hard_to_place
FULL_PAY = "de Opdrachtgever full pay heeft toegekend"  # the phrase of full_pay

EXPRESSIONS = [
    ("registered_on + 56 days", "56 kalenderdagen na de aanmelding"),
    ("started_on + 10 working days", "10 werkdagen na de start"),
    ("registered_on + 3 months", "3 maanden na de aanmelding"),
    ("registered_on + 1 year", "1 jaar na de aanmelding"),
    ("registered_on - 2 weeks", "2 weken vóór de aanmelding"),
    ("registered_on + 2 weeks * 3", "6 weken na de aanmelding"),
    ("if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks",
     "26 weken na de aanmelding als de fasen van het traject precies de Oriëntatiefase en de Bemiddelingsfase "
     "zijn; anders 104 weken na de aanmelding"),
    # a yes/no fact's phrase is a clause: 'als <clause>'
    ("if hard_to_place then 80% else 60%", f"80% als {PZMP}; anders 60%"),
    ("if hard_to_place then (if full_pay then 1 else 2) else 3",
     f"1 als {PZMP} en {FULL_PAY}; 2 als {PZMP}; anders 3"),
    ("registered_on + (if hard_to_place then 2 weeks else 3 weeks)",
     f"2 weken na de aanmelding als {PZMP}; anders 3 weken na de aanmelding"),
    ("price * 60%", "60% van de prijs exclusief btw"),
    # min/max of two: the fixed value is the cap; dates: 'a of, als dat eerder is, b'
    ("min(price, €5000)", "de prijs exclusief btw, met een maximum van € 5.000"),
    ("max(€100, price)", "de prijs exclusief btw, met een minimum van € 100"),
    ("min(price, annual_volume)",
     "de prijs exclusief btw, met een maximum van het jaarlijkse financiële volume van de aanbieder"),
    ("min(price, annual_volume, €5)",
     "het laagste van de prijs exclusief btw, het jaarlijkse financiële volume van de aanbieder en € 5"),
    ("max(registered_on, started_on)", "de aanmelding of, als dat later is, de start"),
    ("min(registered_on, started_on)", "de aanmelding of, als dat eerder is, de start"),
    ("min(ended_on ?? planned_end_on, planned_end_on)",  # the fallback need not be said
     "het einde van het traject of, als dat eerder is, de geplande einddatum van het traject"),
    ("min(registered_on, started_on) + 2 weeks", "2 weken na (de aanmelding of, als dat eerder is, de start)"),
    ("round(price * 60%)", "60% van de prijs exclusief btw, afgerond op hele centen"),
    # earliest: the first of several events that happened, said with "of"
    ("earliest(work_resumed_on, final_report_on)",
     "de eerste van: de werkhervatting of plaatsing of de ontvangst van de eindrapportage"),
    ("earliest(registered_on, started_on, intake_on)", "de eerste van: de aanmelding, de start of de intake"),
    ("intake_on ?? (registered_on + 2 weeks)", "de intake (zolang onbekend: 2 weken na de aanmelding)"),
    # an offset of a fallback applies to both sides: LEON's plan is due 1 week after the intake, and while
    # the intake is unknown 1 week after its latest day (2 weeks after registration): 3 weeks
    ("(intake_on ?? (registered_on + 2 weeks)) + 1 week",
     "1 week na de intake (zolang onbekend: 3 weken na de aanmelding)"),
    ("(intake_on ?? (registered_on + 10 days)) + 1 week",
     "1 week na de intake (zolang onbekend: 17 kalenderdagen na de aanmelding)"),
    ("(intake_on ?? registered_on) - 3 days",
     "3 kalenderdagen vóór de intake (zolang onbekend: 3 kalenderdagen vóór de aanmelding)"),
    ("every 3 months from started_on until ended_on", "elke 3 maanden vanaf de start tot het einde van het traject"),
    ("every (if reduced_reporting ?? false then 6 months else 3 months) from started_on until ended_on",
     "vanaf de start tot het einde van het traject: elke 6 maanden als de kwartaalrapportage vervalt; "
     "anders elke 3 maanden"),
    # subset and superset of sets of choices; an indication ('circa'); the card's own code
    ("phases subset of {orientation, mediation}",
     "de fasen van het traject vallen alle onder de Oriëntatiefase en de Bemiddelingsfase"),
    ("phases superset of {orientation, mediation}",
     "de fasen van het traject omvatten ten minste de Oriëntatiefase en de Bemiddelingsfase"),
    ("started_on + circa 6 months", "circa 6 maanden na de start"),
    ("about €250", "circa € 250"),
    ('product_code + " " + text(district)',
     "de productcode (T-1) gevolgd door een spatie en de code van het district van opdrachtverlening"),
    ("edition_name", "de naam van de editie (‘eerste editie’)"),
    ("price <= €5000", "de prijs exclusief btw is ten hoogste € 5.000"),
    ("annual_volume > €50000", "het jaarlijkse financiële volume van de aanbieder is hoger dan € 50.000"),
    ("success_rate >= 90%", "het behaalde slagingspercentage is ten minste 90%"),
    ("price < €1350.50", "de prijs exclusief btw is lager dan € 1.350,50"),
    # plural subjects take a plural verb; a number takes the unit its fact's label names: '(uren)'
    ("intake_hours <= 5", "de gedeclareerde uren voor een intake zonder start zijn ten hoogste 5"),
    ("introduction_hours <= 1", "de duur van het kennismakingsgesprek is ten hoogste 1 uur"),
    ("min(5, introduction_hours)", "de duur van het kennismakingsgesprek, met een maximum van 5 uur"),
    # choices that are common nouns take an article; names (District Rijnmond) do not
    ("benefit in {WGA, ZW}", "de uitkering is een WGA-uitkering of een Ziektewet-uitkering"),
    ("benefit not in {WGA, ZW}", "de uitkering is geen WGA-uitkering en geen Ziektewet-uitkering"),
    ("benefit == Wajong", "de uitkering is een Wajong-uitkering"),
    ("benefit != Wajong", "de uitkering is geen Wajong-uitkering"),
    ("district == D03", "het district van opdrachtverlening is District Rijnmond"),
    ("district in {D01, D03}", "het district van opdrachtverlening is District Noord Nederland of District Rijnmond"),
    ("phases == {orientation, mediation}",
     "de fasen van het traject zijn precies de Oriëntatiefase en de Bemiddelingsfase"),
    ("orientation in phases and mediation in phases",
     "de Oriëntatiefase en de Bemiddelingsfase behoren tot de fasen van het traject"),
    ("orientation in phases", "de Oriëntatiefase behoort tot de fasen van het traject"),
    ("not hard_to_place", f"het is niet zo dat {PZMP}"),
    ("not (price <= €5000)", "de prijs exclusief btw is hoger dan € 5.000"),
    ("hard_to_place == false", f"het is niet zo dat {PZMP}"),
    ("hard_to_place", f"het is zo dat {PZMP}"),
    ("hard_to_place and (full_pay or price > €100)",
     f"het is zo dat {PZMP} en (het is zo dat {FULL_PAY} of de prijs exclusief btw is hoger dan € 100)"),
    ("not (hard_to_place and full_pay)", f"het is niet zo dat {PZMP} en {FULL_PAY}"),
    ("full_pay ?? false", f"het is zo dat {FULL_PAY}"),
    # dates: events ('de aanmelding') and days ('de geplande einddatum')
    ("invoice_received_on <= ended_on + 30 days",
     "de ontvangst van de factuur valt uiterlijk 30 kalenderdagen na het einde van het traject"),
    ("registered_on == started_on", "de aanmelding valt op de dag van de start"),
    ("ended_on <= planned_end_on", "het einde van het traject valt uiterlijk op de geplande einddatum van het traject"),
    ("registered_on <= 2016-04-01", "de aanmelding valt uiterlijk op 1 april 2016"),
    ("acknowledged_on >= registered_on", "het versturen van de ontvangstbevestiging valt op of na de aanmelding"),
    ("as_of > registered_on", "de peildatum valt na de aanmelding"),
    ("ended_on - registered_on", "het aantal dagen van de aanmelding tot het einde van het traject"),
    ("next_working_day(registered_on)", "de eerste werkdag op of na de aanmelding"),
    # spaces at the edge of a text are said, not hidden inside the quotation marks
    ('"U-XR " + text(district)',
     "“U-XR” gevolgd door een spatie en de code van het district van opdrachtverlening"),
    ('text(district) + " " + "U-XR"',
     "de code van het district van opdrachtverlening gevolgd door een spatie en “U-XR”"),
    ('"U-XR "', "“U-XR” gevolgd door een spatie"),
    ("price / 2", "de prijs exclusief btw gedeeld door 2"),
    ("price - €100", "de prijs exclusief btw min € 100"),
    ("(price + €100) * 2", "(de prijs exclusief btw plus € 100) keer 2"),
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
    seen.update({n.Decide, n.Lookup})  # said with their card: test_tables_and_lookups_are_said_with_their_card
    assert kinds - seen == set()


def test_tables_and_lookups_are_said_with_their_card(tmp_path):
    from test_tables import SPLIT, lookup_card
    from cards import FIXTURE, catalogue_with
    card = SPLIT + lookup_card().split("  valid_from: 2016-01-01\n", 1)[1]
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))
    product, vocabulary = engine.product("T-1"), engine.catalogue.vocabulary
    share = product.rules["effort_share"].exprs["value"].node
    assert expression(share, vocabulary, product) == \
        "de waarde die de tabel ‘Verdeling’ in de kolom ‘Inspanningsdeel’ geeft"
    name = product.rules["district_name"].exprs["value"].node
    assert expression(name, vocabulary, product) == \
        "de naam van het district van opdrachtverlening volgens de tabel ‘Districten’"
    flag = dataclasses.replace(share, type=t.BOOL)  # a yes/no output reads as what the table says
    assert expression(flag, vocabulary, product).startswith("de tabel ‘Verdeling’ in de kolom ‘Inspanningsdeel’")


def test_unchecked_names_use_the_vocabulary(vocabulary):
    node = parse("registered_on + 2 weeks", lambda offset: Position("<test>", 1, offset + 1))
    assert isinstance(node.left, n.Name)
    assert expression(node, vocabulary) == "2 weken na de aanmelding"
    member = parse("Wajong", lambda offset: Position("<test>", 1, offset + 1))
    assert expression(member, vocabulary) == "de Wajong-uitkering"
    flag = parse("not hard_to_place", lambda offset: Position("<test>", 1, offset + 1))
    assert expression(flag, vocabulary) == f"het is niet zo dat {PZMP}"


def test_facts_without_a_phrase_read_by_their_labels(vocabulary):
    facts = {name: dataclasses.replace(fact, phrase=None) for name, fact in vocabulary.facts.items()}
    bare = Vocabulary(vocabulary.enums, vocabulary.enum_labels, facts)
    assert expression(typed("price <= €5", vocabulary), bare) == "prijs (excl. btw) is ten hoogste € 5"
    assert expression(typed("if hard_to_place then 1 else 2", vocabulary), bare) == \
        "1 als Protocol Zeer Moeilijk Plaatsbaar geldt; anders 2"
    assert expression(typed("not hard_to_place", vocabulary), bare) == "Protocol Zeer Moeilijk Plaatsbaar geldt niet"


def test_rule_references_use_card_labels_or_fixed_values(proef):
    product = proef.product("ZZ-1")
    vocabulary = proef.catalogue.vocabulary
    test = product.rules["price_within_cap"].exprs["test"].node
    assert expression(test, vocabulary, product) == \
        "de prijs exclusief btw is ten hoogste de maximumprijs van het proefproduct"  # a label with its article
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

    # a deadline: the fact's phrase with its article; met_by names the event that meets it
    assert sentence("plan_due") == ("Uiterlijk 56 kalenderdagen na de aanmelding; de termijn is gehaald bij het "
                                    "indienen van het Re-integratieplan op of vóór die dag.")
    assert sentence("start_due") == ("Uiterlijk 10 werkdagen na de aanmelding; valt die dag niet op een werkdag, "
                                     "dan geldt de eerstvolgende werkdag; de termijn is gehaald bij de start op of "
                                     "vóór die dag.")
    # a split: the yes/no fact's phrase after 'als'; the triggers as 'bij <phrase> resp. bij <phrase>'
    split = ("De prijs exclusief btw: 60% proefinspanning, 40% proefresultaat (80% / 20% als de klant onder het "
             "Protocol Zeer Moeilijk Plaatsbaar valt); opeisbaar bij het akkoord op het Re-integratieplan resp. "
             "bij de werkhervatting of plaatsing.")
    assert sentence("effort") == sentence("result") == split
    # a payment of one part of 100% does not repeat its label
    assert sentence("bonus_part") == "De prijs exclusief btw is in één keer opeisbaar bij de start."
    assert sentence("progress") == "Elke 3 maanden vanaf de start tot het einde van het traject."
    assert sentence("interim") == "5 maanden na de start."
    assert sentence("cap") == ("€ 5.000 (geldig van 1 januari 2016 tot en met 31 december 2016); "
                               "€ 5.500,50 (geldig vanaf 1 januari 2017)")
    assert sentence("served_districts") == "District Noord Nederland en District Rijnmond"
    assert sentence("order_prefix") == "ZZ1-"
    assert sentence("extra_plan_needed") == "Nee"
    assert sentence("intake_cap") == "5 uur"  # the unit from the label's brackets: '(uren)'
    assert sentence("order_number") == "“ZZ1-” gevolgd door de code van het district van opdrachtverlening."
    # a label inside a sentence gets its article and loses its brackets
    assert sentence("price_within_cap") == "De prijs exclusief btw is ten hoogste de maximumprijs van het proefproduct."
    # a plural subject with a plural verb; the cap's unit from its label
    assert sentence("intake_within_cap") == "De gedeclareerde uren voor een intake zonder start zijn ten hoogste 5 uur."
    assert sentence("compensated_hours") == ("De gedeclareerde uren voor een intake zonder start, met een maximum "
                                             "van 5 uur.")
    # a yes/no parameter 'Extra proefplan nodig (de proefbron beoordeelt)': 'als extra proefplan nodig is'
    assert sentence("extra_plan_due") == ("Niet van toepassing op dit product: alleen als extra proefplan nodig is, "
                                          "en dat is hier niet zo.")
    assert rule_applies(product.rules["extra_plan_due"], product, vocabulary) is False
    assert rule_applies(product.rules["plan_due"], product, vocabulary) is True


def test_issue_examples_on_the_fixture_cards(engine, vocabulary):
    def sentence(code, rule_id):
        product = engine.product(code)
        return rule_sentence(product.rules[rule_id], product, vocabulary)

    assert sentence("U-XR", "plan_due").startswith("Uiterlijk 56 kalenderdagen na de aanmelding; de termijn is "
                                                   "gehaald bij het indienen van het Re-integratieplan")
    resumed = sentence("U-XR", "work_resumed_due")
    # a shorter maximum UWV set (§4.3) first, else the computed one
    assert resumed.startswith("Uiterlijk op de einddatum van de kortere maximale duur die UWV voor de klant heeft "
                              "bepaald (zolang onbekend: 26 weken na de aanmelding als de fasen van het traject "
                              "precies de Oriëntatiefase en de Bemiddelingsfase zijn; anders 104 weken na de "
                              "aanmelding);")
    fee = sentence("U-XR", "effort")
    assert fee.startswith("De prijs exclusief btw: 60% inspanningsdeel, 40% resultaatdeel")
    assert ("(100% / 0% als de Opdrachtgever full pay heeft toegekend; anders 80% / 20% als de klant onder het "
            "Protocol Zeer Moeilijk Plaatsbaar valt)") in fee
    assert fee.endswith("; opeisbaar bij het akkoord op het Re-integratieplan resp. "
                        "bij de werkhervatting of plaatsing.")
    assert "10 werkdagen" in sentence("T2-A", "plan_due")
    assert "elke 3 maanden" in sentence("LN-3", "progress_report")
    assert sentence("LN-3", "progress_report").startswith("Vanaf de start tot het einde van het traject")
    assert "€ 209.000 (geldig van 1 januari 2016 tot en met 31 december 2017)" in sentence("U-XR", "drempelbedrag")
    # the problems reviewers found on the first sheets
    assert sentence("U-XR", "client_group_served") == \
        "De uitkering behoort tot de klantgroepen waarvoor UWV de dienstverlening inkoopt."
    assert sentence("U-XR", "estimated_value_within_threshold") == \
        "De geschatte waarde van de Overeenkomst is ten hoogste het drempelbedrag, exclusief btw."
    assert sentence("U-XR", "contract_evaluation") == "3 maanden vóór het einde van het contract."
    assert sentence("U-XR", "order_number") == \
        "“U-XR’X’” gevolgd door een spatie en de code van het district van opdrachtverlening."
    assert sentence("U-EC", "acknowledgement_sent") == \
        "Het versturen van de ontvangstbevestiging valt op of na de aanmelding."
    assert sentence("U-LT", "matching_payment") == \
        "De matchingsfee is in één keer opeisbaar bij de start van het werkgedeelte van de Leerbaan."
    assert sentence("LN-1", "plan_due") == \
        "Niet van toepassing op dit product: alleen als re-integratieplan nodig is, en dat is hier niet zo."
    assert sentence("LN-1", "compensated_intake_hours") == \
        "De gedeclareerde uren voor een intake zonder start, met een maximum van 5 uur."
    assert sentence("LN-1", "intake_hours_within_compensation") == \
        "De gedeclareerde uren voor een intake zonder start zijn ten hoogste 5 uur."
    assert sentence("LN-1", "introduction_within_free_hour") == \
        "De duur van het kennismakingsgesprek is ten hoogste 1 uur."
    assert sentence("LN-1", "payment_due") == ("Uiterlijk 30 werkdagen na de ontvangst van de factuur; de termijn is "
                                                 "gehaald bij de betaling op of vóór die dag.")
    assert sentence("LN-1", "social_return") == ("5% als het jaarlijkse financiële volume van de aanbieder hoger is "
                                                   "dan € 50.000; anders 0%.")
    assert sentence("LN-3", "plan_due").startswith(
        "Uiterlijk 1 week na de intake (zolang onbekend: 3 weken na de aanmelding);")
    # "kan de aanbieder dit een maand voor afloop van traject ... aanvragen": a right, not a duty
    assert sentence("LN-1", "extension_request_due") == (
        "Uiterlijk 1 maand vóór de geplande einddatum van het traject (een mogelijkheid, geen verplichting); "
        "wordt die mogelijkheid niet gebruikt, dan vervalt ze; ze is gebruikt bij de aanvraag tot verlenging "
        "op of vóór die dag.")
    # "... het werk hervat te hebben of ontvangt UWV een eindrapportage ...": either event, said with "of"
    assert resumed.endswith("; de termijn is gehaald bij de werkhervatting of plaatsing, of bij de ontvangst van "
                            "de eindrapportage, op of vóór die dag (wat het eerst gebeurt).")


def test_fixture_sentences_use_phrases_not_labels(engine, vocabulary):
    """A fact stands in a sentence by its phrase: its label (a table heading) is never pasted in."""
    labels = {fact.label for fact in vocabulary.facts.values()
              if fact.phrase and fact.label.lower() not in fact.phrase.lower() and len(fact.label) > 8}
    for code, editions in engine.catalogue.products.items():
        for product in editions:
            for rule in product.rules.values():
                if rule.section == "parameters":
                    continue  # a parameter's own value may be free text
                text = rule_sentence(rule, product, vocabulary)
                for other in product.rules.values():  # a card label may itself name a fact
                    text = text.replace(label_in_sentence(other.label), "")
                pasted = [label for label in labels if label in text]
                assert not pasted, (code, rule.id, text, pasted)
                assert "(uren" not in text and " is ten hoogste 5." not in text, (code, rule.id, text)


def test_every_fixture_rule_renders(engine, vocabulary):
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
    """Text of a well-typed expression of `kind`, built from the fixture vocabulary's facts."""
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
            st.builds(lambda a, b: f"earliest({a}, {b})", sub("date"), sub("date")),
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


# A check against a value whose label ends in 'plafond', a 'het' noun words.yaml does not list yet.
PLAFOND_CARD = """\
  valid_from: 2016-01-01
values:
  plafond:
    label: Loonkostenplafond
    value: price * 2
checks:
  under_cap:
    label: Prijs onder het plafond
    test: price <= plafond
"""


def test_a_new_het_noun_is_a_line_in_words_yaml(tmp_path):
    def sentence(engine):
        product = engine.catalogue.product("T-1")
        return rule_sentence(product.rules["under_cap"], product, engine.catalogue.vocabulary)

    engine = card_engine(tmp_path, PLAFOND_CARD)
    assert "ten hoogste de loonkostenplafond" in sentence(engine)
    words = Path(engine.catalogue.root) / "words.yaml"
    text = words.read_text(encoding="utf-8")
    words.write_text(text.replace("  het: [\n", "  het: [\n    plafond,\n", 1), encoding="utf-8")
    assert "ten hoogste het loonkostenplafond" in sentence(Engine(engine.catalogue.root))
