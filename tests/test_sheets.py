"""Product sheets: Dutch pages rendered from the rules themselves, in HTML and Markdown.

Most tests run on a copy of the fixture catalogue with a test card added (ZZ-1, with a worked
example, and ZZ-2 in two editions without one), so they hold whatever the fixture cards say;
one test runs over the bundled catalogue itself.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from interpreter.api import Engine
from interpreter.results import to_json
from interpreter.sheets import MANIFEST, TEMPLATES, RenderError, SheetError, render_sheets, rule_sentence, write_sheets
from interpreter.sheets.words import date_text, money_text, percent_text, value_text
from cards import FIXTURE, catalogue_with

PROEF_CARD = """\
code: ZZ-1
title: Proefproduct voor de productbladen
source:
  document: proefbron.txt
  section: "§1"
  quote: "Dit is de proefbron van het proefproduct."
edition:
  name: Proefeditie 2016
  valid_from: 2016-01-01
  valid_until: 2017-12-31
parameters:
  cap:
    label: Maximumprijs van het proefproduct
    value:
      2016-01-01: €5000
      2017-01-01: €5500.50
    source: {section: "§2", quote: "De prijs is ten hoogste € 5.000, vanaf 2017 € 5.500,50."}
  served_districts:
    label: Districten van het proefproduct
    value: "{D01, D03}"
    source: {section: "§3", quote: "Het proefproduct wordt ingekocht in twee districten."}
  order_prefix:
    label: Begin van het proefordernummer
    value: '"ZZ1-"'
    source: {section: "§3", quote: "Ordernummers beginnen met ZZ1-."}
  extra_plan_needed:
    label: Extra proefplan nodig (de proefbron beoordeelt)
    value: false
    source: {section: "§4", quote: "Een extra proefplan is niet nodig."}
  intake_cap:
    label: Vergoede proefintake, ten hoogste (uren)
    value: 5
    source: {section: "§7", quote: "Een proefintake wordt tot 5 uur vergoed."}
values:
  order_number:
    label: Proefordernummer
    value: order_prefix + text(district)
    source: {section: "§3", quote: "Het ordernummer is ZZ1- gevolgd door het district."}
  compensated_hours:
    label: Vergoede proefuren
    value: min(intake_hours, intake_cap)
    source: {section: "§7", quote: "Een proefintake wordt tot 5 uur vergoed."}
deadlines:
  plan_due:
    label: Proefplan ingediend
    due: registered_on + 56 days
    met_by: plan_submitted_on
    source: {section: "§4", quote: "Het proefplan is binnen 56 kalenderdagen ingediend."}
  start_due:
    label: Proefstart
    due: registered_on + 10 working days
    roll: next_working_day
    met_by: started_on
    source: {section: "§4", quote: "De proefstart is binnen 10 werkdagen."}
  extra_plan_due:
    label: Extra proefplan ingediend
    when: extra_plan_needed
    due: registered_on + 3 months
    source: {section: "§4", quote: "Een extra proefplan is niet nodig."}
payments:
  fee:
    label: Proefprijs
    base: price
    source: {section: "§5", quote: "60% inspanning en 40% resultaat; bij PZMP 80% en 20%."}
    parts:
      effort:
        label: Proefinspanning
        share: if hard_to_place then 80% else 60%
        on: plan_approved_on
      result:
        label: Proefresultaat
        share: if hard_to_place then 20% else 40%
        on: work_resumed_on
  bonus:
    label: Proefbonus
    base: price
    source: {section: "§5", quote: "De proefbonus is bij de start opeisbaar."}
    parts:
      bonus_part:
        label: Proefbonus
        share: 100%
        on: started_on
reports:
  progress:
    label: Proefvoortgang
    date: every 3 months from started_on until ended_on
    source: {section: "§6", quote: "Elke drie maanden een proefrapport."}
  interim:
    label: Tussentijds proefrapport
    date: started_on + 5 months
    source: {section: "§6", quote: "Na vijf maanden een tussentijds proefrapport."}
checks:
  price_within_cap:
    label: Proefprijs binnen het maximum
    test: price <= cap
    message: De proefprijs is te hoog.
    source: {section: "§2", quote: "De prijs is ten hoogste € 5.000."}
  intake_within_cap:
    label: Proefintake binnen het maximum
    test: intake_hours <= intake_cap
    source: {section: "§7", quote: "Een proefintake wordt tot 5 uur vergoed."}
