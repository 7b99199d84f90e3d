"""A result as Dutch text: headings, statuses, amounts and names as a person at a terminal reads them."""
from __future__ import annotations

import datetime as dt

import pytest

from cards import PLAN_AND_FEE, card_engine
from interpreter.resulttext import result_text

CARD = "  valid_from: 2016-01-01\n" + PLAN_AND_FEE + """\
      first: {label: Bij akkoord Re-integratieplan, share: 60%, on: plan_approved_on}
      second: {label: Resultaatdeel, share: 40%, on: work_resumed_on}
checks:
  cheap:
    label: Prijs binnen de richtlijn
    test: price <= €5000
    message: De prijs ligt boven de richtlijn.
values:
  wajong_until:
    label: Einde begeleiding Wajong
    when: benefit == Wajong
    value: registered_on + 30 months
  plan_required:
    label: Plan verplicht
    value: "true"
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return card_engine(tmp_path_factory.mktemp("text"), CARD)


def text_of(engine, facts: dict, as_of: str, explain: bool = False) -> list[str]:
    result = engine.evaluate("T-1", facts, as_of=dt.date.fromisoformat(as_of), explain=explain)
    return result_text(engine, result, explain).splitlines()


def test_headings_statuses_amounts_and_labels_in_dutch(engine):
    lines = text_of(engine, {"registered_on": "2016-04-01", "plan_submitted_on": "2016-05-20", "price": 6000,
                             "plan_approved_on": "2016-06-01", "benefit": "WGA"}, "2016-06-01")
    assert lines[1] == "editie: Test edition; regels van 2016-06-01; stand per 2016-06-01"
    # 2016-04-01 + 56 days = 2016-05-27; submitted 2016-05-20: met
    assert "  2016-05-27  gehaald  Plan ingediend, gedaan op 2016-05-20" in lines
    # 60% and 40% of € 6.000; the first part's label says its trigger already, the second's does not
    assert "    60%  €   3.600,00  Bij akkoord Re-integratieplan (2016-06-01)" in lines
    assert "    40%  €   2.400,00  Resultaatdeel, bij datum werkhervatting / plaatsing " \
           "(nodig: datum werkhervatting / plaatsing)" in lines
    # € 6.000 > € 5.000: the check fails with the card's message
    assert "  NIET VOLDAAN  Prijs binnen de richtlijn: De prijs ligt boven de richtlijn." in lines
    assert "  Plan verplicht: ja" in lines
    assert "Niet van toepassing: Einde begeleiding Wajong" in lines  # benefit WGA, not Wajong
    assert lines[-1].startswith("kenmerk: engine ")
    for heading in ("Termijnen", "Betalingen", "Controles", "Waarden"):
        assert heading in lines


def test_unknown_and_open_name_the_facts_they_need_by_label(engine):
    lines = text_of(engine, {"benefit": "Wajong"}, "2016-06-01")
    assert "  onbekend    onbekend  Plan ingediend (nodig: datum aanmelding)" in lines
    assert "  open  Prijs binnen de richtlijn (nodig: prijs (excl. btw))" in lines
    assert "  Einde begeleiding Wajong: onbekend (nodig: datum aanmelding)" in lines


def test_overdue_and_the_explanation(engine):
    lines = text_of(engine, {"registered_on": "2016-04-01", "benefit": "Wajong"}, "2016-05-28", explain=True)
    # not submitted and 2016-05-28 is after 2016-05-27: overdue
    assert "  2016-05-27  te laat  Plan ingediend" in lines
    # 2016-04-01 + 30 months = 2018-10-01
    assert "  Einde begeleiding Wajong: 1 oktober 2018" in lines
    explained = lines[lines.index("Uitleg (de regels zoals ze op de kaart staan)") + 1:]
    assert any(line.startswith("  Plan ingediend — plan_due.due = 2016-05-27   [") for line in explained)
    assert "      registered_on + 56 days" in explained  # the card's own rule, as written


def test_the_explanation_names_a_source_by_its_title(tmp_path):
    engine = card_engine(tmp_path, """\
  valid_from: 2016-01-01
deadlines:
  plan_due:
    label: Plan ingediend
    due: registered_on + 56 days
    source:
      document: 000_d89555a14140057d.txt
      section: "§5.2"
      quote: "Het Re-integratieplan moet binnen maximaal 56 kalenderdagen zijn ingediend"
""")
    lines = text_of(engine, {"registered_on": "2016-04-01"}, "2016-04-02", explain=True)
    # the title catalogue.yaml gives the document (documents:), not its file name
    assert ("      bron UWV, Overzicht Re-integratiedienstverlening AG/ZW 2013 (situatie per 1 april 2016), §5.2: "
            "“Het Re-integratieplan moet binnen maximaal 56 kalenderdagen zijn ingediend”") in lines