assumptions:
  - id: proef_aanname
    text: "De proefaanname geldt voor het proefplan, als A < B & C."
    applies_to: [plan_due]
  - id: proef_verdeling
    text: "De proefverdeling geldt voor beide delen van de proefprijs."
    applies_to: [effort, result]
  - id: proef_inspanning
    text: "De proefinspanning en de proefbonus worden zo gelezen."
    applies_to: [effort, bonus_part]
example:
  as_of: 2016-06-01
  facts:
    registered_on: 2016-04-01
    price: "1350.50"
    hard_to_place: false
    plan_approved_on: 2016-05-02
    started_on: 2016-04-04
    ended_on: 2016-12-31
    district: D03
"""

PROEF_EDITION = """\
code: ZZ-2
title: Tweede proefproduct, zonder voorbeeld
source:
  document: proefbron.txt
  section: "§9"
edition:
  name: {name}
  valid_from: {start}
{until}
deadlines:
  report_due:
    label: Proefrapport opgeleverd
    due: started_on + {weeks} weeks
    source: {{section: "§9", quote: "Het proefrapport binnen {weeks} weken."}}
"""

LEFTOVERS = ("{{", "}}", "{%", "%}", "{#", "#}", "None", "Undefined", "undefined")


def make_catalogue(root: Path, extra: dict[str, str] | None = None) -> Path:
    """A copy of the fixture catalogue with the test cards (and `extra` files) added."""
    shutil.copytree(FIXTURE, root)
    cards = root / "products" / "proef"
    cards.mkdir()
    (cards / "ZZ-1.yaml").write_text(PROEF_CARD, encoding="utf-8")
    (cards / "ZZ-2a.yaml").write_text(PROEF_EDITION.format(
        name="Proefeditie A", start="2016-01-01", until="  valid_until: 2016-12-31", weeks=4), encoding="utf-8")
    (cards / "ZZ-2b.yaml").write_text(PROEF_EDITION.format(
        name="Proefeditie B", start="2017-01-01", until="", weeks=6), encoding="utf-8")
    for name, text in (extra or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def page_text(raw: str) -> str:
    """The text a reader sees: tags dropped, entities resolved, white space collapsed."""
    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.feed(raw)
    return " ".join(" ".join(parser.parts).split())


def md_text(raw: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", raw).split())


def sentences_of(product, vocabulary) -> list[str]:
    return [rule_sentence(rule, product, vocabulary) for rule in product.rules.values()]


@pytest.fixture(scope="module")
def proef(tmp_path_factory) -> Engine:
    return Engine(make_catalogue(tmp_path_factory.mktemp("proef") / "catalogue"))


@pytest.fixture(scope="module")
def html_dir(proef, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "sheets"
    write_sheets(proef, out, "html")
    return out


@pytest.fixture(scope="module")
def md_dir(proef, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("md") / "sheets"
    write_sheets(proef, out, "md")
    return out


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- files ------------------------------------------------------------------------------------------

def test_one_sheet_per_product_an_index_and_one_stylesheet(proef, tmp_path):
    written = write_sheets(proef, tmp_path / "out", "html")
    names = [p.name for p in written]
    expected = {f"{code}.html" for code in proef.catalogue.codes()} | {"ZZ-2-2016-01-01.html"}
    assert set(names) == expected | {"index.html", "sheet.css"}
    assert len(names) == len(set(names))
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in written)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names + [MANIFEST])


def test_markdown_sheets_have_no_stylesheet(proef, tmp_path):
    written = write_sheets(proef, tmp_path / "md", "md")
    assert {p.suffix for p in written} == {".md", ".svg"}  # the timelines are pictures beside the pages
    assert (tmp_path / "md" / "index.md").is_file()


def test_unknown_format_is_refused(proef, tmp_path):
    with pytest.raises(ValueError, match="html, md"):
        write_sheets(proef, tmp_path / "x", "pdf")
    assert not (tmp_path / "x").exists()


# -- content: every rule, its source, the assumptions -------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "md"])
def test_every_rule_sentence_is_on_its_sheet(proef, fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    vocabulary = proef.catalogue.vocabulary
    for code in proef.catalogue.codes():
        product = proef.product(code)
        raw = read(folder / f"{code}.{fmt}")
        text = page_text(raw) if fmt == "html" else md_text(raw)
        for sentence in sentences_of(product, vocabulary):
            assert " ".join(sentence.split()) in text, (code, sentence)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_quotes_citations_and_assumptions_are_on_the_sheet(proef, fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    for code in proef.catalogue.codes():
        product = proef.product(code)
        raw = read(folder / f"{code}.{fmt}")
        text = page_text(raw) if fmt == "html" else md_text(raw)
        for rule in product.rules.values():
            assert " ".join(rule.label.split()) in text, (code, rule.id)
            if rule.citation:
                assert rule.citation.section in text
                for quote in rule.citation.quotes:
                    assert " ".join(quote.split()) in text, (code, rule.id, quote)
        for assumption in product.assumptions:
            assert " ".join(assumption.text.split()) in text, (code, assumption.id)
        assert product.edition in text
        assert proef.catalogue.hash in text


def test_the_sentences_of_the_test_card(proef, html_dir):
    text = page_text(read(html_dir / "ZZ-1.html"))
    assert "Uiterlijk 56 kalenderdagen na de aanmelding" in text
    assert "de termijn is gehaald bij het indienen van het Re-integratieplan op of vóór die dag" in text
    assert "Uiterlijk 10 werkdagen na de aanmelding; valt die dag niet op een werkdag" in text
    assert ("60% proefinspanning, 40% proefresultaat (80% / 20% als de klant onder het Protocol Zeer Moeilijk "
            "Plaatsbaar valt)") in text
    assert "opeisbaar bij het akkoord op het Re-integratieplan resp. bij de werkhervatting of plaatsing" in text
    assert "Elke 3 maanden vanaf de start tot het einde van het traject." in text
    assert ("€ 5.000 (geldig van 1 januari 2016 tot en met 31 december 2016); "
            "€ 5.500,50 (geldig vanaf 1 januari 2017)") in text
    assert "Niet van toepassing op dit product" in text
    assert "geldig van 1 januari 2016 tot en met 31 december 2017" in text  # the edition


def test_tables_of_amounts_districts_and_order_numbers(html_dir):
    raw = read(html_dir / "ZZ-1.html")
    amounts = re.search(r'<table id="tabel-bedragen">.*?</table>', raw, re.S).group(0)
    assert "€ 5.500,50" in amounts and "geldig vanaf 1 januari 2017" in html.unescape(amounts)
    districts = page_text(re.search(r'<table id="tabel-served-districts">.*?</table>', raw, re.S).group(0))
    assert "D01 District Noord Nederland ZZ1-D01" in districts
    assert "D03 District Rijnmond ZZ1-D03" in districts
    assert "D02" not in districts  # only the districts of the set


# -- the worked example --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "md"])
def test_worked_example_equals_catalogue_evaluate(proef, fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    vocabulary = proef.catalogue.vocabulary
    checked = 0
    for code in proef.catalogue.codes():
        product = proef.product(code)
        if product.example_facts is None:
            continue
        raw = read(folder / f"{code}.{fmt}")
        text = page_text(raw) if fmt == "html" else md_text(raw)
        result = proef.evaluate(code, product.example_facts, as_of=product.example_as_of,
                                rules_on=product.example_rules_on, typed=True)
        data = to_json(result)
        # both dates, with the edition they chose
        rules_on, as_of = (date_text(dt.date.fromisoformat(data[key])) for key in ("rules_on", "as_of"))
        shown = f"Regels van: {rules_on} (editie {data['edition']}); peildatum van de termijnen: {as_of}"
        assert shown in text.replace("**", "")
        for deadline in data["deadlines"]:
            if deadline["date"]:
                assert date_text(dt.date.fromisoformat(deadline["date"])) in text
                checked += 1
        for payment in data["payments"]:
            if payment["amount"]:
                assert money_text(Decimal(payment["amount"])) in text
                assert percent_text(Decimal(payment["share"].rstrip("%"))) in text
                checked += 1
        for report in data["reports"]:
            if report["date"]:
                assert date_text(dt.date.fromisoformat(report["date"])) in text
                checked += 1
        for key, value in result.values.items():
            rule = product.rules[key]
            if rule.section == "values" or len(rule.editions) > 1:  # fixed parameters stand above
                assert value_text(value, result.value_types[key], vocabulary) in text, key
                checked += 1
    assert checked >= 5


def test_worked_example_shows_hand_computed_dates_and_amounts(html_dir):
    text = page_text(read(html_dir / "ZZ-1.html"))
    example = text[text.index("Rekenvoorbeeld", text.index("Rekenvoorbeeld") + 1):]
    # 2016-04-01 + 56 days; + 10 working days (no holidays then); 1350.50 x 60% and the remainder;
    # every 3 months from 2016-04-04 before 2016-12-31.
    for expected in ("27 mei 2016", "te laat", "15 april 2016", "gehaald", "€ 810,30", "€ 540,20",
                     "4 juli 2016", "4 oktober 2016", "€ 1.350,50", "ZZ1-D03", "voldaan"):
        assert expected in example, expected
    assert "4 januari 2017" not in example


def _example(text: str) -> str:
    return text[text.rindex("Rekenvoorbeeld"):]


def test_worked_example_reports_are_in_date_order(html_dir, md_dir):
    # the interim report (started_on + 5 months) falls between the quarterly ones
    for text in (page_text(read(html_dir / "ZZ-1.html")), md_text(read(md_dir / "ZZ-1.md"))):
        example = _example(text)
        dates = [example.index(day) for day in ("4 juli 2016", "4 september 2016", "4 oktober 2016")]
        assert dates == sorted(dates), dates
    raw = read(html_dir / "ZZ-1.html")
    rows = re.search(r'<table class="example-reports">.*?</table>', raw, re.S).group(0)
    labels = re.findall(r'<a href="#regel-([a-z-]+)">', rows)
    assert labels == ["progress", "interim", "progress"]


def test_a_payment_of_one_part_is_named_once(html_dir, md_dir):
    for text in (page_text(read(html_dir / "ZZ-1.html")), md_text(read(md_dir / "ZZ-1.md"))):
        example = _example(text)
        assert "Proefbonus: Proefbonus" not in example and "Proefbonus" in example
        assert "Proefprijs: Proefinspanning" in example  # a part of a split keeps its payment's name


def test_assumptions_name_payment_parts_with_their_payment(html_dir, md_dir):
    raw = read(html_dir / "ZZ-1.html")
    both = re.search(r'<dt id="aanname-proef-verdeling">.*?</dd>', raw, re.S).group(0)
    assert "Geldt voor: Proefprijs" in page_text(both)  # all parts of the split: the split itself
    assert 'href="#regel-fee"' in both
    one = page_text(re.search(r'<dt id="aanname-proef-inspanning">.*?</dd>', raw, re.S).group(0))
    # a card label may hold a ';' itself, so the items are set apart with a middle dot
    assert "Geldt voor: Proefprijs: Proefinspanning · Proefbonus" in one
    assert "*Geldt voor:* Proefprijs: Proefinspanning · Proefbonus" in md_text(read(md_dir / "ZZ-1.md"))


def test_a_sheet_without_example_says_so(html_dir, md_dir):
    for text in (page_text(read(html_dir / "ZZ-2.html")), md_text(read(md_dir / "ZZ-2.md"))):
        assert "Voor dit product staat geen voorbeeld op de kaart." in text
        assert text.count("geen voorbeeld") == 1  # said once


def test_an_example_outside_the_edition_is_an_error(tmp_path):
    card = PROEF_CARD.replace("as_of: 2016-06-01", "as_of: 2019-06-01")
    root = make_catalogue(tmp_path / "catalogue")
    (root / "products" / "proef" / "ZZ-1.yaml").write_text(card, encoding="utf-8")
    with pytest.raises(Exception) as caught:
        write_sheets(Engine(root), tmp_path / "out", "html")
    assert isinstance(caught.value, SheetError) or "2019" in str(caught.value)
    assert not (tmp_path / "out").exists()


# -- no leftovers, markup, print --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "md"])
def test_no_template_leftovers(fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    for path in folder.iterdir():
        if path.suffix != f".{fmt}":
            continue
        raw = read(path)
        for leftover in LEFTOVERS:
            assert leftover not in raw, (path.name, leftover)
        assert raw.strip()


def test_semantic_html_without_scripts(html_dir):
    for path in html_dir.glob("*.html"):
        raw = read(path)
        assert raw.startswith("<!DOCTYPE html>")
        assert '<html lang="nl">' in raw
        assert '<link rel="stylesheet" href="sheet.css">' in raw
        for tag in ("<header", "<main", "<footer", "<h1"):
            assert tag in raw, (path.name, tag)
        assert "<script" not in raw.lower() and "javascript:" not in raw.lower()
        assert " on" + "click=" not in raw.lower()
        assert raw.count("<th>") == 0  # every header cell says what it heads (scope)
    sheet = read(html_dir / "ZZ-1.html")
    for tag in ("<section", "<article", "<figure", "<blockquote", "<figcaption", "<cite>", "<caption>",
                "<table", '<th scope="col">', '<th scope="row">', "<nav"):
        assert tag in sheet, tag
    assert '<th scope="row">' in read(html_dir / "index.html")


def test_html_escapes_card_text(html_dir, md_dir):
    assert "A &lt; B &amp; C" in read(html_dir / "ZZ-1.html")
    assert "A < B & C" not in read(html_dir / "ZZ-1.html")
    assert r"A \< B & C" in read(md_dir / "ZZ-1.md")


def test_stylesheet_prints_on_a4(html_dir):
    css = read(html_dir / "sheet.css")
    assert "@page" in css and "size: A4" in css
    assert "@media print" in css
    assert "break-inside: avoid" in css


def test_index_lists_every_product_and_edition(proef, html_dir, md_dir):
    index = page_text(read(html_dir / "index.html"))
    raw = read(html_dir / "index.html")
    for code in proef.catalogue.codes():
        product = proef.product(code)
        assert f'href="{code}.html"' in raw
        assert product.code in index and " ".join(product.title.split()) in index
    assert 'href="ZZ-2-2016-01-01.html"' in raw
    assert proef.catalogue.hash in index
    assert "(ZZ-1.md)" in read(md_dir / "index.md")


def test_templates_know_no_product(proef):
    words = set()
    for editions in proef.catalogue.products.values():
        for product in editions:
            words.add(product.code)
            words.add(" ".join(product.title.split()))
            words.update(" ".join(rule.label.split()) for rule in product.rules.values() if len(rule.label) > 6)
    words.update(fact.label for fact in proef.catalogue.vocabulary.facts.values() if len(fact.label) > 6)
    # The headings of a card's own parts are the sheet's, not a product's, even where a card uses the
    # same word as a label (a rule 'Doorlooptijd' beside the description heading of lead_time).
    from interpreter.sheets.output import _environment
    headings = _environment("html").get_template("headings.j2").module
    words -= {*headings.section_titles.values(), *headings.description_headings.values()}
    for template in TEMPLATES.iterdir():
        text = read(template)
        found = sorted(word for word in words if word in text)
        assert not found, (template.name, found)


# -- writing is all or nothing ---------------------------------------------------------------------------

BAD_CARD = """\
code: ZZ-9
title: Proefproduct met een onzegbare regel
source: {document: proefbron.txt, section: "§9"}
edition: {name: Proef, valid_from: 2016-01-01}
values:
  odd:
    label: Onzegbaar
    value: if (if hard_to_place then true else false) then 1 else 2
"""


def test_an_unsayable_rule_writes_nothing(tmp_path):
    root = make_catalogue(tmp_path / "catalogue", {"products/proef/ZZ-9.yaml": BAD_CARD})
    engine = Engine(root)
    with pytest.raises(RenderError) as caught:
        write_sheets(engine, tmp_path / "out", "html")
    assert caught.value.stage == "sheet"
    assert caught.value.position.file.endswith("ZZ-9.yaml") and caught.value.position.line == 8
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["catalogue"]  # no temporary folder left behind


def test_rewriting_replaces_sheets_and_keeps_other_files(proef, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "ZZ-1.html").write_text("stale", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    write_sheets(proef, out, "html")
    assert "Proefproduct" in read(out / "ZZ-1.html")
    assert read(out / "notes.txt") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_rewrite_leaves_the_old_sheets(tmp_path, proef):
    out = tmp_path / "out"
    write_sheets(proef, out, "html")
    before = {p.name: read(p) for p in out.iterdir()}
    root = make_catalogue(tmp_path / "catalogue", {"products/proef/ZZ-9.yaml": BAD_CARD})
    with pytest.raises(RenderError):
        write_sheets(Engine(root), out, "html")
    assert {p.name: read(p) for p in out.iterdir()} == before


def test_a_family_check_over_a_value_each_card_sets_quotes_that_cards_own_sentence(engine):
    # The fixture's family uwv checks price <= max_price and quotes nothing itself; each card's max_price
    # quotes its own cap (000 §5.2/§5.3): "... een maximum bedrag van € 5000 ...", "... € 3750 ...",
    # "Voor een EVC geldt als maximum bedrag € 1350,- ...", "Voor een EVP geldt als maximum bedrag € 650,- ...".
    from interpreter.sheets.pages import Builder
    builder = Builder(engine)
    for code, cap in (("U-XR", "€ 5000"), ("U-LT", "€ 3750"), ("U-EC", "€ 1350"), ("U-EP", "€ 650")):
        product = engine.product(code)
        quotes = [q for c in builder.rule_citations(product, product.rules["price_within_guideline"])
                  for q in c["quotes"]]
        assert cap in quotes[0], (code, quotes)
        assert not [q for q in quotes if "maximum bedrag" in q and cap not in q], (code, quotes)  # no other cap


# -- the bundled catalogue ----------------------------------------------------------------------------------

def test_bundled_catalogue_renders_every_sentence(bundled):
    engine = bundled
    files = render_sheets(engine, "html")
    vocabulary = engine.catalogue.vocabulary
    assert "index.html" in files and "sheet.css" in files
    for code in engine.catalogue.codes():
        text = page_text(files[f"{code}.html"])
        for sentence in sentences_of(engine.product(code), vocabulary):
            assert " ".join(sentence.split()) in text, (code, sentence)
        for leftover in LEFTOVERS:
            assert leftover not in files[f"{code}.html"], (code, leftover)
        product = engine.product(code)
        if product.example_facts is not None:
            data = to_json(engine.evaluate(code, product.example_facts, as_of=product.example_as_of, typed=True))
            for deadline in data["deadlines"]:
                if deadline["date"]:
                    assert date_text(dt.date.fromisoformat(deadline["date"])) in text
            for payment in data["payments"]:
                if payment["amount"]:
                    assert money_text(Decimal(payment["amount"])) in text
        else:
            assert "geen voorbeeld" in text


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_header_shows_the_days_a_decree_equates_with_the_holidays(fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    raw = read(folder / f"ZZ-1.{fmt}")
    text = page_text(raw).replace("( ", "(").replace(" )", ")") if fmt == "html" else md_text(raw).replace("*", "")
    # the calendar atw's dated entries (art. 3 lid 3 Algemene termijnenwet), each group with its decree
    assert ("2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028, 26 mei 2028 (Besluit gelijkstelling van "
            "2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en 26 mei 2028 met een algemeen erkende "
            "feestdag)") in text
    assert "Gelijkgesteld bij besluit" in text


def test_review_wordings_on_the_spoor2_and_leon_sheets(md_dir):
    s2c = md_text(read(md_dir / "T2-C.md")).replace("*", "")
    # the source gives no dates: said so, not a made-up 1 January 2000
    assert "| Geldigheid | niet vermeld in de bron |" in s2c and "2000" not in s2c
    # a source is named by its document title (catalogue.yaml documents:), not by its file name
    assert "| Bron | Arbeidsbemiddeling spoor 2, C - Reïntegratietrajecten, variabele duur |" in s2c
    assert "— Bron: Arbeidsbemiddeling spoor 2, " in s2c and "001\\_297477d3267e2d10.txt" not in s2c
    # the price line speaks of the product, not of the source file
    assert "Prijs - Op basis van een offerte. ## " in s2c
    # "Een werknemer verzuimt langdurig" / "werkgever en ...": one sentence, not cut at the bullet
    assert "Een werknemer verzuimt langdurig, en werkgever en arbo-adviseurs melden" in s2c
    leon = md_text(read(md_dir / "LN-3.md"))
    omschrijving = leon.split("## Omschrijving")[1].split("## ")[0]
    # the card's own text is repaired; the quote under it stays verbatim
    assert "**Samenvatting** - Klantmanager verstuurt opdrachtformulier. Directe opdrachtverstrekking, geen " \
           "offerte nodig. Aanbieder stuurt een Re-integratieplan." in omschrijving
    assert "> Klantmanager verstuurt opdrachtformulier. Directe opdrachtverstrekking, geen offerte nodig. " \
           "Aanbieder stuurt een Re- integratieplan." in omschrijving


def test_a_rewrite_removes_the_pages_of_a_removed_edition_and_keeps_other_files(tmp_path):
    root = make_catalogue(tmp_path / "catalogue")
    out = tmp_path / "out"
    first = write_sheets(Engine(root), out, "html")
    (out / "notes.html").write_text("mine", encoding="utf-8")
    (root / "products" / "proef" / "ZZ-2b.yaml").unlink()
    second = write_sheets(Engine(root), out, "html")
    gone = {p.name for p in first} - {p.name for p in second}
    assert gone, "removing an edition must remove a page"
    assert not any((out / name).exists() for name in gone)
    assert {p.name for p in second} <= {p.name for p in out.iterdir()}
    assert read(out / "notes.html") == "mine"


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_every_worked_example_has_a_timeline_of_its_evaluation(proef, fmt, request):
    folder = request.getfixturevalue(f"{fmt}_dir")
    checked = 0
    for code in proef.catalogue.codes():
        product = proef.product(code)
        if product.example_facts is None:
            continue
        raw = read(folder / f"{code}.{fmt}")
        if fmt == "md":
            assert f"![Tijdlijn van het voorbeeldgeval]({code}.timeline.svg)" in raw
            raw = read(folder / f"{code}.timeline.svg")
        result = proef.evaluate(code, product.example_facts, as_of=product.example_as_of,
                                rules_on=product.example_rules_on, typed=True)
        shown = set(re.findall(r'class="mark (\w+) [^"]*" data-date="([\d-]+)"', raw))
        expected = {("deadline", d.date.isoformat()) for d in result.deadlines if d.date}
        expected |= {("report", r.date.isoformat()) for r in result.reports if r.date}
        expected |= {("payment", p.date.isoformat()) for p in result.payments if p.date}
        assert expected <= shown
        checked += len(expected)
    assert checked >= 5


def test_the_templates_head_every_section_and_description_key():
    """Sheet headings live in templates/headings.j2: one for every part of a card and every description key
    the catalogue declares (catalogue.yaml `descriptions:`)."""
    from interpreter.sheets.output import _environment
    from interpreter.sheets.pages import SECTIONS

    headings = _environment("html").get_template("headings.j2").module
    assert list(headings.section_titles) == list(SECTIONS)
    declared = Engine(FIXTURE).catalogue.vocabulary.description_keys
    assert declared and set(declared) <= set(headings.description_headings)
    assert all(title.strip() for title in [*headings.section_titles.values(), *headings.description_headings.values()])


# -- decision tables and lookups are shown as tables -------------------------------------------------------

def test_a_decision_table_and_a_lookup_are_shown_as_tables(tmp_path):
    from cards import catalogue_with
    from test_tables import SPLIT, lookup_card
    card = SPLIT + lookup_card().split("  valid_from: 2016-01-01\n", 1)[1]
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))
    out = tmp_path / "sheets"
    write_sheets(engine, out, "md")
    lines = read(out / "T-1.md").splitlines()
    start = lines.index("**Verdeling**")
    # The columns: the labels of the facts the inputs read, then the outputs; the cells in Dutch.
    assert lines[start + 2:start + 7] == [
        "| Full pay toegekend door Opdrachtgever | Protocol Zeer Moeilijk Plaatsbaar | Inspanningsdeel | Resultaatdeel |",
        "|---|---|---|---|",
        "| nee | nee | 60% | 40% |",
        "| nee | ja | 80% | 20% |",
        "| ja | elke | 100% | 0% |",
    ]
    start = lines.index("**Districten**")
    assert lines[start + 2:start + 5] == ["| Code | Naam |", "|---|---|", "| D01 | District Noord Nederland |"]
    write_sheets(engine, tmp_path / "html", "html")
    raw = read(tmp_path / "html" / "T-1.html")
    table = page_text(re.search(r'<table id="tabel-split">.*?</table>', raw, re.S).group(0))
    assert "nee nee 60% 40%" in table and "ja elke 100% 0%" in table
    # Each output's entry points at the table, where the table's source sentences stand once.
    assert lines.count("Uit de tabel ‘Verdeling’ onder Tabellen, met haar bronzinnen.") == 2
    assert raw.count('<a href="#tabel-split">Verdeling</a>') == 2


def test_the_sources_of_a_table_stand_once_with_the_table(tmp_path):
    from cards import catalogue_with
    from test_tables import SPLIT
    quote = "No cure less pay in de verhouding 60 procent inspanningsverplichting en 40 procent resultaatsverplichting."
    card = SPLIT.replace("    label: Verdeling\n", f"    label: Verdeling\n    source: {{section: '5.2', quote: '{quote}'}}\n")
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))
    write_sheets(engine, tmp_path / "md", "md")
    text = read(tmp_path / "md" / "T-1.md")
    assert text.count(quote) == 1 and text.index(quote) > text.index("## Tabellen")


# -- round two: an override, a payment schedule and a 'circa' check on a sheet ----------------------------

ROUND_TWO_CARD = """\
code: ZZ-5
family: uwv
title: Proefproduct met termijnbetalingen
source: {document: 000_d89555a14140057d.txt, section: "§9"}
edition: {name: Proefeditie, valid_from: 2016-01-01}
example:
  as_of: 2016-06-01
  facts: {registered_on: 2016-01-01, started_on: 2016-01-01, ended_on: 2016-05-01, price: 500, intake_hours: 2}
parameters:
  max_price: {label: Maximumbedrag, value: €400}
  about_term: {label: "Looptijd, circa", value: circa 6 months}
checks:
  price_within_guideline:
    overrides: Eigen maximumbedrag van dit proefproduct.
    label: Prijs niet boven € 400
    test: price <= max_price
    message: Te duur.
  long_enough:
    label: Loopt circa zes maanden
    test: ended_on >= started_on + about_term
    message: Korter dan circa zes maanden.
payments:
  coaching:
    label: Begeleiding per kwartaal
    schedule: every 3 months from started_on until ended_on
    amount: intake_hours * price
"""


@pytest.mark.parametrize("fmt, text_of", [("html", page_text), ("md", md_text)])
def test_an_override_a_schedule_and_an_indication_on_the_sheet(tmp_path, fmt, text_of):
    engine = Engine(make_catalogue(tmp_path / "catalogue", {"products/proef/ZZ-5.yaml": ROUND_TWO_CARD}))
    write_sheets(engine, tmp_path / "out", fmt)
    text = text_of(read(tmp_path / "out" / f"ZZ-5.{fmt}")).replace("**", "")
    assert "Vervangt de regel van de productfamilie: Eigen maximumbedrag van dit proefproduct." in text
    assert ("Per periode van 3 maanden vanaf de start tot het einde van het traject, achteraf: de gedeclareerde "
            "uren voor een intake zonder start keer de prijs exclusief btw, opeisbaar op de laatste dag van elke "
            "periode; een kortere laatste periode naar rato van het aantal kalenderdagen.") in text
    assert ("Het einde van het traject valt op of na circa 6 maanden na de start (een indicatie: wordt die niet "
            "gehaald, dan volgt een melding, nooit een afkeuring).") in text
    # the worked example: 2 x € 500 = € 1.000 a quarter; 2016-01-01 + 3 months = 2016-04-01; the last period
    # to 2016-05-01 is 30 of the 91 days to 2016-07-01: 1000 x 30 / 91 = 329.67; total € 1.329,67
    assert "termijn 1 (1 januari 2016 – 1 april 2016) | per periode | € 1.000" in text or \
        "termijn 1 (1 januari 2016 – 1 april 2016) per periode € 1.000" in text
    assert "€ 329,67" in text and "€ 1.329,67" in text


def test_sheets_show_the_titles_of_the_loaded_catalogue_not_of_the_files_on_disk(tmp_path):
    family = ("family: proef-familie\ntitle: Proeffamilie zoals geladen\nsource: {document: f.txt, section: \"1\"}\n")
    card = ("code: T-1\ntitle: Proefkaart\nfamily: proef-familie\nsource: {document: test.txt, section: \"1\"}\n"
            "edition: {name: eerste, valid_from: 2016-01-01}\n"
            "deadlines:\n  plan_due:\n    label: Plan\n    due: registered_on + 56 days\n")
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}, {"proef-familie.yaml": family})
    settings = root / "catalogue.yaml"
    settings.write_text(re.sub(r"(?m)^catalogue: .*$", "catalogue: Catalogus zoals geladen",
                               settings.read_text(encoding="utf-8")), encoding="utf-8")
    engine = Engine(root)
    engine.catalogue.load_whole()
    # Edited after the load: a sheet shows the catalogue it was asked for, read once, not the disk of later.
    settings.write_text(settings.read_text(encoding="utf-8").replace("zoals geladen", "later"), encoding="utf-8")
    (root / "families" / "proef-familie.yaml").write_text(family.replace("zoals geladen", "later"), encoding="utf-8")
    pages = render_sheets(engine, "md")
    assert "[Catalogus zoals geladen](index.md) · Proeffamilie zoals geladen" in pages["T-1.md"]
    assert "later" not in pages["T-1.md"] + pages["index.md"]


def test_a_description_heading_added_in_catalogue_yaml_renders(tmp_path):
    """A heading the templates do not name yet shows as its key; one they name shows their Dutch heading."""
    card = ("code: T-1\ntitle: Proefkaart\nsource: {document: test.txt, section: \"1\"}\n"
            "edition: {name: eerste, valid_from: 2016-01-01}\n"
            "description:\n  goal: Werk vinden\n  known_risks: Geen bekende risico's\n"
            "deadlines:\n  plan_due:\n    label: Plan\n    due: registered_on + 56 days\n")
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card})
    settings = root / "catalogue.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "client_groups, result]", "client_groups, result, known_risks]"), encoding="utf-8")
    pages = render_sheets(Engine(root), "md")
    assert "**Doel**\n\n- Werk vinden\n\n**Known risks**\n\n- Geen bekende risico's" in pages["T-1.md"]
